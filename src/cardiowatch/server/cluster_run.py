"""`cardiowatch cluster`: a whole cluster as local processes (workers and one API node) on this machine's
RabbitMQ and PostgreSQL, for tests and demos. Production runs the same two commands under a supervisor
(docs/deployment.md §3)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

#: How long the API node may take to answer its health check.
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def check_broker(url: str, *, partitions: int) -> str | None:
    """Why the broker at ``url`` cannot hold ``partitions`` partitions, or None: declares the topology,
    which needs the consistent-hash exchange plugin."""
    import aio_pika

    from cardiowatch.server.partitions import declare_topology

    async def declare() -> None:
        connection = await aio_pika.connect(url, timeout=5)
        try:
            await declare_topology(await connection.channel(), prefix="cardiowatch", partitions=partitions)
        finally:
            await connection.close()

    try:
        asyncio.run(declare())
    except Exception as exc:  # noqa: BLE001 - any failure is reported to the operator as is
        return (f"RabbitMQ at {url} cannot hold the partitions ({exc}); is it running, with "
                "`rabbitmq-plugins enable rabbitmq_consistent_hash_exchange rabbitmq_mqtt`?")
    return None


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cardiowatch.cli", *args]


class ClusterProcesses:
    """Starts ``workers`` workers and one API node; stops them (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, *, database_url: str, amqp_url: str, workers: int = 2, port: int = 8000,
                 speed: float = 1.0, env: dict[str, str] | None = None, logs: Path | None = None) -> None:
        self.database_url = database_url
        self.amqp_url = amqp_url
        self.n_workers = workers
        self.port = port
        self.speed = speed
        #: One start for every worker's accelerated alert clock: a device moving between workers keeps one time.
        self.clock_start = time.time()
        self.env = {**os.environ, **(env or {})}
        self.logs = logs
        self.workers: list[subprocess.Popen] = []
        self.api: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_worker(self, name: str, *, log: Path | None = None) -> subprocess.Popen:
        """Start one more worker (``log``: where its output goes, else this process's)."""
        out = None if log is None else open(log, "ab")  # noqa: SIM115 - the child holds it; closed below
        proc = subprocess.Popen(cli_command("worker", "--database-url", self.database_url, "--amqp-url",
                                            self.amqp_url, "--name", name, "--speed", str(self.speed),
                                            "--clock-start", repr(self.clock_start)),
                                env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None)
        if out is not None:
            out.close()
        self.workers.append(proc)
        return proc

    def __enter__(self) -> ClusterProcesses:
        from cardiowatch.server.storage.db import make_engine, migrate

        engine = make_engine(self.database_url, schema=self.env.get("CARDIOWATCH_DATABASE_SCHEMA"))
        migrate(engine)  # once, before the processes that would each try
        engine.dispose()
        try:
            for index in range(self.n_workers):
                name = f"worker-{index + 1}"
                self.start_worker(name, log=None if self.logs is None else self.logs / f"{name}.log")
            self.api = subprocess.Popen(cli_command("serve", "--database-url", self.database_url, "--cluster",
                                                    self.amqp_url, "--port", str(self.port)), env=self.env)
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def wait(self) -> None:
        """Until Ctrl-C or a process exits."""
        try:
            while all(p.poll() is None for p in [*self.workers, self.api] if p is not None):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass

    def stop(self) -> None:
        procs = [p for p in [self.api, *self.workers] if p is not None and p.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"the API node exited with {self.api.returncode} during start-up")
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API node did not answer on {self.base_url} within {START_TIMEOUT_S:.0f} s")
