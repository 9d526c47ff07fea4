"""Server settings: one typed class, read from ``CARDIOWATCH_*`` environment variables or given in code.

Built in `create_app(settings=None)` and kept on ``app.state.settings``; nothing reads the environment at
import time.
"""

from __future__ import annotations

import enum
import ipaddress

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cardiowatch.errors import CardiowatchError


class UnsafeExposure(CardiowatchError, ValueError):
    """The server would listen beyond this machine with its API open to anyone who reaches it."""


class Environment(str, enum.Enum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class MqttAccounts(str, enum.Enum):
    """Who keeps the broker's per-device logins and ACLs (docs/deployment.md, "MQTT broker: credentials
    and ACLs"). The server trusts a topic's device id, so the broker must authenticate publishers."""

    #: Nobody: an open development broker, on which anyone can post as any device.
    NONE = "none"
    #: The operator, by hand (a broker with the same users and ACLs that cardiowatch does not drive).
    EXTERNAL = "external"
    #: cardiowatch, through Mosquitto's dynamic-security plugin (`server/broker_auth.py`).
    MOSQUITTO_DYNSEC = "mosquitto-dynsec"
    #: cardiowatch, through RabbitMQ's management API (a cluster's broker: `server/broker_auth.py`).
    RABBITMQ = "rabbitmq"


class Settings(BaseSettings):
    """Everything the server can be told. Environment variables: ``CARDIOWATCH_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="CARDIOWATCH_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///cardiowatch.db"
    #: PostgreSQL only: keep every table in this schema (created if missing).
    database_schema: str | None = None
    sqlite_synchronous: str = Field("NORMAL", pattern="^(NORMAL|FULL)$")
    #: Key for the management and data API (``X-API-Key`` header); None = open (development only).
    api_key: SecretStr | None = None
    #: MQTT broker; None = no MQTT (HTTP and WebSocket ingest still work, no broker needed).
    mqtt_host: str | None = None
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_topic_prefix: str = Field("cardiowatch", pattern=r"^[A-Za-z0-9_\-/]+$")
    mqtt_accounts: MqttAccounts = MqttAccounts.NONE
    #: The dynamic-security admin user (``mosquitto-dynsec`` only): adds, rotates and revokes device logins.
    mqtt_admin_username: str | None = None
    mqtt_admin_password: SecretStr | None = None
    #: RabbitMQ's management API and the virtual host of the device logins (``rabbitmq`` accounts only; the
    #: admin login is ``mqtt_admin_username``/``mqtt_admin_password``, a user tagged ``administrator``).
    rabbitmq_management_url: str = "http://127.0.0.1:15672"
    rabbitmq_vhost: str = "/"
    #: Publish the store acknowledgement of every MQTT message on ``<prefix>/<id>/ack``.
    mqtt_publish_acks: bool = True
    #: Cluster mode (docs/deployment.md §3): the RabbitMQ that holds the partitions, as an AMQP URL. Set, this
    #: server is an API node (ingest publishes into the partitions, `cardiowatch worker` analyses); None =
    #: the single process does everything.
    cluster_amqp_url: SecretStr | None = None
    #: Partition queues of the cluster (fixed once the queues exist).
    cluster_partitions: int = Field(16, ge=1, le=1024)
    #: Largest HTTP / WebSocket ingest message, and most frames in one.
    max_ingest_bytes: int = Field(65536, ge=1024)
    max_batch_frames: int = Field(64, ge=1)
    #: Largest body of any other HTTP request (refused with 413 before it is parsed), and deepest JSON
    #: nesting of any request (400). Ingest keeps ``max_ingest_bytes`` when that is larger.
    max_request_bytes: int = Field(65536, ge=1024)
    max_json_depth: int = Field(32, ge=2, le=256)
    #: Always mark the dashboard session cookie ``Secure`` (behind TLS that the server cannot see). It is
    #: marked anyway when the request came over HTTPS, directly or through a proxy in ``forwarded_allow_ips``.
    secure_cookies: bool = False
    #: Proxies whose ``X-Forwarded-Proto`` / ``X-Forwarded-For`` are believed (uvicorn's setting:
    #: comma-separated addresses or networks, ``*`` for any).
    forwarded_allow_ips: str = "127.0.0.1"
    #: Raw samples and status reports older than this are deleted (0 = keep forever).
    retention_days: float = Field(30.0, ge=0)
    #: Seconds between stored per-device summaries.
    summary_period_s: float = Field(15.0, gt=0)
    #: Live feed: at most this many waveform samples per second per device (decimated above it).
    live_max_sample_rate_hz: float = Field(125.0, gt=0)
    #: Seconds of a device's samples analysed in one call of its pipeline (the cost is mostly per call):
    #: beats and alerts come up to this much later; a device gone quiet has what is held analysed at the
    #: first alert tick after this long. 0 analyses every frame on arrival.
    analysis_chunk_s: float = Field(1.0, ge=0, le=10)
    #: Seconds between alert-engine ticks (no-data detection, escalation, snooze expiry).
    alert_tick_s: float = Field(1.0, gt=0)
    #: Webhook that receives alert transitions (see server/notify.py); None = none. Treated as a secret.
    webhook_url: SecretStr | None = None
    #: Key of the webhook's ``X-Cardiowatch-Signature`` HMAC.
    webhook_secret: SecretStr | None = None
    #: Mirror summaries to ThingSpeak when channels are configured below (docs/thingspeak.md).
    thingspeak: bool = True
    #: ThingSpeak channels: ``DEVICE=CHANNEL_ID:WRITE_KEY`` entries, comma-separated (a secret: holds keys).
    thingspeak_channels: SecretStr | None = None
    #: ThingSpeak, one device: its name, channel id and write key (beside or instead of the entries above).
    thingspeak_device: str | None = None
    thingspeak_channel_id: int | None = None
    thingspeak_api_key: SecretStr | None = None
    #: Another ThingSpeak base URL (a local fake in tests); None = api.thingspeak.com.
    thingspeak_url: str | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.api_key is None or len(self.api_key.get_secret_value()) < 16:
                raise ValueError("production needs CARDIOWATCH_API_KEY of at least 16 characters")
        return self

    @model_validator(mode="after")
    def _refuse_open_broker(self) -> Settings:
        if self.mqtt_accounts is MqttAccounts.MOSQUITTO_DYNSEC:
            missing = [name for name in ("mqtt_host", "mqtt_username", "mqtt_password", "mqtt_admin_username",
                                         "mqtt_admin_password") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"CARDIOWATCH_MQTT_ACCOUNTS=mosquitto-dynsec needs {', '.join(missing)}")
        if self.mqtt_accounts is MqttAccounts.RABBITMQ:
            missing = [name for name in ("mqtt_admin_username", "mqtt_admin_password") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"CARDIOWATCH_MQTT_ACCOUNTS=rabbitmq needs {', '.join(missing)}")
        if (self.environment is Environment.PRODUCTION and self.mqtt_host
                and self.mqtt_accounts is MqttAccounts.NONE):
            raise ValueError("production with MQTT needs CARDIOWATCH_MQTT_ACCOUNTS=mosquitto-dynsec (or external): "
                             "on an open broker anyone can post as any device")
        return self


def is_loopback_host(host: str) -> bool:
    """Whether listening on ``host`` keeps the server on this machine (``localhost`` or a loopback
    address). A host name other than ``localhost`` may resolve anywhere, so it counts as open.

    Examples
    --------
    >>> is_loopback_host("127.0.0.1"), is_loopback_host("::1"), is_loopback_host("0.0.0.0")
    (True, True, False)
    """
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, *, host: str, insecure: bool = False) -> None:
    """Refuse (`UnsafeExposure`) to listen beyond loopback without an API key, unless ``insecure``.

    Without a key the management and data API is open: anyone who reaches the port can register, rotate
    and revoke devices and read every patient's data.
    """
    if settings.api_key is not None or insecure or is_loopback_host(host):
        return
    raise UnsafeExposure(
        f"refusing to listen on {host} without an API key: anyone on that network could register, rotate and "
        "revoke devices and read all data. Set CARDIOWATCH_API_KEY (16 characters or more), listen on "
        "127.0.0.1, or pass --insecure to run an open server on purpose.")
