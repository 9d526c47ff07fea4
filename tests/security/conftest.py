"""Security suite fixtures: the real server app with an API key and an admin user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from security_helpers import LiveServer, add_admin, security_app, serve_on_loopback


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with TestClient(security_app(tmp_path)) as test_client:
        add_admin(test_client.app)
        yield test_client


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    with serve_on_loopback(security_app(tmp_path)) as live:
        add_admin(live.app)
        yield live
