"""Cost of the ingest core per batch: `Ingestor.ingest_many` on 50 devices x 1 ECG frame, SQLite WAL.

No pipeline (frames are stored, alerts see the data, nothing is analysed), so the figure is the cost of
authentication, decoding, storing and acknowledging::

    PYTHONPATH=src .venv/bin/python benchmarks/ingest_batch_cost.py [--rounds 200]

Prints the median and 90th percentile wall time per batch, after 20 warm-up batches. The machine's load
moves it: compare two versions in the same minute.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time

import numpy as np

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.alerts import AlertEngine
from cardiowatch.server.devices import register_device
from cardiowatch.server.ingest import IngestItem, Ingestor, PayloadKind
from cardiowatch.server.pipelines import PipelineRegistry
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

logger = logging.getLogger("ingest_batch_cost")
DEVICES = 50
WARM_UP = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/cw.db")
        migrate(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            tokens = [register_device(session=session, name=f"dev-{i}", now=0.0) for i in range(DEVICES)]
            session.commit()
        ingestor = Ingestor(session_factory=sessions, registry=PipelineRegistry(None, live_max_sample_rate_hz=125.0),
                            alerts=AlertService(AlertEngine()), max_bytes=65536, max_frames=64, summary_period_s=15.0)
        durations_s = []
        for seq in range(args.rounds):
            items = [IngestItem(frame_encode(Frame(device_id=device.id, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,
                                                   sensor=SensorKind.ECG, samples=np.arange(50) % 50)),
                                kind=PayloadKind.FRAMES, token=token, transport="benchmark")
                     for device, token in tokens]
            start = time.perf_counter()
            ingestor.ingest_many(items, now=1.7e9 + seq * 0.2)
            durations_s.append(time.perf_counter() - start)
        engine.dispose()
    ms = np.array(durations_s[WARM_UP:]) * 1e3
    logger.info("ms per batch of %d frames: median %.2f, p90 %.2f", DEVICES, np.median(ms), np.percentile(ms, 90))


if __name__ == "__main__":
    main()
