"""`cardiowatch demo` as a new user runs it, in a real process: started, Ctrl-C, started again, stopped.

Both runs must stream (beats stored for every patient within 30 s of the banner, read back through the
REST API with the API key the banner prints), no frame may be refused, and the process must end within
5 s of SIGINT (the first run) or SIGTERM (the second) with exit code 0. A busy port must fail at once
with one clear line and start nothing.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cardiowatch.dashboard.harness import free_port
from cardiowatch.demo import DEMO_PATIENTS

pytestmark = [pytest.mark.data, pytest.mark.slow]

BANNER_TIMEOUT_S = 60.0  #: start-up: imports, five records read, server and devices started
STREAMING_TIMEOUT_S = 30.0  #: the issue's target: beats stored for every patient within this
EXIT_TIMEOUT_S = 5.0  #: the issue's target: SIGINT (or SIGTERM) to process gone
_POLL_S = 0.25
_API_KEY = re.compile(r"API key \(for `cardiowatch simulate`\): (\S+)")
#: What the demo's output shows when the server refuses a frame (the runner logs "server rejected ...").
_REFUSED = re.compile(r"Replayed|rejected", re.IGNORECASE)


class DemoProcess:
    """A running `cardiowatch demo`, its output collected line by line."""

    def __init__(self, args: list[str]) -> None:
        env = dict(os.environ, COLUMNS="200")  # rich wraps at 80 columns without a terminal
        self.proc = subprocess.Popen([sys.executable, "-m", "cardiowatch.cli", "demo", *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def wait_until(self, condition: Callable[[], object], *, timeout_s: float, what: str) -> object:
        """Poll ``condition`` until it returns something truthy; fail on the deadline or if the demo exits."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            if self.proc.poll() is not None:
                pytest.fail(f"the demo exited ({self.proc.returncode}) before {what}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout_s:.0f} s:\n{self.output}")
            try:
                self.proc.wait(_POLL_S)  # a pause that ends early if the demo dies
            except subprocess.TimeoutExpired:
                pass

    def stop(self, sig: signal.Signals) -> tuple[int, float]:
        """Send ``sig``; (exit code, seconds until the process ended), or fail after the limit."""
        sent = time.monotonic()
        self.proc.send_signal(sig)
        code = self.wait_exit(EXIT_TIMEOUT_S, after=sig.name)
        return code, time.monotonic() - sent

    def wait_exit(self, timeout_s: float, *, after: str) -> int:
        """The exit code once the process ended (its output all read), or fail after ``timeout_s``."""
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the demo still runs {timeout_s:.0f} s after {after}:\n{self.output}")
        self._reader.join(timeout_s)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def running_demo(args: list[str]) -> Iterator[DemoProcess]:
    demo = DemoProcess(args)
    try:
        yield demo
    finally:
        demo.kill()  # only when a failed assertion left it running


def patients_with_beats_since(base_url: str, api_key: str, start_us: int) -> set[str]:
    """Names of the demo patients with at least one beat stored at or after ``start_us`` (Unix µs)."""
    headers = {"X-API-Key": api_key}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        devices = client.get("/api/v1/devices").raise_for_status().json()
        return {d["name"] for d in devices
                if client.get(f"/api/v1/devices/{d['id']}/beats", params={"start_us": start_us, "limit": 1})
                .raise_for_status().json()}


def run_until_streaming_then_stop(*, port: int, workdir: Path, sig: signal.Signals) -> tuple[str, int, float]:
    """One demo run: wait for beats of every patient, then send ``sig``; (output, exit code, seconds to exit)."""
    start_us = int(time.time() * 1e6)  # device clocks are Unix time: this run's beats come after this
    wanted = {p.device_name for p in DEMO_PATIENTS}
    with running_demo(["--port", str(port), "--workdir", str(workdir)]) as demo:
        match = demo.wait_until(lambda: _API_KEY.search(demo.output), timeout_s=BANNER_TIMEOUT_S,
                                what="banner with the API key")
        api_key = match.group(1)
        demo.wait_until(lambda: patients_with_beats_since(f"http://127.0.0.1:{port}", api_key, start_us) >= wanted,
                        timeout_s=STREAMING_TIMEOUT_S, what=f"beats stored for each of {sorted(wanted)}")
        code, exit_s = demo.stop(sig)
    return demo.output, code, exit_s


def test_demo_streams_twice_in_a_row_with_ctrl_c_between_and_stops_on_sigterm(mitdb, bidmc, tmp_path) -> None:
    port = free_port()
    workdir = tmp_path / "demo"

    first, first_code, first_exit_s = run_until_streaming_then_stop(port=port, workdir=workdir, sig=signal.SIGINT)
    second, second_code, second_exit_s = run_until_streaming_then_stop(port=port, workdir=workdir,
                                                                       sig=signal.SIGTERM)

    assert (first_code, second_code) == (0, 0), first + second
    assert first_exit_s < EXIT_TIMEOUT_S and second_exit_s < EXIT_TIMEOUT_S
    assert "new demo database" in first
    assert "resumed" in second
    assert not _REFUSED.search(first), first
    assert not _REFUSED.search(second), second
    assert "Traceback" not in first + second


def test_demo_on_a_busy_port_says_so_in_one_line_and_starts_nothing(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        workdir = tmp_path / "demo"
        with running_demo(["--port", str(port), "--workdir", str(workdir)]) as demo:
            code = demo.wait_exit(30, after="start")

    lines = demo.output.strip().splitlines()
    assert code != 0
    assert len(lines) == 1, demo.output
    assert re.fullmatch(rf"demo failed: port {port} is in use; try --port \d+", lines[0]), lines[0]
    assert not workdir.exists()  # nothing started: no database, no devices
