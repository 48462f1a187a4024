"""A running local stack for test suites and benchmarks: started as `python -m devstack run` on
free ports in a throwaway state directory (exactly what `make up` runs), stopped at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg

from devstack import fleet
from devstack.keys import user_token
from devstack.process import ProcessGroup, Running, pid_alive
from devstack.stack import REPO, StackPaths, free_port, hold_file, read_env_file


class StackHandle:
    def __init__(
        self, state_dir: Path, *, extra_args: tuple[str, ...] = ("--runners", "0"), env: dict | None = None
    ) -> None:
        self.paths = StackPaths(state_dir)
        self.extra_args = extra_args
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.runners = ProcessGroup()
        self.apis = ProcessGroup()

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout_s: float = 180.0) -> StackHandle:
        self.paths.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "devstack",
            "--state-dir",
            str(self.paths.state_dir),
            "run",
            "--ports",
            "auto",
            *self.extra_args,
        ]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(self.extra_env)
        with open(self.paths.log_dir / "stack.log", "ab") as out:
            self.proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout_s
        while not self.paths.env_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    "local stack failed to start:\n" + (self.paths.log_dir / "stack.log").read_text()[-4000:]
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"local stack not ready after {timeout_s} s; logs in {self.paths.log_dir}")
            time.sleep(0.2)
        self.env = read_env_file(self.paths.env_file)
        return self

    def start_runner(self, wa_web_url: str, **env: str) -> Running:
        """One more `python -m runner` against this stack, returned once it has registered."""
        runner_env = {**self.process_env(), "WA_WEB_URL": wa_web_url, **env}
        spec = fleet.runner_spec(runner_env, self.paths.run_dir, self.paths.log_dir)
        return self.runners.start(spec)

    def start_api(self, **env: str) -> tuple[str, Running]:
        """One more API process (`chalice local`) on this stack with extra settings (e.g. low rate
        limits), returned with its URL once it answers; stop it with `self.apis.stop(running)`."""
        port = free_port()
        spec = fleet.api_spec(port, {**self.process_env(), **env}, self.paths.log_dir / f"api-{port}.log")
        return f"http://127.0.0.1:{port}", self.apis.start(spec)

    def stop(self) -> None:
        self.apis.stop_all()
        self.runners.stop_all()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    # ------------------------------------------------------------------ faults
    # The stack's supervisor (`devstack run`) starts a part that exits again, as `make dev` does.
    def part_pid(self, part: str) -> int:
        """The pid of one part of the stack: postgres, postgrest, moto, gateway, api, dashboard."""
        try:
            return int((self.paths.run_dir / f"{part}.pid").read_text().strip())
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"{part} is not running in this stack") from exc

    def kill_part(self, part: str, sig: int = signal.SIGKILL, timeout_s: float = 90.0) -> int:
        """Send `sig` to one part and wait until the supervisor has it ready again; its new pid."""
        old = self.part_pid(part)
        os.kill(old, sig)
        return self._wait_restarted(part, old, timeout_s)

    @contextlib.contextmanager
    def part_down(self, part: str, timeout_s: float = 90.0) -> Iterator[None]:
        """`part` stopped and held down for the block (connections to it are refused), then ready."""
        hold = hold_file(self.paths, part)
        old = self.part_pid(part)
        hold.touch()
        try:
            os.kill(old, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while pid_alive(old) and time.monotonic() < deadline:  # reaped by the supervisor
                time.sleep(0.1)
            yield
        finally:
            hold.unlink(missing_ok=True)
        self._wait_restarted(part, old, timeout_s)

    def _wait_restarted(self, part: str, old_pid: int, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                pid = self.part_pid(part)
            except RuntimeError:
                pid = old_pid
            if pid != old_pid and pid_alive(pid):
                return pid
            time.sleep(0.1)
        raise RuntimeError(f"{part} was not restarted within {timeout_s} s; see {self.paths.log_dir}")

    # ------------------------------------------------------------------ conveniences
    @property
    def api_url(self) -> str:
        return self.env["API_URL"]

    @property
    def supabase_url(self) -> str:
        return self.env["SUPABASE_URL"]

    def process_env(self) -> dict[str, str]:
        """os.environ plus the stack's settings, for a child process that talks to the stack."""
        return {**os.environ, **self.env}

    def mint_token(self, user_id: str, **overrides: object) -> str:
        return user_token(self.supabase_url, self.env["SUPABASE_JWT_SECRET"], user_id, **overrides)

    def create_user(self, email: str | None = None) -> tuple[str, str]:
        user_id = str(uuid.uuid4())
        email = email or f"{user_id[:12]}@test.wagate.local"
        self.sql("insert into auth.users (id, email) values (%s, %s)", (user_id, email))
        return user_id, self.mint_token(user_id, email=email)

    def sql(self, query: str, params: tuple | dict = ()) -> list[tuple]:
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def _boto(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.env["AWS_ENDPOINT_URL"],
            region_name=self.env["AWS_DEFAULT_REGION"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )

    def sqs(self):
        return self._boto("sqs")

    def s3(self):
        return self._boto("s3")
