"""Device accounts on RabbitMQ, the cluster's broker (issue 20, broker decision; docs/deployment.md): against
the real broker's MQTT plugin, a device logs in with its token, publishes only its own frames and status
topics, and revocation and rotation take effect on the broker. Each test has a virtual host of its own."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator

import aio_pika
import aiomqtt
import httpx
import pytest

from cardiowatch.server.broker_auth import RabbitMqAccounts, make_broker_accounts
from cardiowatch.server.config import MqttAccounts, Settings

MANAGEMENT = "http://127.0.0.1:15672"
ADMIN = ("guest", "guest")
MQTT_PORT = 1884
QUIET_S = 1.0


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def vhost() -> Iterator[str]:
    missing = [name for name, port in (("RabbitMQ management (15672)", 15672), ("RabbitMQ MQTT (1884)", MQTT_PORT))
               if not _listening(port)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {', '.join(missing)}")
        pytest.skip(f"not available here: {', '.join(missing)}")
    name = f"cw-acl-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=MANAGEMENT, auth=ADMIN, timeout=10) as api:
        assert api.put(f"/api/vhosts/{name}").status_code in (201, 204)
        assert api.put(f"/api/permissions/{name}/guest",
                       json={"configure": ".*", "write": ".*", "read": ".*"}).status_code in (201, 204)
        try:
            yield name
        finally:
            api.delete(f"/api/vhosts/{name}")
            for user in api.get("/api/users").json():
                if user["name"].startswith("device-") and user["name"] in _made:
                    api.delete(f"/api/users/{user['name']}")


_made: set[str] = set()


def accounts(vhost: str) -> RabbitMqAccounts:
    settings = Settings(mqtt_accounts=MqttAccounts.RABBITMQ, mqtt_admin_username=ADMIN[0],
                        mqtt_admin_password=ADMIN[1], rabbitmq_management_url=MANAGEMENT, rabbitmq_vhost=vhost)
    made = make_broker_accounts(settings)
    assert isinstance(made, RabbitMqAccounts)
    return made


def device_id() -> int:
    """A device id no other test run uses at once (RabbitMQ users are broker-wide)."""
    number = 900_000 + uuid.uuid4().int % 90_000
    _made.add(f"device-{number}")
    return number


async def publish_as(vhost: str, login: str, password: str, topic: str) -> None:
    async with aiomqtt.Client("127.0.0.1", MQTT_PORT, username=f"{vhost}:{login}", password=password,
                              identifier=login, timeout=5) as client:
        await client.publish(topic, b"frame", qos=1)


async def routed(vhost: str, action) -> list[str]:  # noqa: ANN001 - a coroutine function
    """Routing keys that reach ``amq.topic`` in ``vhost`` while ``action()`` runs (and QUIET_S after)."""
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:5672/{vhost}")
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind("amq.topic", routing_key="#")
        keys: list[str] = []

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            keys.append(message.routing_key)
            await message.ack()

        await queue.consume(on_message)
        try:
            await action()
        except aiomqtt.MqttError:
            keys.append("refused")
        await asyncio.sleep(QUIET_S)
        return keys
    finally:
        await connection.close()


@pytest.mark.parametrize("topic", ["frames", "status"])
def test_a_device_publishes_only_its_own_topics(vhost, topic):
    broker = accounts(vhost)
    mine, other = device_id(), device_id()
    broker.add_device(mine, "token-of-mine")
    own = asyncio.run(routed(vhost, lambda: publish_as(vhost, f"device-{mine}", "token-of-mine",
                                                       f"cardiowatch/{mine}/{topic}")))
    foreign = asyncio.run(routed(vhost, lambda: publish_as(vhost, f"device-{mine}", "token-of-mine",
                                                           f"cardiowatch/{other}/{topic}")))
    assert own == [f"cardiowatch.{mine}.{topic}"]
    assert f"cardiowatch.{other}.{topic}" not in foreign


def test_revoking_and_rotating_reach_the_broker(vhost):
    broker = accounts(vhost)
    device = device_id()
    topic = f"cardiowatch/{device}/frames"
    broker.add_device(device, "first-token")
    broker.rotate_device(device, "second-token")
    with_old = asyncio.run(routed(vhost, lambda: publish_as(vhost, f"device-{device}", "first-token", topic)))
    with_new = asyncio.run(routed(vhost, lambda: publish_as(vhost, f"device-{device}", "second-token", topic)))
    broker.revoke_device(device)
    broker.revoke_device(device)  # again: a repair, not an error
    revoked = asyncio.run(routed(vhost, lambda: publish_as(vhost, f"device-{device}", "second-token", topic)))
    assert (with_old, with_new, revoked) == (["refused"], [f"cardiowatch.{device}.frames"], ["refused"])
