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
    after_restart: Callable[[], object] | None = None
    """Run by the supervisor once the part is ready again (e.g. recreate moto's queues)."""


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
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class ProcessGroup:
    """Owns every process the stack started; stops them in reverse order."""

    running: list[Running] = field(default_factory=list)
    pid_dir: Path | None = None
    """When set, each part's pid is written to `<pid_dir>/<name>.pid` once it is ready."""

    def start(self, spec: ProcessSpec, *, index: int | None = None) -> Running:
        """Start `spec` and wait until it is ready; `index`: its place in the stop order."""
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
        self.running.insert(len(self.running) if index is None else index, proc)
        self._wait_ready(proc)
        for pid_file in self._pid_files(spec):
            pid_file.parent.mkdir(parents=True, exist_ok=True)
            pid_file.write_text(f"{popen.pid}\n")
        return proc

    def restart(self, proc: Running) -> Running:
        """Start a part that died again, in its place (so the stop order stays the same)."""
        index = self.running.index(proc) if proc in self.running else None
        self.stop(proc)
        return self.start(proc.spec, index=index)

    def _pid_files(self, spec: ProcessSpec) -> list[Path]:
        files = [spec.pid_file] if spec.pid_file else []
        if self.pid_dir is not None:
            files.append(self.pid_dir / f"{spec.name.replace(' ', '-')}.pid")
        return files

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
                proc.popen.kill()  # not left hanging: a supervisor sees it dead and may try again
                proc.popen.wait(5)
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
        for pid_file in self._pid_files(proc.spec):
            if _pid_in(pid_file) == proc.pid:
                pid_file.unlink()
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


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
