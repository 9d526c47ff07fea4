"""Helpers of the security suite (plain functions; fixtures are in conftest.py): the real server app on a
SQLite file, in process or behind a real uvicorn on loopback (for what only a socket shows: unread
bodies, concurrency, proxy headers, access logs)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cardiowatch.dashboard.users import Role
from cardiowatch.app import create_app
from cardiowatch.server.config import Settings
from cardiowatch.server.storage.db import drop_schema

API_KEY = "security-suite-api-key-0123456789"
ADMIN = ("alice", "correct horse battery staple")
#: Longest wait for a uvicorn server to start or stop (it is started in a thread of this process).
SERVER_START_TIMEOUT_S = 20.0


def security_settings(tmp_path, **overrides) -> Settings:
    values = {"database_url": f"sqlite:///{tmp_path / 'cw.db'}", "api_key": API_KEY, "alert_tick_s": 3600.0,
              "retention_days": 0, "thingspeak": False, **overrides}
    return Settings(**values)


def security_app(tmp_path, **overrides) -> FastAPI:
    return create_app(security_settings(tmp_path, **overrides), pipeline_factory=None)


def add_admin(app: FastAPI) -> None:
    """Create the admin user in the app's database (the app must have started)."""
    app.state.dashboard_get_auth().store.add_user(*ADMIN, Role.ADMIN)


@dataclass
class LiveServer:
    app: FastAPI
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connect(self, timeout_s: float) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout_s)


@contextlib.contextmanager
def serve_on_loopback(app: FastAPI, *, receive_buffer_bytes: int | None = None,
                      **config: object) -> Iterator[LiveServer]:
    """Run ``app`` under uvicorn on a free loopback port, in a thread; stop it on exit.

    ``receive_buffer_bytes`` fixes the kernel's receive buffer of every accepted connection (Linux lets
    them inherit it from the listening socket), so bytes a client got through show what the server read.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if receive_buffer_bytes is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:   # uvicorn offers no start-up event to wait on
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(app=app, host="127.0.0.1", port=port)
    finally:
        server.should_exit = True
        thread.join(SERVER_START_TIMEOUT_S)
        sock.close()


POSTGRES_URL = os.environ.get("CARDIOWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


@contextlib.contextmanager
def two_processes_on_one_database(database: str, folder: Path, *, api_key: str,
                                  raise_server_exceptions: bool = True) -> Iterator[tuple[TestClient, TestClient]]:
    """Two server apps (as two processes would be) on one ``"sqlite"`` file or ``"postgresql"`` schema of
    their own; PostgreSQL must be up in CI, elsewhere its absence skips."""
    schema = None
    if database == "sqlite":
        url = f"sqlite:///{folder / 'cw.db'}"
    else:
        if not _listening("127.0.0.1", 5432):
            if os.environ.get("CI"):
                pytest.fail("CI needs PostgreSQL on 127.0.0.1:5432")
            pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
        url, schema = POSTGRES_URL, f"cw_test_{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=url, database_schema=schema, api_key=api_key, alert_tick_s=3600.0,
                        retention_days=0, thingspeak=False)
    try:
        with TestClient(create_app(settings, pipeline_factory=None), raise_server_exceptions=raise_server_exceptions) \
                as one, TestClient(create_app(settings, pipeline_factory=None),
                                   raise_server_exceptions=raise_server_exceptions) as two:
            yield one, two
    finally:
        if schema is not None:
            drop_schema(url, schema)
