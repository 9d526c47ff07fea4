"""Database tables (SQLAlchemy 2 declarative). Times: device time ``*_t_us`` (µs), server time ``*_at`` (Unix s).

Schema changes go through an Alembic migration in ``server/migrations/versions``; a test checks that the
migrations build exactly these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cardiowatch.server.storage.chunk_partitions import partition_day

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Device(Base):
    """A registered sensor. ``id`` is the ``device_id`` its frames carry."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, default=None)
    sensor: Mapped[str | None] = mapped_column(String(16), default=None)
    last_seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_seen_at: Mapped[float | None] = mapped_column(Float, default=None)


class SampleChunk(Base):
    """One frame's samples, kept as the frame's own wire bytes (compact, and resends compare exactly).

    On PostgreSQL the table is partitioned by day of ``received_at`` (migration 0006; its primary key is
    ``(id, received_at)``) and a trigger, not an index, keeps ``(device_id, seq)`` unique: see
    `cardiowatch.server.storage.chunk_partitions`.
    """

    __tablename__ = "sample_chunks"
    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_sample_chunks_device_seq").ddl_if(dialect="sqlite"),
        Index("ix_sample_chunks_device_seq", "device_id", "seq").ddl_if(dialect="postgresql"),
        Index("ix_sample_chunks_device_t", "device_id", "t_us"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    t_us: Mapped[int] = mapped_column(BigInteger)
    fs_millihz: Mapped[int] = mapped_column(BigInteger)
    n_samples: Mapped[int] = mapped_column(Integer)
    flags: Mapped[int] = mapped_column(Integer)
    frame: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[float] = mapped_column(Float)


def in_schema_of(dialect: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` hook for comparing these models with a database of ``dialect``: it
    leaves out what ``ddl_if`` keeps off that database and the raw-chunk table's daily partitions."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name is not None and partition_day(name) is not None:
            return False
        declared = compare_to if reflected else obj
        condition = getattr(declared, "_ddl_if", None)  # set by ddl_if(); None on everything else
        return condition is None or condition.dialect in (None, dialect)

    return include


class Beat(Base):
    """One detected beat (ECG) or pulse (PPG)."""

    __tablename__ = "beats"
    __table_args__ = (Index("ix_beats_device_t", "device_id", "t_us"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    t_us: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(8))


class Episode(Base):
    """A stretch of one rhythm; ``end_t_us`` is None while it lasts."""

    __tablename__ = "episodes"
    __table_args__ = (Index("ix_episodes_device_t", "device_id", "start_t_us"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    rhythm: Mapped[str] = mapped_column(String(16))
    start_t_us: Mapped[int] = mapped_column(BigInteger)
    end_t_us: Mapped[int | None] = mapped_column(BigInteger, default=None)


class AlertRow(Base):
    """The latest state of one alert of the alert engine (``id`` is the engine's alert id)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_device_raised", "device_id", "raised_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    resolved_at: Mapped[float | None] = mapped_column(Float, default=None)
    # The evidence (`server/evidence.py`): data time (Unix µs) of the onset and, once known, of the end of
    # what raised it; the rhythm, heart rate and signal quality when it was raised.
    onset_t_us: Mapped[int | None] = mapped_column(BigInteger, default=None)
    end_t_us: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rhythm: Mapped[str | None] = mapped_column(String(16), default=None)
    hr_bpm: Mapped[float | None] = mapped_column(Float, default=None)
    quality: Mapped[str | None] = mapped_column(String(16), default=None)


class AlertActionRow(Base):
    """Every transition of an alert: what, when, who (raised, acknowledged, snoozed, ...)."""

    __tablename__ = "alert_actions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)
    snoozed_until: Mapped[float | None] = mapped_column(Float, default=None)


class Summary(Base):
    """A periodic per-device summary (heart rate, rhythm, quality, alert level)."""

    __tablename__ = "summaries"
    __table_args__ = (Index("ix_summaries_device_t", "device_id", "t_us"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    t_us: Mapped[int] = mapped_column(BigInteger)
    hr_bpm: Mapped[float | None] = mapped_column(Float, default=None)
    rhythm: Mapped[str | None] = mapped_column(String(16), default=None)
    quality: Mapped[str | None] = mapped_column(String(16), default=None)
    alert_level: Mapped[int] = mapped_column(Integer, default=0)
    battery_pct: Mapped[float | None] = mapped_column(Float, default=None)
    sdnn_ms: Mapped[float | None] = mapped_column(Float, default=None)
    rmssd_ms: Mapped[float | None] = mapped_column(Float, default=None)
    pnn50_pct: Mapped[float | None] = mapped_column(Float, default=None)


class StatusReport(Base):
    """One status message from a device."""

    __tablename__ = "status_reports"
    __table_args__ = (Index("ix_status_reports_device_at", "device_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    received_at: Mapped[float] = mapped_column(Float)
    t_us: Mapped[int | None] = mapped_column(BigInteger, default=None)
    battery_pct: Mapped[float | None] = mapped_column(Float, default=None)
    battery_mv: Mapped[int | None] = mapped_column(Integer, default=None)
    rssi_dbm: Mapped[int | None] = mapped_column(Integer, default=None)
    lead_off: Mapped[bool | None] = mapped_column(Boolean, default=None)
    fw: Mapped[str | None] = mapped_column(String(32), default=None)
    uptime_s: Mapped[int | None] = mapped_column(BigInteger, default=None)
    fs_measured_millihz: Mapped[int | None] = mapped_column(BigInteger, default=None)
    queue_depth: Mapped[int | None] = mapped_column(BigInteger, default=None)
    dropped_samples: Mapped[int | None] = mapped_column(BigInteger, default=None)
    alarm_level: Mapped[int | None] = mapped_column(Integer, default=None)
    in_vf: Mapped[bool | None] = mapped_column(Boolean, default=None)


class EngineState(Base):
    """Small JSON snapshots of in-memory engines (the alert engine), restored at start-up."""

    __tablename__ = "engine_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


# The dashboard's users, login sessions and cookie-signing key (`cardiowatch.dashboard.users` reads and
# writes them). Their schema lives here so that one set of migrations builds the whole database.

dashboard_users = Table(
    "dashboard_users",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

dashboard_sessions = Table(
    "dashboard_sessions",
    Base.metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("dashboard_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

dashboard_secrets = Table(
    "dashboard_secrets",
    Base.metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)
