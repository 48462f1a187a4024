"""The API, runners and the simulator as processes of the local stack (and of test suites)."""

from __future__ import annotations

import socket
import sys
import uuid
from pathlib import Path

import httpx
import psycopg

from devstack.process import ProcessSpec

API_DIR = Path(__file__).resolve().parent.parent / "api_lambda"


def api_spec(port: int, env: dict[str, str], log_path: Path) -> ProcessSpec:
    """The API through `chalice local` on 127.0.0.1:`port`; ready once /api/health answers."""
    url = f"http://127.0.0.1:{port}"
    return ProcessSpec(
        name="api",
        argv=[
            sys.executable,
            "-c",
            # Nagle off: chalice local writes headers and body apart, and with keep-alive each
            # response then waited for the client's delayed ACK (+40 ms a request; bench/README.md)
            "import socketserver, sys; socketserver.StreamRequestHandler.disable_nagle_algorithm = True;"
            " from chalice.cli import main; sys.exit(main())",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--stage",
            "dev",
            "--no-autoreload",
        ],
        cwd=API_DIR,
        log_path=log_path,
        env={**env, "PYTHONUNBUFFERED": "1"},
        ready=lambda: httpx.get(f"{url}/api/health", timeout=1).status_code in (200, 503),
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def runner_spec(
    env: dict[str, str], run_dir: Path, log_dir: Path, *, runner_id: str | None = None
) -> ProcessSpec:
    """`python -m runner` for the stack in `env`; ready once it has registered itself."""
    runner_id = runner_id or f"local-{uuid.uuid4().hex[:8]}"
    database_url = env["DATABASE_URL"]

    def registered() -> bool:
        with psycopg.connect(database_url, connect_timeout=2) as conn:
            row = conn.execute(
                "select 1 from whatsapp_web_runners where runner_id = %s", (runner_id,)
            ).fetchone()
            return row is not None

    return ProcessSpec(
        name=f"runner {runner_id}",
        argv=[sys.executable, "-m", "runner"],
        log_path=log_dir / f"runner-{runner_id}.log",
        env={
            **env,
            "RUNNER_ID": runner_id,
            "RUNNER_PID_DIR": str(run_dir),
            "HEARTBEAT_FILE": str(run_dir / f"heartbeat-{runner_id}"),
            # Prometheus text at http://127.0.0.1:<port>/metrics (the port is in the runner's log)
            "RUNNER_METRICS_PORT": str(_free_port()),
            "PYTHONUNBUFFERED": "1",
        },
        ready=registered,
        ready_timeout_s=90,
        stop_timeout_s=60,
    )


def simulator_spec(
    port: int, log_dir: Path, env: dict[str, str], extra_args: list[str] | None = None
) -> ProcessSpec:
    url = f"http://127.0.0.1:{port}"
    return ProcessSpec(
        name="simulator",
        argv=[
            sys.executable,
            "-m",
            "simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *(extra_args or []),
        ],
        log_path=log_dir / "simulator.log",
        env=env,
        ready=lambda: httpx.get(f"{url}/control/health", timeout=1).status_code == 200,
    )


def webhooks_spec(env: dict[str, str], log_dir: Path) -> ProcessSpec:
    """The webhook dispatcher (`python -m wagate.webhooks`): in AWS the API's scheduled function."""
    return ProcessSpec(
        name="webhooks",
        argv=[sys.executable, "-m", "wagate.webhooks"],
        log_path=log_dir / "webhooks.log",
        env={**env, "PYTHONUNBUFFERED": "1"},
        stop_timeout_s=20,
    )
