"""MQTT ingest through the real Mosquitto at 127.0.0.1:1883 (a unique topic prefix per test)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiomqtt
import pytest
from fastapi.testclient import TestClient
from server_helpers import (
    MQTT_HOST,
    MQTT_PORT,
    ecg_bytes,
    make_settings,
    register,
    require_service,
    row_counts,
    stored_seqs,
)

from cardiowatch.protocol import envelope_encode
from cardiowatch.server.app import create_app

ACK_TIMEOUT_S = 20.0


@pytest.fixture
def mqtt_client(sqlite_database):
    require_service("Mosquitto", MQTT_HOST, MQTT_PORT)
    prefix = f"cwtest/{uuid.uuid4().hex[:10]}"
    app = create_app(make_settings(sqlite_database, mqtt_host=MQTT_HOST, mqtt_port=MQTT_PORT,
                                   mqtt_topic_prefix=prefix), pipeline_factory=None)
    with TestClient(app) as client:
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while not app.state.mqtt.connected.is_set():
            if time.monotonic() > deadline:
                pytest.fail("the server did not subscribe to the broker")
            time.sleep(0.05)
        yield client, prefix


async def _exchange(prefix: str, device_id: int, messages: list[tuple[str, bytes]], n_acks: int) -> list[dict]:
    """Publish messages (subtopic, payload) as a device would and collect ``n_acks`` acks."""
    acks: list[dict] = []
    async with aiomqtt.Client(MQTT_HOST, MQTT_PORT, identifier=f"dev-{uuid.uuid4().hex[:8]}") as client:
        await client.subscribe(f"{prefix}/{device_id}/ack", qos=1)
        for subtopic, payload in messages:
            await client.publish(f"{prefix}/{device_id}/{subtopic}", payload, qos=1)
        async with asyncio.timeout(ACK_TIMEOUT_S):
            async for message in client.messages:
                acks.append(json.loads(message.payload))
                if len(acks) == n_acks:
                    break
    return acks


def test_mqtt_frames_are_stored_and_acknowledged_on_the_ack_topic(mqtt_client):
    client, prefix = mqtt_client
    device = register(client, "mqtt-1")
    messages = [("frames", envelope_encode(device.token, ecg_bytes(device.id, [s]))) for s in (0, 1, 2, 1)]
    acks = asyncio.run(_exchange(prefix, device.id, messages, n_acks=4))
    assert sorted(s for a in acks for s in a["stored"]) == [0, 1, 2]
    assert [s for a in acks for s in a["duplicate"]] == [1]
    assert stored_seqs(client.app, device.id) == [0, 1, 2]


def test_mqtt_wrong_token_is_dropped_counted_and_stores_nothing(mqtt_client):
    client, prefix = mqtt_client
    device = register(client, "mqtt-1")
    other = register(client, "mqtt-2")
    before = row_counts(client.app)
    bad = [("frames", envelope_encode("not-a-token", ecg_bytes(device.id, [0]))),
           ("frames", envelope_encode(other.token, ecg_bytes(device.id, [0]))),  # another device's token
           ("frames", b"\x00garbage")]
    good = [("frames", envelope_encode(device.token, ecg_bytes(device.id, [5])))]
    acks = asyncio.run(_exchange(prefix, device.id, bad + good, n_acks=1))  # only the good one is answered
    assert acks == [{"stored": [5], "duplicate": [], "rejected": []}]
    after = row_counts(client.app)
    assert after["sample_chunks"] == before["sample_chunks"] + 1
    assert client.app.state.mqtt.dropped == {"Unauthorized": 2, "BadStatus": 1}


def test_mqtt_status_is_stored(mqtt_client):
    client, prefix = mqtt_client
    device = register(client, "mqtt-1")
    status = json.dumps({"v": 1, "device_id": device.id, "battery_pct": 55}).encode()
    acks = asyncio.run(_exchange(prefix, device.id, [("status", envelope_encode(device.token, status))], 1))
    assert acks[0]["rejected"] == []
    assert client.get(f"/api/v1/devices/{device.id}/status").json()["battery_pct"] == 55
