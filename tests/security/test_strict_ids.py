"""Issue 20 item 10: ids are ASCII decimal numbers everywhere: paths, query strings, MQTT topics.

``int()`` takes ``"١"`` (an Arabic-Indic digit) as 1 and pydantic's lax mode takes ``"+1"`` and ``"01"``:
another spelling of an id must not reach another device, nor every device.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from security_helpers import ADMIN, API_KEY, add_admin, security_app
from starlette.websockets import WebSocketDisconnect

from cardiowatch.protocol import envelope_encode

KEY = {"X-API-Key": API_KEY}
OTHER_SPELLINGS_OF_ONE = ["١", "+1", "01", " 1", "1_0", "1.0", "１"]


@pytest.fixture
def registered(client):
    response = client.post("/api/v1/devices", json={"name": "bed-1"}, headers=KEY)
    assert response.status_code == 201 and response.json()["id"] == 1
    return client


@pytest.mark.parametrize("spelling", OTHER_SPELLINGS_OF_ONE)
def test_device_path_takes_only_ascii_digits(registered, spelling):
    response = registered.get(f"/api/v1/devices/{spelling}", headers=KEY)
    assert response.status_code in (404, 422), spelling
    detail = response.json()["detail"]
    assert isinstance(detail, str) or all("input" not in error for error in detail)


def test_device_path_still_takes_a_plain_id(registered):
    assert registered.get("/api/v1/devices/1", headers=KEY).status_code == 200


@pytest.mark.parametrize("spelling", ["+1", "01", "1_0"])
def test_alert_filters_take_only_ascii_digits(registered, spelling):
    assert registered.get("/api/v1/alerts", params={"device_id": spelling}, headers=KEY).status_code == 422
    assert registered.get(f"/api/v1/alerts/{spelling}", headers=KEY).status_code == 422


@pytest.mark.parametrize("device_id", ["../1", "١", "1 ", "0", "abc"])
def test_live_feed_refuses_a_malformed_device_id(registered, device_id):
    with pytest.raises(WebSocketDisconnect) as closed:
        with registered.websocket_connect("/ws/live", params={"device_id": device_id, "api_key": API_KEY}) as ws:
            ws.receive_json()
    assert closed.value.code == 1008


def test_live_feed_takes_a_plain_device_id(registered):
    with registered.websocket_connect("/ws/live", params={"device_id": "1", "api_key": API_KEY}) as ws:
        assert ws.receive_json()["device_id"] == 1


def test_report_of_device_zero_is_not_a_server_error(tmp_path):
    with TestClient(security_app(tmp_path), raise_server_exceptions=False) as client:
        add_admin(client.app)
        client.post("/login", json={"name": ADMIN[0], "password": ADMIN[1]})
        for path in ("/report/0?start=0&end=1", "/report/%D9%A1?start=0&end=1", "/report/99?start=0&end=1"):
            assert client.get(path).status_code in (404, 422), path


class _Runtime:
    """Records what the MQTT subscriber hands on."""

    def __init__(self) -> None:
        self.ingested: list[dict] = []
        self.ingestor = SimpleNamespace(counters=SimpleNamespace(rejected=Counter()))

    async def ingest(self, body: bytes, **kwargs) -> None:  # noqa: ANN003
        self.ingested.append(kwargs)
        raise AssertionError("a malformed topic must not reach ingest")


@pytest.mark.parametrize("level", ["١", "01", "+1", "1 ", "", "0", "4294967296"])
def test_mqtt_topic_with_a_malformed_device_id_is_dropped(level):
    from cardiowatch.server.mqtt import MqttIngest

    runtime = _Runtime()
    mqtt = MqttIngest(runtime=runtime, host="127.0.0.1", port=1883, prefix="cardiowatch", publish_acks=False)
    asyncio.run(mqtt.handle(None, f"cardiowatch/{level}/frames", envelope_encode("t" * 32, b"CW")))
    assert runtime.ingested == []
    assert mqtt.dropped == Counter({"BadTopic": 1})


def test_strict_id_parser_takes_ascii_digits_only():
    from cardiowatch.server.ids import DEVICE_ID_MAX, parse_device_id

    assert parse_device_id("1") == 1 and parse_device_id(str(DEVICE_ID_MAX)) == DEVICE_ID_MAX
    for text in [*OTHER_SPELLINGS_OF_ONE, "", "0", str(DEVICE_ID_MAX + 1), "1\n"]:
        with pytest.raises(ValueError):
            parse_device_id(text)
