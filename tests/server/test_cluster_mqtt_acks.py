"""Issue 23: a device that publishes over MQTT into the cluster (RabbitMQ's MQTT plugin, its own broker
login) gets each message's answer on ``cardiowatch/<id>/ack`` from the worker that stored it, as from the
single-process server: every frame listed as stored once it is, a resent one as duplicate, frames a killed
worker held acknowledged by the worker that takes them over, and no other device can read the acks; an
ack the broker refuses changes nothing stored.

One real cluster for the module (2 workers and an API node, `cluster_helpers`) whose API node manages the
devices' RabbitMQ logins, as `CARDIOWATCH_MQTT_ACCOUNTS=rabbitmq` does in production."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import time
from collections.abc import Callable, Iterator

import aiomqtt
import pytest
from cluster_helpers import (
    MQTT_PORT,
    Cluster,
    device_owner,
    ecg_frames,
    rabbitmqctl,
    register,
    running_mqtt_cluster,
    wait_subscribed,
    worker_logs,
)

from cardiowatch.protocol import Status, envelope_encode, status_encode
from cardiowatch.server.storage import crud

ACK_TIMEOUT_S = 30.0  #: a loaded machine's worker may take a while; the device waits this long for its acks


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    with running_mqtt_cluster(tmp_path_factory.mktemp("cluster-logs"), speed=1.0) as running:
        yield running


def _client(cluster: Cluster, device_id: int, token: str) -> aiomqtt.Client:
    """The device's MQTT connection with its broker login (RabbitMQ's ``vhost:user`` form)."""
    return aiomqtt.Client("127.0.0.1", MQTT_PORT, username=f"{cluster.vhost}:device-{device_id}", password=token,
                          identifier=f"device-{device_id}", timeout=10)


async def _acks(client: aiomqtt.Client, n: int, timeout_s: float = ACK_TIMEOUT_S) -> list[dict]:
    """The next ``n`` acks the client receives (fewer if they do not come within ``timeout_s``)."""
    out: list[dict] = []

    async def read() -> None:
        async for message in client.messages:
            out.append(json.loads(message.payload))
            if len(out) == n:
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), timeout_s)
    return out


def _stored_seqs(cluster: Cluster, device_id: int) -> list[int]:
    with cluster.session() as session:
        return crud.list_seqs(session=session, device_id=device_id)


def _wait(what: str, check: Callable[[], object], timeout_s: float = 30.0) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_mqtt_device_gets_an_ack_per_message_and_no_other_device_reads_them(cluster):
    base_url = cluster.processes.base_url
    device_id, token = register(base_url, "mqtt-acked")
    other_id, other_token = register(base_url, "mqtt-eavesdropper")
    frames = ecg_frames(device_id, 20)

    async def scenario() -> tuple[list[dict], list[dict], list[dict], list[bytes], list[int], bool]:
        overheard: list[bytes] = []
        async with _client(cluster, other_id, other_token) as other:
            own = _codes(await other.subscribe(f"cardiowatch/{other_id}/ack", qos=1))  # its login works
            refused = False
            try:
                granted = await other.subscribe(f"cardiowatch/{device_id}/ack", qos=1)
                refused = all(code >= 0x80 for code in _codes(granted))
            except aiomqtt.MqttError:
                refused = True  # the broker closed the connection instead of granting the subscription

            async def eavesdrop() -> None:
                with contextlib.suppress(aiomqtt.MqttError):
                    async for message in other.messages:
                        overheard.append(bytes(message.payload))

            listener = asyncio.create_task(eavesdrop())
            async with _client(cluster, device_id, token) as client:
                await client.subscribe(f"cardiowatch/{device_id}/ack", qos=1)
                for frame in frames:  # one frame per message, as the firmware sends them
                    await client.publish(f"cardiowatch/{device_id}/frames", frame, qos=1)
                first = await _acks(client, len(frames))
                for frame in frames[:5]:  # resends of frames already stored
                    await client.publish(f"cardiowatch/{device_id}/frames", frame, qos=1)
                resent = await _acks(client, 5)
                await client.publish(f"cardiowatch/{device_id}/status",
                                     status_encode(Status(device_id=device_id, battery_pct=80.0)), qos=1)
                status = await _acks(client, 1)
            await asyncio.sleep(1.0)  # anything routed to the eavesdropper has arrived by now
            listener.cancel()
        return first, resent, status, overheard, own, refused

    first, resent, status, overheard, own, refused = asyncio.run(scenario())
    # one ack per message, in order, each listing its frame as stored
    assert [ack["stored"] for ack in first] == [[seq] for seq in range(len(frames))]
    assert all(ack["duplicate"] == [] and ack["rejected"] == [] for ack in first)
    assert [(ack["stored"], ack["duplicate"]) for ack in resent] == [([], [seq]) for seq in range(5)]
    assert status == [{"stored": [], "duplicate": [], "rejected": []}]
    assert _stored_seqs(cluster, device_id) == list(range(len(frames)))
    # another device's login may subscribe to its own acks but not to these (RabbitMQ 3.10 closes its
    # connection), and none reached it
    assert own == [1] and refused
    assert overheard == []


def test_a_token_in_an_mqtt_payload_is_dropped_unanswered(cluster):
    """Firmware built for token-in-payload MQTT shows its token to whoever may read the topic: the worker
    drops such a message (no ack, nothing stored) and says why, as the single process does."""
    base_url = cluster.processes.base_url
    device_id, token = register(base_url, "mqtt-token-inside")
    wrapped, plain = ecg_frames(device_id, 2)

    async def scenario() -> list[dict]:
        async with _client(cluster, device_id, token) as client:
            await client.subscribe(f"cardiowatch/{device_id}/ack", qos=1)
            await client.publish(f"cardiowatch/{device_id}/frames", envelope_encode(token, wrapped), qos=1)
            await client.publish(f"cardiowatch/{device_id}/frames", plain, qos=1)
            return await _acks(client, 2, timeout_s=10.0)

    acks = asyncio.run(scenario())
    assert [(ack["stored"], ack["rejected"]) for ack in acks] == [([1], [])]
    assert _stored_seqs(cluster, device_id) == [1]
    assert re.search(rf"device {device_id} put its token in an MQTT payload", "".join(worker_logs(cluster).values()))


def _codes(granted: object) -> list[int]:
    """The SUBACK return codes, whatever form the MQTT client gives them in."""
    codes = granted if isinstance(granted, (list, tuple)) else [granted]
    return [int(getattr(code, "value", code)) for code in codes]


def test_an_ack_the_broker_refuses_changes_nothing_stored(cluster):
    base_url = cluster.processes.base_url
    device_id, token = register(base_url, "mqtt-ack-refused")
    frames = ecg_frames(device_id, 5)
    topic_acl = ["-p", cluster.vhost, "guest"]

    async def scenario() -> tuple[list[dict], list[dict]]:
        async with _client(cluster, device_id, token) as client:
            await client.subscribe(f"cardiowatch/{device_id}/ack", qos=1)
            # the workers' login may publish frames keys only: RabbitMQ refuses their acks
            rabbitmqctl("set_topic_permissions", *topic_acl, "amq.topic", r"^cardiowatch\.[0-9]+\.frames$", ".*")
            try:
                for frame in frames:
                    await client.publish(f"cardiowatch/{device_id}/frames", frame, qos=1)
                await asyncio.to_thread(_wait, "the frames stored",
                                        lambda: _stored_seqs(cluster, device_id) == list(range(len(frames))))
                refused = await _acks(client, len(frames), timeout_s=3.0)
            finally:
                rabbitmqctl("clear_topic_permissions", *topic_acl)
            for frame in frames:  # the device resends what was not acknowledged
                await client.publish(f"cardiowatch/{device_id}/frames", frame, qos=1)
            return refused, await _acks(client, len(frames))

    refused, resent = asyncio.run(scenario())
    assert refused == []
    # the worker kept storing, and answers the resends once it may publish acks again
    assert [(ack["stored"], ack["duplicate"]) for ack in resent] == [([], [seq]) for seq in range(len(frames))]
    assert _stored_seqs(cluster, device_id) == list(range(len(frames)))
    assert re.search("MQTT ack channel closed by the broker", "".join(worker_logs(cluster).values()))
    assert all(worker.poll() is None for worker in cluster.processes.workers)  # no worker went down over it


@pytest.mark.alone  # a worker is stopped and killed while frames are in flight to it
def test_frames_a_killed_worker_held_are_acked_by_the_next(cluster):
    base_url = cluster.processes.base_url
    device_id, token = register(base_url, "mqtt-across-kill")
    frames = ecg_frames(device_id, 22)
    workers = {f"worker-{i + 1}": proc for i, proc in enumerate(cluster.processes.workers)}

    async def scenario() -> tuple[list[dict], list[dict], str]:
        async with _client(cluster, device_id, token) as client:
            await client.subscribe(f"cardiowatch/{device_id}/ack", qos=1)
            for frame in frames[:2]:
                await client.publish(f"cardiowatch/{device_id}/frames", frame, qos=1)
            before = await _acks(client, 2)
            owner_name = await asyncio.to_thread(_wait, "the device's worker", lambda: device_owner(cluster, device_id))
            owner = workers[owner_name]
            # stopped, the owner is still RabbitMQ's consumer of the device's partition: the next frames
            # are delivered to it and never acknowledged, then come back to the other worker at the kill
            owner.send_signal(signal.SIGSTOP)
            try:
                for frame in frames[2:]:
                    await client.publish(f"cardiowatch/{device_id}/frames", frame, qos=1)
                await asyncio.sleep(1.0)
            finally:
                owner.send_signal(signal.SIGKILL)
                await asyncio.to_thread(owner.wait)
            # the device resends nothing: every ack after this comes from the worker that took the frames over
            after = await _acks(client, len(frames) - 2)
        return before, after, owner_name

    before, after, killed = asyncio.run(scenario())
    survivor = next(name for name in workers if name != killed)
    try:
        assert [ack["stored"] for ack in before] == [[0], [1]]
        acked = sorted(seq for ack in after for seq in ack["stored"] + ack["duplicate"])
        assert acked == list(range(2, len(frames))), after
        assert all(ack["rejected"] == [] for ack in after)
        assert _stored_seqs(cluster, device_id) == list(range(len(frames)))
        # the survivor took the device over from the killed worker, and stored and acked those frames
        assert re.search(rf"device {device_id} taken over", worker_logs(cluster)[survivor])
    finally:
        joiner = cluster.logs / "worker-3.log"  # the module's cluster has two workers again
        cluster.processes.start_worker("worker-3", log=joiner)
        wait_subscribed(joiner)
