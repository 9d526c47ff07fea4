"""The three ways a device talks to the server (docs/protocol.md §3), as small async clients."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Protocol

from cardiowatch.protocol.mqtt import MqttTopic, mqtt_topic, mqtt_username

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ack:
    """The server's answer to one send: which sequence numbers are durably stored."""

    stored: tuple[int, ...] = ()
    duplicate: tuple[int, ...] = ()
    rejected: tuple[dict, ...] = field(default_factory=tuple)

    @classmethod
    def from_json(cls, body: dict) -> "Ack":
        return cls(tuple(body.get("stored", ())), tuple(body.get("duplicate", ())),
                   tuple(body.get("rejected", ())))

    @property
    def safe_to_forget(self) -> tuple[int, ...]:
        return self.stored + self.duplicate


class TransportError(RuntimeError):
    """The link failed; nothing is known to be stored, so the device keeps its frames."""


class Transport(Protocol):
    async def connect(self) -> None: ...
    async def send_frames(self, frames: list[bytes]) -> Ack: ...
    async def send_status(self, status_json: bytes) -> None: ...
    async def close(self) -> None: ...


class HttpTransport:
    """``POST /api/v1/ingest/frames``: several frames per request."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self._client = None

    async def connect(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s,
                                         headers={"Authorization": f"Bearer {self.token}"})

    async def send_frames(self, frames: list[bytes]) -> Ack:
        import httpx

        if self._client is None:
            raise RuntimeError("send_frames before connect")
        try:
            resp = await self._client.post("/api/v1/ingest/frames", content=b"".join(frames),
                                           headers={"Content-Type": "application/octet-stream"})
        except httpx.HTTPError as exc:
            raise TransportError(f"HTTP ingest failed: {exc}") from exc
        if resp.status_code in (200, 400, 409):
            return Ack.from_json(resp.json())
        raise TransportError(f"HTTP ingest answered {resp.status_code}: {resp.text[:200]}")

    async def send_status(self, status_json: bytes) -> None:
        if self._client is None:
            raise RuntimeError("send_status before connect")
        await self._client.post("/api/v1/ingest/status", content=status_json,
                                headers={"Content-Type": "application/json"})

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class WebSocketTransport:
    """``/ws/ingest``: binary messages of frames, a JSON answer after each."""

    def __init__(self, base_url: str, token: str) -> None:
        self.url = base_url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://") + "/ws/ingest"
        self.token = token
        self._ws = None

    async def connect(self) -> None:
        import websockets

        try:
            self._ws = await websockets.connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                                ping_interval=15)
        except (OSError, websockets.WebSocketException) as exc:
            raise TransportError(f"WebSocket connect failed: {exc}") from exc

    async def send_frames(self, frames: list[bytes]) -> Ack:
        import websockets

        if self._ws is None:
            raise RuntimeError("send_frames before connect")
        try:
            await self._ws.send(b"".join(frames))
            return Ack.from_json(json.loads(await self._ws.recv()))
        except websockets.WebSocketException as exc:
            self._ws = None
            raise TransportError(f"WebSocket send failed: {exc}") from exc

    async def send_status(self, status_json: bytes) -> None:
        if self._ws is None:
            raise RuntimeError("send_status before connect")
        await self._ws.send(status_json.decode())
        await self._ws.recv()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None


class MqttTransport:
    """``<prefix>/<device_id>/frames``, logged in to the broker as ``device-<id>`` with the token as
    password (so the payload carries no secret); acks on ``.../ack`` (QoS 1)."""

    def __init__(self, host: str, port: int, device_id: int, token: str, *, prefix: str = "cardiowatch",
                 ack_timeout_s: float = 10.0) -> None:
        self.host, self.port = host, port
        self.device_id, self.token = device_id, token
        self.prefix = prefix
        self.ack_timeout_s = ack_timeout_s
        self._client = None
        self._acks: asyncio.Queue[Ack] = asyncio.Queue()
        self._reader: asyncio.Task | None = None

    def topic(self, kind: MqttTopic) -> str:
        return mqtt_topic(self.prefix, self.device_id, kind)

    async def connect(self) -> None:
        import aiomqtt

        username = mqtt_username(self.device_id)
        self._client = aiomqtt.Client(self.host, self.port, identifier=username, username=username,
                                      password=self.token)
        try:
            await self._client.__aenter__()
            await self._client.subscribe(self.topic(MqttTopic.ACK), qos=1)
        except aiomqtt.MqttError as exc:
            self._client = None
            raise TransportError(f"MQTT connect failed: {exc}") from exc
        self._reader = asyncio.create_task(self._read_acks())

    async def _read_acks(self) -> None:
        import aiomqtt

        try:
            async for message in self._client.messages:
                try:
                    await self._acks.put(Ack.from_json(json.loads(message.payload)))
                except (ValueError, TypeError):
                    log.warning("device %d: unreadable ack %r", self.device_id, message.payload[:80])
        except aiomqtt.MqttError:
            pass  # the link dropped; the device notices on its next send

    async def send_frames(self, frames: list[bytes]) -> Ack:
        import aiomqtt

        if self._client is None:
            raise RuntimeError("send_frames before connect")
        stored: list[int] = []
        duplicate: list[int] = []
        rejected: list[dict] = []
        try:
            for frame in frames:
                await self._client.publish(self.topic(MqttTopic.FRAMES), frame, qos=1)
            for _ in frames:
                ack = await asyncio.wait_for(self._acks.get(), self.ack_timeout_s)
                stored += ack.stored
                duplicate += ack.duplicate
                rejected += ack.rejected
        except (aiomqtt.MqttError, TimeoutError) as exc:
            raise TransportError(f"MQTT send failed: {exc}") from exc
        return Ack(tuple(stored), tuple(duplicate), tuple(rejected))

    async def send_status(self, status_json: bytes) -> None:
        if self._client is None:
            raise RuntimeError("send_status before connect")
        await self._client.publish(self.topic(MqttTopic.STATUS), status_json, qos=1)
        await asyncio.wait_for(self._acks.get(), self.ack_timeout_s)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self._client is not None:
            import aiomqtt

            try:
                await self._client.__aexit__(None, None, None)
            except aiomqtt.MqttError:
                log.debug("device %d: MQTT close on a broken link", self.device_id)
            self._client = None
