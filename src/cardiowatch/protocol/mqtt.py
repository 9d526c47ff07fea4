"""MQTT names of the device protocol (``docs/protocol.md`` §3): topics and broker usernames. No I/O here.

A device logs in to the broker as ``device-<device_id>`` with its token as the password, and that name is
its MQTT client id too; the broker's ACLs let it publish only on its own ``frames`` and ``status`` topics
and read only its own ``ack`` topic, so a payload needs no secret and the server trusts the device id of
the topic it arrived on.
"""

from __future__ import annotations

import enum

#: Broker usernames of devices are this prefix followed by the decimal device id.
MQTT_USERNAME_PREFIX = "device-"


class MqttTopic(str, enum.Enum):
    """The last level of a device topic ``<prefix>/<device_id>/<kind>``."""

    FRAMES = "frames"  #: device -> server: one or more binary frames
    STATUS = "status"  #: device -> server: one status JSON
    ACK = "ack"  #: server -> device: the store acknowledgement of each message


def mqtt_username(device_id: int) -> str:
    """The broker username of device ``device_id``, which is also the only client id it may connect with
    (so no login can take over another device's session, which the broker would close)."""
    return f"{MQTT_USERNAME_PREFIX}{device_id}"


def mqtt_topic(prefix: str, device_id: int, kind: MqttTopic) -> str:
    """``<prefix>/<device_id>/<kind>``; ``prefix`` without its trailing slash."""
    return f"{prefix.rstrip('/')}/{device_id}/{kind.value}"
