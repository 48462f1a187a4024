"""Child processes of the local stack: started in order, each waited for, all stopped together."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """If the supervisor is killed outright, its children go too (no orphaned servers)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    user: str | None = None
    stop_signal: str = "SIGTERM"
    stop_timeout_s: float = 10.0
    ready: Callable[[], bool] | None = None
    ready_timeout_s: float = 60.0
    pid_file: Path | None = None


class StartFailed(RuntimeError):
    def __init__(self, name: str, reason: str, log_path: Path) -> None:
        tail = ""
        if log_path.exists():
            tail = log_path.read_text(errors="replace")[-3000:]
        super().__init__(f"{name} did not start: {reason}\n--- last lines of {log_path} ---\n{tail}")
        self.name = name


@dataclass
class Running:
    spec: ProcessSpec
    popen: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class ProcessGroup:
    """Owns every process the stack started; stops them in reverse order."""

    running: list[Running] = field(default_factory=list)

    def start(self, spec: ProcessSpec) -> Running:
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(spec.log_path, "ab")
        try:
            popen = subprocess.Popen(
                spec.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=spec.env,
                cwd=spec.cwd,
                user=spec.user,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        proc = Running(spec, popen)
        self.running.append(proc)
        if spec.pid_file:
            spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
            spec.pid_file.write_text(f"{popen.pid}\n")
        self._wait_ready(proc)
        return proc

    def _wait_ready(self, proc: Running) -> None:
        spec = proc.spec
        deadline = time.monotonic() + spec.ready_timeout_s
        while True:
            code = proc.popen.poll()
            if code is not None:
                raise StartFailed(spec.name, f"exited with code {code}", spec.log_path)
            if spec.ready is None or _safe(spec.ready):
                return
            if time.monotonic() > deadline:
                raise StartFailed(spec.name, f"not ready after {spec.ready_timeout_s:.0f} s", spec.log_path)
            time.sleep(0.1)

    def dead(self) -> list[Running]:
        return [proc for proc in self.running if proc.popen.poll() is not None]

    def stop(self, proc: Running) -> None:
        if proc.popen.poll() is None:
            try:
                proc.popen.send_signal(getattr(signal, proc.spec.stop_signal))
                proc.popen.wait(proc.spec.stop_timeout_s)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(5)
            except ProcessLookupError:
                pass
        if proc.spec.pid_file and proc.spec.pid_file.exists():
            proc.spec.pid_file.unlink()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.running)):
            self.stop(proc)


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
