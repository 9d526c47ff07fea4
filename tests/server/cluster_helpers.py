"""A real cluster for tests (`cardiowatch.server.cluster_run.ClusterProcesses`: workers and an API node as
processes) on a RabbitMQ virtual host and a PostgreSQL schema of its own; loopback only."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cardiowatch.server.storage.db import drop_schema, make_engine, make_session_factory

POSTGRES_URL = os.environ.get("CARDIOWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARTITIONS = 8


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@dataclass
class Cluster:
    processes: object  # ClusterProcesses
    amqp_url: str
    database_url: str
    schema: str
    logs: Path
    vhost: str

    @functools.cached_property
    def sessions(self):  # noqa: ANN201 - a SQLAlchemy sessionmaker
        """One engine for the test's reads (the PostgreSQL connections are shared with others)."""
        return make_session_factory(make_engine(self.database_url, schema=self.schema))

    def session(self):  # noqa: ANN201 - a SQLAlchemy session
        return self.sessions()


@contextlib.contextmanager
def running_cluster(logs: Path, *, speed: float, env: dict[str, str] | None = None,
                    ports: dict[str, int] | None = None) -> Iterator[Cluster]:
    """2 workers and an API node, with the settings ``env`` beside the test's own; skips (fails on CI) where
    PostgreSQL, RabbitMQ or ``ports`` (name -> port) are not there."""
    from cardiowatch.server.cluster_run import ClusterProcesses, check_broker

    needed = {"PostgreSQL (5432)": listening(5432), "RabbitMQ (5672)": listening(5672),
              "rabbitmqctl": shutil.which("rabbitmqctl") is not None,
              **{f"{name} ({port})": listening(port) for name, port in (ports or {}).items()}}
    missing = [name for name, ok in needed.items() if not ok]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {', '.join(missing)}")
        pytest.skip(f"not available here: {', '.join(missing)}")
    vhost, schema = f"cw-test-{uuid.uuid4().hex[:8]}", f"cw_test_{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    problem = check_broker(amqp_url, partitions=PARTITIONS)
    if problem:
        pytest.fail(problem)
    env = {"CARDIOWATCH_DATABASE_SCHEMA": schema, "CARDIOWATCH_CLUSTER_PARTITIONS": str(PARTITIONS),
           "CARDIOWATCH_RETENTION_DAYS": "0", "CARDIOWATCH_SUMMARY_PERIOD_S": "5",
           **{key: value.format(vhost=vhost) for key, value in (env or {}).items()}}
    try:
        with ClusterProcesses(database_url=POSTGRES_URL, amqp_url=amqp_url, workers=2, port=free_port(),
                              speed=speed, env=env, logs=logs) as processes:
            for name in ("worker-1", "worker-2"):
                wait_subscribed(logs / f"{name}.log")
            cluster = Cluster(processes, amqp_url, POSTGRES_URL, schema, logs, vhost)
            try:
                yield cluster
            finally:
                if "sessions" in cluster.__dict__:
                    cluster.sessions.kw["bind"].dispose()
    finally:
        drop_schema(POSTGRES_URL, schema)
        rabbitmqctl("delete_vhost", vhost)


def wait_subscribed(log: Path, timeout_s: float = 60.0) -> None:
    """Until the worker writing ``log`` has subscribed to every partition."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if log.exists() and "subscribed to" in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    pytest.fail(f"worker {log.stem} did not subscribe: {log.read_text(errors='replace')[-2000:]}")


def register(base_url: str, name: str) -> tuple[int, str]:
    response = httpx.post(f"{base_url}/api/v1/devices", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]
