"""Device accounts on the MQTT broker: one login and one set of topic permissions per device.

Every device logs in as ``device-<id>`` with its token as the password and that name as its client id
(`cardiowatch.protocol.mqtt`); its ACL lets it publish only ``<prefix>/<id>/frames`` and ``<prefix>/<id>/status`` and subscribe only to
``<prefix>/<id>/ack``. The server's own user alone reads every device's frames and publishes acks.
Anonymous clients are refused by the broker's configuration (``allow_anonymous false``). The server then
trusts a topic's device id, because the broker authenticated whoever published on it.

`BrokerAccounts` is the one interface the REST routes, the CLI and the MQTT ingest call;
`MosquittoDynsec` implements it with Mosquitto's dynamic-security plugin, driven over MQTT on
``$CONTROL/dynamic-security/v1`` with the plugin's admin user (docs: mosquitto.org/documentation/
dynamic-security); `RabbitMqAccounts` with RabbitMQ's users and topic permissions through its management
API (the cluster's broker). `NullBrokerAccounts` stands in when MQTT is not configured. Which broker, and why:
``docs/deployment.md``, "MQTT broker: credentials and ACLs".

Callers change the broker before committing the database: a failure leaves the change undone in the
database (HTTP 503), and the broker side is written so that running the same call again repairs it.

Errors raised here, by cause::

    BrokerAccountError (CardiowatchError, RuntimeError)
    ├── BrokerUnavailable          the broker cannot be reached, or refused the admin login, in time
    └── BrokerCommandFailed        the dynamic-security plugin (or RabbitMQ's API) refused a command
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from cardiowatch.errors import CardiowatchError
from cardiowatch.protocol.mqtt import MqttTopic, mqtt_topic, mqtt_username
from cardiowatch.server.config import MqttAccounts, Settings

logger = logging.getLogger(__name__)

DYNSEC_TOPIC = "$CONTROL/dynamic-security/v1"
DYNSEC_RESPONSE_TOPIC = f"{DYNSEC_TOPIC}/response"
#: The server's role: read every device's frames and status, write every device's ack.
SERVER_ROLE = "cardiowatch-server"
#: The plugin's error text for a create of something that exists; such a create is a repair, not a failure.
_EXISTS_SUFFIX = "already exists"
#: ... and for a look-up of something absent.
_MISSING_SUFFIX = "not found"


class BrokerAccountError(CardiowatchError, RuntimeError):
    """A device account could not be changed on the broker; the caller leaves its database unchanged."""


class BrokerUnavailable(BrokerAccountError):
    """The broker could not be reached, or refused the admin login, within the timeout."""


class BrokerCommandFailed(BrokerAccountError):
    """The dynamic-security plugin answered a command with an error."""


class BrokerAccounts(Protocol):
    """Keeps the broker's logins and permissions in step with the devices table."""

    def add_device(self, device_id: int, password: str) -> None:
        """Create (or repair) the login of a new device with its token as password, enabled."""

    def rotate_device(self, device_id: int, password: str) -> None:
        """Give the device a new password, enable it, and drop its connections made with the old one."""

    def revoke_device(self, device_id: int) -> None:
        """Refuse the device's logins from now on and drop its open connections."""

    def ensure_server_user(self, username: str, password: str) -> None:
        """Create (or repair) the server's own login: reads frames and status, publishes acks."""


class NullBrokerAccounts:
    """No broker to manage (MQTT not configured, or a development broker left open)."""

    def add_device(self, device_id: int, password: str) -> None:
        return None

    def rotate_device(self, device_id: int, password: str) -> None:
        return None

    def revoke_device(self, device_id: int) -> None:
        return None

    def ensure_server_user(self, username: str, password: str) -> None:
        return None


def device_role(device_id: int) -> str:
    """The dynamic-security role holding device ``device_id``'s topic permissions."""
    return f"cardiowatch-device-{device_id}"


def device_acls(prefix: str, device_id: int) -> list[dict[str, Any]]:
    """Publish its own frames and status, subscribe to its own acks; nothing else (the default denies)."""
    return [_acl("publishClientSend", mqtt_topic(prefix, device_id, MqttTopic.FRAMES)),
            _acl("publishClientSend", mqtt_topic(prefix, device_id, MqttTopic.STATUS)),
            _acl("subscribeLiteral", mqtt_topic(prefix, device_id, MqttTopic.ACK))]


def server_acls(prefix: str) -> list[dict[str, Any]]:
    """Subscribe to exactly the two filters the server uses, publish on any device's ack topic."""
    prefix = prefix.rstrip("/")
    return [_acl("subscribeLiteral", f"{prefix}/+/{MqttTopic.FRAMES.value}"),
            _acl("subscribeLiteral", f"{prefix}/+/{MqttTopic.STATUS.value}"),
            _acl("publishClientSend", f"{prefix}/+/{MqttTopic.ACK.value}")]


def _acl(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": 0, "allow": True}


class MosquittoDynsec:
    """`BrokerAccounts` on Mosquitto's dynamic-security plugin.

    Each call opens one short MQTT connection as the plugin's admin user, sends its commands in one
    message and waits for the plugin's answer. Account changes are rare (a device added, rotated or
    revoked), so a connection per call keeps no state to go stale.

    Parameters
    ----------
    host, port
        The broker.
    admin_username, admin_password
        The dynamic-security admin (``mosquitto_ctrl dynsec init FILE USER``).
    prefix
        The topic prefix the ACLs are written for (``CARDIOWATCH_MQTT_TOPIC_PREFIX``).
    timeout_s
        Longest wait for the connection and for the plugin's answer.
    """

    def __init__(self, *, host: str, port: int, admin_username: str, admin_password: str, prefix: str,
                 timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.admin_username = admin_username
        self.admin_password = admin_password
        self.prefix = prefix.rstrip("/")
        self.timeout_s = timeout_s

    def add_device(self, device_id: int, password: str) -> None:
        username = mqtt_username(device_id)
        self._ensure_client(username, password, role=device_role(device_id), acls=device_acls(self.prefix, device_id),
                            clientid=username)
        logger.info("MQTT broker: device %d may log in as %s", device_id, mqtt_username(device_id))

    def rotate_device(self, device_id: int, password: str) -> None:
        username = mqtt_username(device_id)
        # also gives a login to a device registered while the broker was not managed
        self._ensure_client(username, password, role=device_role(device_id), acls=device_acls(self.prefix, device_id),
                            clientid=username)
        # disabling closes the connections opened with the old password; enabling admits the new one
        self._execute([{"command": "disableClient", "username": username},
                       {"command": "enableClient", "username": username}])
        logger.info("MQTT broker: new password for %s; its old connections are closed", username)

    def revoke_device(self, device_id: int) -> None:
        # a device registered while the broker was not managed has no login to disable
        self._execute([{"command": "disableClient", "username": mqtt_username(device_id)}], tolerate_missing=True)
        logger.info("MQTT broker: %s disabled and disconnected", mqtt_username(device_id))

    def ensure_server_user(self, username: str, password: str) -> None:
        self._ensure_client(username, password, role=SERVER_ROLE, acls=server_acls(self.prefix))

    def _ensure_client(self, username: str, password: str, *, role: str, acls: list[dict[str, Any]],
                       clientid: str | None = None) -> None:
        """Make ``username`` exist, enabled, with ``password`` and ``role`` (and bound to ``clientid``,
        the only client id it may then connect with); repair whatever is there."""
        self._execute([{"command": "createRole", "rolename": role, "acls": acls}], tolerate_exists=True)
        found = self._execute([{"command": "getClient", "username": username}], tolerate_missing=True)[0]
        client = (found.get("data") or {}).get("client")
        if client is None:
            create = {"command": "createClient", "username": username, "password": password,
                      "roles": [{"rolename": role}]}
            self._execute([create if clientid is None else {**create, "clientid": clientid}])
            return
        # left from an earlier database that used the same id, or the server user of an earlier start
        commands = [{"command": "setClientPassword", "username": username, "password": password},
                    {"command": "enableClient", "username": username}]
        if clientid is not None and client.get("clientid") != clientid:
            commands.append({"command": "setClientId", "username": username, "clientid": clientid})
        if role not in {r.get("rolename") for r in client.get("roles", [])}:
            commands.append({"command": "addClientRole", "username": username, "rolename": role})
        self._execute(commands)

    # ------------------------------------------------------------------------------------ the wire
    def _execute(self, commands: list[dict[str, Any]], *, tolerate_exists: bool = False,
                 tolerate_missing: bool = False) -> list[dict[str, Any]]:
        """Send ``commands`` in one message; return the plugin's responses, raise on an error among them."""
        correlation = uuid.uuid4().hex
        for index, command in enumerate(commands):
            command["correlationData"] = f"{correlation}-{index}"
        responses = self._exchange(json.dumps({"commands": commands}).encode(), correlation)
        for response in responses:
            error = response.get("error")
            tolerated = ((tolerate_exists and str(error).endswith(_EXISTS_SUFFIX))
                         or (tolerate_missing and str(error).endswith(_MISSING_SUFFIX)))
            if error and not tolerated:
                raise BrokerCommandFailed(f"dynamic-security {response.get('command')}: {error}")
        return responses

    def _exchange(self, message: bytes, correlation: str) -> list[dict[str, Any]]:
        import paho.mqtt.client as mqtt

        seen: dict[str, Any] = {}
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cardiowatch-admin-{correlation[:12]}",
                             protocol=mqtt.MQTTv311)
        client.username_pw_set(self.admin_username, self.admin_password)
        client.on_connect = lambda _c, _u, _f, reason, _p: seen.setdefault("connect", reason)
        client.on_subscribe = lambda _c, _u, _m, reasons, _p: seen.setdefault("subscribe", reasons)
        client.on_message = lambda _c, _u, msg: _keep_response(seen, msg.payload, correlation)
        deadline = time.monotonic() + self.timeout_s
        where = f"{self.admin_username}@{self.host}:{self.port}"
        try:
            client.connect(self.host, self.port, keepalive=max(5, int(self.timeout_s) * 2))
        except OSError as exc:
            raise BrokerUnavailable(f"MQTT broker {where}: {exc}") from exc
        try:
            _pump(client, deadline, lambda: "connect" in seen, f"connect to {where}")
            if seen["connect"].is_failure:
                raise BrokerUnavailable(f"MQTT broker {where} refused the admin login: {seen['connect']}")
            client.subscribe(DYNSEC_RESPONSE_TOPIC, qos=1)
            _pump(client, deadline, lambda: "subscribe" in seen, "subscribe to the dynamic-security answers")
            if any(reason.is_failure for reason in seen["subscribe"]):
                raise BrokerUnavailable(f"MQTT broker {where}: {DYNSEC_RESPONSE_TOPIC} refused (is the "
                                        "dynamic-security plugin loaded and this its admin user?)")
            client.publish(DYNSEC_TOPIC, message, qos=1)
            _pump(client, deadline, lambda: "responses" in seen, "the dynamic-security answer")
        finally:
            client.disconnect()
        return seen["responses"]


def _keep_response(seen: dict[str, Any], payload: bytes, correlation: str) -> None:
    """Keep the plugin's answer to our commands (other admins' answers share the topic)."""
    try:
        responses = json.loads(payload)["responses"]
    except (ValueError, KeyError, TypeError):
        logger.warning("MQTT broker: unreadable dynamic-security answer %r", payload[:120])
        return
    if any(str(r.get("correlationData", "")).startswith(correlation) for r in responses):
        seen["responses"] = responses


def _pump(client: Any, deadline: float, done: Callable[[], bool], what: str) -> None:
    """Run the client's network loop until ``done()`` or the deadline."""
    import paho.mqtt.client as mqtt

    while not done():
        if time.monotonic() > deadline:
            raise BrokerUnavailable(f"MQTT broker: no answer in time ({what})")
        rc = client.loop(timeout=0.05)
        if rc != mqtt.MQTT_ERR_SUCCESS and not done():
            raise BrokerUnavailable(f"MQTT broker: connection lost ({what}): {mqtt.error_string(rc)}")


class RabbitMqAccounts:
    """`BrokerAccounts` on RabbitMQ (the cluster's broker, its MQTT plugin in front of the devices), through
    the management plugin's HTTP API with an administrator login.

    A device is the user ``device-<id>`` (its token as password, no tags) with permissions on the virtual
    host that reach only ``amq.topic`` and its own MQTT subscription queues, and topic permissions on
    ``amq.topic``: write ``<prefix>.<id>.frames`` and ``<prefix>.<id>.status`` (RabbitMQ's form of
    ``<prefix>/<id>/frames`` and ``.../status``), read ``<prefix>.<id>.ack``. Every call is an idempotent
    PUT or DELETE, so running it again repairs a half-done change. Rotating and revoking close the
    device's open connections."""

    def __init__(self, *, url: str, admin_username: str, admin_password: str, vhost: str = "/",
                 prefix: str = "cardiowatch", timeout_s: float = 5.0) -> None:
        import httpx

        self.vhost = vhost
        self.prefix = prefix.strip("/").replace("/", ".")
        self.client = httpx.Client(base_url=url.rstrip("/"), auth=(admin_username, admin_password), timeout=timeout_s)

    def add_device(self, device_id: int, password: str) -> None:
        user = mqtt_username(device_id)
        key = re.escape(f"{self.prefix}.{device_id}")
        self._call("PUT", f"/api/users/{_quoted(user)}", {"password": password, "tags": ""})
        own_queues = f"mqtt-subscription-{re.escape(user)}qos[01]"
        self._call("PUT", f"/api/permissions/{_quoted(self.vhost)}/{_quoted(user)}",
                   {"configure": f"^{own_queues}$", "write": rf"^(amq\.topic|{own_queues})$",
                    "read": rf"^(amq\.topic|{own_queues})$"})
        self._call("PUT", f"/api/topic-permissions/{_quoted(self.vhost)}/{_quoted(user)}",
                   {"exchange": "amq.topic", "write": rf"^{key}\.(frames|status)$",
                    "read": rf"^{key}\.ack$"})

    def rotate_device(self, device_id: int, password: str) -> None:
        self.add_device(device_id, password)
        self._close_connections(mqtt_username(device_id))

    def revoke_device(self, device_id: int) -> None:
        user = mqtt_username(device_id)
        self._call("DELETE", f"/api/users/{_quoted(user)}", missing_ok=True)
        self._close_connections(user)

    def ensure_server_user(self, username: str, password: str) -> None:
        """Nothing: a cluster's processes use their AMQP login, which the operator keeps (docs/deployment.md)."""

    def _close_connections(self, user: str) -> None:
        for connection in self._call("GET", "/api/connections", params={"columns": "name,user"}) or []:
            if connection.get("user") == user:
                self._call("DELETE", f"/api/connections/{_quoted(connection['name'])}", missing_ok=True)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, *, missing_ok: bool = False,
              params: dict[str, str] | None = None) -> Any:
        import httpx

        try:
            response = self.client.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise BrokerUnavailable(f"RabbitMQ management API: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise BrokerUnavailable(f"RabbitMQ management API refused the admin login ({response.status_code})")
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 300:
            raise BrokerCommandFailed(f"RabbitMQ management API: {method} {path.split('/')[2]} answered "
                                      f"{response.status_code}")
        return response.json() if response.content else None


def _quoted(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def make_broker_accounts(settings: Settings) -> BrokerAccounts:
    """The accounts manager the settings ask for (`NullBrokerAccounts` unless cardiowatch manages them)."""
    if settings.mqtt_accounts is MqttAccounts.RABBITMQ:
        if settings.mqtt_admin_username is None or settings.mqtt_admin_password is None:
            raise RuntimeError("make_broker_accounts: expected validated settings, got rabbitmq without an admin login")
        return RabbitMqAccounts(url=settings.rabbitmq_management_url, admin_username=settings.mqtt_admin_username,
                                admin_password=settings.mqtt_admin_password.get_secret_value(),
                                vhost=settings.rabbitmq_vhost, prefix=settings.mqtt_topic_prefix)
    if settings.mqtt_accounts is not MqttAccounts.MOSQUITTO_DYNSEC:
        return NullBrokerAccounts()
    if settings.mqtt_host is None or settings.mqtt_admin_username is None or settings.mqtt_admin_password is None:
        raise RuntimeError("make_broker_accounts: expected validated settings, got mosquitto-dynsec without "
                           "a host and admin login")
    return MosquittoDynsec(host=settings.mqtt_host, port=settings.mqtt_port,
                           admin_username=settings.mqtt_admin_username,
                           admin_password=settings.mqtt_admin_password.get_secret_value(),
                           prefix=settings.mqtt_topic_prefix)
