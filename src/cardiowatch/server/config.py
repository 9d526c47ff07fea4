"""Server settings: one typed class, read from ``CARDIOWATCH_*`` environment variables or given in code.

Built in `create_app(settings=None)` and kept on ``app.state.settings``; nothing reads the environment at
import time.
"""

from __future__ import annotations

import enum

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    #: Publish the store acknowledgement of every MQTT message on ``<prefix>/<id>/ack``.
    mqtt_publish_acks: bool = True
    #: Largest HTTP / WebSocket ingest message, and most frames in one.
    max_ingest_bytes: int = Field(65536, ge=1024)
    max_batch_frames: int = Field(64, ge=1)
    #: Raw samples and status reports older than this are deleted (0 = keep forever).
    retention_days: float = Field(30.0, ge=0)
    #: Seconds between stored per-device summaries.
    summary_period_s: float = Field(15.0, gt=0)
    #: Live feed: at most this many waveform samples per second per device (decimated above it).
    live_max_sample_rate_hz: float = Field(125.0, gt=0)
    #: Seconds between alert-engine ticks (no-data detection, escalation, snooze expiry).
    alert_tick_s: float = Field(1.0, gt=0)
    #: Webhook that receives alert transitions (see server/notify.py); None = none. Treated as a secret.
    webhook_url: SecretStr | None = None
    #: Key of the webhook's ``X-Cardiowatch-Signature`` HMAC.
    webhook_secret: SecretStr | None = None
    #: The ThingSpeak bridge reads its own ``CARDIOWATCH_THINGSPEAK_*`` variables (docs/thingspeak.md).
    thingspeak: bool = True

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
        if (self.environment is Environment.PRODUCTION and self.mqtt_host
                and self.mqtt_accounts is MqttAccounts.NONE):
            raise ValueError("production with MQTT needs CARDIOWATCH_MQTT_ACCOUNTS=mosquitto-dynsec (or external): "
                             "on an open broker anyone can post as any device")
        return self
