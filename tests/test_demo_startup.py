"""The demo's start-up checks: a busy port is named with a free one to try; --fresh deletes only its database."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cardiowatch.demo import DEMO_DATABASE, DemoStart, PortInUse, listen_socket, prepare_workdir


def _listening_pair() -> tuple[socket.socket, socket.socket | None, int]:
    """A listening socket on some port P, and one holding P + 1 when that was free (else None)."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    neighbour = socket.socket()
    try:
        neighbour.bind(("127.0.0.1", port + 1))
        neighbour.listen()
    except OSError:
        neighbour.close()
        neighbour = None
    return busy, neighbour, port


def test_listen_socket_on_a_busy_port_names_the_port_and_a_free_one() -> None:
    busy, neighbour, port = _listening_pair()
    try:
        with pytest.raises(PortInUse) as caught:
            listen_socket("127.0.0.1", port)
        suggested = int(str(caught.value).rsplit("--port ", 1)[1])
        assert str(caught.value).startswith(f"port {port} is in use; try --port ")
        assert suggested > port + (neighbour is not None)
        listen_socket("127.0.0.1", suggested).close()  # the suggestion is really free
    finally:
        busy.close()
        if neighbour is not None:
            neighbour.close()


def test_listen_socket_gives_a_bound_socket_on_a_free_port() -> None:
    sock = listen_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_prepare_workdir_keeps_an_earlier_database_unless_fresh(tmp_path: Path) -> None:
    assert prepare_workdir(tmp_path / "demo", fresh=False) is DemoStart.NEW
    database = tmp_path / "demo" / DEMO_DATABASE
    database.write_bytes(b"earlier run")
    assert prepare_workdir(tmp_path / "demo", fresh=False) is DemoStart.RESUMED
    assert database.read_bytes() == b"earlier run"


def test_prepare_workdir_fresh_deletes_the_database_files_and_nothing_else(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    workdir.mkdir()
    for name in (DEMO_DATABASE, DEMO_DATABASE + "-wal", DEMO_DATABASE + "-shm", "notes.txt"):
        (workdir / name).write_text("x")
    assert prepare_workdir(workdir, fresh=True) is DemoStart.FRESH
    assert sorted(p.name for p in workdir.iterdir()) == ["notes.txt"]
