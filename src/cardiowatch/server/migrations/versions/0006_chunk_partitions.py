"""sample_chunks: one partition per day of received_at on PostgreSQL (SQLite keeps the plain table)

The rows move into the new table inside the migration's transaction, keeping their ids. ``(device_id,
seq)`` stays unique through a trigger (a unique index on a partitioned table must hold the partition
key), which also keeps ``devices.last_seq`` at the highest stored seq: see
`cardiowatch.server.storage.chunk_partitions`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from cardiowatch.server.storage.chunk_partitions import DAY_S, partition_name

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = "id, device_id, seq, t_us, fs_millihz, n_samples, flags, frame, received_at"

# A new frame's seq is above its device's highest stored seq (devices.last_seq, which this trigger keeps
# up): only a resend or a late frame, at or below it, pays for looking into every day's partition.
# Locking the device's row first makes two writers of one device take turns, so the second one's look
# sees the first one's committed chunk and raised mark. Returning NULL skips the row, as ON CONFLICT DO
# NOTHING did.
_SKIP_STORED = """
CREATE FUNCTION sample_chunks_skip_stored() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    highest bigint;
BEGIN
    SELECT last_seq INTO highest FROM devices WHERE id = NEW.device_id FOR NO KEY UPDATE;
    IF highest IS NULL OR NEW.seq > highest THEN
        UPDATE devices SET last_seq = NEW.seq WHERE id = NEW.device_id;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM sample_chunks WHERE device_id = NEW.device_id AND seq = NEW.seq) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$
"""


def _create_chunks(*constraints: str, partition_by: str = "") -> None:
    """``sample_chunks`` with the columns both layouts share (ids from the existing sequence) and ``constraints``."""
    extra = "".join(f",\n            {c}" for c in constraints)
    op.execute(f"""
        CREATE TABLE sample_chunks (
            id BIGINT NOT NULL DEFAULT nextval('sample_chunks_id_seq'),
            device_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            t_us BIGINT NOT NULL,
            fs_millihz BIGINT NOT NULL,
            n_samples INTEGER NOT NULL,
            flags INTEGER NOT NULL,
            frame BYTEA NOT NULL,
            received_at DOUBLE PRECISION NOT NULL,
            CONSTRAINT fk_sample_chunks_device_id_devices FOREIGN KEY (device_id)
                REFERENCES devices (id) ON DELETE CASCADE{extra}
        ) {partition_by}""")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE sample_chunks RENAME TO sample_chunks_plain")
    op.execute("ALTER TABLE sample_chunks_plain RENAME CONSTRAINT pk_sample_chunks TO pk_sample_chunks_plain")
    op.execute("ALTER TABLE sample_chunks_plain RENAME CONSTRAINT uq_sample_chunks_device_seq "
               "TO uq_sample_chunks_plain_device_seq")
    op.execute("ALTER INDEX ix_sample_chunks_device_t RENAME TO ix_sample_chunks_plain_device_t")
    op.execute("ALTER SEQUENCE sample_chunks_id_seq OWNED BY NONE")  # the new table takes the ids on
    _create_chunks("CONSTRAINT pk_sample_chunks PRIMARY KEY (id, received_at)",
                   partition_by="PARTITION BY RANGE (received_at)")
    op.execute("CREATE INDEX ix_sample_chunks_device_seq ON sample_chunks (device_id, seq)")
    op.execute("CREATE INDEX ix_sample_chunks_device_t ON sample_chunks (device_id, t_us)")
    days = op.get_bind().scalars(text(f"SELECT DISTINCT floor(received_at / {DAY_S})::bigint "
                                      "FROM sample_chunks_plain"))
    for day in days:
        op.execute(f'CREATE TABLE "{partition_name(day)}" PARTITION OF sample_chunks '
                   f"FOR VALUES FROM ({day * DAY_S}) TO ({(day + 1) * DAY_S})")
    op.execute(f"INSERT INTO sample_chunks ({_COLUMNS}) SELECT {_COLUMNS} FROM sample_chunks_plain")
    # the trigger's shortcut needs every stored seq at or below its device's mark
    op.execute("UPDATE devices SET last_seq = stored.seq FROM (SELECT device_id, max(seq) AS seq "
               "FROM sample_chunks_plain GROUP BY device_id) AS stored "
               "WHERE devices.id = stored.device_id AND (last_seq IS NULL OR last_seq < stored.seq)")
    op.execute("DROP TABLE sample_chunks_plain")
    op.execute("ALTER SEQUENCE sample_chunks_id_seq OWNED BY sample_chunks.id")
    op.execute(_SKIP_STORED)  # after the copy: the old table's unique constraint already held
    op.execute("CREATE TRIGGER skip_stored BEFORE INSERT ON sample_chunks "
               "FOR EACH ROW EXECUTE FUNCTION sample_chunks_skip_stored()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE sample_chunks RENAME TO sample_chunks_partitioned")
    op.execute("ALTER TABLE sample_chunks_partitioned RENAME CONSTRAINT pk_sample_chunks "
               "TO pk_sample_chunks_partitioned")
    op.execute("ALTER INDEX ix_sample_chunks_device_t RENAME TO ix_sample_chunks_partitioned_device_t")
    op.execute("ALTER SEQUENCE sample_chunks_id_seq OWNED BY NONE")
    _create_chunks("CONSTRAINT pk_sample_chunks PRIMARY KEY (id)",
                   "CONSTRAINT uq_sample_chunks_device_seq UNIQUE (device_id, seq)")
    op.execute("CREATE INDEX ix_sample_chunks_device_t ON sample_chunks (device_id, t_us)")
    op.execute(f"INSERT INTO sample_chunks ({_COLUMNS}) SELECT {_COLUMNS} FROM sample_chunks_partitioned")
    op.execute("DROP TABLE sample_chunks_partitioned")  # its partitions and trigger go with it
    op.execute("DROP FUNCTION sample_chunks_skip_stored()")
    op.execute("ALTER SEQUENCE sample_chunks_id_seq OWNED BY sample_chunks.id")
