"""Helpers shared by the server tests (plain functions; fixtures are in conftest.py)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import pytest

import numpy as np
from fastapi.testclient import TestClient

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.config import Settings
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_session_factory


@dataclass
class DeviceHandle:
    id: int
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(client: TestClient, name: str) -> DeviceHandle:
    response = client.post("/api/v1/devices", json={"name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    return DeviceHandle(id=body["id"], name=body["name"], token=body["token"])


def ecg_frame(device_id: int, seq: int, *, n: int = 50, fs_millihz: int = 250_000, value: int = 2048,
              flags: FrameFlags = FrameFlags.NONE) -> Frame:
    samples = value + (np.arange(n) + seq * n) % 17
    return Frame(device_id=device_id, seq=seq, t_us=seq * n * 1_000_000_000 // fs_millihz,
                 fs_millihz=fs_millihz, sensor=SensorKind.ECG, samples=samples, flags=flags, scale_nv=8000)


def ecg_bytes(device_id: int, seqs, **kwargs) -> bytes:
    return b"".join(frame_encode(ecg_frame(device_id, s, **kwargs)) for s in seqs)


def row_counts(app) -> dict[str, int]:
    """Rows per table of the app's database."""
    with make_session_factory(app.state.engine)() as session:
        return crud.count_rows(session=session)


def stored_seqs(app, device_id: int) -> list[int]:
    with make_session_factory(app.state.engine)() as session:
        return crud.list_seqs(session=session, device_id=device_id)


def make_settings(database, **overrides) -> Settings:
    url, schema = database
    return Settings(**{"database_url": url, "database_schema": schema, "summary_period_s": 1.0,
                       "alert_tick_s": 3600.0, "retention_days": 0, **overrides})


MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip locally, fail in CI, when a service the test needs is not listening."""
    if not _reachable(host, port):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {name} at {host}:{port}")
        pytest.skip(f"{name} is not listening at {host}:{port}")
