"""`cardiowatch user add/list` writes dashboard users into the server's database."""

from __future__ import annotations

from typer.testing import CliRunner

from cardiowatch.cli import app
from cardiowatch.dashboard.users import Role, UserStore


def test_user_add_creates_a_user_who_can_authenticate_and_refuses_a_duplicate(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    runner = CliRunner()
    added = runner.invoke(app, ["user", "add", "ada", "--role", "admin", "--database-url", url],
                          input="long password\nlong password\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["user", "add", "ada", "--database-url", url, "--password", "other password"])
    assert again.exit_code == 1
    listed = runner.invoke(app, ["user", "list", "--database-url", url])
    assert "ada" in listed.output and "admin" in listed.output
    from sqlalchemy import create_engine

    user = UserStore(create_engine(url)).authenticate("ada", "long password")
    assert user is not None and user.role is Role.ADMIN
