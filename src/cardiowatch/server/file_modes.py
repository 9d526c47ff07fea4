"""Files the server creates are readable by their owner only.

The SQLite database holds the dashboard's cookie-signing key, password hashes, device token hashes and
every patient's data; with the usual umask 022 SQLite would create it readable by every local user.
SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions, so creating the database
file 0600 before SQLite opens it covers them too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL, or None (another database, in-memory, or a ``file:`` URI)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def make_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; take group and other bits off an existing one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
            logger.warning("%s was readable by other users (mode %o); made it %o", path, mode, mode & 0o700)
        return
    os.close(fd)


def private_sqlite_file(database_url: str) -> None:
    """Make the SQLite file of ``database_url`` (and so its WAL and SHM files) private; other URLs: nothing."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        make_private_file(path)
        for suffix in ("-wal", "-shm", "-journal"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                make_private_file(sidecar)
