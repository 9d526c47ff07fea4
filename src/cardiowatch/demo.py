"""`cardiowatch demo`: the server on SQLite, a dashboard login, and simulated patients replaying real records.

The patients are chosen to show the range of what the analysis finds (all are PhysioNet records; see the
README's attribution). Everything runs in one process. The port is taken before anything starts, so a
busy port fails at once. Ctrl-C or SIGTERM stops the devices, then the server, and returns normally.
A second run keeps the demo database: each device resumes after the last frame the server stored for it,
as a real device resumes its sequence from flash; ``fresh=True`` deletes the earlier data first.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import logging
import secrets
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.errors import CardiowatchError

if TYPE_CHECKING:
    import uvicorn

    from cardiowatch.simulate.source import SignalSource

log = logging.getLogger(__name__)

#: The demo's SQLite database, inside its work folder; SQLite keeps ``-wal`` and ``-shm`` files beside it.
DEMO_DATABASE = "demo.db"
#: After a stop, how long the devices may take to finish the send in flight before they are cancelled.
DEVICE_STOP_GRACE_S = 1.0
#: How long the server waits for open connections (a dashboard's live feed) before closing them.
SERVER_STOP_GRACE_S = 2.0
#: How many ports above a busy one are tried for the suggestion in `PortInUse`.
_PORTS_TO_SUGGEST = 20


class DemoError(CardiowatchError, RuntimeError):
    """The demo cannot run: its server did not start or stopped on its own."""


class PortInUse(DemoError):
    """The demo's port is taken by another program (an earlier demo, another server)."""


class DemoStart(enum.Enum):
    """What a demo run found in its work folder."""

    NEW = "new"  #: no earlier demo database
    RESUMED = "resumed"  #: the earlier database is kept; devices continue after their stored frames
    FRESH = "fresh"  #: the earlier database was deleted on request


@dataclass(frozen=True)
class DemoPatient:
    device_name: str
    record: str  #: database/name
    shows: str


DEMO_PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient("bed1-sinus", "mitdb/100", "normal sinus rhythm with a few premature beats (ECG)"),
    DemoPatient("bed2-afib", "mitdb/219", "atrial fibrillation with PVCs (ECG)"),
    DemoPatient("bed3-pvc-vt", "mitdb/200", "frequent PVCs, bigeminy and runs of ventricular tachycardia (ECG)"),
    DemoPatient("bed4-pauses", "mitdb/232", "sinus bradycardia with long pauses (ECG)"),
    DemoPatient("home5-ppg", "bidmc/bidmc01", "a pulse-sensor (PPG) wearer"),
)


@dataclass(frozen=True)
class DemoLogin:
    url: str
    user: str
    password: str
    api_key: str
    start: DemoStart
    database: Path


async def run_demo(*, workdir: Path, host: str = "127.0.0.1", port: int = 8000, speed: float = 1.0,
                   fresh: bool = False, data_root: Path | None = None, stop: asyncio.Event | None = None,
                   on_ready: Callable[[DemoLogin], None] | None = None) -> None:
    """Start everything, call ``on_ready(DemoLogin)``, run until ``stop`` is set, SIGINT or SIGTERM.

    Raises `PortInUse` before starting anything when ``port`` is taken, and `DemoError` when the server
    fails to start or stops on its own (the devices are stopped first either way).
    """
    sock = listen_socket(host, port)
    stop = stop or asyncio.Event()
    try:
        with _stop_on_signals(stop):
            await _run(sock, workdir=workdir, host=host, port=port, speed=speed, fresh=fresh,
                       data_root=data_root, stop=stop, on_ready=on_ready)
    finally:
        sock.close()


async def _run(sock: socket.socket, *, workdir: Path, host: str, port: int, speed: float, fresh: bool,
               data_root: Path | None, stop: asyncio.Event, on_ready: Callable[[DemoLogin], None] | None) -> None:
    import uvicorn

    from cardiowatch.app import create_app
    from cardiowatch.server.config import Settings
    from cardiowatch.server.http_protocol import BoundedHeadProtocol
    from cardiowatch.simulate.session import register_devices, stream_sources

    start = prepare_workdir(workdir, fresh=fresh)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per frame batch drowns the console
    sources = await asyncio.to_thread(load_demo_sources, data_root)  # keeps Ctrl-C heard while reading
    if stop.is_set():
        return

    api_key = secrets.token_urlsafe(24)
    database = workdir / DEMO_DATABASE
    settings = Settings(database_url=f"sqlite:///{database}", api_key=api_key)
    password = _admin_with_new_password(settings.database_url)
    server = _server_leaving_signals(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on",
                                                    http=BoundedHeadProtocol,
                                                    timeout_graceful_shutdown=SERVER_STOP_GRACE_S))
    server_task = asyncio.create_task(_serve(server, sock))
    devices: asyncio.Task | None = None
    try:
        while not server.started:
            if server_task.done():
                server_task.result()  # raises why the server stopped
                raise DemoError("the server stopped before it started")
            if stop.is_set():
                return
            await asyncio.sleep(0.05)
        base_url = f"http://{host}:{port}"
        creds = await register_devices(base_url, [p.device_name for p in DEMO_PATIENTS], api_key=api_key)
        if on_ready is not None:
            on_ready(DemoLogin(base_url + "/", "admin", password, api_key, start, database))
        # Device clocks are synced to Unix time, as the firmware does with SNTP.
        devices = asyncio.create_task(stream_sources(
            sources, creds, transport="http", base_url=base_url, speed=speed, loop_forever=True, stop=stop,
            start_t_us=int(time.time() * 1e6), clock_synced=True))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({stopping, server_task, devices}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        stop.set()
        await _finish(devices, grace_s=DEVICE_STOP_GRACE_S)
        if server_task.done():
            server_task.result()
            raise DemoError("the server stopped on its own; run with -v for its log")
        if not devices.cancelled() and devices.exception() is not None:
            raise devices.exception()
    finally:
        if devices is not None:
            await _finish(devices, grace_s=0.0)
        server.should_exit = True
        await asyncio.gather(server_task, return_exceptions=True)


def _admin_with_new_password(database_url: str) -> str:
    """Create the dashboard user ``admin``, or give the one of an earlier run a new password; return it."""
    from cardiowatch.dashboard.users import UserError, UserStore
    from cardiowatch.server.storage.db import make_engine

    users = UserStore(make_engine(database_url))
    users.create_tables()
    password = secrets.token_urlsafe(9)
    try:
        users.add_user("admin", password, "admin")
    except UserError:
        users.set_password("admin", password)
    return password


def _server_leaving_signals(config: uvicorn.Config) -> uvicorn.Server:
    """A uvicorn server that leaves SIGINT and SIGTERM to the demo, which stops the devices first."""
    import uvicorn

    class DemoServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return DemoServer(config)


async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:  # uvicorn exits the process when its start-up fails; the demo reports it
        raise DemoError(f"the server could not start (exit code {exc.code}); run with -v for its log") from exc


async def _finish(task: asyncio.Task, *, grace_s: float) -> None:
    """Let ``task`` end within ``grace_s``, else cancel it; return once it is over either way."""
    if not task.done():
        await asyncio.wait({task}, timeout=grace_s)
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT and SIGTERM while inside; elsewhere (Windows) Ctrl-C stays KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for the server to listen on, else `PortInUse` naming a free port.

    The server gets this very socket, so no other program can take the port between the check and the
    start. ``SO_REUSEADDR`` is set as uvicorn sets it: the closed connections of an earlier run do not
    hold the port, a listening program does.
    """
    try:
        return _bind(host, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise DemoError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        free = next((p for p in range(port + 1, min(port + 1 + _PORTS_TO_SUGGEST, 65536)) if _can_bind(host, p)),
                    None)
        hint = f"try --port {free}" if free is not None else "choose another with --port"
        raise PortInUse(f"port {port} is in use; {hint}") from exc


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _can_bind(host: str, port: int) -> bool:
    try:
        _bind(host, port).close()
    except OSError:
        return False
    return True


def prepare_workdir(workdir: Path, *, fresh: bool) -> DemoStart:
    """Create ``workdir``; with ``fresh``, delete the earlier demo database (only its files) first."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / DEMO_DATABASE
    if not database.exists():
        return DemoStart.NEW
    if not fresh:
        return DemoStart.RESUMED
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    return DemoStart.FRESH


def load_demo_sources(data_root: Path | None) -> list[SignalSource]:
    """The demo patients' records as device sources, fetched first where the data root lacks them."""
    from cardiowatch.evaluate.annotate import load_record
    from cardiowatch.simulate.source import source_from_record

    ensure_demo_records(data_root)
    return [source_from_record(load_record(p.record, root=data_root)) for p in DEMO_PATIENTS]


def ensure_demo_records(data_root: Path | None) -> None:
    """Download the demo's few records from PhysioNet when the data root lacks them (a fresh machine)."""
    from cardiowatch.data.databases import database_dir
    from cardiowatch.data.fetch import fetch_database
    from cardiowatch.errors import DataUnavailable

    wanted: dict[str, list[str]] = {}
    for patient in DEMO_PATIENTS:
        database, _, name = patient.record.partition("/")
        wanted.setdefault(database, []).append(name)
    for database, names in wanted.items():
        try:
            folder = database_dir(database, data_root)
            if all((folder / f"{n}.hea").is_file() for n in names):
                continue
        except DataUnavailable:
            pass
        log.info("fetching demo records %s of %s from PhysioNet", names, database)
        fetch_database(database, root=data_root, records=names)


def describe_patients() -> str:
    lines = [f"  {p.device_name:12s} {p.record:14s} {p.shows}" for p in DEMO_PATIENTS]
    return "\n".join(lines + ["", NOT_A_MEDICAL_DEVICE])
