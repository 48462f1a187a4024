"""Memory of a whole process tree, from /proc: PSS and USS summed over a process and all its
descendants (a runner is Python + Playwright's Node driver + Chromium's browser, GPU, utility and
renderer processes). PSS shares each shared page among the processes mapping it; USS counts only
pages private to one process."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def children_map() -> dict[int, list[int]]:
    """ppid -> pids, for every process visible now."""
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: ppid is after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int, tree: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and every process below it."""
    tree = tree if tree is not None else children_map()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def alive(pids: list[int]) -> list[int]:
    """Those of `pids` still running (not gone, not a zombie waiting to be reaped)."""
    running = []
    for pid in pids:
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 :].split()[0] != "Z":
            running.append(pid)
    return running


@dataclass(frozen=True)
class TreeMemory:
    processes: int
    rss_kb: int
    pss_kb: int
    uss_kb: int

    @property
    def pss_mb(self) -> float:
        return self.pss_kb / 1024

    @property
    def uss_mb(self) -> float:
        return self.uss_kb / 1024

    def to_json(self) -> dict:
        return {
            "processes": self.processes,
            "rss_mb": round(self.rss_kb / 1024, 1),
            "pss_mb": round(self.pss_mb, 1),
            "uss_mb": round(self.uss_mb, 1),
        }


def _rollup(pid: int) -> dict[str, int] | None:
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:  # gone meanwhile, or a kernel thread
        return None
    values: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0])
    return values


def tree_memory(root_pids: list[int]) -> TreeMemory:
    """PSS/RSS/USS (kB) summed over `root_pids` and all their descendants (each counted once)."""
    tree = children_map()
    pids = {p for root in root_pids for p in descendants(root, tree)}
    rss = pss = uss = count = 0
    for pid in pids:
        values = _rollup(pid)
        if values is None:
            continue
        count += 1
        rss += values.get("Rss", 0)
        pss += values.get("Pss", 0)
        uss += values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return TreeMemory(count, rss, pss, uss)


def settled_memory(
    root_pids: list[int], *, interval_s: float = 2.0, tolerance: float = 0.01, max_wait_s: float = 30.0
) -> tuple[TreeMemory, float]:
    """Read the tree until two reads `interval_s` apart differ by less than `tolerance` (PSS), or
    `max_wait_s` passed; the last read and how long it took to settle."""
    started = time.monotonic()
    previous = tree_memory(root_pids)
    while True:
        time.sleep(interval_s)
        current = tree_memory(root_pids)
        change = abs(current.pss_kb - previous.pss_kb) / max(previous.pss_kb, 1)
        if change < tolerance or time.monotonic() - started > max_wait_s:
            return current, time.monotonic() - started
        previous = current


def kill_tree(pid: int) -> int:
    """SIGKILL `pid` and all its descendants at once (a container dying); how many were signalled."""
    pids = descendants(pid)
    for target in pids:
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)
