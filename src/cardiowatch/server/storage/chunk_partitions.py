"""Daily partitions of the raw-chunk table on PostgreSQL: made ahead and on demand, dropped for retention.

From migration 0006 on, PostgreSQL's ``sample_chunks`` is ``PARTITION BY RANGE (received_at)`` with one
partition per UTC day, named ``sample_chunks_pYYYYMMDD`` (the name says which day it holds). SQLite keeps
one plain table, and every function here does nothing there.

A unique index on a partitioned table must contain the partition key, so no index can keep ``(device_id,
seq)`` unique across days. The trigger migration 0006 installs does instead, and skips a chunk whose
``(device_id, seq)`` is stored, which is what ``ON CONFLICT DO NOTHING`` did on the plain table (the
insert's ``RETURNING`` leaves it out):

- it locks the device's row, so two writers of one device take turns until the first commits; under
  READ COMMITTED (the server's isolation level) the second then sees what the first stored;
- a seq above the device's highest stored seq (``devices.last_seq``, which the trigger raises) cannot be
  stored yet: the common case costs no look into the partitions;
- a seq at or below it (a resend, a late frame) is looked up in every day's partition.

References
----------
.. [1] PostgreSQL 15 documentation, §5.11 Table Partitioning (limitations of unique constraints;
   ``ATTACH PARTITION`` takes only a SHARE UPDATE EXCLUSIVE lock on the parent).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, text

logger = logging.getLogger(__name__)

DAY_S = 86_400
#: Days after today whose partitions the server keeps made, so that ingest never has to make one.
DAYS_AHEAD = 2
_PARENT = "sample_chunks"
_NAME = re.compile(r"^sample_chunks_p(\d{8})$")
#: PostgreSQL advisory lock held while making partitions (any number; the same in every process).
_PARTITION_LOCK = 0x63770024
#: A DROP of a partition waits for an exclusive lock on the parent and every insert queues behind it;
#: give up after this (the next hourly round tries again) rather than stall ingest.
_DROP_LOCK_TIMEOUT = "1s"
_CACHE_KEY = "cardiowatch_chunk_days"


def partition_name(day: int) -> str:
    """The partition holding the chunks received on ``day`` (days since 1970-01-01, UTC)."""
    return f"{_PARENT}_p{datetime.fromtimestamp(day * DAY_S, UTC):%Y%m%d}"


def partition_day(name: str) -> int | None:
    """The day a partition named by `partition_name` holds; None for any other table name."""
    match = _NAME.match(name)
    if match is None:
        return None
    return int(datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC).timestamp()) // DAY_S


def chunk_days(connection: Connection) -> set[int] | None:
    """The days that have a partition; None when ``sample_chunks`` is not partitioned (SQLite, or a
    PostgreSQL schema before migration 0006)."""
    if connection.dialect.name != "postgresql":
        return None
    kind = connection.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:parent)"),
                             {"parent": _PARENT})
    if kind != "p":
        return None
    names = connection.scalars(text("SELECT child.relname FROM pg_inherits JOIN pg_class child "
                                    "ON child.oid = pg_inherits.inhrelid WHERE inhparent = to_regclass(:parent)"),
                               {"parent": _PARENT})
    return {day for name in names if (day := partition_day(name)) is not None}


def ensure_chunk_partitions(connection: Connection, *, received_at: Iterable[float]) -> list[str]:
    """Make the partitions missing for chunks received at these times (Unix s); return their names.

    The days known to exist are kept with the database connection, so the steady case costs no query.
    A partition is attached rather than created ``PARTITION OF`` the parent: attaching locks the parent
    only against other schema changes, so other processes insert meanwhile. It is made and committed in
    a transaction of its own, unless the caller's transaction has already written: that one holds locks
    (on ``devices`` rows) the attach would wait for, so the partition is made in it, and other writers
    wait for its commit. The server makes each day's partition days ahead, so neither happens in ingest.
    """
    if _CACHE_KEY not in connection.info:
        connection.info[_CACHE_KEY] = chunk_days(connection)
    known = connection.info[_CACHE_KEY]
    if known is None:
        return []
    wanted = {int(t // DAY_S) for t in received_at} - known
    if not wanted:
        return []
    if connection.scalar(text("SELECT pg_current_xact_id_if_assigned()")) is not None:
        return _make_partitions(connection, wanted)  # not remembered: this transaction may roll back
    with connection.engine.begin() as own:
        made = _make_partitions(own, wanted)
    known |= wanted
    return made


def _make_partitions(connection: Connection, days: set[int]) -> list[str]:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PARTITION_LOCK})
    existing = chunk_days(connection) or set()  # another process may have made some meanwhile
    made = []
    for day in sorted(days - existing):
        name = partition_name(day)
        connection.execute(text(f'CREATE TABLE "{name}" (LIKE {_PARENT} INCLUDING DEFAULTS)'))
        connection.execute(text(f'ALTER TABLE {_PARENT} ATTACH PARTITION "{name}" '
                                f"FOR VALUES FROM ({day * DAY_S}) TO ({(day + 1) * DAY_S})"))
        made.append(name)
    if made:
        logger.info("made raw-chunk partitions %s", ", ".join(made))
    return made


def drop_chunk_partitions_before(connection: Connection, *, before_s: float) -> list[str] | None:
    """Drop the partitions whose whole day ends at or before ``before_s`` (Unix s); return their names.

    None when the table is not partitioned (the caller deletes rows instead). A day that straddles
    ``before_s`` is kept whole, so chunks outlive the retention by less than a day.
    """
    days = chunk_days(connection)
    if days is None:
        return None
    old = sorted(day for day in days if (day + 1) * DAY_S <= before_s)
    if not old:
        return []
    connection.execute(text(f"SET LOCAL lock_timeout = '{_DROP_LOCK_TIMEOUT}'"))
    names = [partition_name(day) for day in old]
    for name in names:
        connection.execute(text(f'DROP TABLE "{name}"'))
    cached = connection.info.get(_CACHE_KEY)
    if cached is not None:
        cached.difference_update(old)
    logger.info("dropped raw-chunk partitions %s", ", ".join(names))
    return names
