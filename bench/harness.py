"""What every benchmark starts and stops: a fresh local stack (in a throwaway state directory),
the WhatsApp Web simulator, runners, the local bot; and what every benchmark reports: the
machine, a table, a JSON file with a top-level `targets` list.

Everything is started from the main thread (children die with the thread that started them, see
devstack.process) and stopped in `close()`, which also runs on Ctrl-C, SIGTERM and errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from devstack import fleet
from devstack.process import ProcessGroup, Running
from devstack.stack import REPO, free_port
from devstack.testing import StackHandle

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The simulator's own timings, chosen so they never dominate a figure: the first QR is sent as soon
# as the page says hello (ref lifetimes only matter if nobody scans), the history sync after a
# login takes `sync_ms` (300 ms is the simulator's default; the real app takes seconds).
SIMULATOR_ARGS = {
    "ref_first_ms": 60_000,
    "ref_next_ms": 20_000,
    "ref_count": 6,
    "sync_ms": 300,
    "ack_delivered_ms": 400,
    "ack_read_ms": 1_500,
    "reconnect_ms": 1_000,
}


class BenchEnv:
    """A stack, a simulator and the runners of one benchmark run. Use as a context manager."""

    def __init__(self, *, simulator_args: dict | None = None, keep_state: bool = False) -> None:
        self.state_dir = Path(tempfile.mkdtemp(prefix="wagate-bench-"))
        self.stack = StackHandle(self.state_dir)
        self.simulator_args = {**SIMULATOR_ARGS, **(simulator_args or {})}
        self.group = ProcessGroup()
        self.sim_url = ""
        self.keep_state = keep_state or bool(os.environ.get("WAGATE_KEEP_STATE"))
        self.failed = False

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> BenchEnv:
        try:
            self.start()
        except BaseException:
            self.failed = True
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.failed = exc_type is not None
        self.close()

    def start(self) -> None:
        started = time.monotonic()
        log(f"starting the local stack in {self.state_dir}")
        self.stack.start()
        port = free_port()
        argv: list[str] = []
        for name, value in self.simulator_args.items():
            argv += ["--" + name.replace("_", "-"), str(value)]
        self.group.start(fleet.simulator_spec(port, self.stack.paths.log_dir, self.stack.process_env(), argv))
        self.sim_url = f"http://127.0.0.1:{port}"
        log(f"stack and simulator up in {time.monotonic() - started:.1f} s")

    def close(self) -> None:
        log("stopping everything this benchmark started")
        try:
            self.stack.runners.stop_all()
        finally:
            try:
                self.group.stop_all()
            finally:
                self.stack.stop()
        if self.failed or self.keep_state:
            log(f"state and logs kept in {self.state_dir}")
        else:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    # ------------------------------------------------------------------ parts
    def start_runner(self, **env: str) -> Running:
        settings = {
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            **{k: str(v) for k, v in env.items()},
        }
        return self.stack.start_runner(self.sim_url + "/", **settings)

    def stop_runner(self, running: Running) -> None:
        self.stack.runners.stop(running)

    def runner_id(self, running: Running) -> str:
        return running.spec.env["RUNNER_ID"]  # type: ignore[index]

    def bot(self, **changes: object) -> dict:
        response = httpx.post(
            f"{self.stack.supabase_url}/functions/v1/_local/bot",
            json=changes,
            headers={"apikey": self.stack.env["SUPABASE_SERVICE_ROLE_KEY"]},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()

    def clear_sessions(self) -> None:
        """Forget every session and message (between phases that must not adopt each other's)."""
        self.stack.sql("delete from public.whatsapp_web_messages")
        self.stack.sql("delete from public.whatsapp_web_sessions")


# ---------------------------------------------------------------------- reporting
def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_quiet(max_wait_s: float, threshold: float = 1.0) -> float:
    """Wait until the 1-minute load average is below `threshold` (others' tests finished), at most
    `max_wait_s`; the load average it started with."""
    deadline = time.monotonic() + max_wait_s
    load = os.getloadavg()[0]
    if load >= threshold:
        log(f"load average {load:.1f}: waiting up to {max_wait_s:.0f} s for a quiet machine")
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    return load


def machine_facts() -> dict:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_kb = int(line.split()[1])
    except OSError:
        pass
    load1, load5, load15 = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": round(mem_total_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "chromium": _chromium_version(),
        "load_average_at_start": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "other_processes_running": _busy_processes(),
        "shared": _busy_processes() > 0 or load1 >= 1.0,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "cpu_speed_ms": cpu_speed_ms(),
    }


def cpu_speed_ms() -> float:
    """Milliseconds one core takes for a fixed piece of pure-Python work (best of five): runs on
    different days, or on machines that look the same, differ by this much in raw speed."""
    import timeit

    def work() -> int:
        total = 0
        for i in range(200_000):
            total += (i * i) % 7
        return total

    return round(min(timeit.repeat(work, number=1, repeat=5)) * 1000, 1)


def _chromium_version() -> str:
    from wagate.browser import chromium_executable

    executable = chromium_executable(headless_shell=True)  # the runners'
    if not executable:
        return "playwright's own"
    try:
        return subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return executable


def _busy_processes() -> int:
    """Processes using CPU right now that this benchmark did not start (a shared machine)."""
    try:
        out = subprocess.run(["ps", "-eo", "pcpu=,pid="], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return -1
    return sum(1 for line in out.splitlines() if line.split() and float(line.split()[0]) >= 5.0)


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def new_result(name: str, inputs: dict) -> dict:
    return {
        "benchmark": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + shlex.join(sys.argv[1:]),
        "inputs": inputs,
        "machine": machine_facts(),
        "figures": {},
        "targets": [],
        "notes": [],
    }


def finish(result: dict, json_path: str | None) -> Path:
    one, five, fifteen = os.getloadavg()
    result["machine"]["load_average_at_end"] = [round(one, 2), round(five, 2), round(fifteen, 2)]
    path = Path(json_path) if json_path else RESULTS_DIR / f"{result['benchmark']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print_targets(result["targets"])
    for note in result["notes"]:
        print(f"note: {note}")
    print(f"JSON written to {path}")
    return path


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def print_targets(targets: list[dict]) -> None:
    if targets:
        print_table(
            "targets",
            ["target", "value", "wanted", "met"],
            [[t["name"], t["value"], t["target"], "yes" if t["met"] else "NO"] for t in targets],
        )


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}"
    return "-" if value is None else str(value)
