"""Helpers of the security suite (plain functions; fixtures are in conftest.py): the real server app on a
SQLite file, in process or behind a real uvicorn on loopback (for what only a socket shows: unread
bodies, concurrency, proxy headers, access logs)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from cardiowatch.dashboard.users import Role
from cardiowatch.app import create_app
from cardiowatch.server.config import Settings

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
def serve_on_loopback(app: FastAPI, **config: object) -> Iterator[LiveServer]:
    """Run ``app`` under uvicorn on a free loopback port, in a thread; stop it on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
