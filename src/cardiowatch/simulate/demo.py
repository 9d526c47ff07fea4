"""`cardiowatch demo`: the server on SQLite, a dashboard login, and simulated patients replaying real records.

The patients are chosen to show the range of what the analysis finds (all are PhysioNet records; see the
README's attribution). Everything runs in one process; Ctrl-C stops the devices, then the server.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cardiowatch import NOT_A_MEDICAL_DEVICE

log = logging.getLogger(__name__)


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


async def run_demo(*, workdir: Path, host: str = "127.0.0.1", port: int = 8000, speed: float = 1.0,
                   data_root: Path | None = None, stop: asyncio.Event | None = None,
                   on_ready: "callable | None" = None) -> None:
    """Start everything, call ``on_ready(DemoLogin)``, run until ``stop`` is set (or forever)."""
    import uvicorn

    from cardiowatch.dashboard.users import UserError, UserStore
    from cardiowatch.evaluate.annotate import load_record
    from cardiowatch.server.app import create_app
    from cardiowatch.server.config import Settings
    from cardiowatch.server.storage.db import make_engine
    from cardiowatch.simulate.session import register_devices, stream_sources
    from cardiowatch.simulate.source import source_from_record

    workdir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per frame batch drowns the console
    ensure_demo_records(data_root)
    sources = [source_from_record(load_record(p.record, root=data_root)) for p in DEMO_PATIENTS]

    api_key = secrets.token_urlsafe(24)
    settings = Settings(database_url=f"sqlite:///{workdir / 'demo.db'}", api_key=api_key)
    users = UserStore(make_engine(settings.database_url))
    users.create_tables()
    password = secrets.token_urlsafe(9)
    try:
        users.add_user("admin", password, "admin")
    except UserError:
        users.set_password("admin", password)

    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning",
                                           lifespan="on"))
    server_task = asyncio.create_task(server.serve())
    while not server.started:
        if server_task.done():
            server_task.result()  # raises why the server could not start (port in use, ...)
        await asyncio.sleep(0.05)
    base_url = f"http://{host}:{port}"
    creds = await register_devices(base_url, [p.device_name for p in DEMO_PATIENTS], api_key=api_key)
    if on_ready is not None:
        on_ready(DemoLogin(base_url + "/", "admin", password, api_key))
    stop = stop or asyncio.Event()
    try:
        # Device clocks are synced to Unix time, as the firmware does with SNTP.
        await stream_sources(sources, creds, transport="http", base_url=base_url, speed=speed,
                             loop_forever=True, stop=stop, start_t_us=int(time.time() * 1e6), clock_synced=True)
    finally:
        server.should_exit = True
        await server_task


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
