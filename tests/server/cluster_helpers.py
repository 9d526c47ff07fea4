"""A real cluster for tests (`cardiowatch.server.cluster_run.ClusterProcesses`: workers and an API node as
processes) on a RabbitMQ virtual host and a PostgreSQL schema of its own; loopback only."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.storage.db import drop_schema, make_engine, make_session_factory

POSTGRES_URL = os.environ.get("CARDIOWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARTITIONS = 8
MQTT_PORT = 1884  #: RabbitMQ's MQTT plugin
MANAGEMENT = "http://127.0.0.1:15672"
FS, FRAME_SAMPLES = 360, 180  # ECG in 500 ms frames
T0_US = 1_764_000_000_000_000


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


@contextlib.contextmanager
def running_mqtt_cluster(logs: Path, *, speed: float) -> Iterator[Cluster]:
    """`running_cluster` whose API node manages the devices' RabbitMQ logins (``CARDIOWATCH_MQTT_ACCOUNTS=
    rabbitmq``, as in production), for devices that publish through RabbitMQ's MQTT plugin."""
    from cardiowatch.server.storage.models import Device

    env = {"CARDIOWATCH_MQTT_ACCOUNTS": "rabbitmq", "CARDIOWATCH_MQTT_ADMIN_USERNAME": "guest",
           "CARDIOWATCH_MQTT_ADMIN_PASSWORD": "guest", "CARDIOWATCH_RABBITMQ_MANAGEMENT_URL": MANAGEMENT,
           "CARDIOWATCH_RABBITMQ_VHOST": "{vhost}"}
    with running_cluster(logs, speed=speed, env=env,
                         ports={"RabbitMQ MQTT": MQTT_PORT, "RabbitMQ management": 15672}) as running:
        # RabbitMQ's logins are broker-wide: device ids above a random base keep runs beside this one apart
        base = 800_000 + uuid.uuid4().int % 100_000
        with running.session() as session:
            session.add(Device(id=base, name="id-base", token_hash="-" * 64, created_at=0.0, revoked_at=0.0))
            session.commit()
        try:
            yield running
        finally:
            with httpx.Client(base_url=MANAGEMENT, auth=("guest", "guest"), timeout=10) as api:
                for user in api.get("/api/users").json():
                    number = user["name"].removeprefix("device-")
                    if number.isdigit() and base < int(number) < base + 1000:
                        api.delete(f"/api/users/{user['name']}")


def ecg_frames(device_id: int, n: int, first_seq: int = 0) -> list[bytes]:
    """``n`` ECG frames (synthetic, 72 bpm) from seq ``first_seq`` on."""
    from cardiowatch.dashboard.harness import synthetic_ecg

    counts = np.round(synthetic_ecg(fs=FS, seconds=(first_seq + n) * FRAME_SAMPLES / FS) * 1e6 / 8000).astype(np.int64)
    return [frame_encode(Frame(device_id=device_id, seq=seq, t_us=T0_US + seq * FRAME_SAMPLES * 10**6 // FS,
                               fs_millihz=FS * 1000, sensor=SensorKind.ECG, flags=FrameFlags.CLOCK_SYNCED,
                               samples=counts[seq * FRAME_SAMPLES: (seq + 1) * FRAME_SAMPLES], scale_nv=8000))
            for seq in range(first_seq, first_seq + n)]


def worker_logs(cluster: Cluster) -> dict[str, str]:
    return {log.stem: log.read_text(errors="replace") for log in sorted(cluster.logs.glob("worker-*.log"))}


def device_owner(cluster: Cluster, device_id: int) -> str | None:
    """The worker that took the device's frames (the last by name, if several did)."""
    owners = [name for name, text in worker_logs(cluster).items()
              if re.search(rf"device {device_id} taken over", text)]
    return owners[-1] if owners else None
