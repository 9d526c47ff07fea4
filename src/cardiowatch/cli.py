"""The one `cardiowatch` command. Sub-commands import their work lazily so `--help` stays fast."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from cardiowatch import NOT_A_MEDICAL_DEVICE

app = typer.Typer(
    help=f"cardiowatch: arrhythmia detection from ECG/PPG sensors. {NOT_A_MEDICAL_DEVICE}",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
data_app = typer.Typer(help="Find and download the PhysioNet databases.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console(stderr=True)

DataOption = Annotated[
    Optional[Path],
    typer.Option("--data", help="Data root holding one folder per database (else $CARDIOWATCH_DATA, "
                 "else ../shared/physionet, else the user cache)."),
]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@app.command("annotate")
def annotate(
    records: Annotated[list[str], typer.Argument(help="Records: a WFDB path (dir/100) or database/name (mitdb/100).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the annotation files.")] = Path("annotations"),
    beats_from: Annotated[Optional[str], typer.Option(
        "--beats-from", help="Take beats from this annotation file (e.g. atr) instead of the signal.")] = None,
    data: DataOption = None,
) -> None:
    """Write the project's beats (AAMI letters) and rhythm changes as WFDB annotation files (<record>.cw)."""
    from rich.progress import track

    from cardiowatch.errors import CardiowatchError
    from cardiowatch.evaluate.annotate import annotate_record

    failed = 0
    for spec in track(records, description="annotating", console=console, disable=len(records) < 2):
        try:
            result = annotate_record(spec, out_dir=out, beats_from=beats_from, root=data)
        except (CardiowatchError, KeyError) as exc:
            console.print(f"[red]{spec}:[/red] {exc}")
            failed += 1
            continue
        console.print(f"{result.record}: {result.n_beats} beats, {result.n_rhythm_changes} rhythm changes "
                      f"-> {result.path}")
    if failed:
        raise typer.Exit(code=1)


@app.command("simulate")
def simulate(
    records: Annotated[list[str], typer.Argument(help="Records to replay, one device each (mitdb/100, bidmc/bidmc01, a WFDB path).")],
    server: Annotated[str, typer.Option(help="Server base URL.")] = "http://127.0.0.1:8000",
    api_key: Annotated[Optional[str], typer.Option(envvar="CARDIOWATCH_API_KEY", help="Server API key (registers the devices).")] = None,
    transport: Annotated[str, typer.Option(help="http, ws or mqtt.")] = "http",
    mqtt_host: Annotated[str, typer.Option()] = "127.0.0.1",
    mqtt_port: Annotated[int, typer.Option()] = 1883,
    speed: Annotated[float, typer.Option(help="1 = real time, 10 = ten times faster, 0 = flat out.")] = 1.0,
    loop: Annotated[bool, typer.Option(help="Replay the records forever.")] = False,
    drop_rate: Annotated[float, typer.Option(help="Share of sends lost in transit (then resent).")] = 0.0,
    duplicate_rate: Annotated[float, typer.Option(help="Share of sends delivered twice.")] = 0.0,
    reconnect_every: Annotated[Optional[float], typer.Option(help="Drop and re-open the link every N s of device time.")] = None,
    clock_drift_ppm: Annotated[float, typer.Option(help="Device clock error, ppm.")] = 0.0,
    lead_off: Annotated[Optional[list[str]], typer.Option(help="START:END seconds with the lead off (repeatable).")] = None,
    noise: Annotated[Optional[list[str]], typer.Option(help="START:END seconds of noise burst (repeatable).")] = None,
    data: DataOption = None,
) -> None:
    """Replay records as virtual devices over the real protocol, with optional faults."""
    import asyncio

    from cardiowatch.evaluate.annotate import load_record
    from cardiowatch.simulate.device import Faults
    from cardiowatch.simulate.session import register_devices, stream_sources
    from cardiowatch.simulate.source import source_from_record

    def spans(values: Optional[list[str]]) -> tuple[tuple[float, float], ...]:
        try:
            return tuple((float(a), float(b)) for a, b in (v.split(":") for v in values or ()))
        except ValueError as exc:
            raise typer.BadParameter(f"expected START:END seconds, got {values}") from exc

    faults = Faults(drop_rate=drop_rate, duplicate_rate=duplicate_rate, reconnect_every_s=reconnect_every,
                    clock_drift_ppm=clock_drift_ppm, lead_off=spans(lead_off), noise_bursts=spans(noise))
    sources = [source_from_record(load_record(r, root=data)) for r in records]
    names = [r.replace("/", "-") for r in records]

    async def main() -> None:
        creds = await register_devices(server, names, api_key=api_key)
        results = await stream_sources(sources, creds, transport=transport, base_url=server, speed=speed,
                                       faults=faults, loop_forever=loop, mqtt_host=mqtt_host, mqtt_port=mqtt_port)
        for r in results:
            console.print(f"device {r.device_id}: {r.frames_acknowledged} frames stored, {r.frames_rejected} "
                          f"rejected, {r.sends_lost} sends lost and resent, {r.reconnects} reconnects")

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        console.print("stopped")


@app.command("demo")
def demo(
    port: Annotated[int, typer.Option(help="Port of the server and dashboard; a busy one fails at once.")] = 8000,
    speed: Annotated[float, typer.Option(help="Replay speed (1 = real time).")] = 1.0,
    workdir: Annotated[Path, typer.Option(help="Where the demo keeps its SQLite database (demo.db).")] = Path(
        ".cardiowatch-demo"),
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Delete the earlier demo database first; without it a run resumes the patients' "
        "history and their devices continue after their stored data.")] = False,
    data: DataOption = None,
) -> None:
    """Start the server, dashboard and simulated patients on an embedded SQLite database.

    Ctrl-C (or SIGTERM) stops the patients' devices, then the server, and exits with code 0.
    """
    import asyncio

    from cardiowatch.errors import CardiowatchError
    from cardiowatch.demo import DemoStart, describe_patients, run_demo

    def ready(login) -> None:  # noqa: ANN001 - DemoLogin, imported lazily
        history = {
            DemoStart.NEW: f"new demo database {login.database}",
            DemoStart.FRESH: f"started clean (--fresh): the earlier demo data in {login.database} was deleted",
            DemoStart.RESUMED: f"resumed {login.database}: the patients' history is kept and their devices "
                               "continue after their stored data (--fresh starts clean)",
        }[login.start]
        console.print(f"\n[bold]cardiowatch demo[/bold] is running: open [link]{login.url}[/link]")
        console.print(f"  login: [bold]{login.user}[/bold]  password: [bold]{login.password}[/bold]")
        console.print(f"  API key (for `cardiowatch simulate`): {login.api_key}")
        console.print(f"  {history}")
        console.print(f"  patients:\n{describe_patients()}\n  Ctrl-C stops everything.\n")

    try:
        asyncio.run(run_demo(workdir=workdir, port=port, speed=speed, fresh=fresh, data_root=data, on_ready=ready))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the demo took over the signals: nothing was running yet
    except (CardiowatchError, KeyError, OSError) as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    console.print("demo stopped")


@data_app.command("fetch")
def data_fetch(
    database: Annotated[str, typer.Argument(help="Database name, e.g. mitdb")],
    data: DataOption = None,
    base_url: Annotated[Optional[str], typer.Option(help="Mirror to download from instead of PhysioNet.")] = None,
    record: Annotated[Optional[list[str]], typer.Option("--record", help="Only these records.")] = None,
) -> None:
    """Download DATABASE from PhysioNet into the data root and check its SHA256 sums."""
    from cardiowatch.data.fetch import fetch_database
    from cardiowatch.errors import DataUnavailable

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=console) as progress:
        task = progress.add_task(database, total=None)

        def report(done: int, total: int | None, name: str) -> None:
            progress.update(task, description=f"{database}/{name}", completed=done, total=total)

        try:
            dest = fetch_database(database, root=data, base_url=base_url, records=record, progress=report)
        except (DataUnavailable, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from exc
    console.print(f"{database} is in {dest}")


@data_app.command("info")
def data_info(data: DataOption = None) -> None:
    """Show the data root and which databases it holds."""
    from cardiowatch.data.databases import DATABASES, data_root

    root = data_root(data)
    console.print(f"data root: {root}")
    for db in DATABASES.values():
        records = root / db.name / "RECORDS"
        count = len(records.read_text().split()) if records.is_file() else 0
        state = f"{count} records" if count else "missing"
        console.print(f"  {db.name:8s} {state:12s} {db.title}")


# --- server (owner: server) ------------------------------------------------------------------------------
device_app = typer.Typer(help="Sensor devices known to the server.", no_args_is_help=True)
app.add_typer(device_app, name="device")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for the whole network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP/WebSocket port.")] = 8000,
    database_url: Annotated[Optional[str], typer.Option(
        "--database-url", help="SQLAlchemy URL (else $CARDIOWATCH_DATABASE_URL, else sqlite:///cardiowatch.db).")] = None,
    mqtt_host: Annotated[Optional[str], typer.Option(help="MQTT broker to subscribe to (else $CARDIOWATCH_MQTT_HOST; "
                                                     "none: HTTP/WebSocket only).")] = None,
    insecure: Annotated[bool, typer.Option(help="Listen beyond loopback without an API key (an open API).")] = False,
    cluster: Annotated[Optional[str], typer.Option(
        "--cluster", help="AMQP URL of the cluster's RabbitMQ (else $CARDIOWATCH_CLUSTER_AMQP_URL): run as an API "
        "node whose ingest goes to `cardiowatch worker` processes (docs/deployment.md §3).")] = None,
) -> None:
    """Run the monitoring server: device ingest, REST API (docs at /docs), live feed.

    Beyond loopback it needs CARDIOWATCH_API_KEY, or --insecure."""
    import uvicorn

    from cardiowatch.app import create_app
    from cardiowatch.server.config import Settings, UnsafeExposure, check_exposure

    overrides = {k: v for k, v in (("database_url", database_url), ("mqtt_host", mqtt_host),
                                   ("cluster_amqp_url", cluster)) if v is not None}
    settings = Settings(**overrides)
    try:
        check_exposure(settings, host=host, insecure=insecure)
    except UnsafeExposure as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from exc
    if insecure and settings.api_key is None:
        console.print(f"[yellow]warning:[/yellow] the API on {host}:{port} is open to anyone who reaches it")
    from cardiowatch.server.http_protocol import BoundedHeadProtocol

    # X-Forwarded-Proto (Secure cookies) and -For only from the configured proxies; no WebSocket
    # message larger than any body the server accepts; request heads bounded in size and time.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips, http=BoundedHeadProtocol,
                ws_max_size=max(settings.max_request_bytes, settings.max_ingest_bytes))


AmqpOption = Annotated[Optional[str], typer.Option(
    "--amqp-url", help="The cluster's RabbitMQ (else $CARDIOWATCH_CLUSTER_AMQP_URL, else the local one).")]
LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


@app.command("worker")
def worker(
    database_url: Annotated[Optional[str], typer.Option(
        "--database-url", help="SQLAlchemy URL, PostgreSQL in a cluster (else $CARDIOWATCH_DATABASE_URL).")] = None,
    amqp_url: AmqpOption = None,
    name: Annotated[Optional[str], typer.Option(help="Worker name in the logs (else host-pid-random).")] = None,
    speed: Annotated[float, typer.Option(min=0.01, help="Run the alert clock this many times faster than real "
                                         "time (accelerated replays, as `demo --speed`).")] = 1.0,
    clock_start: Annotated[Optional[float], typer.Option(
        help="Unix time the accelerated clock starts from (else this process's start). Workers that hand "
             "devices to each other must share it, or a device's alert times jump back or ahead.")] = None,
) -> None:
    """Analyse the devices of the partitions RabbitMQ gives this worker (docs/deployment.md §3)."""
    import asyncio
    import time

    from cardiowatch.server.config import Settings
    from cardiowatch.server.worker import make_worker

    overrides = {"database_url": database_url} if database_url else {}
    settings = Settings(**overrides)
    url = amqp_url or (settings.cluster_amqp_url.get_secret_value() if settings.cluster_amqp_url else LOCAL_AMQP_URL)
    start = time.time() if clock_start is None else clock_start
    clock = time.time if speed == 1.0 else (lambda: start + (time.time() - start) * speed)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = make_worker(settings, url=url, partitions=settings.cluster_partitions, clock=clock, name=name)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.run())


@app.command("cluster")
def cluster(
    database_url: Annotated[str, typer.Option(
        "--database-url", help="PostgreSQL URL shared by every process.")] = "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    amqp_url: AmqpOption = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
    port: Annotated[int, typer.Option(help="Port of the API node.")] = 8000,
    speed: Annotated[float, typer.Option(min=0.01, help="Alert clock speed of the workers (see `worker`).")] = 1.0,
) -> None:
    """Start a cluster on this machine: checks RabbitMQ's plugins, then runs the workers and one API node
    as local processes until Ctrl-C (docs/deployment.md §3)."""
    from cardiowatch.server.cluster_run import ClusterProcesses, check_broker
    from cardiowatch.server.config import Settings

    url = amqp_url or LOCAL_AMQP_URL
    problem = check_broker(url, partitions=Settings().cluster_partitions)
    if problem:
        console.print(f"[red]error:[/red] {problem}")
        raise typer.Exit(code=1)
    with ClusterProcesses(database_url=database_url, amqp_url=url, workers=workers, port=port, speed=speed) as run:
        console.print(f"cluster up: API node http://127.0.0.1:{port}, {workers} workers, broker {url}")
        run.wait()


DeviceDatabaseOption = Annotated[Optional[str], typer.Option(
    "--database-url", help="SQLAlchemy URL (else $CARDIOWATCH_DATABASE_URL, else sqlite:///cardiowatch.db).")]


@contextlib.contextmanager
def _device_change(database_url: Optional[str]):  # noqa: ANN202 - lazily imported types
    """A session and the broker accounts of the settings; a broker that refuses the change exits 1
    with nothing committed. The MQTT broker is the one of ``CARDIOWATCH_MQTT_*`` (docs/deployment.md)."""
    from cardiowatch.server.broker_auth import BrokerAccountError, make_broker_accounts
    from cardiowatch.server.config import Settings
    from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    migrate(engine)
    try:
        with make_session_factory(engine)() as session:
            yield session, make_broker_accounts(settings)
    except BrokerAccountError as exc:
        console.print(f"[red]error:[/red] {exc}; nothing was changed")
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()


def _device_or_exit(session, device_id: int):  # noqa: ANN001, ANN202 - lazily imported types
    from cardiowatch.server.storage import crud

    device = crud.get_device(session=session, device_id=device_id)
    if device is None:
        console.print(f"[red]error:[/red] no device {device_id}")
        raise typer.Exit(code=1)
    return device


def _echo_credentials(device_id: int, token: str) -> None:
    """One ``key=value`` per line, for scripts; the MQTT password is the token."""
    from cardiowatch.protocol.mqtt import mqtt_username

    typer.echo(f"device_id={device_id}")
    typer.echo(f"token={token}")
    typer.echo(f"mqtt_username={mqtt_username(device_id)}")


@device_app.command("add")
def device_add(
    name: Annotated[str, typer.Argument(help="Device name, e.g. kitchen-ecg")],
    database_url: DeviceDatabaseOption = None,
) -> None:
    """Register device NAME and print its id and token (shown once: put it in the firmware config now)."""
    import time

    from cardiowatch.server.devices import register_device
    from cardiowatch.server.storage import crud

    with _device_change(database_url) as (session, accounts):
        if crud.get_device_by_name(session=session, name=name) is not None:
            console.print(f"[red]error:[/red] a device named {name!r} exists")
            raise typer.Exit(code=1)
        device, token = register_device(session=session, name=name, now=time.time(), accounts=accounts)
        session.commit()
    _echo_credentials(device.id, token)


@device_app.command("rotate")
def device_rotate(
    device_id: Annotated[int, typer.Argument(help="Numeric device id", min=1, max=2**32 - 1)],
    database_url: DeviceDatabaseOption = None,
) -> None:
    """Give device ID a new token and MQTT password (shown once); the old ones stop working, and a revoked
    device is admitted again."""
    from cardiowatch.server.devices import rotate_token

    with _device_change(database_url) as (session, accounts):
        device = _device_or_exit(session, device_id)
        token = rotate_token(session=session, device=device, accounts=accounts)
        session.commit()
    _echo_credentials(device_id, token)


@device_app.command("revoke")
def device_revoke(
    device_id: Annotated[int, typer.Argument(help="Numeric device id", min=1, max=2**32 - 1)],
    database_url: DeviceDatabaseOption = None,
) -> None:
    """Refuse everything device ID sends from now on (its MQTT login too); its stored data is kept."""
    import time

    from cardiowatch.server.devices import revoke

    with _device_change(database_url) as (session, accounts):
        revoke(session=session, device=_device_or_exit(session, device_id), now=time.time(), accounts=accounts)
        session.commit()
    typer.echo(f"device {device_id} revoked")


# --- dashboard users (owner: dashboard) ------------------------------------------------------------------
user_app = typer.Typer(help="Dashboard users: admins manage devices and users, viewers watch.", no_args_is_help=True)
app.add_typer(user_app, name="user")
DatabaseOption = Annotated[
    Optional[str],
    typer.Option("--database-url", help="Server database (else $CARDIOWATCH_DATABASE_URL, else the default)."),
]


def _user_store(database_url: Optional[str]):  # noqa: ANN202 - lazily imported type
    from cardiowatch.dashboard.users import UserStore
    from cardiowatch.server.config import Settings
    from cardiowatch.server.storage.db import make_engine

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    store = UserStore(make_engine(settings.database_url, schema=settings.database_schema))
    store.create_tables()
    return store


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option("--role", help="admin or viewer")] = "viewer",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="CARDIOWATCH_NEW_PASSWORD",
                                          help="Asked for when not given ($CARDIOWATCH_NEW_PASSWORD).")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """Create dashboard user NAME with a role."""
    from cardiowatch.dashboard.users import UserError

    try:
        user = _user_store(database_url).add_user(name, password, role)
    except UserError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"user {user.name} ({user.role.value}) added")


@user_app.command("list")
def user_list(database_url: DatabaseOption = None) -> None:
    """List dashboard users and their roles."""
    for user in _user_store(database_url).list_users():
        console.print(f"{user.name}\t{user.role.value}")

@app.command("evaluate")
def evaluate(
    records: Annotated[Optional[list[str]], typer.Argument(help="mitdb records (default: DS2, the test set).")] = None,
    beats_from: Annotated[str, typer.Option("--beats-from", help="reference, detector or both.")] = "both",
    out: Annotated[Path, typer.Option("--out", help="Folder for the JSON and PNG reports.")] = Path("reports"),
    model: Annotated[Optional[Path], typer.Option("--model", help="ONNX model (default: the shipped one).")] = None,
    card: Annotated[Optional[Path], typer.Option("--card", help="Model card whose figures block to rewrite "
                                                 "(DS2 only; its other rows are kept), e.g. "
                                                 "models/beat_classifier.md.")] = None,
    fs: Annotated[Optional[float], typer.Option("--fs", help="Also score copies of the records resampled to "
                                                "this rate (Hz), reference beats, e.g. 128 for a Holter-like "
                                                "recorder.")] = None,
    data: DataOption = None,
) -> None:
    """EC57-style beat-classification report (gross and per-record Se/+P, confusion) as text, JSON and PNG."""
    from rich.progress import track

    from cardiowatch.beats.classifier import BeatClassifier
    from cardiowatch.data import MITDB_DS1, MITDB_DS2
    from cardiowatch.errors import CardiowatchError
    from cardiowatch.evaluate.beats import BEATS_FROM, evaluate_beats, format_report, write_report

    sources = BEATS_FROM if beats_from == "both" else (beats_from,)
    if not set(sources) <= set(BEATS_FROM):
        console.print(f"[red]error:[/red] --beats-from must be reference, detector or both, got {beats_from!r}")
        raise typer.Exit(code=2)
    chosen = tuple(records) if records else MITDB_DS2
    if set(chosen) & set(MITDB_DS1):
        console.print("[yellow]note:[/yellow] DS1 records are the model's training data: their figures are "
                      "in-sample, not what a new patient gets")
    if card is not None and chosen != MITDB_DS2:
        console.print("[red]error:[/red] --card takes the DS2 figures; give no records")
        raise typer.Exit(code=2)
    figures: dict[str, dict] = {}
    try:
        clf = BeatClassifier(model)
        for source in sources:
            names = track(chosen, description=f"beats from {source}", console=console)
            report = evaluate_beats(names, beats_from=source, classifier=clf, root=data)
            typer.echo(format_report(report, title=f"beat classification, {len(chosen)} mitdb records"))
            json_path, png_path = write_report(report, out, stem=f"beats_{source}")
            console.print(f"wrote {json_path} and {png_path}")
            figures[f"ds2_{source}"] = report.to_dict()["gross"]
        if fs is not None:
            names = track(chosen, description=f"reference beats at {fs:g} Hz", console=console)
            report = evaluate_beats(names, beats_from="reference", classifier=clf, root=data, fs=fs)
            typer.echo(format_report(report, title=f"beat classification, {len(chosen)} mitdb records at {fs:g} Hz"))
            json_path, png_path = write_report(report, out, stem=f"beats_reference_{fs:g}hz")
            console.print(f"wrote {json_path} and {png_path}")
            figures[f"ds2_reference_{fs:g}hz"] = report.to_dict()["gross"]
        cv = clf.meta.get("cv_ds1_patientwise", {}).get("weighted")
        if cv:
            figures["ds1_patientwise_cv"] = cv
        if card is not None:
            from cardiowatch.evaluate.beats import read_card_figures, update_model_card

            # rows this command does not compute (the leaky split, from `python -m training.beats_train
            # --leaky`) stay as they are
            figures = {**read_card_figures(card), **figures}
            fs_option = f" --fs {fs:g}" if fs is not None else ""
            update_model_card(card, figures,
                              command=f"cardiowatch evaluate --beats-from {beats_from}{fs_option} --card {card}")
            console.print(f"updated the figures in {card}")
    except CardiowatchError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc



@app.command("report")
def report(
    record: Annotated[str, typer.Argument(help="database/name, e.g. mitdb/201 or ltafdb/00 (reference beats).")],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="HTML file to write (default: <database>_<name>.html).")] = None,
    data: DataOption = None,
) -> None:
    """Write an HTML rhythm report: summary, tachogram, rhythm timeline, strips around each episode."""
    from cardiowatch.errors import CardiowatchError
    from cardiowatch.evaluate.report import report_record

    database, _, name = record.partition("/")
    if not name:
        console.print(f"[red]error:[/red] give the record as database/name, got {record!r}")
        raise typer.Exit(code=2)
    try:
        path = report_record(database, name, out or Path(f"{database}_{name}.html"), root=data)
    except (CardiowatchError, ValueError, KeyError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"wrote {path}")

def _time_us(value: str) -> int:
    """Unix µs of ``value``: Unix seconds, or ISO 8601 (UTC unless it names a zone)."""
    import datetime as dt

    try:
        return round(float(value) * 1e6)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected Unix seconds or an ISO 8601 time, got {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return round(moment.timestamp() * 1e6)


@app.command("export")
def export(
    device_id: Annotated[int, typer.Argument(help="Numeric device id.")],
    start: Annotated[Optional[str], typer.Option(help="From: Unix seconds or ISO 8601 (UTC unless zoned).")] = None,
    end: Annotated[Optional[str], typer.Option(help="To (exclusive), like --start.")] = None,
    episode: Annotated[Optional[int], typer.Option(help="Export this episode instead (its id in the API).")] = None,
    format: Annotated[str, typer.Option("--format", help="edf (EDF+) or wfdb (.hea/.dat/.atr).")] = "edf",  # noqa: A002
    out: Annotated[Path, typer.Option(help="Folder to write into.")] = Path("."),
    database_url: DeviceDatabaseOption = None,
) -> None:
    """Export a device's stored signal with beats, rhythm changes, alerts and gaps as annotations, read
    from the server's database: EDF+ or WFDB, for EDFbrowser, wfdb or another cardiology viewer."""
    from cardiowatch.server.config import Settings
    from cardiowatch.server.export import ExportError, episode_range, export_files, read_stretch
    from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

    if (episode is None) == (start is None or end is None):
        console.print("[red]error:[/red] give --start and --end, or --episode")
        raise typer.Exit(code=2)
    settings = Settings() if database_url is None else Settings(database_url=database_url)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    migrate(engine)
    try:
        with make_session_factory(engine)() as session:
            _device_or_exit(session, device_id)
            if episode is not None:
                start_us, end_us = episode_range(session=session, device_id=device_id, episode_id=episode)
            else:
                start_us, end_us = _time_us(start), _time_us(end)
            paths = export_files(read_stretch(session=session, device_id=device_id, start_t_us=start_us,
                                              end_t_us=end_us), format, out)
    except ExportError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()
    for path in paths:
        console.print(f"wrote {path}")


#: Top-level module of each optional dependency -> the extra that installs it (pyproject.toml).
_EXTRA_OF_MODULE = {
    **dict.fromkeys(("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "aiomqtt", "pydantic",
                     "pydantic_settings", "websockets", "httpx", "anyio", "edfio", "aio_pika"), "server"),
    "matplotlib": "eval",
    "psycopg": "postgres",
}


def main() -> None:
    """Entry point of the ``cardiowatch`` script: `app`, with a one-line hint when an extra is missing."""
    try:
        app()
    except ModuleNotFoundError as exc:
        extra = _EXTRA_OF_MODULE.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        hint = escape(f"pip install 'cardiowatch[{extra}]'")
        console.print(f"[red]error:[/red] this command needs {exc.name}, which comes with an optional extra: {hint}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
