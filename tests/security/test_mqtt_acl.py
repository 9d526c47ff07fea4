"""MQTT as brokers are meant to be used (issue 20, item 1): against a real Mosquitto started with the
configuration docs/deployment.md asks for (anonymous off, dynamic security), with the server managing the
device logins. No device token may be readable on the broker, a device publishes only on its own topics,
only the server publishes acks, and revocation and rotation reach the broker."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiomqtt
import numpy as np
import pytest
from mqtt_broker import dynsec_broker, dynsec_settings, mqtt_login, running_server  # noqa: F401 - a fixture

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.protocol.mqtt import MqttTopic, mqtt_topic, mqtt_username
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_session_factory
from cardiowatch.simulate.transports import MqttTransport

TIMEOUT_S = 10.0
#: How long a subscriber that must receive nothing listens, after the message it must not see was
#: answered by the server (so the broker has already routed it).
QUIET_S = 0.5


def ecg_frame_bytes(device_id: int, seq: int) -> bytes:
    samples = 2048 + np.arange(50) % 17
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,
                              sensor=SensorKind.ECG, samples=samples, scale_nv=8000))


@pytest.fixture
def server(dynsec_broker, tmp_path):  # noqa: F811 - the fixture imported above
    prefix = f"cwsec-{uuid.uuid4().hex[:8]}"
    settings = dynsec_settings(dynsec_broker, database_url=f"sqlite:///{tmp_path / 'cw.db'}", prefix=prefix)
    with running_server(settings) as client:
        yield client, dynsec_broker, prefix


def register(client, name: str) -> tuple[int, str]:
    response = client.post("/api/v1/devices", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


def stored_seqs(client, device_id: int) -> list[int]:
    with make_session_factory(client.app.state.engine)() as session:
        return crud.list_seqs(session=session, device_id=device_id)


async def next_message(client: aiomqtt.Client) -> aiomqtt.Message:
    async with asyncio.timeout(TIMEOUT_S):
        async for message in client.messages:
            return message
    raise AssertionError("unreachable: the iterator ends only by an error")


async def quiet(client: aiomqtt.Client) -> list[aiomqtt.Message]:
    """What ``client`` receives within `QUIET_S`."""
    got: list[aiomqtt.Message] = []
    try:
        async with asyncio.timeout(QUIET_S):
            async for message in client.messages:
                got.append(message)
    except TimeoutError:
        pass
    return got


def test_frames_sent_with_the_device_login_are_stored_and_carry_no_token(server):
    """Main puts the token in every payload (an envelope): a reader of the frames topic had it."""
    client, broker, prefix = server
    device_id, token = register(client, "bed-1")
    frame = ecg_frame_bytes(device_id, 0)

    async def scenario() -> tuple[bytes, tuple[int, ...]]:
        # the dynsec admin may read every topic: it stands for anyone who can see the broker's traffic
        async with mqtt_login(broker, username=broker.admin_username, password=broker.admin_password,
                              identifier="watcher") as watcher:
            await watcher.subscribe(mqtt_topic(prefix, device_id, MqttTopic.FRAMES), qos=1)
            transport = MqttTransport(broker.host, broker.port, device_id, token, prefix=prefix)
            await transport.connect()
            try:
                ack = await transport.send_frames([frame])
            finally:
                await transport.close()
            return bytes((await next_message(watcher)).payload), ack.stored

    payload, stored = asyncio.run(scenario())
    assert stored == (0,)
    assert stored_seqs(client, device_id) == [0]
    assert payload == frame
    assert token.encode() not in payload


def test_anonymous_clients_are_refused(server):
    _client, broker, _prefix = server

    async def scenario() -> None:
        async with mqtt_login(broker, identifier="anonymous"):
            pass

    with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
        asyncio.run(scenario())


def test_a_device_cannot_read_other_devices_frames(server):
    client, broker, prefix = server
    a_id, a_token = register(client, "a")
    b_id, b_token = register(client, "b")

    async def scenario() -> tuple[list, list]:
        async with mqtt_login(broker, username=mqtt_username(b_id), password=b_token) as b:
            refusals = []
            for pattern in (f"{prefix}/+/frames", mqtt_topic(prefix, a_id, MqttTopic.FRAMES), "#"):
                granted = await b.subscribe(pattern, qos=1)
                refusals.append(all(code.is_failure for code in granted))
            transport = MqttTransport(broker.host, broker.port, a_id, a_token, prefix=prefix)
            await transport.connect()
            try:
                assert (await transport.send_frames([ecg_frame_bytes(a_id, 0)])).stored == (0,)
            finally:
                await transport.close()
            return refusals, await quiet(b)

    refusals, seen_by_b = asyncio.run(scenario())
    assert refusals == [True, True, True]
    assert seen_by_b == []


def test_a_device_cannot_publish_on_another_devices_topic(server):
    client, broker, prefix = server
    a_id, a_token = register(client, "a")
    b_id, _b_token = register(client, "b")

    async def scenario() -> dict:
        async with mqtt_login(broker, username=mqtt_username(a_id), password=a_token) as a:
            await a.subscribe(mqtt_topic(prefix, a_id, MqttTopic.ACK), qos=1)
            # B's own frame on B's topic, sent with A's login: the broker must drop it
            await a.publish(mqtt_topic(prefix, b_id, MqttTopic.FRAMES), ecg_frame_bytes(b_id, 7), qos=1)
            await a.publish(mqtt_topic(prefix, a_id, MqttTopic.FRAMES), ecg_frame_bytes(a_id, 0), qos=1)
            return json.loads((await next_message(a)).payload)

    ack = asyncio.run(scenario())
    assert ack["stored"] == [0]
    assert stored_seqs(client, b_id) == []
    # the broker routes one client's messages in order: B's would have reached the server first
    assert client.app.state.mqtt.received == 1


def test_nobody_but_the_server_publishes_acks(server):
    """On main's open broker anyone could make a device forget frames the server never stored."""
    client, broker, prefix = server
    a_id, a_token = register(client, "a")
    b_id, b_token = register(client, "b")
    forged = json.dumps({"stored": list(range(100, 200)), "duplicate": [], "rejected": []})

    async def scenario() -> dict:
        async with mqtt_login(broker, username=mqtt_username(a_id), password=a_token) as a:
            await a.subscribe(mqtt_topic(prefix, a_id, MqttTopic.ACK), qos=1)
            async with mqtt_login(broker, username=mqtt_username(b_id), password=b_token) as b:
                await b.publish(mqtt_topic(prefix, a_id, MqttTopic.ACK), forged, qos=1)
            await a.publish(mqtt_topic(prefix, a_id, MqttTopic.FRAMES), ecg_frame_bytes(a_id, 0), qos=1)
            # the forged ack, had it passed, was routed before A's frame reached the server
            return json.loads((await next_message(a)).payload)

    assert asyncio.run(scenario()) == {"stored": [0], "duplicate": [], "rejected": []}


def test_a_revoked_device_is_disconnected_and_refused(server):
    client, broker, prefix = server
    device_id, token = register(client, "a")

    async def scenario() -> None:
        async with mqtt_login(broker, username=mqtt_username(device_id), password=token) as a:
            response = await asyncio.to_thread(client.post, f"/api/v1/devices/{device_id}/revoke")
            assert response.status_code == 200, response.text
            with pytest.raises(aiomqtt.MqttError):  # the broker closes the open connection
                await next_message(a)
        with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
            async with mqtt_login(broker, username=mqtt_username(device_id), password=token):
                pass

    asyncio.run(scenario())
    assert stored_seqs(client, device_id) == []


def test_a_rotated_password_works_and_the_old_one_does_not(server):
    client, broker, prefix = server
    device_id, old_token = register(client, "a")
    response = client.post(f"/api/v1/devices/{device_id}/token")
    assert response.status_code == 200, response.text
    new_token = response.json()["token"]

    async def scenario() -> tuple[int, ...]:
        with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
            async with mqtt_login(broker, username=mqtt_username(device_id), password=old_token):
                pass
        transport = MqttTransport(broker.host, broker.port, device_id, new_token, prefix=prefix)
        await transport.connect()
        try:
            return (await transport.send_frames([ecg_frame_bytes(device_id, 3)])).stored
        finally:
            await transport.close()

    assert asyncio.run(scenario()) == (3,)
    assert stored_seqs(client, device_id) == [3]


def test_a_device_cannot_take_over_another_devices_session(server):
    """A broker closes the older of two connections with one client id: were any login free to pick its
    client id, one device (or whoever holds its token) could knock every other one offline."""
    client, broker, prefix = server
    a_id, a_token = register(client, "a")
    b_id, b_token = register(client, "b")

    async def scenario() -> dict:
        async with mqtt_login(broker, username=mqtt_username(a_id), password=a_token) as a:
            await a.subscribe(mqtt_topic(prefix, a_id, MqttTopic.ACK), qos=1)
            with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
                async with mqtt_login(broker, username=mqtt_username(b_id), password=b_token,
                                      identifier=mqtt_username(a_id)):
                    pass
            await a.publish(mqtt_topic(prefix, a_id, MqttTopic.FRAMES), ecg_frame_bytes(a_id, 0), qos=1)
            return json.loads((await next_message(a)).payload)

    assert asyncio.run(scenario())["stored"] == [0]
