"""MQTT ingest and device broker accounts, against a private Mosquitto with dynamic security
(tests/mqtt_broker.py); one test uses the open development broker at 127.0.0.1:1883."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from mqtt_broker import dynsec_broker, dynsec_settings, mqtt_login, running_server  # noqa: F401 - a fixture
from pydantic import ValidationError
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
from typer.testing import CliRunner

from cardiowatch.cli import app as cli_app
from cardiowatch.protocol import envelope_encode
from cardiowatch.protocol.mqtt import MqttTopic, mqtt_topic, mqtt_username
from cardiowatch.app import create_app
from cardiowatch.server.broker_auth import MosquittoDynsec
from cardiowatch.server.config import Settings

ACK_TIMEOUT_S = 20.0


@pytest.fixture
def mqtt_client(dynsec_broker, sqlite_database):  # noqa: F811 - the fixture imported above
    prefix = f"cwtest/{uuid.uuid4().hex[:10]}"
    settings = dynsec_settings(dynsec_broker, database_url=sqlite_database[0], prefix=prefix)
    with running_server(settings) as client:
        yield client, dynsec_broker, prefix


async def _exchange(broker, prefix: str, device_id: int, password: str, messages: list[tuple[MqttTopic, bytes]],
                    n_acks: int) -> list[dict]:
    """Publish messages as device ``device_id`` (logged in with ``password``) and collect ``n_acks`` acks."""
    acks: list[dict] = []
    async with mqtt_login(broker, username=mqtt_username(device_id), password=password) as client:
        await client.subscribe(mqtt_topic(prefix, device_id, MqttTopic.ACK), qos=1)
        for kind, payload in messages:
            await client.publish(mqtt_topic(prefix, device_id, kind), payload, qos=1)
        async with asyncio.timeout(ACK_TIMEOUT_S):
            async for message in client.messages:
                acks.append(json.loads(message.payload))
                if len(acks) == n_acks:
                    break
    return acks


def test_mqtt_frames_are_stored_and_acknowledged_on_the_ack_topic(mqtt_client):
    client, broker, prefix = mqtt_client
    device = register(client, "mqtt-1")
    messages = [(MqttTopic.FRAMES, ecg_bytes(device.id, [s])) for s in (0, 1, 2, 1)]
    acks = asyncio.run(_exchange(broker, prefix, device.id, device.token, messages, n_acks=4))
    assert sorted(s for a in acks for s in a["stored"]) == [0, 1, 2]
    assert [s for a in acks for s in a["duplicate"]] == [1]
    assert stored_seqs(client.app, device.id) == [0, 1, 2]


def test_mqtt_refused_payloads_are_dropped_counted_and_store_nothing(mqtt_client):
    client, broker, prefix = mqtt_client
    device = register(client, "mqtt-1")
    before = row_counts(client.app)
    dropped = [(MqttTopic.FRAMES, envelope_encode(device.token, ecg_bytes(device.id, [0])))]  # a token inside
    answered = [(MqttTopic.FRAMES, b"\x00garbage"),
                (MqttTopic.FRAMES, ecg_bytes(device.id + 1, [0])),  # a frame of another device on its own topic
                (MqttTopic.FRAMES, ecg_bytes(device.id, [5]))]
    acks = asyncio.run(_exchange(broker, prefix, device.id, device.token, dropped + answered, n_acks=3))
    assert [a["rejected"][0]["error"] for a in acks[:2]] == ["TruncatedFrame", "WrongDevice"]
    assert acks[2] == {"stored": [5], "duplicate": [], "rejected": []}
    assert row_counts(client.app)["sample_chunks"] == before["sample_chunks"] + 1
    assert client.app.state.mqtt.dropped == {"TokenInPayload": 1}


def test_mqtt_login_without_a_device_in_the_database_is_refused(mqtt_client):
    """A broker login left over (or made by hand) for an id the database does not know stores nothing."""
    client, broker, prefix = mqtt_client
    register(client, "mqtt-1")
    accounts = MosquittoDynsec(host=broker.host, port=broker.port, admin_username=broker.admin_username,
                               admin_password=broker.admin_password, prefix=prefix)
    accounts.add_device(99, "stale-password")

    async def publish() -> None:
        async with mqtt_login(broker, username=mqtt_username(99), password="stale-password") as d:
            await d.publish(mqtt_topic(prefix, 99, MqttTopic.FRAMES), ecg_bytes(99, [0]), qos=1)

    asyncio.run(publish())
    deadline = time.monotonic() + ACK_TIMEOUT_S
    while client.app.state.mqtt.dropped.get("Unauthorized", 0) == 0:
        assert time.monotonic() < deadline, "the server never handled the message"
        time.sleep(0.02)
    assert stored_seqs(client.app, 99) == []


def test_mqtt_status_is_stored(mqtt_client):
    client, broker, prefix = mqtt_client
    device = register(client, "mqtt-1")
    status = json.dumps({"v": 1, "device_id": device.id, "battery_pct": 55}).encode()
    acks = asyncio.run(_exchange(broker, prefix, device.id, device.token, [(MqttTopic.STATUS, status)], 1))
    assert acks[0]["rejected"] == []
    assert client.get(f"/api/v1/devices/{device.id}/status").json()["battery_pct"] == 55


def test_device_changes_the_broker_refuses_are_not_committed(sqlite_database, unused_port):
    """A broker that cannot be reached: 503, and the device is as it was (no half-made account)."""
    settings = make_settings(sqlite_database, mqtt_host="127.0.0.1", mqtt_port=unused_port,
                             mqtt_accounts="mosquitto-dynsec", mqtt_username="server", mqtt_password="pw",
                             mqtt_admin_username="admin", mqtt_admin_password="pw")
    with TestClient(create_app(settings, pipeline_factory=None)) as client:
        assert client.post("/api/v1/devices", json={"name": "a"}).status_code == 503
        assert client.get("/api/v1/devices").json() == []


def test_rotate_and_revoke_the_broker_refuses_leave_the_device_unchanged(sqlite_database, unused_port):
    with TestClient(create_app(make_settings(sqlite_database), pipeline_factory=None)) as client:
        device = register(client, "a")
    settings = make_settings(sqlite_database, mqtt_host="127.0.0.1", mqtt_port=unused_port,
                             mqtt_accounts="mosquitto-dynsec", mqtt_username="server", mqtt_password="pw",
                             mqtt_admin_username="admin", mqtt_admin_password="pw")
    with TestClient(create_app(settings, pipeline_factory=None)) as client:
        assert client.post(f"/api/v1/devices/{device.id}/token").status_code == 503
        assert client.post(f"/api/v1/devices/{device.id}/revoke").status_code == 503
        assert client.get(f"/api/v1/devices/{device.id}").json()["link"] == "never_seen"
        assert client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]),
                           headers=device.auth).status_code == 200  # the old token still works


def test_cli_device_commands_keep_the_broker_in_step(dynsec_broker, tmp_path, monkeypatch):  # noqa: F811
    settings = dynsec_settings(dynsec_broker, database_url=f"sqlite:///{tmp_path / 'cw.db'}", prefix="cwcli")
    for name in ("database_url", "mqtt_host", "mqtt_port", "mqtt_topic_prefix", "mqtt_accounts", "mqtt_username",
                 "mqtt_admin_username"):
        value = getattr(settings, name)
        monkeypatch.setenv(f"CARDIOWATCH_{name.upper()}", str(getattr(value, "value", value)))
    monkeypatch.setenv("CARDIOWATCH_MQTT_PASSWORD", settings.mqtt_password.get_secret_value())
    monkeypatch.setenv("CARDIOWATCH_MQTT_ADMIN_PASSWORD", settings.mqtt_admin_password.get_secret_value())
    runner = CliRunner()

    def run(*args: str) -> dict[str, str]:
        result = runner.invoke(cli_app, ["device", *args])
        assert result.exit_code == 0, result.output
        return dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)

    async def login(username: str, password: str) -> None:
        async with mqtt_login(dynsec_broker, username=username, password=password):
            pass

    added = run("add", "bed-1")
    assert added["mqtt_username"] == "device-1"
    asyncio.run(login("device-1", added["token"]))
    rotated = run("rotate", "1")
    asyncio.run(login("device-1", rotated["token"]))
    with pytest.raises(Exception, match="Not authorized"):
        asyncio.run(login("device-1", added["token"]))
    run("revoke", "1")
    with pytest.raises(Exception, match="Not authorized"):
        asyncio.run(login("device-1", rotated["token"]))
    assert runner.invoke(cli_app, ["device", "revoke", "7"]).exit_code == 1  # no such device


def test_settings_refuse_an_open_broker_in_production_and_incomplete_dynsec():
    key = "k" * 20
    with pytest.raises(ValidationError, match="open broker"):
        Settings(environment="production", api_key=key, mqtt_host="broker")
    assert Settings(environment="production", api_key=key, mqtt_host="broker", mqtt_accounts="external")
    with pytest.raises(ValidationError, match="mqtt_admin_password"):
        Settings(mqtt_host="broker", mqtt_accounts="mosquitto-dynsec", mqtt_username="s", mqtt_password="p",
                 mqtt_admin_username="admin")


def test_open_development_broker_trusts_the_topic(sqlite_database):
    """``mqtt_accounts=none`` (the default, development only): the broker checks nobody, so the server
    takes the topic's device id as given; production refuses this setting (test above)."""
    require_service("Mosquitto", MQTT_HOST, MQTT_PORT)
    prefix = f"cwtest/{uuid.uuid4().hex[:10]}"
    app = create_app(make_settings(sqlite_database, mqtt_host=MQTT_HOST, mqtt_port=MQTT_PORT,
                                   mqtt_topic_prefix=prefix), pipeline_factory=None)
    with TestClient(app) as client:
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while not app.state.mqtt.connected.is_set():
            assert time.monotonic() < deadline, "the server did not subscribe to the broker"
            time.sleep(0.02)
        device = register(client, "mqtt-1")

        async def exchange() -> list[dict]:
            import aiomqtt

            async with aiomqtt.Client(MQTT_HOST, MQTT_PORT, identifier=f"dev-{uuid.uuid4().hex[:8]}") as mqtt:
                await mqtt.subscribe(mqtt_topic(prefix, device.id, MqttTopic.ACK), qos=1)
                await mqtt.publish(mqtt_topic(prefix, device.id, MqttTopic.FRAMES), ecg_bytes(device.id, [0]), qos=1)
                async with asyncio.timeout(ACK_TIMEOUT_S):
                    async for message in mqtt.messages:
                        return [json.loads(message.payload)]
            return []

        assert asyncio.run(exchange()) == [{"stored": [0], "duplicate": [], "rejected": []}]
        assert stored_seqs(app, device.id) == [0]


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_devices_registered_before_the_broker_was_managed_can_be_rotated_and_revoked(dynsec_broker, sqlite_database):  # noqa: F811
    with TestClient(create_app(make_settings(sqlite_database), pipeline_factory=None)) as client:
        first, second = register(client, "a"), register(client, "b")
    settings = dynsec_settings(dynsec_broker, database_url=sqlite_database[0], prefix="cwold")
    with running_server(settings) as client:
        response = client.post(f"/api/v1/devices/{first.id}/token")
        assert response.status_code == 200, response.text
        assert client.post(f"/api/v1/devices/{second.id}/revoke").status_code == 200

        async def login(device_id: int, password: str) -> None:
            async with mqtt_login(dynsec_broker, username=mqtt_username(device_id), password=password):
                pass

        asyncio.run(login(first.id, response.json()["token"]))
        with pytest.raises(Exception, match="Not authorized"):
            asyncio.run(login(second.id, second.token))
