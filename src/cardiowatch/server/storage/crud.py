"""Data functions: keyword-only, each takes the session; no commits here except where named.

Routes and the ingest path call these; nothing else in the server writes SQL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Row, bindparam, case, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cardiowatch.protocol import Frame, Status
from cardiowatch.server.storage import chunk_partitions
from cardiowatch.server.storage.models import (
    AlertActionRow,
    AlertRow,
    Beat,
    Device,
    EngineState,
    Episode,
    SampleChunk,
    StatusReport,
    Summary,
)

if TYPE_CHECKING:
    from cardiowatch.server.evidence import AlertEvidence

#: Query results are capped so one request cannot pull a whole database.
MAX_ROWS = 10_000


# ------------------------------------------------------------------------------------------ devices
def create_device(*, session: Session, name: str, token_hash: str, now: float) -> Device:
    """Add a device with the next free numeric id (ids start at 1 and are never reused)."""
    next_id = (session.scalar(select(func.max(Device.id))) or 0) + 1
    device = Device(id=next_id, name=name, token_hash=token_hash, created_at=now)
    session.add(device)
    session.flush()
    return device


def get_device(*, session: Session, device_id: int) -> Device | None:
    return session.get(Device, device_id)


def get_device_by_name(*, session: Session, name: str) -> Device | None:
    return session.scalar(select(Device).where(Device.name == name))


def devices_by_id(*, session: Session, device_ids: Sequence[int]) -> Sequence[Row]:
    """``(id, name, token_hash, revoked_at)`` of the devices with any of ``device_ids``, in one query."""
    if not device_ids:
        return []
    return session.execute(select(Device.id, Device.name, Device.token_hash, Device.revoked_at)
                           .where(Device.id.in_(device_ids))).all()


def devices_by_token_hash(*, session: Session, token_hashes: Sequence[str]) -> Sequence[Row]:
    """``(id, name, token_hash, revoked_at)`` of the devices holding any of ``token_hashes`` (revoked ones
    included), in one query."""
    if not token_hashes:
        return []
    return session.execute(select(Device.id, Device.name, Device.token_hash, Device.revoked_at)
                           .where(Device.token_hash.in_(token_hashes))).all()


def list_devices(*, session: Session) -> Sequence[Device]:
    return session.scalars(select(Device).order_by(Device.id)).all()


def set_device_token(*, session: Session, device: Device, token_hash: str) -> Device:
    device.token_hash = token_hash
    device.revoked_at = None
    session.flush()
    return device


def revoke_device(*, session: Session, device: Device, now: float) -> Device:
    device.revoked_at = now
    session.flush()
    return device


def mark_devices_seen(*, session: Session, seen: dict[int, tuple[int, str]], now: float) -> None:
    """Record, for each ``device_id -> (highest seq, sensor)``, that frames arrived now.

    One statement for all devices (executemany); ``last_seq`` only ever grows.
    """
    if not seen:
        return
    seq = bindparam("b_seq")
    statement = (update(Device.__table__).where(Device.__table__.c.id == bindparam("b_id")).values(
        last_seq=case((Device.__table__.c.last_seq.is_(None) | (Device.__table__.c.last_seq < seq), seq),
                      else_=Device.__table__.c.last_seq),
        sensor=bindparam("b_sensor"), last_seen_at=bindparam("b_now")))
    session.connection().execute(statement, [{"b_id": d, "b_seq": q, "b_sensor": sensor, "b_now": now}
                                             for d, (q, sensor) in seen.items()])


# ------------------------------------------------------------------------------------ sample chunks
def stored_frames(*, session: Session, wanted: dict[int, set[int]]) -> dict[tuple[int, int], bytes]:
    """Stored bytes of the ``(device_id, seq)`` pairs in ``wanted`` that exist (duplicate / replay checks).

    One query per 500 pairs, whatever the number of devices.
    """
    pairs = sorted((device_id, seq) for device_id, seqs in wanted.items() for seq in seqs)
    out: dict[tuple[int, int], bytes] = {}
    for i in range(0, len(pairs), 500):  # keep IN lists short
        query = select(SampleChunk.device_id, SampleChunk.seq, SampleChunk.frame).where(
            tuple_(SampleChunk.device_id, SampleChunk.seq).in_(pairs[i: i + 500]))
        out.update(((device_id, seq), bytes(raw)) for device_id, seq, raw in session.execute(query))
    return out


@dataclass(frozen=True)
class DeviceMark:
    """A device's highest stored seq and when it last sent frames (None before its first frame)."""

    last_seq: int | None
    last_seen_at: float | None


@dataclass(frozen=True)
class StoredChunk:
    """Where a stored frame sits: its seq, the server time of its first sample, and its wire bytes."""

    seq: int
    t_us: int
    frame: bytes


def device_marks(*, session: Session, device_ids: Sequence[int]) -> dict[int, DeviceMark]:
    """`DeviceMark` of each device in ``device_ids``, in one query."""
    if not device_ids:
        return {}
    rows = session.execute(select(Device.id, Device.last_seq, Device.last_seen_at).where(Device.id.in_(device_ids)))
    return {device_id: DeviceMark(last_seq, last_seen_at) for device_id, last_seq, last_seen_at in rows}


def latest_chunks(*, session: Session, device_ids: Sequence[int]) -> dict[int, StoredChunk]:
    """Each device's stored chunk with the highest seq, in one query; devices without one are absent."""
    if not device_ids:
        return {}
    top = (select(SampleChunk.device_id, func.max(SampleChunk.seq).label("seq"))
           .where(SampleChunk.device_id.in_(device_ids)).group_by(SampleChunk.device_id).subquery())
    rows = session.execute(select(SampleChunk.device_id, SampleChunk.seq, SampleChunk.t_us, SampleChunk.frame).join(
        top, (SampleChunk.device_id == top.c.device_id) & (SampleChunk.seq == top.c.seq)))
    return {device_id: StoredChunk(seq, t_us, bytes(raw)) for device_id, seq, t_us, raw in rows}


def chunk_before(*, session: Session, device_id: int, seq: int) -> StoredChunk | None:
    """The device's stored chunk with the highest seq below ``seq`` (where a late frame's time follows)."""
    row = session.execute(select(SampleChunk.seq, SampleChunk.t_us, SampleChunk.frame)
                          .where(SampleChunk.device_id == device_id, SampleChunk.seq < seq)
                          .order_by(SampleChunk.seq.desc()).limit(1)).first()
    return None if row is None else StoredChunk(row.seq, row.t_us, bytes(row.frame))


def chunks_before(*, session: Session, device_id: int, seq: int, since_t_us: int) -> list[StoredChunk]:
    """The device's stored chunks with seq up to ``seq`` and first sample at ``since_t_us`` or later, by seq
    (the stretch a new owner of the device replays to warm its pipeline)."""
    rows = session.execute(select(SampleChunk.seq, SampleChunk.t_us, SampleChunk.frame)
                           .where(SampleChunk.device_id == device_id, SampleChunk.seq <= seq,
                                  SampleChunk.t_us >= since_t_us)
                           .order_by(SampleChunk.seq).limit(MAX_ROWS))
    return [StoredChunk(row.seq, row.t_us, bytes(row.frame)) for row in rows]


def last_beat_t_us(*, session: Session, device_id: int) -> int | None:
    return session.scalar(select(func.max(Beat.t_us)).where(Beat.device_id == device_id))


def last_episode(*, session: Session, device_id: int) -> Episode | None:
    """The device's episode that started last (the rhythm analysis last stored)."""
    return session.scalar(select(Episode).where(Episode.device_id == device_id)
                          .order_by(Episode.start_t_us.desc(), Episode.id.desc()).limit(1))


def chunk_row(*, device_id: int, frame: Frame, raw: bytes, t_us: int, now: float) -> dict:
    """The `SampleChunk` values of one frame, for `insert_chunks`."""
    return {"device_id": device_id, "seq": frame.seq, "t_us": t_us, "fs_millihz": frame.fs_millihz,
            "n_samples": frame.n_samples, "flags": int(frame.flags), "frame": raw, "received_at": now}


def insert_chunks(*, session: Session, rows: list[dict]) -> set[tuple[int, int]]:
    """Insert the chunks whose ``(device_id, seq)`` is not stored yet; return the pairs this call inserted.

    One statement (``INSERT ... ON CONFLICT DO NOTHING``; on PostgreSQL's partitioned table a trigger
    skips a stored pair instead): a pair another server process stores at the same moment is skipped
    here, never an error, and the caller compares the bytes that won. The day's partition is made first
    when the server has not made it ahead.
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect not in _DIALECT_INSERT:
        raise RuntimeError(f"insert_chunks: expected a database of {sorted(_DIALECT_INSERT)}, got {dialect}")
    # writers lock their devices in one order (the PostgreSQL trigger locks each row's device): no deadlock
    rows = sorted(rows, key=lambda row: (row["device_id"], row["seq"]))
    chunk_partitions.ensure_chunk_partitions(session.connection(), received_at={row["received_at"] for row in rows})
    # a Core insert on the session's connection: the ORM's bulk insert adds a third to the per-batch cost
    # and no ORM object is made from these rows
    session.flush()
    table = SampleChunk.__table__
    statement = _DIALECT_INSERT[dialect](table).on_conflict_do_nothing().returning(table.c.device_id, table.c.seq)
    return {(device_id, seq) for device_id, seq in session.connection().execute(statement, rows)}


_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def list_chunks(*, session: Session, device_id: int, start_t_us: int | None = None,
                end_t_us: int | None = None, limit: int = MAX_ROWS) -> Sequence[SampleChunk]:
    """Chunks of a device whose first sample is in ``[start_t_us, end_t_us)``, in time order."""
    query = select(SampleChunk).where(SampleChunk.device_id == device_id)
    query = _time_range(query, SampleChunk.t_us, start_t_us, end_t_us)
    return session.scalars(query.order_by(SampleChunk.t_us, SampleChunk.seq).limit(min(limit, MAX_ROWS))).all()


def list_seqs(*, session: Session, device_id: int) -> list[int]:
    """Every stored sequence number of a device, ascending (gap and duplicate checks)."""
    return list(session.scalars(select(SampleChunk.seq).where(SampleChunk.device_id == device_id)
                                .order_by(SampleChunk.seq)))


def count_chunks(*, session: Session, device_id: int) -> int:
    return session.scalar(select(func.count()).select_from(SampleChunk)
                          .where(SampleChunk.device_id == device_id)) or 0


def count_rows(*, session: Session) -> dict[str, int]:
    """Rows per table (tests check that rejected input stored nothing)."""
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Device, SampleChunk, Beat, Episode, AlertRow, AlertActionRow, Summary, StatusReport)}


# ----------------------------------------------------------------------------------- analysis output
def add_beats(*, session: Session, device_id: int, beats: Sequence[tuple[int, str]]) -> None:
    """Add beats given as ``(t_us, label)``."""
    session.add_all(Beat(device_id=device_id, t_us=t, label=label) for t, label in beats)


def list_beats(*, session: Session, device_id: int, start_t_us: int | None = None,
               end_t_us: int | None = None, limit: int = MAX_ROWS) -> Sequence[Beat]:
    query = _time_range(select(Beat).where(Beat.device_id == device_id), Beat.t_us, start_t_us, end_t_us)
    return session.scalars(query.order_by(Beat.t_us).limit(min(limit, MAX_ROWS))).all()


def beats_query(*, device_id: int, start_t_us: int, end_t_us: int):  # noqa: ANN201 - a Select
    """Beats of a device in ``[start_t_us, end_t_us)`` in time order, uncapped: exports cap the range instead."""
    return _time_range(select(Beat).where(Beat.device_id == device_id), Beat.t_us, start_t_us,
                       end_t_us).order_by(Beat.t_us)


def start_episode(*, session: Session, device_id: int, rhythm: str, t_us: int) -> Episode:
    """Close the device's open episode at ``t_us`` and open one of ``rhythm``."""
    current = session.scalar(select(Episode).where(Episode.device_id == device_id, Episode.end_t_us.is_(None)))
    if current is not None:
        current.end_t_us = t_us
    episode = Episode(device_id=device_id, rhythm=rhythm, start_t_us=t_us)
    session.add(episode)
    return episode


def end_episode(*, session: Session, device_id: int, t_us: int) -> None:
    """Close the device's open episode (a gap: the rhythm is unknown from here)."""
    current = session.scalar(select(Episode).where(Episode.device_id == device_id, Episode.end_t_us.is_(None)))
    if current is not None:
        current.end_t_us = max(t_us, current.start_t_us)


def list_episodes(*, session: Session, device_id: int, start_t_us: int | None = None,
                  end_t_us: int | None = None, limit: int = MAX_ROWS) -> Sequence[Episode]:
    """Episodes overlapping ``[start_t_us, end_t_us)``."""
    query = select(Episode).where(Episode.device_id == device_id)
    if start_t_us is not None:
        query = query.where((Episode.end_t_us.is_(None)) | (Episode.end_t_us > start_t_us))
    if end_t_us is not None:
        query = query.where(Episode.start_t_us < end_t_us)
    return session.scalars(query.order_by(Episode.start_t_us).limit(min(limit, MAX_ROWS))).all()


def add_summary(*, session: Session, device_id: int, t_us: int, hr_bpm: float | None, rhythm: str | None,
                quality: str | None, alert_level: int, battery_pct: float | None,
                hrv: tuple[float, float, float] | None = None) -> Summary:
    sdnn_ms, rmssd_ms, pnn50_pct = (None, None, None) if hrv is None else (_finite(v) for v in hrv)
    summary = Summary(device_id=device_id, t_us=t_us, hr_bpm=hr_bpm, rhythm=rhythm, quality=quality,
                      alert_level=alert_level, battery_pct=battery_pct, sdnn_ms=sdnn_ms, rmssd_ms=rmssd_ms,
                      pnn50_pct=pnn50_pct)
    session.add(summary)
    return summary


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None  # NaN (too few intervals) is stored as unknown


def list_summaries(*, session: Session, device_id: int, start_t_us: int | None = None,
                   end_t_us: int | None = None, limit: int = MAX_ROWS) -> Sequence[Summary]:
    query = _time_range(select(Summary).where(Summary.device_id == device_id), Summary.t_us, start_t_us, end_t_us)
    return session.scalars(query.order_by(Summary.t_us).limit(min(limit, MAX_ROWS))).all()


# ------------------------------------------------------------------------------------------- status
def add_status(*, session: Session, status: Status, now: float) -> StatusReport:
    values = asdict(status)
    device_id = values.pop("device_id")
    report = StatusReport(device_id=device_id, received_at=now, **values)
    session.add(report)
    return report


def latest_status(*, session: Session, device_id: int) -> StatusReport | None:
    return session.scalar(select(StatusReport).where(StatusReport.device_id == device_id)
                          .order_by(StatusReport.received_at.desc(), StatusReport.id.desc()).limit(1))


# ------------------------------------------------------------------------------------------- alerts
def save_alert(*, session: Session, device_id: int, alert_id: int, kind: str, severity: str, state: str,
               level: int, detail: str, raised_at: float, updated_at: float, resolved_at: float | None,
               action: str, by: str, at: float, snoozed_until: float | None,
               evidence: AlertEvidence | None = None) -> AlertRow:
    """Insert or update an alert and record the action that changed it; ``evidence``, given when it is
    raised, is stored with a new alert."""
    row = session.get(AlertRow, alert_id)
    if row is None:
        row = AlertRow(id=alert_id, device_id=device_id, kind=kind, severity=severity, raised_at=raised_at,
                       state=state, level=level, detail=detail, updated_at=updated_at)
        if evidence is not None:
            row.onset_t_us, row.rhythm = evidence.onset_t_us, evidence.rhythm
            row.hr_bpm = None if evidence.hr_bpm is None else _finite(evidence.hr_bpm)
            row.quality = evidence.quality
        session.add(row)
    row.state, row.level, row.detail = state, level, detail
    row.updated_at, row.resolved_at = updated_at, resolved_at
    session.flush()
    session.add(AlertActionRow(alert_id=alert_id, action=action, by=by, at=at, snoozed_until=snoozed_until))
    return row


def silent_devices(*, session: Session, before: float, with_open_alert: bool = False,
                   limit: int = MAX_ROWS) -> list[tuple[int, float]]:
    """``(id, last seen)`` of the unrevoked devices last seen (their last stored frame, else their
    registration) at or before ``before``, by id; only those without an open ``no_data`` alert unless
    ``with_open_alert``."""
    seen = func.coalesce(Device.last_seen_at, Device.created_at)
    query = select(Device.id, seen).where(Device.revoked_at.is_(None), seen <= before)
    if not with_open_alert:
        query = query.where(~select(AlertRow.id).where(AlertRow.device_id == Device.id, AlertRow.kind == "no_data",
                                                       AlertRow.state != "resolved").exists())
    rows = session.execute(query.order_by(Device.id).limit(min(limit, MAX_ROWS)))
    return [(device_id, float(last)) for device_id, last in rows]


def open_alert_severities(*, session: Session, device_id: int) -> list[str]:
    """Severities (stored names, e.g. ``critical``) of the device's alerts not resolved."""
    return list(session.scalars(select(AlertRow.severity).where(AlertRow.device_id == device_id,
                                                                AlertRow.state != "resolved")))


def get_alert(*, session: Session, alert_id: int) -> AlertRow | None:
    return session.get(AlertRow, alert_id)


def end_alert_evidence(*, session: Session, row: AlertRow, end_t_us: int | None) -> None:
    """Store when an alert's finding ended (not before its onset)."""
    if end_t_us is not None and (row.onset_t_us is None or end_t_us >= row.onset_t_us):
        row.end_t_us = end_t_us
        session.flush()


def list_alerts(*, session: Session, device_id: int | None = None, start_at: float | None = None,
                end_at: float | None = None, state: str | None = None,
                limit: int = MAX_ROWS) -> Sequence[AlertRow]:
    query = select(AlertRow)
    if device_id is not None:
        query = query.where(AlertRow.device_id == device_id)
    if state is not None:
        query = query.where(AlertRow.state == state)
    query = _time_range(query, AlertRow.raised_at, start_at, end_at)
    return session.scalars(query.order_by(AlertRow.raised_at, AlertRow.id).limit(min(limit, MAX_ROWS))).all()


def list_alert_actions(*, session: Session, alert_id: int) -> Sequence[AlertActionRow]:
    return session.scalars(select(AlertActionRow).where(AlertActionRow.alert_id == alert_id)
                           .order_by(AlertActionRow.at, AlertActionRow.id)).all()


def get_engine_state(*, session: Session, name: str) -> str | None:
    row = session.get(EngineState, name)
    return None if row is None else row.data


def put_engine_state(*, session: Session, name: str, data: str, now: float) -> None:
    row = session.get(EngineState, name)
    if row is None:
        session.add(EngineState(name=name, data=data, updated_at=now))
    else:
        row.data, row.updated_at = data, now


# ---------------------------------------------------------------------------------------- retention
@dataclass(frozen=True)
class Purged:
    """What a retention round removed: rows deleted, and (PostgreSQL) raw-chunk partitions dropped whole."""

    rows_deleted: int
    partitions_dropped: list[str]


def prepare_chunk_partitions(*, session: Session, now: float) -> list[str]:
    """Make the raw-chunk partitions of today and the next `chunk_partitions.DAYS_AHEAD` days (PostgreSQL;
    nothing on SQLite); return the names made."""
    days = range(chunk_partitions.DAYS_AHEAD + 1)
    return chunk_partitions.ensure_chunk_partitions(
        session.connection(), received_at=[now + day * chunk_partitions.DAY_S for day in days])


def purge_before(*, session: Session, received_before: float) -> Purged:
    """Remove raw sample chunks and status reports received before ``received_before`` (Unix s).

    On PostgreSQL raw chunks go a whole day's partition at a time (a DROP, not a DELETE of every row), so
    they are kept until the day they arrived on has ended before ``received_before``. Beats, episodes,
    alerts and summaries are small and kept.
    """
    dropped = chunk_partitions.drop_chunk_partitions_before(session.connection(), before_s=received_before)
    models = (StatusReport,) if dropped is not None else (SampleChunk, StatusReport)
    deleted = 0
    for model in models:
        result = session.execute(delete(model).where(model.received_at < received_before))
        deleted += result.rowcount or 0
    return Purged(rows_deleted=deleted, partitions_dropped=dropped or [])


def _time_range(query, column, start, end):  # noqa: ANN001, ANN202 - SQLAlchemy generics
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query
