"""Where the time goes: CPU seconds per part of the stack (from /proc), and py-spy samples of a
Python process summarised as the functions with the most samples."""

from __future__ import annotations

import collections
import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.procmem import children_map, descendants
from devstack.stack import REPO

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _part_name(pid: int) -> str | None:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    words = [a.decode(errors="replace") for a in argv if a]
    if not words:
        return None
    text = " ".join(words)
    if "chrom" in words[0] or "headless_shell" in words[0]:
        return "chromium"
    if words[0].endswith("node") or "/node " in text or "playwright" in words[0]:
        return "playwright driver (node)"
    if "postgrest" in words[0]:
        return "postgrest"
    if "postgres" in words[0] or words[0].startswith("postgres:"):
        return "postgres"
    if "-m" in words:
        module = words[words.index("-m") + 1]
        return {"devstack.gateway": "supabase gateway (python)", "runner": "runner (python)"}.get(
            module, f"{module} (python)"
        )
    if "chalice" in text:
        return "api: chalice local (python)"
    if "moto" in text:
        return "moto (python)"
    return words[0].rsplit("/", 1)[-1]


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by these processes together (each counted once)."""
    return sum(_cpu_ticks(pid) for pid in set(pids)) / CLOCK_TICKS


def cpu_by_part(root_pids: list[int]) -> dict[str, float]:
    """CPU seconds used so far by each part (every process below `root_pids`, grouped by name)."""
    tree = children_map()
    seen: set[int] = set()
    totals: dict[str, float] = collections.defaultdict(float)
    parts = {pid for root in root_pids if root != os.getpid() for pid in descendants(root, tree)}
    own = set(descendants(os.getpid(), tree)) - parts  # the benchmark itself, apart from what it started
    for root in root_pids:
        for pid in descendants(root, tree):
            if pid in seen:
                continue
            seen.add(pid)
            name = _part_name(pid)
            if name and pid in own:
                name = "benchmark: " + ("load and probes (python)" if pid == os.getpid() else name)
            if name:
                totals[name] += _cpu_ticks(pid) / CLOCK_TICKS
    return dict(totals)


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per part between two readings (processes that ended meanwhile are lost)."""
    return {
        name: round(after[name] - before.get(name, 0.0), 2)
        for name in sorted(after, key=lambda n: after[n] - before.get(n, 0.0), reverse=True)
        if after[name] - before.get(name, 0.0) > 0.005
    }


def raw_path(args, benchmark: str, process: str) -> Path:
    """Where a run keeps py-spy's raw samples: beside its JSON."""
    from bench.harness import RESULTS_DIR

    base = Path(args.json).with_suffix("") if args.json else RESULTS_DIR / benchmark
    return base.parent / f"{base.name}.{process}.pyspy.txt.gz"


def py_spy_path() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class PySpy:
    """`py-spy record` of one process in the background, in py-spy's raw (collapsed stack) format."""

    def __init__(self, pid: int, out: Path, *, duration_s: int, rate: int = 50) -> None:
        self.pid, self.out = pid, out
        executable = py_spy_path()
        if executable is None:
            raise RuntimeError("py-spy is not installed: pip install py-spy (it is in the dev extras)")
        self.proc = subprocess.Popen(
            [executable, "record", "--pid", str(pid), "--duration", str(duration_s), "--rate", str(rate),
             "--format", "raw", "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    def wait(self, keep_as: Path | None = None, timeout_s: float = 120) -> dict:
        """The summary once py-spy is done; `keep_as`: also keep the raw samples there (gzip)."""
        try:
            _, err = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.out.exists():
            return {"error": (err or b"").decode(errors="replace")[-500:]}
        text = self.out.read_text()
        summary = summarise_collapsed(text)
        if keep_as is not None:
            keep_as.parent.mkdir(parents=True, exist_ok=True)
            keep_as.write_bytes(gzip.compress(text.encode()))
            summary["raw_samples"] = str(keep_as)
        return summary

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _frame_name(frame: str) -> str:
    # py-spy raw frames: "function (path/to/file.py:123)"
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3", f"{REPO}/", "/usr/lib/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


PROJECT_DIRS = ("runner/", "wagate/", "devstack/", "api_lambda/", "simulator/")
IDLE = ("select (selectors.py)", "EpollSelector.select", "poll (selectors.py)", "wait (threading.py)")


def summarise_collapsed(text: str, top: int = 15) -> dict:
    """Self and inclusive sample counts per function, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    in_project: collections.Counter[str] = collections.Counter()  # the project's own frames
    importing: collections.Counter[str] = collections.Counter()  # who imports at run time
    total = idle = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or not stack:
            continue
        samples = int(count)
        total += samples
        frames = [_frame_name(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("<module>") and not f.startswith("thread ")]
        if not frames or frames[-1].startswith(IDLE):
            idle += samples
            continue
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
        project = [f for f in frames if f.split(" (", 1)[1].startswith(PROJECT_DIRS)]
        if project:
            # the chain of the project's own frames says who asked for the work, e.g.
            # "_consume_events > _handle > on_inbound > _take_in > _call"
            in_project[" > ".join(f.split(" (", 1)[0] for f in project[-5:])] += samples
        first_import = next((i for i, f in enumerate(frames) if f.startswith("_find_and_load ")), None)
        if first_import:
            importing[frames[first_import - 1]] += samples
    busy = total - idle
    share = lambda n: round(100 * n / busy, 1) if busy else 0.0  # noqa: E731
    return {
        "samples": total,
        "idle_samples": idle,
        "percent_of": "busy samples (a thread waiting in select/epoll is idle)",
        "top_self": [{"function": f, "percent": share(n)} for f, n in own.most_common(top)],
        "top_inclusive": [
            {"function": f, "percent": share(n)}
            for f, n in inclusive.most_common(top * 3)
            if not f.startswith(("run (", "_run (", "run_forever", "_run_once", "run_until_complete"))
        ][:top],
        "top_project_code": [{"function": f, "percent": share(n)} for f, n in in_project.most_common(top)],
        "importing_at_run_time": [{"caller": f, "percent": share(n)} for f, n in importing.most_common(5)],
    }
