"""The whole suite as local processes: S3 stand-in, SMS and e-mail sinks, migrations,
services, gateway.

Used by ``make run`` (``python -m devstack``), by the tests (an isolated stack
per test session: its own RabbitMQ vhost, database names, Redis key prefix and
ports, so it can run beside a developer's ``make run``) and by the benchmarks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from services.common.catalog import SERVICES

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:g}s waiting for {what}")


def ensure_infra() -> None:
    result = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-infra.sh")], check=False)
    if result.returncode != 0:
        raise SystemExit("PostgreSQL, Redis or RabbitMQ is missing; see the lines above")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@dataclass
class Stack:
    """One running suite. ``env`` is what every process of it gets."""

    env: dict[str, str]
    run_dir: Path
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    metrics_ports: dict[str, int] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES
    vhost: str | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: the loopback sinks' HTTP API (``/messages``, ``/control``) once started
    sink_url: str | None = None

    # -- construction ------------------------------------------------------------------
    @classmethod
    def local(cls) -> Stack:
        """The developer's stack: default names and ports, overridable by environment."""
        env = dict(os.environ)
        env.setdefault("GONGWEN_ENV", "local")
        env.setdefault("S3_LOCAL_PORT", "9000")
        env.setdefault("SINK_SMTP_PORT", "1025")
        env.setdefault("SINK_HTTP_PORT", "8025")
        port = int(env.get("GATEWAY_PORT", "8000"))
        base = int(env.get("METRICS_BASE_PORT", "9101"))
        return cls(
            env=env,
            run_dir=ROOT / ".run",
            gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
            gateway_port=port,
            metrics_ports={s: base + i for i, s in enumerate(SERVICES)},
        )

    @classmethod
    def isolated(cls, name: str = "test", extra_env: dict[str, str] | None = None) -> Stack:
        """A stack that shares nothing with other stacks on this machine."""
        run_id = f"{name}{uuid.uuid4().hex[:8]}"
        vhost = f"gw_{run_id}"
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        env = dict(os.environ)
        # the object store and the outbound channels are this stack's own
        for key in (
            "MINIO_ENDPOINT",
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_USER",
            "SMTP_PASSWORD",
            "SMTP_STARTTLS",
            "SMS_PROVIDER",
            "SMS_HTTP_URL",
            "SMS_HTTP_TOKEN",
            "SINK_SMTP_PORT",
            "SINK_HTTP_PORT",
        ):
            env.pop(key, None)
        env.update(
            {
                "GONGWEN_ENV": "test",
                "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
                "DB_PREFIX": f"gw_{run_id}_",
                "REDIS_KEY_PREFIX": f"gw_{run_id}:",
                "RPC_TIMEOUT": env.get("RPC_TIMEOUT", "5"),
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(extra_env or {})
        stack = cls(
            env=env,
            run_dir=Path(os.environ.get("TMPDIR", "/tmp")) / f"gongwen-{run_id}",
            gateway_port=free_port(),
            metrics_ports={s: free_port() for s in SERVICES},
            vhost=vhost,
        )
        return stack

    # -- parts -------------------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = proc
        return proc

    def start_object_store(self) -> None:
        """Start moto's S3 server on loopback unless MINIO_ENDPOINT names a real one."""
        if self.env.get("MINIO_ENDPOINT"):
            return
        port = int(self.env.get("S3_LOCAL_PORT", "0")) or free_port()
        if port_open("127.0.0.1", port):
            raise RuntimeError(f"port {port} for the local S3 server is taken (set S3_LOCAL_PORT)")
        moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
        self._spawn("s3", [moto, "-H", "127.0.0.1", "-p", str(port)], self.env)
        wait_for(lambda: port_open("127.0.0.1", port), 30, "the S3 server")
        self.env["MINIO_ENDPOINT"] = f"127.0.0.1:{port}"

    def start_sinks(self) -> None:
        """Start the loopback SMTP and SMS sinks (``devstack.sinks``) and point the
        services at them: SMTP_HOST/SMTP_PORT unless SMTP_HOST names a real server,
        SMS_PROVIDER=http and SMS_HTTP_URL unless SMS_HTTP_URL names a gateway or
        SMS_PROVIDER another provider. Nothing starts when both point elsewhere."""
        want_smtp = not self.env.get("SMTP_HOST")
        want_sms = not self.env.get("SMS_HTTP_URL") and self.env.get(
            "SMS_PROVIDER", "http"
        ).strip().lower() in ("", "http")
        if not (want_smtp or want_sms):
            return
        smtp_port = int(self.env.get("SINK_SMTP_PORT", "0")) or free_port()
        http_port = int(self.env.get("SINK_HTTP_PORT", "0")) or free_port()
        for port, name in ((smtp_port, "SINK_SMTP_PORT"), (http_port, "SINK_HTTP_PORT")):
            if port_open("127.0.0.1", port):
                raise RuntimeError(f"port {port} for the local sinks is taken (set {name})")
        self._spawn(
            "sinks",
            [
                sys.executable,
                "-m",
                "devstack.sinks",
                "--smtp-port",
                str(smtp_port),
                "--http-port",
                str(http_port),
            ],
            self.env,
        )
        sink_url = f"http://127.0.0.1:{http_port}"
        from devstack.sinks import SinkClient

        client = SinkClient(sink_url, timeout=1)

        def ready() -> bool:
            proc = self.processes["sinks"]
            if proc.poll() is not None:
                tail = (self.log_dir / "sinks.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the sinks exited with {proc.returncode}:\n{tail}")
            return client.healthy() and port_open("127.0.0.1", smtp_port)

        wait_for(ready, 30, "the SMS and e-mail sinks")
        self.sink_url = sink_url
        if want_smtp:
            self.env.update(
                {
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(smtp_port),
                    "SMTP_STARTTLS": "false",
                }
            )
        if want_sms:
            self.env.update({"SMS_PROVIDER": "http", "SMS_HTTP_URL": client.sms_url})

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "services.common.migrate", *self.services],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start_service(self, service: str, instance: int = 0) -> subprocess.Popen[bytes]:
        env = dict(self.env)
        env["METRICS_PORT"] = str(self.metrics_ports.get(service, 0) if instance == 0 else 0)
        name = service if instance == 0 else f"{service}-{instance}"
        return self._spawn(name, [sys.executable, "-m", "services.common.runner", service], env)

    def start_gateway(self) -> None:
        self._spawn(
            "gateway",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "gateway.app:app",
                "--host",
                self.gateway_host,
                "--port",
                str(self.gateway_port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "5",
            ],
            self.env,
        )

    def stop_process(self, name: str, timeout: float = 10) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    # -- readiness ---------------------------------------------------------------------------------
    def http_ok(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.gateway_url + path, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")
            return self.http_ok("/readyz?services=all")

        wait_for(ready, timeout, "the gateway and every service to be ready", interval=0.3)

    # -- whole ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.start_object_store()
        self.start_sinks()
        self.migrate()
        for service in self.services:
            self.start_service(service)
        self.start_gateway()
        self.wait_ready()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM to every process at once, SIGKILL to any still running after
        ``timeout``; the sinks and the object store last."""
        names = [n for n in self.processes if n not in ("s3", "sinks")]
        for name in names:
            proc = self.processes[name]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name in names:
            self.stop_process(name, timeout=max(0.1, deadline - time.monotonic()))
        self.stop_process("sinks")
        self.stop_process("s3")

    def destroy(self) -> None:
        """Stop, then drop what an isolated stack created (databases, vhost)."""
        self.stop()
        if self.vhost is None:
            return
        from services.common import settings as settings_module

        saved = dict(os.environ)
        os.environ.update(self.env)
        settings_module.get_settings.cache_clear()
        try:
            from services.common.migrate import drop_database

            for service in SERVICES:
                with contextlib.suppress(Exception):
                    drop_database(service)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            settings_module.get_settings.cache_clear()
        with contextlib.suppress(Exception):
            rabbitmqctl("delete_vhost", self.vhost)
        if os.environ.get("KEEP_TEST_LOGS") != "1":
            shutil.rmtree(self.run_dir, ignore_errors=True)
