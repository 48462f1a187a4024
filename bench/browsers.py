"""`browsers`: the runner's candidate browsers side by side, in one run, on one stack.

- `shell`: Debian's `chromium-headless-shell` (the runners' default when installed),
- `chromium`: Debian's full `chromium` in its (new) headless mode,
- `sparticuz`: the headless shell that the npm package `@sparticuz/chromium` ships brotli-compressed
  in its tarball (fetched with `npm pack` into a cache directory, decompressed with Node's zlib).

Per browser: a browser context with the WhatsApp Web page opened in it, N times, straight through
Playwright (the browser's CPU and the wall time per context); then a runner on that browser
(`CHROMIUM_PATH`): its process tree's PSS per linked session, the runner's own CPU per answered
message (Python, Playwright's driver, the browser) with customers writing at a fixed rate, and a
restore: the runner stopped (SIGTERM: it checkpoints and releases) with a second runner on the
same browser already waiting, until every session is connected again on the second one."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

from playwright.async_api import async_playwright

from bench.harness import BenchEnv, log, new_result, print_table
from bench.latency import RUNNER_PARTS, Load
from bench.procmem import descendants, settled_memory, tree_memory
from bench.profiling import cpu_by_part, cpu_delta, cpu_seconds
from bench.sessions import Dashboard, Phones, link_sessions, statuses
from bench.stats import ms, summary
from wagate.browser import CHROMIUM_FLAGS, HEADLESS_SHELL

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "wagate-bench"
RUNNER_SETTINGS = {
    "SEND_RATE_PER_S": "1000",
    "SEND_BURST": "1000",
    "TYPING_MS": "0",
    "WA_LOAD_TIMEOUT_S": "90",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--browsers", default="shell,chromium,sparticuz", help="which of shell, chromium, sparticuz, in order"
    )
    parser.add_argument("--sparticuz-version", default="153.0.0", help="the @sparticuz/chromium release")
    parser.add_argument(
        "--contexts", type=int, default=10, help="contexts opened straight through Playwright"
    )
    parser.add_argument(
        "--browser-rate", type=float, default=10, help="messages per second (CPU per message)"
    )


def sparticuz(version: str) -> Path:
    """@sparticuz/chromium's headless shell, unpacked once into the cache."""
    target = CACHE / f"sparticuz-chromium-{version}" / "chromium"
    if target.exists():
        return target
    node = shutil.which("node")
    if not shutil.which("npm") or not node:
        raise RuntimeError("npm and node are needed to fetch @sparticuz/chromium")
    target.parent.mkdir(parents=True, exist_ok=True)
    log(f"fetching @sparticuz/chromium@{version} with npm pack")
    subprocess.run(["npm", "pack", "--silent", f"@sparticuz/chromium@{version}"], cwd=target.parent,
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    tarball = target.parent / f"sparticuz-chromium-{version}.tgz"
    subprocess.run(["tar", "xzf", tarball.name, "package/bin/chromium.br"], cwd=target.parent, check=True)
    script = (
        "const fs=require('fs'),z=require('zlib');"
        "fs.writeFileSync(process.argv[2],z.brotliDecompressSync(fs.readFileSync(process.argv[1])))"
    )
    partial = target.with_suffix(".part")
    subprocess.run(
        [node, "-e", script, str(target.parent / "package/bin/chromium.br"), str(partial)], check=True
    )
    partial.chmod(0o755)
    partial.rename(target)
    shutil.rmtree(target.parent / "package", ignore_errors=True)
    tarball.unlink(missing_ok=True)
    return target


def executable(name: str, args: argparse.Namespace) -> Path:
    if name == "shell":
        return Path(HEADLESS_SHELL)
    if name == "chromium":
        return Path("/usr/lib/chromium/chromium")  # the binary itself (/usr/bin/chromium is a script)
    if name == "sparticuz":
        return sparticuz(args.sparticuz_version)
    raise ValueError(f"unknown browser {name!r}")


def _version(path: Path) -> str:
    try:
        done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
        return done.stdout.strip() or done.stderr.strip()[:200]
    except OSError as exc:
        return f"does not start: {exc}"


def _browser_pids(path: Path) -> list[int]:
    """This process's descendants running `path` (the browser and its renderers, GPU, utility)."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if argv0 == str(path).encode():
            found.append(pid)
    return found


async def contexts(path: Path, url: str, count: int) -> dict:
    """`count` contexts, each with WhatsApp Web's page loaded, straight through Playwright."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(path), args=list(CHROMIUM_FLAGS))
        await asyncio.sleep(2)
        empty = tree_memory(_browser_pids(path))
        cpu_before, walls = cpu_seconds(_browser_pids(path)), []
        for _ in range(count):
            started = time.perf_counter()
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(url, wait_until="load")
            walls.append(time.perf_counter() - started)
        await asyncio.sleep(2)
        cpu = cpu_seconds(_browser_pids(path)) - cpu_before  # (no browser process ends meanwhile)
        loaded = tree_memory(_browser_pids(path))
        await browser.close()
    return {
        "cpu_ms_per_context": round(1000 * cpu / count, 1),
        "wall_ms_per_context": summary([ms(w) for w in walls], digits=1),
        "pss_mb_per_context": round((loaded.pss_kb - empty.pss_kb) / 1024 / count, 1),
    }


async def _messages(env: BenchEnv, numbers: list[str], roots: list[int], count: int, rate: float) -> dict:
    load = Load(env.sim_url, numbers)
    try:
        await load.at_rate("warm", len(numbers), 10)
        await load.latencies("warm", len(numbers), timeout_s=60)
        before = cpu_by_part(roots)
        await load.at_rate("fixed", count, rate)
        values, lost = await load.latencies("fixed", count, timeout_s=30)
        cpu = cpu_delta(before, cpu_by_part(roots))
    finally:
        await load.control.aclose()
    return {
        "messages": count,
        "rate": rate,
        "lost": lost,
        "latency_ms": summary([ms(v) for v in values], digits=1),
        "runner_cpu_ms_per_message": round(1000 * sum(cpu.get(p, 0.0) for p in RUNNER_PARTS) / count, 1),
        "cpu_ms_per_message_by_part": {p: round(1000 * cpu.get(p, 0.0) / count, 1) for p in RUNNER_PARTS},
    }


def _restore(env: BenchEnv, runner, ids: list[str], settings: dict) -> dict:
    """Stop `runner` (SIGTERM) with a second runner waiting: until all are connected on it."""
    other = env.start_runner(**settings)
    other_id = env.runner_id(other)
    time.sleep(5)  # the second runner is up and idle (its warm page loaded)
    cpu_before = cpu_seconds(descendants(other.pid))
    stopped_wall, stopped = time.time(), time.perf_counter()
    env.stop_runner(runner)
    stop_s = time.perf_counter() - stopped
    back: dict[str, float] = {}
    deadline = time.perf_counter() + 120
    while len(back) < len(ids) and time.perf_counter() < deadline:
        for session_id, row in statuses(env.stack, ids).items():
            if (
                row["runner_id"] == other_id
                and row["status"] == "connected"
                and (row["connected_at"] or 0) > stopped_wall
            ):
                back.setdefault(session_id, row["connected_at"] - stopped_wall)
        time.sleep(0.1)
    rows = statuses(env.stack, ids)
    missing = [
        {
            "status": rows[i]["status"],
            "last_error": rows[i]["last_error"],
            "on_second": rows[i]["runner_id"] == other_id,
        }
        for i in ids
        if i not in back
    ]
    return {
        "runner": other,
        "not_back": missing,
        "sessions": len(ids),
        "graceful_stop_s": round(stop_s, 2),
        "stop_to_all_connected_s": round(max(back.values()), 2) if len(back) == len(ids) else "timed out",
        "connected_after_s": summary(list(back.values()), digits=2),
        "second_runner_cpu_s": round(cpu_seconds(descendants(other.pid)) - cpu_before, 2),
    }


def measure(env: BenchEnv, name: str, path: Path, args: argparse.Namespace, sessions: int) -> dict:
    figures: dict = {"executable": str(path), "version": _version(path)}
    log(f"{name}: {args.contexts} contexts straight through Playwright")
    figures["contexts"] = asyncio.run(contexts(path, env.sim_url + "/", args.contexts))
    settings = {**RUNNER_SETTINGS, "CHROMIUM_PATH": str(path), "RUNNER_CAPACITY": str(sessions + 5)}
    runner = env.start_runner(**settings)
    phones, dashboard = Phones(env.sim_url), Dashboard(env.stack)
    try:
        time.sleep(5)
        idle, _ = settled_memory([runner.pid])
        log(f"{name}: linking {sessions} sessions on a runner")
        started = time.perf_counter()
        linked = link_sessions(env.stack, dashboard, phones, sessions)
        figures["link_s"] = round(time.perf_counter() - started, 2)
        held, _ = settled_memory([runner.pid])
        figures["runner_pss_mb_per_session"] = round((held.pss_kb - idle.pss_kb) / 1024 / sessions, 1)
        count = int(args.messages or args.browser_rate * 15)
        log(f"{name}: {count} messages at {args.browser_rate:g}/s")
        roots = [runner.pid]
        figures["messages"] = asyncio.run(
            _messages(env, [s.phone for s in linked], roots, count, args.browser_rate)
        )
        time.sleep(3)  # the periodic checkpoints after the messages
        log(f"{name}: restore on a second runner after a graceful stop")
        restore = _restore(env, runner, [s.id for s in linked], settings)
        runner = restore.pop("runner")
        figures["restore"] = restore
        for session in linked:
            dashboard.delete(session)
    finally:
        env.stop_runner(runner)
        phones.close()
        dashboard.close()
        env.clear_sessions()
    return figures


def run(args: argparse.Namespace) -> dict:
    sessions = args.sessions or (20 if args.full else 10)
    names = [n.strip() for n in args.browsers.split(",") if n.strip()]
    result = new_result("browsers", {"browsers": names, "sessions": sessions, "contexts": args.contexts,
                                     "rate": args.browser_rate, "runner_env": RUNNER_SETTINGS,
                                     "sparticuz_version": args.sparticuz_version})  # fmt: skip
    with BenchEnv() as env:
        for name in names:
            try:
                path = executable(name, args)
            except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                result["notes"].append(f"{name}: not measured: {exc}")
                continue
            if not path.exists():
                result["notes"].append(f"{name}: not measured: {path} is not installed")
                continue
            result["figures"][name] = measure(env, name, path, args, sessions)
    report(result)
    return result


def report(result: dict) -> None:
    figures = result["figures"]
    rows = []
    for name, f in figures.items():
        restore = f["restore"]["stop_to_all_connected_s"]
        rows.append([name, f["version"].replace("Chromium ", "")[:28], f["contexts"]["cpu_ms_per_context"],
                     f["contexts"]["wall_ms_per_context"]["median"], f["contexts"]["pss_mb_per_context"],
                     f["runner_pss_mb_per_session"], f["messages"]["runner_cpu_ms_per_message"],
                     f["messages"]["latency_ms"].get("median"), f["messages"]["latency_ms"].get("p99"),
                     restore])  # fmt: skip
    sessions = result["inputs"]["sessions"]
    print_table(
        f"browsers side by side ({sessions} sessions; restore = SIGTERM -> all connected on another runner)",
        ["browser", "version", "ctx CPU ms", "ctx wall ms", "ctx PSS MB", "PSS MB/session",
         "runner CPU ms/msg", "p50 ms", "p99 ms", "restore s"],
        rows,
    )  # fmt: skip
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    result["notes"].append(f"measured one after the other on the same stack, finished {stamp}")
