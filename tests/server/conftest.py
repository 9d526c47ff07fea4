"""Server test fixtures: a database per test (SQLite file, or a fresh PostgreSQL schema), an app client,
registered devices, frame builders."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from server_helpers import DeviceHandle, make_settings, register, require_service

from cardiowatch.app import create_app
from cardiowatch.server.storage.db import drop_schema

POSTGRES_URL = os.environ.get("CARDIOWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """(url, schema) of an empty database; PostgreSQL gets a fresh schema, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cw.db'}", None
        return
    with _fresh_postgres_schema() as database:
        yield database


@pytest.fixture
def postgres_database():
    """(url, schema) of a fresh PostgreSQL schema, dropped afterwards (tests of PostgreSQL-only storage)."""
    with _fresh_postgres_schema() as database:
        yield database


@contextlib.contextmanager
def _fresh_postgres_schema() -> Iterator[tuple[str, str]]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"cw_test_{uuid.uuid4().hex[:12]}"
    try:
        yield POSTGRES_URL, schema
    finally:
        drop_schema(POSTGRES_URL, schema)


@pytest.fixture
def sqlite_database(tmp_path):
    return f"sqlite:///{tmp_path / 'cw.db'}", None


@pytest.fixture
def client(database):
    app = create_app(make_settings(database), pipeline_factory=None)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def device(client) -> DeviceHandle:
    return register(client, "bench-1")


