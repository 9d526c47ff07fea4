"""Cost of the longest export (`cardiowatch.server.export.MAX_EXPORT_S`): 250 Hz ECG in 50-sample frames,
one beat a second, stored in SQLite through the storage layer, read back and written as EDF+ and WFDB::

    PYTHONPATH=src .venv/bin/python benchmarks/export_cost.py [--hours 6]

Prints the wall time of reading the stretch and of writing each format, and the file sizes; with
``--memory``, the peak Python memory too (tracemalloc, which slows everything several-fold: do not read
times from that run). The machine's load moves the times: compare two versions in the same minute.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import tracemalloc

import numpy as np

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.server.devices import register_device
from cardiowatch.server.export import MAX_EXPORT_S, export_bytes, read_stretch
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

logger = logging.getLogger("export_cost")
FS = 250
N = 50
T0_US = 1_764_000_000_000_000


def _store(sessions, hours: float) -> int:
    with sessions() as session:
        device, _ = register_device(session=session, name="bench", now=0.0)
        session.commit()
    frames = int(hours * 3600 * FS / N)
    rng = np.random.default_rng(0)
    for first in range(0, frames, 2000):
        rows = []
        for seq in range(first, min(first + 2000, frames)):
            frame = Frame(device_id=device.id, seq=seq, t_us=T0_US + seq * N * 4000, fs_millihz=FS * 1000,
                          sensor=SensorKind.ECG, samples=rng.integers(1500, 2600, N).astype(np.int32),
                          scale_nv=8000)
            rows.append(crud.chunk_row(device_id=device.id, frame=frame, raw=frame_encode(frame),
                                       t_us=frame.t_us, now=0.0))
        with sessions() as session:
            crud.insert_chunks(session=session, rows=rows)
            crud.add_beats(session=session, device_id=device.id,
                           beats=[(T0_US + s * 1_000_000, "N") for s in range(first * N // FS,
                                                                               (first + len(rows)) * N // FS)])
            session.commit()
    return device.id


def _peak(measured: bool) -> str:
    return f", peak {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB" if measured else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=MAX_EXPORT_S / 3600)
    parser.add_argument("--memory", action="store_true", help="also measure peak memory (slow)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/cw.db")
        migrate(engine)
        sessions = make_session_factory(engine)
        device_id = _store(sessions, args.hours)
        end_us = T0_US + round(args.hours * 3600e6)
        with sessions() as session:
            if args.memory:
                tracemalloc.start()
            started = time.perf_counter()
            stretch = read_stretch(session=session, device_id=device_id, start_t_us=T0_US, end_t_us=end_us)
            logger.info("read %.2f h (%d samples, %d marks): %.1f s%s", args.hours, stretch.n_samples,
                        len(stretch.marks), time.perf_counter() - started, _peak(args.memory))
            for fmt in ("edf", "wfdb"):
                if args.memory:
                    tracemalloc.reset_peak()
                started = time.perf_counter()
                content, name, _ = export_bytes(stretch, fmt)
                logger.info("%s: %s, %.1f MB, %.1f s%s", fmt, name, len(content) / 1e6,
                            time.perf_counter() - started, _peak(args.memory))
            if args.memory:
                tracemalloc.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
