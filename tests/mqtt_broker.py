"""A private Mosquitto for tests: its own process on a free loopback port, anonymous access off, the
dynamic-security plugin on (the configuration `docs/deployment.md` asks for), an admin user made with
``mosquitto_ctrl dynsec init``. Start and stop are bounded; readiness is polled on the port."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Where Debian's ``mosquitto`` package (and a source build) put the plugin.
DYNSEC_PLUGINS = sorted(Path("/usr/lib").glob("*/mosquitto_dynamic_security.so")) + [
    Path("/usr/lib/mosquitto_dynamic_security.so"), Path("/usr/local/lib/mosquitto_dynamic_security.so")]
DYNSEC_PLUGIN = next((path for path in DYNSEC_PLUGINS if path.exists()), DYNSEC_PLUGINS[0])
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
HOST = "127.0.0.1"


@dataclass(frozen=True)
class DynsecBroker:
    host: str
    port: int
    admin_username: str
    admin_password: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _require_tools() -> None:
    missing = [name for name in ("mosquitto", "mosquitto_ctrl") if shutil.which(name) is None]
    if not DYNSEC_PLUGIN.exists():
        missing.append("mosquitto_dynamic_security.so (Debian package mosquitto)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Mosquitto with its dynamic-security plugin; missing: {missing}")
        pytest.skip(f"Mosquitto with dynamic security is not installed; missing: {missing}")


def start_dynsec_broker(directory: Path) -> tuple[subprocess.Popen, DynsecBroker]:
    """Start the broker; the caller stops it with `stop_broker`."""
    _require_tools()
    admin_username, admin_password = "cw-test-admin", os.urandom(12).hex()
    dynsec_json = directory / "dynamic-security.json"
    subprocess.run(["mosquitto_ctrl", "dynsec", "init", str(dynsec_json), admin_username, admin_password],
                   check=True, capture_output=True, timeout=STOP_TIMEOUT_S)
    dynsec_json.chmod(0o600)  # holds password hashes
    port = _free_port()
    log_path = directory / "mosquitto.log"
    config = directory / "mosquitto.conf"
    config.write_text("\n".join([
        f"listener {port} {HOST}",
        "allow_anonymous false",
        f"plugin {DYNSEC_PLUGIN}",
        f"plugin_opt_config_file {dynsec_json}",
        "persistence false",
        f"log_dest file {log_path}",
        "log_type all",
        f"user {getpass.getuser()}",  # started as root, Mosquitto would switch to a user that cannot read tmp
        ""]))
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    broker = DynsecBroker(HOST, port, admin_username, admin_password, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _listening(port):
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"mosquitto exited with {process.returncode}: {stderr}{broker.log()}")
        if time.monotonic() > deadline:
            stop_broker(process)
            pytest.fail(f"mosquitto did not listen on {HOST}:{port} within {START_TIMEOUT_S} s")
        time.sleep(0.02)  # a poll interval: readiness itself is the port answering
    return process, broker


def stop_broker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
    if process.stderr is not None:
        process.stderr.close()


@pytest.fixture
def dynsec_broker(tmp_path_factory) -> DynsecBroker:
    """A fresh private broker per test (a start takes a few tens of milliseconds)."""
    process, broker = start_dynsec_broker(tmp_path_factory.mktemp("mosquitto"))
    try:
        yield broker
    finally:
        stop_broker(process)


def dynsec_settings(broker: DynsecBroker, *, database_url: str, prefix: str, **overrides):  # noqa: ANN201
    """Server settings that manage ``broker``'s device logins and log in as the server's own user."""
    from cardiowatch.server.config import Settings

    return Settings(database_url=database_url, summary_period_s=1.0, alert_tick_s=3600.0, retention_days=0,
                    mqtt_host=broker.host, mqtt_port=broker.port, mqtt_topic_prefix=prefix,
                    mqtt_accounts="mosquitto-dynsec", mqtt_username="cardiowatch-server",
                    mqtt_password=os.urandom(12).hex(), mqtt_admin_username=broker.admin_username,
                    mqtt_admin_password=broker.admin_password, **overrides)


SERVER_READY_TIMEOUT_S = 20.0


@contextlib.contextmanager
def running_server(settings) -> Iterator:  # noqa: ANN001
    """The app (no analysis pipelines) in a TestClient, returned once it is subscribed to the broker."""
    from fastapi.testclient import TestClient

    from cardiowatch.app import create_app

    app = create_app(settings, pipeline_factory=None)
    with TestClient(app) as client:
        deadline = time.monotonic() + SERVER_READY_TIMEOUT_S
        while not app.state.mqtt.connected.is_set():
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not log in to the broker within {SERVER_READY_TIMEOUT_S} s")
            time.sleep(0.02)  # a poll interval; the server's subscription is what is waited for
        yield client


@contextlib.asynccontextmanager
async def mqtt_login(broker: DynsecBroker, *, username: str | None = None, password: str | None = None,
                     identifier: str | None = None) -> AsyncIterator:
    """An aiomqtt client logged in as ``username`` (anonymous when None), with the username as client id
    unless ``identifier`` says otherwise (device logins admit no other); a broken link at exit is fine."""
    import aiomqtt

    client = aiomqtt.Client(broker.host, broker.port, username=username, password=password,
                            identifier=identifier or username or f"anonymous-{os.urandom(4).hex()}")
    await client.__aenter__()
    try:
        yield client
    finally:
        with contextlib.suppress(aiomqtt.MqttError):
            await client.__aexit__(None, None, None)
