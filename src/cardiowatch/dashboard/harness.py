"""A real server on a loopback port plus devices that stream to it: for the browser tests and benchmark.

`LiveServer` runs the real app (`cardiowatch.server.app.create_app` with the dashboard installed) under
uvicorn in a thread, on SQLite in a folder the caller owns. `StreamingDevice` is a simulator device
(`cardiowatch.simulate`) streaming a synthetic ECG or PPG to the real HTTP ingest at the device's own pace,
in a thread; it can also send status reports (battery, RSSI, lead-off).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cardiowatch.protocol import SensorKind, Status, status_encode
from cardiowatch.simulate.device import DEFAULT_FRAME_SAMPLES, VirtualDevice
from cardiowatch.simulate.source import ECG_SCALE_NV, PPG_ANALOG_FULL_SCALE, SignalSource
from cardiowatch.simulate.transports import HttpTransport, TransportError

logger = logging.getLogger(__name__)

#: Samples per frame (200 ms at 250 Hz), as the simulator and docs/protocol.md use.
FRAME_SAMPLES = DEFAULT_FRAME_SAMPLES
#: Seconds of synthetic signal a streaming device makes, then replays (device time runs on).
LOOP_S = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def synthetic_ecg(*, fs: float, seconds: float, hr_bpm: float = 72.0, seed: int = 0) -> np.ndarray:
    """A clean single-lead ECG in mV: Gaussian P, Q, R, S, T waves, slight RR variability, no noise.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    seconds : float
        Length.
    hr_bpm : float
        Mean heart rate.
    seed : int
        Seed of the RR variability.

    References
    ----------
    .. [1] P. E. McSharry et al., "A dynamical model for generating synthetic electrocardiogram signals",
       IEEE Trans. Biomed. Eng. 50(3), 2003 (the sum-of-Gaussians wave shapes used here).
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fs))
    t = np.arange(n) / fs
    x = np.zeros(n)
    # (offset from R in s, amplitude in mV, width in s)
    waves = ((-0.20, 0.12, 0.025), (-0.035, -0.12, 0.008), (0.0, 1.3, 0.010), (0.035, -0.28, 0.010),
             (0.26, 0.32, 0.045))
    beat = 0.3
    while beat < seconds + 0.5:
        for offset, amplitude, width in waves:
            x += amplitude * np.exp(-0.5 * ((t - beat - offset) / width) ** 2)
        beat += 60.0 / hr_bpm * (1.0 + 0.03 * rng.standard_normal())
    return x


def synthetic_ppg(*, fs: float, seconds: float, hr_bpm: float = 72.0, seed: int = 0) -> np.ndarray:
    """A clean finger PPG in arbitrary units (0..1): a systolic wave and a smaller diastolic one per beat.

    Parameters are those of `synthetic_ecg`; the pulse follows each beat by about 0.15 s.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fs))
    t = np.arange(n) / fs
    x = np.zeros(n)
    beat = 0.3
    while beat < seconds + 1.0:
        x += 0.8 * np.exp(-0.5 * ((t - beat - 0.15) / 0.07) ** 2)
        x += 0.25 * np.exp(-0.5 * ((t - beat - 0.42) / 0.09) ** 2)
        beat += 60.0 / hr_bpm * (1.0 + 0.03 * rng.standard_normal())
    return 0.1 + x


@dataclass
class LiveServer:
    """The real cardiowatch server with the dashboard, under uvicorn on 127.0.0.1 in a thread.

    Parameters
    ----------
    folder : Path
        Where the SQLite database goes.
    api_key : str
        The server's API key (the browser never sees it; the dashboard guard adds it for logged-in users).
    users : dict
        ``name -> (password, role)`` created before start.
    settings : dict
        More `cardiowatch.server.config.Settings` fields.
    analysis : bool
        Run the project's analysis pipeline on the frames (as the server does by default); without it
        frames are stored and the live waveform, status and alerts still flow.
    """

    folder: Path
    api_key: str = "test-api-key-0123456789abcdef"
    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    analysis: bool = True

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{Path(self.folder) / 'cardiowatch.db'}"
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> "LiveServer":
        import uvicorn

        from cardiowatch.dashboard import install_dashboard
        from cardiowatch.server.app import create_app
        from cardiowatch.server.config import Settings

        settings = Settings(database_url=self.database_url, api_key=self.api_key, **self.settings)

        def dashboard(app: object, settings: Settings) -> None:
            install_dashboard(app, secure_cookies=settings.secure_cookies)

        # Without analysis the server stores frames unanalysed, as it does when a model file is missing.
        kwargs = {} if self.analysis else {"pipeline_factory": None}
        self.app = create_app(settings, extensions=(dashboard,), **kwargs)
        # log_config and log_level None: uvicorn leaves the process's logging alone (its loggers follow the
        # root's level), so a harness started in a test does not silence other tests' log captures
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, log_level=None,
                                ws_ping_interval=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        store = self.app.state.dashboard_get_auth().store
        for name, (password, role) in self.users.items():
            store.add_user(name, password, role)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)

    def register_device(self, name: str) -> tuple[int, str]:
        """Register a device with the server's API key; returns ``(device_id, token)``."""
        import httpx

        response = httpx.post(f"{self.url}/api/v1/devices", json={"name": name},
                              headers={"X-API-Key": self.api_key}, timeout=10)
        response.raise_for_status()
        body = response.json()
        return int(body["id"]), str(body["token"])


class StreamingDevice:
    """A virtual sensor streaming a synthetic ECG or PPG to the server's HTTP ingest in real time.

    Built on the simulator: a `cardiowatch.simulate.device.VirtualDevice` frames the signal (Unix-synced
    device time, looped every `LOOP_S`) and keeps what is not acknowledged, and an
    `cardiowatch.simulate.transports.HttpTransport` carries it, so frames lost to an error are resent.

    Parameters
    ----------
    server_url : str
        Base URL of the server.
    device_id, token : int, str
        From registration.
    fs : float
        Sampling rate the device claims in its frames (Hz).
    hr_bpm : float
        Heart rate of the synthetic signal.
    frames_per_post : int
        Frames batched in one HTTP request.
    seed : int
        Seed of the synthetic signal's beat-to-beat variability.
    sensor : SensorKind
        ``ECG`` or ``PPG_ANALOG``.

    Setting ``lead_off`` makes the following frames flat with the ``LEAD_OFF`` flag, until it is cleared.
    """

    def __init__(self, server_url: str, device_id: int, token: str, *, fs: float, hr_bpm: float = 72.0,
                 frames_per_post: int = 2, seed: int = 0, sensor: SensorKind = SensorKind.ECG) -> None:
        self.server_url = server_url
        self.device_id = device_id
        self.token = token
        self.fs = fs
        self.hr_bpm = hr_bpm
        self.frames_per_post = frames_per_post
        self.seed = seed
        self.sensor = SensorKind(sensor)
        self.lead_off = False
        self.frames_sent = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "StreamingDevice":
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name=f"device-{self.device_id}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def send_status(self, **fields: object) -> None:
        """Post one status report (e.g. ``battery_pct=80, rssi_dbm=-60, fw="1.2.0", lead_off=False``)."""
        import httpx

        body = status_encode(Status(device_id=self.device_id, **fields))
        response = httpx.post(f"{self.server_url}/api/v1/ingest/status", content=body, timeout=10,
                              headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        response.raise_for_status()

    def _sources(self) -> tuple[SignalSource, SignalSource]:
        """The signal the electrodes (or the finger) give, and what they give while off: the same length."""
        if self.sensor is SensorKind.ECG:
            ecg = synthetic_ecg(fs=self.fs, seconds=LOOP_S, hr_bpm=self.hr_bpm, seed=self.seed)
            counts, scale_nv = np.round(ecg * 1e6 / ECG_SCALE_NV), ECG_SCALE_NV
        elif self.sensor is SensorKind.PPG_ANALOG:
            ppg = synthetic_ppg(fs=self.fs, seconds=LOOP_S, hr_bpm=self.hr_bpm, seed=self.seed)
            counts, scale_nv = np.round(ppg * PPG_ANALOG_FULL_SCALE).clip(0, PPG_ANALOG_FULL_SCALE), 0
        else:
            raise ValueError(f"StreamingDevice makes ECG or PPG_ANALOG frames, not {self.sensor.name}")
        on = SignalSource(f"synthetic {self.sensor.name}", self.sensor, self.fs, counts.astype(np.int32), scale_nv,
                          invalid=np.zeros(len(counts), dtype=bool))
        return on, dataclasses.replace(on, name=f"{on.name}, lead off", invalid=np.ones(len(counts), dtype=bool))

    async def _run(self) -> None:
        on, off = self._sources()
        device = VirtualDevice(self.device_id, self.token, on, frame_samples=FRAME_SAMPLES,
                               start_t_us=int(time.time() * 1e6), clock_synced=True)
        transport = HttpTransport(self.server_url, self.token)
        await transport.connect()
        start_s = time.monotonic()
        period_s = FRAME_SAMPLES * self.frames_per_post / self.fs
        try:
            while not self._stop.is_set():
                device.source = off if self.lead_off else on
                device.frames_until(time.monotonic() - start_s)
                if device.finished_framing:
                    device.restart_source()
                if len(device.pending) < self.frames_per_post:
                    await asyncio.sleep(period_s / 4)
                    continue
                batch = device.to_send(limit=self.frames_per_post)
                try:
                    ack = await transport.send_frames([frame.data for frame in batch])
                except TransportError as exc:
                    self.errors += 1
                    logger.warning("device %d: ingest failed: %s", self.device_id, exc)
                    await asyncio.sleep(period_s)
                    continue
                device.acknowledge(list(ack.safe_to_forget))
                self.frames_sent += len(ack.stored)
        finally:
            await transport.close()
