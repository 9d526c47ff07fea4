"""Insert rate of raw chunks into PostgreSQL: the daily-partitioned table (migration 0006) side by side with
the plain table it replaced (the schema at migration 0005), in one run::

    PYTHONPATH=src .venv/bin/python benchmarks/raw_insert_rate.py [--devices 50 250] [--batches 60] \\
        [--past-days 30] [--write-docs]

Each table lives in a fresh schema of the test database (``CARDIOWATCH_TEST_POSTGRES``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped at the end. A batch is one 125-sample
(500 ms) 250 Hz ECG frame from each of ``--devices`` devices, written the way the server writes a batch:
one `crud.insert_chunks` statement, then one commit. The two tables take turns batch by batch, so what
else loads the machine falls on both alike. Before timing, both tables get one frame per device on each
of ``--past-days`` earlier days (the partitioned one thus has that many partitions, as 30 days'
retention keeps, and its duplicate check looks into every one; their real size is not reproduced).

Then the first ten batches are sent again (every frame already stored, as a device resending after a
lost acknowledgement: the partitioned table looks for each one in every partition), and retention of
everything written is timed on both: `crud.purge_before` DELETEs the plain table's rows
and DROPs the partitioned table's partitions.

Prints the table; ``--write-docs`` also writes the "raw-insert" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.server.devices import register_device
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.chunk_partitions import DAY_S
from cardiowatch.server.storage.db import drop_schema, make_engine, make_session_factory, migrate
from cardiowatch.server.storage.models import SampleChunk

logger = logging.getLogger("raw_insert_rate")
POSTGRES_URL = os.environ.get("CARDIOWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FS_MILLIHZ = 250_000
FRAME_SAMPLES = 125
FRAME_S = FRAME_SAMPLES / (FS_MILLIHZ / 1000)
TODAY = 20_000  # a day number (2024-10-04): every timed frame arrives on it
RESENT_BATCHES = 10
NOTE = ("A DELETE costs per row removed, a DROP per partition whatever it holds: the retention column compares "
        "them on a few thousand rows per day, far fewer than a real day (1,000 devices with 500 ms frames store "
        "172.8 million rows a day). \"resent batch\" is every frame of a batch sent again: the partitioned "
        "table looks for each one in every partition.")
TABLES = {"plain (0005)": "0005", "partitioned (0006)": "head"}


@dataclass
class Measured:
    """One table's timings at one batch size."""

    rows: int = 0
    frame_bytes: int = 0
    batch_s: list[float] = field(default_factory=list)
    resent_s: list[float] = field(default_factory=list)
    purge_s: float = 0.0
    purged_rows: int = 0
    purge_how: str = ""


def _frame_row(device_id: int, seq: int, *, received_at: float, rng: np.random.Generator) -> dict:
    frame = Frame(device_id=device_id, seq=seq, t_us=round(received_at * 1e6), fs_millihz=FS_MILLIHZ,
                  sensor=SensorKind.ECG, samples=rng.integers(1500, 2600, FRAME_SAMPLES).astype(np.int32),
                  scale_nv=8000)
    return crud.chunk_row(device_id=device_id, frame=frame, raw=frame_encode(frame), t_us=frame.t_us,
                          now=received_at)


def _prepare(engine: Engine, *, devices: int, past_days: int) -> tuple[sessionmaker[Session], list[int]]:
    """Devices, and one frame of each on each past day (seqs 0 .. past_days - 1)."""
    sessions = make_session_factory(engine)
    rng = np.random.default_rng(0)
    with sessions() as session:
        ids = [register_device(session=session, name=f"dev-{i}", now=0.0)[0].id for i in range(devices)]
        for day in range(past_days):
            received_at = (TODAY - past_days + day) * DAY_S + 3600.0
            crud.insert_chunks(session=session, rows=[_frame_row(d, day, received_at=received_at, rng=rng)
                                                      for d in ids])
        crud.prepare_chunk_partitions(session=session, now=TODAY * DAY_S)
        session.commit()
    return sessions, ids


def _insert_batch(sessions: sessionmaker[Session], rows: list[dict]) -> float:
    started = time.perf_counter()
    with sessions() as session:
        crud.insert_chunks(session=session, rows=rows)
        session.commit()
    return time.perf_counter() - started


def _purge(sessions: sessionmaker[Session], measured: Measured) -> None:
    """Time the removal of every chunk received before tomorrow."""
    with sessions() as session:
        measured.purged_rows = session.scalar(select(func.count()).select_from(SampleChunk))
        started = time.perf_counter()
        purged = crud.purge_before(session=session, received_before=(TODAY + 1) * DAY_S)
        session.commit()
        measured.purge_s = time.perf_counter() - started
    dropped = len(purged.partitions_dropped)
    measured.purge_how = f"DROP of {dropped} partitions" if dropped else "DELETE"


def measure(*, devices: int, batches: int, past_days: int) -> dict[str, Measured]:
    engines = {}
    try:
        for name, revision in TABLES.items():
            schema = f"cw_bench_{uuid.uuid4().hex[:12]}"
            engines[name] = (make_engine(POSTGRES_URL, schema=schema), schema)
            migrate(engines[name][0], revision)
        prepared = {name: _prepare(engine, devices=devices, past_days=past_days)
                    for name, (engine, _schema) in engines.items()}
        out = {name: Measured() for name in TABLES}
        rng = np.random.default_rng(1)
        for batch in range(batches):
            received_at = TODAY * DAY_S + 7200.0 + batch * FRAME_S
            for name, (sessions, ids) in prepared.items():
                rows = [_frame_row(d, past_days + batch, received_at=received_at, rng=rng) for d in ids]
                out[name].batch_s.append(_insert_batch(sessions, rows))
                out[name].rows += len(rows)
                out[name].frame_bytes += sum(len(row["frame"]) for row in rows)
        for batch in range(min(RESENT_BATCHES, batches)):  # every frame already stored: the slow path
            received_at = TODAY * DAY_S + 7200.0 + (batches + batch) * FRAME_S
            for name, (sessions, ids) in prepared.items():
                rows = [_frame_row(d, past_days + batch, received_at=received_at, rng=rng) for d in ids]
                out[name].resent_s.append(_insert_batch(sessions, rows))
        for name, (sessions, _ids) in prepared.items():
            _purge(sessions, out[name])
        return out
    finally:
        for engine, schema in engines.values():
            engine.dispose()
            drop_schema(POSTGRES_URL, schema)


def server_version() -> str:
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SHOW server_version")).split()[0]
    finally:
        engine.dispose()


def table(results: dict[int, dict[str, Measured]], *, batches: int, past_days: int, version: str) -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        "## Raw-chunk insert rate (PostgreSQL, partitioned beside plain)",
        "",
        f"Produced by `PYTHONPATH=src .venv/bin/python benchmarks/raw_insert_rate.py --devices "
        f"{' '.join(str(d) for d in results)} --batches {batches} "
        f"--past-days {past_days} --write-docs` (method in its docstring): {batches} batches per table and "
        f"batch size, one 125-sample 250 Hz ECG frame per device per batch, one statement and one commit per "
        f"batch, the two tables taking turns; {past_days} earlier days already stored (one frame per device "
        f"each). PostgreSQL {version} on this 2-core machine shared with other work (load average at the end: "
        f"{load}): compare the columns of one row, not rows of different runs.",
        "",
        "| devices per batch | table | rows/s | MB/s (frame bytes) | ms per batch p50 / p90 | rows/s vs plain | "
        "resent batch: ms p50 | retention of every row: ms (how) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for devices, by_table in results.items():
        plain_rate = None
        for name, m in by_table.items():
            total_s = sum(m.batch_s)
            rate = m.rows / total_s
            plain_rate = rate if plain_rate is None else plain_rate
            ms = np.array(m.batch_s) * 1e3
            lines.append(f"| {devices} | {name} | {rate:,.0f} | {m.frame_bytes / total_s / 1e6:.2f} | "
                         f"{np.median(ms):.1f} / {np.percentile(ms, 90):.1f} | {rate / plain_rate:.2f}x | "
                         f"{np.median(m.resent_s) * 1e3:.1f} | "
                         f"{m.purge_s * 1e3:.0f} ({m.purged_rows:,} rows, {m.purge_how}) |")
    lines += ["", NOTE]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[50, 250])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--past-days", type=int, default=30)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cardiowatch").setLevel(logging.WARNING)  # each partition made or dropped is logged
    results = {devices: measure(devices=devices, batches=args.batches, past_days=args.past_days)
               for devices in args.devices}
    section = table(results, batches=args.batches, past_days=args.past_days, version=server_version())
    logger.info("%s", section)
    if args.write_docs:
        from docs_section import write_section  # benchmarks/ is sys.path[0] when run
        write_section("raw-insert", section)


if __name__ == "__main__":
    main()
