"""Issue 20 item 10: the SQLite database (which holds the cookie-signing key and the token hashes) is
readable by its owner only, however the process umask is set."""

from __future__ import annotations

import contextlib
import os
import stat

from fastapi.testclient import TestClient
from security_helpers import API_KEY, security_app


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _group_or_other_bits(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode) & 0o077


def test_new_database_files_are_private(tmp_path):
    with _umask(0o022), TestClient(security_app(tmp_path)) as client:
        assert client.post("/api/v1/devices", json={"name": "bed-1"}, headers={"X-API-Key": API_KEY}).status_code == 201
        files = [p for p in tmp_path.iterdir() if p.name.startswith("cw.db")]
        assert files
        for path in files:
            assert _group_or_other_bits(path) == 0, f"{path.name} mode {stat.S_IMODE(os.stat(path).st_mode):o}"


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    db = tmp_path / "cw.db"
    db.touch()
    db.chmod(0o644)
    with TestClient(security_app(tmp_path)):
        assert _group_or_other_bits(db) == 0
