"""Server load: N simulated ECG devices at 250 Hz through MQTT (loopback Mosquitto): latency and loss.

Writes the section between ``<!-- server:begin -->`` and ``<!-- server:end -->`` of docs/benchmarks.md::

    .venv/bin/python benchmarks/server_load.py                       # 100 devices, then ramp to the knee
    .venv/bin/python benchmarks/server_load.py --devices 50 --no-ramp --no-write   # a quick look

Each step starts a fresh server (``uvicorn``, its own process, SQLite WAL in a temporary folder, the
project's pipeline), registers the devices, and runs them for ``--seconds``. Every device replays MIT-BIH
record 100 (MLII, resampled to 250 Hz, 8 µV/count, each device from another offset) in frames of 50
samples (200 ms, protocol.md's recommendation) or 125 (500 ms), ``CLOCK_SYNCED`` device time = wall time,
over 4 MQTT connections, QoS 1. Measured:

- **sample-to-ack**: last sample of a frame taken -> the server's store acknowledgement arrives on
  ``<prefix>/<id>/ack`` (so the frame is committed);
- **sample-to-alert**: each device's lead comes off (``LEAD_OFF`` frames) at a staggered time; first
  lead-off sample -> the ``lead_off`` alert on the live feed (``/ws/live?types=alert``), less the alert's
  designed 5 s hysteresis (``AlertConfig.timing``);
- **sample-to-beat**: a beat's sample taken -> the beat on the live feed (``/ws/live?types=beats``, the
  first `BEAT_WATCHED` devices only, so watching costs the server little): the pipeline's look-ahead plus
  the wait for the analysis chunk, the delay that rhythm alerts (VT, AF) add to their own hysteresis. The
  lead-off alert above comes from the frame's flag, analysed or not;
- **loss**: frames published but not stored once the run has drained (checked in the database);
- server CPU, % of one core (``/proc/<pid>/stat``).

A step "holds" when p99 sample-to-ack and p99 sample-to-alert are <= 2 s and nothing is lost.

``--analysis-chunk-s 0 1.0`` runs each step once per value of the server's ``analysis_chunk_s`` (seconds of a
device's samples per pipeline call; 0: every frame), side by side in one run::

    nice -n 10 .venv/bin/python benchmarks/server_load.py --frame-samples 125 50 --analysis-chunk-s 0 1.0 \
        --seconds 30 --devices 50 --ramp 100 200 300 400 --no-write

``--modes single cluster-1 cluster-2`` runs each step also through the cluster (docs/deployment.md §3):
RabbitMQ (its MQTT plugin on 127.0.0.1:1884, a fresh virtual host per step), 1 or 2 `cardiowatch worker`
processes and one API node (`cardiowatch serve --cluster`), PostgreSQL (a fresh schema per step). The
workers acknowledge over MQTT after their commit, as the single process does, so a cluster step is judged
alike; its CPU is the workers' and the API node's together (RabbitMQ's own is reported beside it). Those
rows go to the ``server-cluster`` section::

    .venv/bin/python benchmarks/server_load.py --modes single cluster-1 cluster-2 --frame-samples 125 \
        --devices 100 --ramp 200 400 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import httpx
import numpy as np
import websockets
from scipy.signal import resample_poly

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.alerts import AlertConfig, AlertKind
from cardiowatch.server.config import Settings
from local_process import cpu_seconds, free_port  # benchmarks/ is sys.path[0] when run

logger = logging.getLogger("server_load")

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- server:begin -->", "<!-- server:end -->"
FS_MILLIHZ = 250_000
FRAME_SAMPLES = (50, 125)  #: 200 ms frames (protocol.md's recommendation), and 500 ms frames
SCALE_NV = 8000
TARGET_S = 2.0
MQTT = ("127.0.0.1", 1883)
CLUSTER_MQTT = ("127.0.0.1", 1884)  #: RabbitMQ's MQTT plugin (Mosquitto has 1883)
POSTGRES_URL = os.environ.get("CARDIOWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GENERATOR_CONNECTIONS = 4
BEAT_WATCHED = 4  #: devices whose beats the benchmark watches on the live feed
LEAD_OFF_HYSTERESIS_S = AlertConfig().timing[AlertKind.LEAD_OFF].raise_after_s


@dataclass
class StepResult:
    devices: int
    frame_samples: int
    mode: str = "single"  #: ``single`` (one serve process) or ``cluster-<workers>``
    analysis_chunk_s: float = Settings.model_fields["analysis_chunk_s"].default
    frames_sent: int = 0
    frames_stored: int = 0
    ack_latency_s: list[float] = field(default_factory=list)
    alert_latency_s: list[float] = field(default_factory=list)
    alerts_expected: int = 0
    beat_latency_s: list[float] = field(default_factory=list)  #: beat sample taken -> on the live feed
    cpu_pct: float = 0.0
    beats_stored: int = 0
    cpu_ms_per_device_s: float = float("nan")  #: server CPU per second of one device's signal stored
    load_avg: float = 0.0  #: 1-minute load average of the machine at the end of the step (others' work too)
    server_latency_s: list[float] = field(default_factory=list)  #: published -> acked
    generator_lag_s: list[float] = field(default_factory=list)  #: last sample due -> published
    broker_cpu_ms_per_device_s: float = float("nan")  #: RabbitMQ's CPU (cluster steps)

    def pct(self, values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    @property
    def lost(self) -> int:
        return self.frames_sent - self.frames_stored

    @property
    def holds(self) -> bool:
        return (self.lost == 0 and len(self.alert_latency_s) == self.alerts_expected
                and self.pct(self.ack_latency_s, 99) <= TARGET_S and self.pct(self.alert_latency_s, 99) <= TARGET_S)


def ecg_counts() -> np.ndarray:
    """MIT-BIH 100 MLII at 250 Hz in 8 µV counts (int16)."""
    from cardiowatch.data import read_record

    record = read_record("mitdb", "100")
    x = record.signals[record.ecg_lead()]
    up, down = FS_MILLIHZ // 1000, int(record.fs)
    y = resample_poly(x, up, down)
    return np.clip(np.round(y * 1e6 / SCALE_NV), -32768, 32767).astype(np.int64)


def start_server(workdir: Path, prefix: str, analysis_chunk_s: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CARDIOWATCH_DATABASE_URL": f"sqlite:///{workdir / 'load.db'}",
           "CARDIOWATCH_MQTT_HOST": MQTT[0], "CARDIOWATCH_MQTT_PORT": str(MQTT[1]),
           "CARDIOWATCH_MQTT_TOPIC_PREFIX": prefix, "CARDIOWATCH_RETENTION_DAYS": "0",
           "CARDIOWATCH_ANALYSIS_CHUNK_S": str(analysis_chunk_s)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "cardiowatch.app:create_app",
                             "--http", "cardiowatch.server.http_protocol:BoundedHeadProtocol",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            stats = httpx.get(f"{base}/api/v1/stats", timeout=1).json()
            if stats["mqtt"] and stats["mqtt"]["connected"]:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


@contextlib.contextmanager
def start_cluster(workers: int, prefix: str, analysis_chunk_s: float):  # noqa: ANN201 - (base URL, pids, login)
    """A cluster on a fresh RabbitMQ virtual host and PostgreSQL schema; removed afterwards."""
    from cardiowatch.server.cluster_run import ClusterProcesses
    from cardiowatch.server.storage.db import drop_schema

    vhost, schema = f"cwload-{uuid.uuid4().hex[:8]}", f"cwload_{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {"CARDIOWATCH_DATABASE_SCHEMA": schema, "CARDIOWATCH_MQTT_TOPIC_PREFIX": prefix,
           "CARDIOWATCH_RETENTION_DAYS": "0", "CARDIOWATCH_ANALYSIS_CHUNK_S": str(analysis_chunk_s)}
    try:
        with ClusterProcesses(database_url=POSTGRES_URL, amqp_url=amqp_url, workers=workers, port=free_port(),
                              env=env, logs=Path(tempfile.mkdtemp(prefix="cwload-logs-"))) as cluster:
            time.sleep(5.0)  # the workers subscribe once their pipelines' models are loaded
            yield cluster.base_url, [cluster.api.pid, *(w.pid for w in cluster.workers)], (f"{vhost}:guest", "guest")
    finally:
        drop_schema(POSTGRES_URL, schema)
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


def broker_pid() -> int | None:
    """RabbitMQ's Erlang VM, whose CPU a cluster step reports beside the cluster's own."""
    found = subprocess.run(["pgrep", "-f", "beam.smp.*rabbit"], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


async def run_step(n_devices: int, seconds: float, counts: np.ndarray, frame_samples: int,
                   mode: str = "single", analysis_chunk_s: float = StepResult.analysis_chunk_s) -> StepResult:
    prefix = f"cwload/{uuid.uuid4().hex[:8]}"
    result = StepResult(devices=n_devices, frame_samples=frame_samples, mode=mode, analysis_chunk_s=analysis_chunk_s)
    with contextlib.ExitStack() as stack:
        if mode == "single":
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            proc, base = start_server(tmp, prefix, analysis_chunk_s)
            stack.callback(lambda: (proc.terminate(), proc.wait(timeout=30)))
            pids, mqtt, login = [proc.pid], MQTT, None
        else:
            base, pids, login = stack.enter_context(start_cluster(int(mode.split("-")[1]), prefix, analysis_chunk_s))
            mqtt = CLUSTER_MQTT
        broker = broker_pid() if mode != "single" else None
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            devices = [(await http.post("/api/v1/devices", json={"name": f"load-{i}"})).json()
                       for i in range(n_devices)]
        cpu0 = sum(cpu_seconds(pid) for pid in pids)
        broker0 = cpu_seconds(broker) if broker else 0.0
        await _load(devices, seconds, counts, prefix, base, result, pids, frame_samples, mqtt=mqtt, login=login)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            if mode != "single":
                await _drained(http, devices)
            for d in devices:
                result.frames_stored += (await http.get(f"/api/v1/devices/{d['id']}")).json()["stored_frames"]
                beats = await http.get(f"/api/v1/devices/{d['id']}/beats", params={"limit": 10000})
                result.beats_stored += len(beats.json())
        # all the work the server did for the frames it stored (backlog included), per device-second
        signal_s = result.frames_stored * frame_samples * 1000 / FS_MILLIHZ
        if signal_s:
            result.cpu_ms_per_device_s = (sum(cpu_seconds(pid) for pid in pids) - cpu0) * 1000 / signal_s
            if broker:
                result.broker_cpu_ms_per_device_s = (cpu_seconds(broker) - broker0) * 1000 / signal_s
    return result


async def _drained(http: httpx.AsyncClient, devices: list[dict], timeout_s: float = 30.0) -> None:
    """Until the workers have stored what the broker holds (the stored count stops growing)."""
    last, deadline = -1, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        total = 0
        for d in devices:
            total += (await http.get(f"/api/v1/devices/{d['id']}")).json()["stored_frames"]
        if total == last:
            return
        last = total
        await asyncio.sleep(2.0)


async def _load(devices: list[dict], seconds: float, counts: np.ndarray, prefix: str, base: str,
                result: StepResult, pids: list[int], frame_samples: int, *, mqtt: tuple[str, int] = MQTT,
                login: tuple[str, str] | None = None) -> None:
    credentials = {} if login is None else {"username": login[0], "password": login[1]}
    frame_s = frame_samples * 1000 / FS_MILLIHZ
    sent: dict[tuple[int, int], float] = {}
    published: dict[tuple[int, int], float] = {}
    acked: dict[tuple[int, int], float] = {}
    t_start = time.time() + 2.0
    leadoff_at = {d["id"]: t_start + 5.0 + 5.0 * i / len(devices) for i, d in enumerate(devices)}
    first_leadoff_sample: dict[int, float] = {}
    alert_at: dict[int, float] = {}
    stop = asyncio.Event()

    async def acks() -> None:
        async with aiomqtt.Client(*mqtt, identifier=f"load-acks-{uuid.uuid4().hex[:6]}", **credentials) as client:
            await client.subscribe(f"{prefix}/+/ack", qos=0)
            ready.set()
            async for message in client.messages:
                now = time.time()
                device_id = int(message.topic.value.split("/")[-2])
                body = json.loads(message.payload)
                for seq in body["stored"] + body["duplicate"]:
                    acked.setdefault((device_id, seq), now)
                if len(acked) >= len(sent) and stop.is_set():
                    return

    async def alerts() -> None:
        url = base.replace("http://", "ws://") + "/ws/live?types=alert"
        async with websockets.connect(url, max_size=None) as ws:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("action") == "raised" and message["alert"]["kind"] == "lead_off":
                    alert_at.setdefault(int(message["alert"]["device_id"]), time.time())

    async def beats(device_id: int) -> None:
        url = base.replace("http://", "ws://") + f"/ws/live?device_id={device_id}&types=beats"
        async with websockets.connect(url, max_size=None) as ws:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                result.beat_latency_s += [now - b["t_us"] / 1e6 for b in message.get("beats", [])]

    async def device(d: dict, index: int, client: aiomqtt.Client) -> None:
        offset = (index * 7919 * frame_samples) % (len(counts) - frame_samples * 1000)
        seq = 0
        while True:
            first = t_start + seq * frame_s
            last_sample = first + frame_s - 1.0 / (FS_MILLIHZ / 1000)
            if first + frame_s > t_start + seconds:
                return
            await asyncio.sleep(max(0.0, first + frame_s - time.time()))
            lead_off = first >= leadoff_at[d["id"]]
            if lead_off:
                first_leadoff_sample.setdefault(d["id"], first)
            chunk = counts[offset + seq * frame_samples: offset + (seq + 1) * frame_samples]
            flags = FrameFlags.CLOCK_SYNCED | (FrameFlags.LEAD_OFF if lead_off else FrameFlags.NONE)
            frame = Frame(device_id=d["id"], seq=seq, t_us=int(first * 1e6), fs_millihz=FS_MILLIHZ,
                          sensor=SensorKind.ECG, samples=chunk, flags=flags, scale_nv=SCALE_NV)
            sent[(d["id"], seq)] = last_sample
            published[(d["id"], seq)] = time.time()
            # the loopback broker is open (CARDIOWATCH_MQTT_ACCOUNTS=none): the topic names the device
            await client.publish(f"{prefix}/{d['id']}/frames", frame_encode(frame), qos=1)
            seq += 1

    ready = asyncio.Event()
    ack_task = asyncio.create_task(acks())
    alert_task = asyncio.create_task(alerts())
    beat_tasks = [asyncio.create_task(beats(d["id"])) for d in devices[:BEAT_WATCHED]]
    await ready.wait()
    cpu0, wall0 = sum(cpu_seconds(pid) for pid in pids), time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        # a few connections carry all devices' topics: the generator shares 2 cores with the server, and
        # one MQTT client per device would measure the generator, not the server
        clients = [await stack.enter_async_context(aiomqtt.Client(
            *mqtt, identifier=f"load-gen-{k}-{uuid.uuid4().hex[:6]}", max_inflight_messages=1000, **credentials))
            for k in range(min(GENERATOR_CONNECTIONS, len(devices)))]
        for c in clients:
            c.pending_calls_threshold = 100_000
        await asyncio.gather(*(device(d, i, clients[i % len(clients)]) for i, d in enumerate(devices)))
    result.cpu_pct = 100.0 * (sum(cpu_seconds(pid) for pid in pids) - cpu0) / (time.monotonic() - wall0)
    result.load_avg = os.getloadavg()[0]
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(ack_task), timeout=15.0)
    except TimeoutError:
        ack_task.cancel()
    await asyncio.sleep(LEAD_OFF_HYSTERESIS_S)  # let the last alerts out
    alert_task.cancel()
    for task in beat_tasks:
        task.cancel()
    result.frames_sent = len(sent)
    result.ack_latency_s = [acked[k] - sent[k] for k in sent if k in acked]
    result.server_latency_s = [acked[k] - published[k] for k in sent if k in acked]
    result.generator_lag_s = [published[k] - sent[k] for k in sent]
    result.alerts_expected = len(first_leadoff_sample)
    result.alert_latency_s = [alert_at[d] - first_leadoff_sample[d] - LEAD_OFF_HYSTERESIS_S
                              for d in first_leadoff_sample if d in alert_at]


def render(results: list[StepResult], seconds: float, knees: list[str]) -> str:
    rows = ["| frame samples | analysis chunk s | devices | samples/s | frames sent | lost | sample-to-ack p50 / p99 s | publish-to-ack p50 / p99 s | "
            "generator lag p99 s | "
            "sample-to-alert p50 / p99 s (alerts) | sample-to-beat p50 / p99 s | server CPU % of a core | server CPU ms per device-second | "
            "machine load avg | beats stored | holds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.frame_samples} | {r.analysis_chunk_s:g} | {r.devices} | {r.devices * FS_MILLIHZ // 1000} | {r.frames_sent} | {r.lost} | "
                    f"{r.pct(r.ack_latency_s, 50):.3f} / {r.pct(r.ack_latency_s, 99):.3f} | "
                    f"{r.pct(r.server_latency_s, 50):.3f} / {r.pct(r.server_latency_s, 99):.3f} | "
                    f"{r.pct(r.generator_lag_s, 99):.3f} | "
                    f"{r.pct(r.alert_latency_s, 50):.3f} / {r.pct(r.alert_latency_s, 99):.3f} "
                    f"({len(r.alert_latency_s)}/{r.alerts_expected}) | "
                    f"{r.pct(r.beat_latency_s, 50):.3f} / {r.pct(r.beat_latency_s, 99):.3f} | "
                    f"{r.cpu_pct:.0f} | {r.cpu_ms_per_device_s:.2f} | "
                    f"{r.load_avg:.1f} | {r.beats_stored} | "
                    f"{'yes' if r.holds else '**no**'} |")
    return "\n".join([
        BEGIN, "## Server", "",
        f"Produced by `.venv/bin/python benchmarks/server_load.py {' '.join(sys.argv[1:])}` (writes this section; "
        f"method in its docstring). One machine, 2 cores shared by the server, Mosquitto and the load generator; "
        f"{seconds:.0f} s per step, fresh server and SQLite (WAL) database per step, 250 Hz ECG over MQTT QoS 1 "
        f"in 50-sample (200 ms) and 125-sample (500 ms) frames. Target: p99 sample-to-alert <= {TARGET_S:.0f} s and no loss at 100 devices.",
        "Sample-to-alert is the lead-off alert's, which comes from the frame's flag (not from the analysis), "
        f"less its designed {LEAD_OFF_HYSTERESIS_S:.0f} s hysteresis; \"holds\" is judged on it and on sample-to-ack. "
        "Alerts from the analysis (VT, AF, pauses) wait for their beats: \"sample-to-beat\", whose p99 is above "
        f"{TARGET_S:.0f} s in every step (the pipeline's look-ahead is part of it). \"beats stored\" shows whether the analysis ran "
        "(0: the pipeline's models were not in the checkout, so frames were stored and alerted on but "
        "not analysed). \"machine load avg\" is the 1-minute load average (2 cores) at the end of the "
        "step: other work on the machine competes with the server. \"generator lag\" is how late the load "
        "generator itself published (a real device sends on time): sample-to-ack = generator lag + "
        "publish-to-ack. \"server CPU ms per device-second\" is all the CPU the server spent (storage, "
        "analysis, alerts, MQTT, backlog included) per second of one device's signal it stored: it does not "
        "depend on how much CPU the other work left, so it is the figure to size a machine by. \"analysis chunk "
        "s\" is the server's `analysis_chunk_s`: seconds of a device's samples analysed per pipeline call (0: "
        "each frame on arrival); beats and rhythm alerts come up to that much later.", "", *rows, "", *(f"Knee, {k}" for k in knees), END])


def render_cluster(results: list[StepResult], seconds: float, knees: list[str]) -> str:
    """The ``server-cluster`` section: every mode's rows side by side, from one run."""
    rows = ["| mode | frame samples | analysis chunk s | devices | frames sent | lost | sample-to-ack p50 / p99 s | "
            "sample-to-alert p50 / p99 s (alerts) | "
            "CPU % of a core | CPU ms per device-second | RabbitMQ CPU ms per device-second | machine load avg | "
            "beats stored | holds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r.frame_samples, r.analysis_chunk_s, r.devices, r.mode)):
        rows.append(f"| {r.mode} | {r.frame_samples} | {r.analysis_chunk_s:g} | {r.devices} | {r.frames_sent} | {r.lost} | "
                    f"{r.pct(r.ack_latency_s, 50):.3f} / {r.pct(r.ack_latency_s, 99):.3f} | "
                    f"{r.pct(r.alert_latency_s, 50):.3f} / {r.pct(r.alert_latency_s, 99):.3f} "
                    f"({len(r.alert_latency_s)}/{r.alerts_expected}) | {r.cpu_pct:.0f} | {r.cpu_ms_per_device_s:.1f} | "
                    f"{r.broker_cpu_ms_per_device_s:.1f} | {r.load_avg:.1f} | {r.beats_stored} | "
                    f"{'yes' if r.holds else '**no**'} |")
    return "\n".join([
        "## Server: single process beside the cluster", "",
        f"Produced by `.venv/bin/python benchmarks/server_load.py {' '.join(sys.argv[1:])}` "
        f"(method in its docstring). {seconds:.0f} s per step, "
        "250 Hz ECG over MQTT QoS 1. `single`: one `cardiowatch serve` (SQLite), devices on Mosquitto, CPU of that "
        "process. `cluster-N`: devices on RabbitMQ's MQTT plugin, N workers and one API node on PostgreSQL, CPU "
        "of those processes together (RabbitMQ's beside it). A step holds when nothing is lost and p99 "
        "sample-to-ack (the store acknowledgement over MQTT) and p99 sample-to-alert are <= 2 s. Everything "
        "shares one 2-core machine with other work.", "", *rows, "",
        *(f"Knee, {k}" for k in knees)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ramp", type=int, nargs="*", default=[200, 300, 400, 600, 800],
                        help="device counts tried after --devices, until a step does not hold")
    parser.add_argument("--no-ramp", action="store_true")
    parser.add_argument("--frame-samples", type=int, nargs="+", default=list(FRAME_SAMPLES),
                        help="samples per frame (each size gets its own ramp)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--modes", nargs="+", default=["single"], choices=["single", "cluster-1", "cluster-2"],
                        help="single process and/or the cluster with 1 or 2 workers (each gets its own ramp)")
    parser.add_argument("--analysis-chunk-s", type=float, nargs="+", default=[StepResult.analysis_chunk_s],
                        help="the server's analysis_chunk_s, one ramp per value (0: analyse every frame)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    counts = ecg_counts()
    results: list[StepResult] = []
    knees = []
    for frame_samples, chunk_s, mode in [(f, c, m) for f in args.frame_samples for c in args.analysis_chunk_s
                                         for m in args.modes]:
        mine: list[StepResult] = []

        def step(n: int) -> StepResult:
            result = asyncio.run(run_step(n, args.seconds, counts, frame_samples, mode, chunk_s))
            mine.append(result)
            logger.info("%s, %d-sample frames, analysis chunk %g s, %d devices: lost %d, ack p99 %.3f s, alert p99 %.3f s, cpu %.0f %% "
                        "(%.2f ms per device-second), beat p50/p99 %.2f/%.2f s, load %.1f, holds %s", mode, frame_samples, chunk_s, n,
                        result.lost, result.pct(result.ack_latency_s, 99), result.pct(result.alert_latency_s, 99),
                        result.cpu_pct, result.cpu_ms_per_device_s, result.pct(result.beat_latency_s, 50),
                        result.pct(result.beat_latency_s, 99), result.load_avg, result.holds)
            return result

        # up from --devices while it holds; down (halving) while it does not, to bracket the knee
        if step(args.devices).holds:
            for n in ([] if args.no_ramp else args.ramp):
                if not step(n).holds:
                    break
        elif not args.no_ramp:
            n = args.devices // 2
            while n >= 10 and not step(n).holds:
                n //= 2
        held = [r.devices for r in mine if r.holds]
        broke = [r.devices for r in mine if not r.holds]
        knees.append(f"{mode}, {frame_samples}-sample frames, analysis chunk {chunk_s:g} s: " + (
            f"holds up to {max(held)} devices" if held else f"does not hold down to {min(broke)} devices") + (
            f", breaks at {min(d for d in broke if not held or d > max(held))}." if broke else
            f"; not broken up to {max(held)} (end of the ramp)."))
        results += sorted(mine, key=lambda r: r.devices)
    single = [r for r in results if r.mode == "single"]
    sections = {}
    if args.modes == ["single"]:
        sections["server"] = render(single, args.seconds, knees)
    else:
        sections["server-cluster"] = render_cluster(results, args.seconds, knees)
    for text in sections.values():
        print(text)
    if not args.no_write:
        from docs_section import write_section  # benchmarks/ is sys.path[0] when run
        for name, text in sections.items():
            write_section(name, text)


if __name__ == "__main__":
    main()
