"""Ingest latency while an unauthenticated attacker streams oversized bodies (issue 20's target).

Target: ingest p99 latency within 20 % of its figure without the attack while an attacker sends oversized
bodies, and no frame lost. Writes the ``ingest-attack`` section of docs/benchmarks.md::

    .venv/bin/python benchmarks/ingest_under_attack.py                         # 20 devices, 60 s a phase
    .venv/bin/python benchmarks/ingest_under_attack.py --seconds 10 --no-write # a quick look

Two phases, each on a fresh server (``uvicorn --factory cardiowatch.app:create_app`` in its own process,
loopback, a free port, SQLite WAL in a temporary folder, an API key, the project's pipeline):

- **baseline**: ``--devices`` virtual ECG devices (`cardiowatch.simulate.VirtualDevice`, MIT-BIH 100 MLII
  resampled to 250 Hz, 500 ms frames of 125 samples, ``CLOCK_SYNCED`` device time = wall time, each from
  another offset) POST every frame to ``/api/v1/ingest/frames`` when its last sample is due;
- **attack**: the same, while ``--attackers`` processes each send one 60 MB JSON body after another,
  in turn to ``/login`` and to ``POST /api/v1/devices`` without the API key, with a declared
  ``Content-Length`` and chunked, 1 MiB at a time, until the server answers; then the next.

Measured per frame: ingest latency, request sent -> the server's answer (200: stored and committed);
frames due in the first ``--warmup-s`` seconds are left out of the latency figures (pipelines starting),
not out of the loss count. Loss: frames answered 200 less the frames the API counts as stored
(``GET /api/v1/devices/{id}``, ``stored_frames``), plus frames not answered 200. Generator lag (frame
due -> sent) is reported so a client starved of CPU is not mistaken for a slow server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from scipy.signal import resample_poly

from cardiowatch.protocol import SensorKind
from cardiowatch.simulate.device import VirtualDevice
from cardiowatch.simulate.source import SignalSource

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_section import write_section  # noqa: E402 - the benchmarks folder is not a package
from local_process import cpu_seconds, free_port  # benchmarks/ is sys.path[0] when run

logger = logging.getLogger("ingest_under_attack")

SECTION = "ingest-attack"
FS_HZ = 250
FRAME_SAMPLES = 125  #: 500 ms frames
SCALE_NV = 8000
API_KEY = "ingest-attack-benchmark-key-0123456789"
ATTACK_BODY_BYTES = 60 * 1024 * 1024
ATTACK_CHUNK_BYTES = 1 << 20
#: (path, chunked) pairs each attacker goes through in turn.
ATTACKS = (("/login", False), ("/login", True), ("/api/v1/devices", False), ("/api/v1/devices", True))
#: Longest an attacker waits for the server's answer to one body.
ATTACK_ANSWER_TIMEOUT_S = 30.0
TARGET_RATIO = 1.2
SERVER_START_TIMEOUT_S = 60.0


@dataclass
class PhaseResult:
    name: str
    latency_s: list[float] = field(default_factory=list)
    lag_s: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    frames_sent: int = 0
    frames_acked: int = 0
    frames_stored: int = 0
    attack_answers: Counter = field(default_factory=Counter)
    attack_bytes: int = 0
    attack_cpu_s: float = 0.0  #: CPU the attacker processes used
    server_cpu_s: float = 0.0  #: CPU the server process used while the devices ran
    load_avg: float = 0.0

    @property
    def lost(self) -> int:
        return self.frames_sent - self.frames_stored

    def pct_ms(self, q: float, values: list[float] | None = None) -> float:
        values = self.latency_s if values is None else values
        return float(np.percentile(values, q)) * 1000 if values else float("nan")


# ------------------------------------------------------------------------------------------ the server
def start_server(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDIOWATCH_MQTT")}
    env.update({"CARDIOWATCH_DATABASE_URL": f"sqlite:///{workdir / 'cw.db'}", "CARDIOWATCH_API_KEY": API_KEY,
                "CARDIOWATCH_RETENTION_DAYS": "0", "CARDIOWATCH_THINGSPEAK": "false"})
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "cardiowatch.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env=env)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


# ------------------------------------------------------------------------------------------ the devices
def ecg_source() -> SignalSource:
    """MIT-BIH 100 MLII at 250 Hz in 8 µV counts."""
    from cardiowatch.data import read_record

    record = read_record("mitdb", "100")
    x = resample_poly(record.signals[record.ecg_lead()], FS_HZ, int(record.fs))
    counts = np.clip(np.round(x * 1e6 / SCALE_NV), -32768, 32767).astype(np.int32)
    return SignalSource("mitdb/100:MLII@250", SensorKind.ECG, float(FS_HZ), counts, SCALE_NV,
                        np.zeros(len(counts), dtype=bool))


def device_frames(source: SignalSource, *, device_id: int, token: str, index: int, seconds: float,
                  t0_s: float) -> list[tuple[float, bytes]]:
    """(due wall time, frame bytes) of one device's frames over ``seconds`` from ``t0_s``."""
    offset = (index * 37 * FS_HZ) % (len(source.counts) - int((seconds + 1) * FS_HZ))
    clip = SignalSource(source.name, source.sensor, source.fs,
                        source.counts[offset:offset + int((seconds + 1) * FS_HZ)], source.scale_nv,
                        source.invalid[offset:offset + int((seconds + 1) * FS_HZ)])
    # devices' frames fall due at staggered moments, as independent devices' do
    start_s = t0_s + (index / 97.0) % 0.5
    device = VirtualDevice(device_id=device_id, token=token, source=clip, frame_samples=FRAME_SAMPLES,
                           start_t_us=int(start_s * 1e6), clock_synced=True)
    return [(start_s + f.t_end_s, f.data) for f in device.frames_until(seconds)]


async def run_device(http: httpx.AsyncClient, token: str, frames: list[tuple[float, bytes]], warmup_until_s: float,
                     result: PhaseResult) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    for due_s, data in frames:
        delay_s = due_s - time.time()
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        sent_s = time.time()
        t0 = time.perf_counter()
        try:
            answer = await http.post("/api/v1/ingest/frames", content=data, headers=headers)
            status = answer.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        latency_s = time.perf_counter() - t0
        result.frames_sent += 1
        result.statuses[status] += 1
        if status == 200:
            result.frames_acked += 1
        if due_s >= warmup_until_s:
            result.latency_s.append(latency_s)
            result.lag_s.append(max(0.0, sent_s - due_s))


# ------------------------------------------------------------------------------------------ the attacker
def _attack_head(path: str, chunked: bool) -> bytes:
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {ATTACK_BODY_BYTES}"
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{length}\r\n"
            "Connection: close\r\n\r\n").encode()


def _attack_body(chunked: bool):
    """A 60 MB JSON array of ones, 1 MiB at a time (chunk-framed when ``chunked``)."""
    piece = b"1," * (ATTACK_CHUNK_BYTES // 2)
    pieces = [b"[" + piece[1:]] + [piece] * (ATTACK_BODY_BYTES // len(piece) - 2) + [piece[:-1] + b"]"]
    for data in pieces:
        yield f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data
    if chunked:
        yield b"0\r\n\r\n"


def attack_once(port: int, path: str, chunked: bool) -> tuple[str, int]:
    """Send one oversized body until the server answers; (its status or what happened, bytes sent)."""
    sent = 0
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=ATTACK_ANSWER_TIMEOUT_S)
    except OSError as exc:
        return type(exc).__name__, 0
    with sock:
        try:
            sock.sendall(_attack_head(path, chunked))
            for data in _attack_body(chunked):
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered (or closed): stop sending, as a client reading its answer would
                sock.sendall(data)
                sent += len(data)
        except OSError:
            pass  # the server closed the connection after answering
        try:
            answer = sock.recv(4096)
        except OSError as exc:
            return type(exc).__name__, sent
    head = answer.split(b"\r\n", 1)[0].split()
    return (head[1].decode() if len(head) >= 2 else "closed"), sent


def attacker(port: int, index: int, stop: mp.Event, out: mp.Queue) -> None:
    """One attacker process: oversized bodies one after another until ``stop``."""
    answers: Counter = Counter()
    sent_bytes = 0
    cpu0_s = time.process_time()
    turn = index
    while not stop.is_set():
        path, chunked = ATTACKS[turn % len(ATTACKS)]
        turn += 1
        status, sent = attack_once(port, path, chunked)
        answers[f"{path} {'chunked' if chunked else 'declared'}: {status}"] += 1
        sent_bytes += sent
    out.put((dict(answers), sent_bytes, time.process_time() - cpu0_s))


# ------------------------------------------------------------------------------------------ one phase
async def run_phase(name: str, *, source: SignalSource, n_devices: int, seconds: float, warmup_s: float,
                    n_attackers: int, server_cpus: set[int] | None) -> PhaseResult:
    result = PhaseResult(name=name)
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_server(Path(tmp))
        if server_cpus is not None:
            os.sched_setaffinity(proc.pid, server_cpus)
        base = f"http://127.0.0.1:{port}"
        stop = mp.Event()
        out: mp.Queue = mp.Queue()
        attackers = [mp.Process(target=attacker, args=(port, i, stop, out), daemon=True) for i in range(n_attackers)]
        try:
            limits = httpx.Limits(max_connections=n_devices, max_keepalive_connections=n_devices)
            async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
                devices = [(await http.post("/api/v1/devices", json={"name": f"attack-bench-{i}"},
                                            headers={"X-API-Key": API_KEY})).json() for i in range(n_devices)]
                for process in attackers:
                    process.start()
                t0_s = time.time() + 1.0
                cpu0_s = cpu_seconds(proc.pid)
                plans = [device_frames(source, device_id=d["id"], token=d["token"], index=i,
                                       seconds=seconds, t0_s=t0_s) for i, d in enumerate(devices)]
                await asyncio.gather(*(run_device(http, d["token"], plan, t0_s + warmup_s, result)
                                       for d, plan in zip(devices, plans)))
                result.server_cpu_s = cpu_seconds(proc.pid) - cpu0_s
                stop.set()
                for _ in attackers:
                    answers, sent_bytes, cpu_s = out.get(timeout=ATTACK_ANSWER_TIMEOUT_S * 2)
                    result.attack_answers.update(answers)
                    result.attack_bytes += sent_bytes
                    result.attack_cpu_s += cpu_s
                result.load_avg = os.getloadavg()[0]
                for d in devices:
                    state = await http.get(f"/api/v1/devices/{d['id']}", headers={"X-API-Key": API_KEY})
                    result.frames_stored += state.json()["stored_frames"]
        finally:
            stop.set()
            for process in attackers:
                process.join(ATTACK_ANSWER_TIMEOUT_S)
                if process.is_alive():
                    process.kill()
            proc.terminate()
            proc.wait(timeout=30)
    logger.info("%s: %d frames, p50 %.1f ms, p99 %.1f ms, lost %d, attack %s", name, result.frames_sent,
                result.pct_ms(50), result.pct_ms(99), result.lost, dict(result.attack_answers))
    return result


# ------------------------------------------------------------------------------------------ the report
def report(base: PhaseResult, attack: PhaseResult, *, n_devices: int, seconds: float, warmup_s: float,
           n_attackers: int, command: str, pinned: str) -> str:
    ratio = attack.pct_ms(99) / base.pct_ms(99)
    met = ratio <= TARGET_RATIO and base.lost == 0 and attack.lost == 0
    rows = []
    for phase in (base, attack):
        rows.append(f"| {phase.name} | {phase.frames_sent} | {phase.frames_stored} | {phase.lost} | "
                    f"{phase.pct_ms(50):.1f} | {phase.pct_ms(99):.1f} | {max(phase.latency_s) * 1000:.1f} | "
                    f"{phase.pct_ms(99, phase.lag_s):.1f} | {100 * phase.server_cpu_s / seconds:.0f} | "
                    f"{100 * phase.attack_cpu_s / seconds:.0f} | {phase.load_avg:.1f} |")
    answers = ", ".join(f"{key} x{n}" for key, n in sorted(attack.attack_answers.items()))
    starved = ""
    if attack.pct_ms(99, attack.lag_s) > base.pct_ms(99):
        starved = (f"\nThe devices' own sends were late by up to {attack.pct_ms(99, attack.lag_s):.0f} ms (p99) under "
                   "attack: attackers, devices and server compete for the same CPUs here, so the figure holds "
                   "that contention as well as the server's own handling of the refused bodies.")
    n_bodies = sum(attack.attack_answers.values())
    return f"""## Ingest latency under an oversized-body attack (issue 20)

`{command}`

{n_devices} virtual ECG devices (MIT-BIH 100 at 250 Hz, 500 ms frames, real rate) POST their frames to a
fresh server for {seconds:.0f} s; latency is request sent -> stored-and-committed answer, frames due in
the first {warmup_s:.0f} s left out of it. In the attack phase {n_attackers} processes send 60 MB JSON bodies
without credentials, one after another, to `/login` and `POST /api/v1/devices`, declared and chunked.
Lost: frames sent less frames the API counts as stored. Lag: frame due -> sent (client side).
Server CPU and attacker CPU: % of one core over the run (user and system time of the server process
and of the attacker processes). Load: the machine's 1-minute load average at the
end (it has {os.cpu_count()} cores, shared with other work). {pinned}

| phase | frames sent | stored | lost | p50 ms | p99 ms | max ms | lag p99 ms | server CPU % | attacker CPU % | load |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

p99 under attack / p99 without: **{ratio:.2f}** (target <= {TARGET_RATIO:.2f}, and 0 lost):
**{"met" if met else "missed"}**.
Attack: {n_bodies} bodies answered ({n_bodies / seconds:.1f} a second), {attack.attack_bytes / 1e6:.1f} MB
sent in all before the server's answer stopped them; answers: {answers}.{starved}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup-s", type=float, default=5.0)
    parser.add_argument("--attackers", type=int, default=3)
    parser.add_argument("--pin", action="store_true",
                        help="run the server on CPU 0 and this process and the attackers on the others")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args()
    if not 1 <= args.attackers <= 8 or not 1 <= args.devices <= 200 or not 1 <= args.seconds <= 600:
        parser.error("expected 1-8 attackers, 1-200 devices and 1-600 s")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server_cpus = None
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            parser.error("--pin needs two CPUs")
        server_cpus = {cpus[0]}
        os.sched_setaffinity(0, set(cpus[1:]))  # the attacker processes inherit it
    source = ecg_source()
    common = {"source": source, "n_devices": args.devices, "seconds": args.seconds, "warmup_s": args.warmup_s,
              "server_cpus": server_cpus}
    base = asyncio.run(run_phase("baseline", n_attackers=0, **common))
    attack = asyncio.run(run_phase("attack", n_attackers=args.attackers, **common))
    command = ("PYTHONPATH=src CARDIOWATCH_DATA=../shared/physionet .venv/bin/python "
               f"benchmarks/ingest_under_attack.py --devices {args.devices} --seconds {args.seconds:g} "
               f"--attackers {args.attackers}{' --pin' if args.pin else ''}")
    pinned = ("The server was pinned to one CPU, the devices and attackers to the other(s)."
              if args.pin else "Server, devices and attackers shared the machine's CPUs.")
    text = report(base, attack, n_devices=args.devices, seconds=args.seconds, warmup_s=args.warmup_s,
                  n_attackers=args.attackers, command=command, pinned=pinned)
    if args.no_write:
        sys.stdout.write(text)
    else:
        write_section(SECTION, text)
        logger.info("wrote the %s section of docs/benchmarks.md", SECTION)


if __name__ == "__main__":
    main()
