"""The one `cardiowatch` command. Sub-commands import their work lazily so `--help` stays fast."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from cardiowatch import NOT_A_MEDICAL_DEVICE

app = typer.Typer(
    help=f"cardiowatch: arrhythmia detection from ECG/PPG sensors. {NOT_A_MEDICAL_DEVICE}",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
data_app = typer.Typer(help="Find and download the PhysioNet databases.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console(stderr=True)

DataOption = Annotated[
    Optional[Path],
    typer.Option("--data", help="Data root holding one folder per database (else $CARDIOWATCH_DATA, "
                 "else ../shared/physionet, else the user cache)."),
]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@data_app.command("fetch")
def data_fetch(
    database: Annotated[str, typer.Argument(help="Database name, e.g. mitdb")],
    data: DataOption = None,
    base_url: Annotated[Optional[str], typer.Option(help="Mirror to download from instead of PhysioNet.")] = None,
    record: Annotated[Optional[list[str]], typer.Option("--record", help="Only these records.")] = None,
) -> None:
    """Download DATABASE from PhysioNet into the data root and check its SHA256 sums."""
    from cardiowatch.data.fetch import fetch_database
    from cardiowatch.errors import DataUnavailable

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=console) as progress:
        task = progress.add_task(database, total=None)

        def report(done: int, total: int | None, name: str) -> None:
            progress.update(task, description=f"{database}/{name}", completed=done, total=total)

        try:
            dest = fetch_database(database, root=data, base_url=base_url, records=record, progress=report)
        except (DataUnavailable, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from exc
    console.print(f"{database} is in {dest}")


@data_app.command("info")
def data_info(data: DataOption = None) -> None:
    """Show the data root and which databases it holds."""
    from cardiowatch.data.databases import DATABASES, data_root

    root = data_root(data)
    console.print(f"data root: {root}")
    for db in DATABASES.values():
        records = root / db.name / "RECORDS"
        count = len(records.read_text().split()) if records.is_file() else 0
        state = f"{count} records" if count else "missing"
        console.print(f"  {db.name:8s} {state:12s} {db.title}")


# --- dashboard users (owner: dashboard) ------------------------------------------------------------------
user_app = typer.Typer(help="Dashboard users: admins manage devices and users, viewers watch.", no_args_is_help=True)
app.add_typer(user_app, name="user")
DatabaseOption = Annotated[
    Optional[str],
    typer.Option("--database-url", help="Server database (else $CARDIOWATCH_DATABASE_URL, else the default)."),
]


def _user_store(database_url: Optional[str]):  # noqa: ANN202 - lazily imported type
    from cardiowatch.dashboard.users import UserStore
    from cardiowatch.server.config import Settings
    from cardiowatch.server.storage.db import make_engine

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    store = UserStore(make_engine(settings.database_url, schema=settings.database_schema))
    store.create_tables()
    return store


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option("--role", help="admin or viewer")] = "viewer",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="CARDIOWATCH_NEW_PASSWORD",
                                          help="Asked for when not given ($CARDIOWATCH_NEW_PASSWORD).")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """Create dashboard user NAME with a role."""
    from cardiowatch.dashboard.users import UserError

    try:
        user = _user_store(database_url).add_user(name, password, role)
    except UserError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"user {user.name} ({user.role.value}) added")


@user_app.command("list")
def user_list(database_url: DatabaseOption = None) -> None:
    """List dashboard users and their roles."""
    for user in _user_store(database_url).list_users():
        console.print(f"{user.name}\t{user.role.value}")

if __name__ == "__main__":
    app()
