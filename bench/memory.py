"""`memory`: marginal memory per linked session, wagate's model (one runner: one Chromium, one
browser context per session) against the browser-per-session model (whatsapp-web.js: one Chromium
per session), side by side in one run, on the same simulator page with the same bridge.

Memory is PSS (and USS) summed over the whole process tree (Python, Playwright's driver, every
Chromium process), read after the pages settle, at several session counts; the marginal cost per
session is (tree(N) - tree(0)) / N, where tree(0) is the idle runner (browser launched, no session)
and the idle driver (no browser) respectively."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench import plot
from bench.harness import REPO, BenchEnv, log, new_result, print_table
from bench.procmem import kill_tree, settled_memory
from bench.sessions import Dashboard, Phones, link_sessions, statuses
from bench.stats import linear_fit, target
from devstack.process import StartFailed, _die_with_parent

RATIO_TARGET = 0.45
HELD_TARGET = 100
STRATEGIES = ("context", "profile")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline-sessions",
        type=int,
        default=25,
        help="most sessions for the browser-per-session side (it grows linearly; default 25)",
    )
    parser.add_argument(
        "--models",
        default="context,profile,browser",
        help="which of wagate's strategies (context, profile) and browser (per session) to measure",
    )


def sample_points(n: int, also: int | None = None) -> list[int]:
    """Where memory is read on the way to `n` sessions (`also`: the count both models reach)."""
    points = {p for p in (1, 2, 5, 10, 20, 50, 100, 200) if p < n} | {n}
    if also is not None and also <= n:
        points.add(also)
    return sorted(points)


def run(args: argparse.Namespace) -> dict:
    n = args.sessions or (HELD_TARGET if args.full else 10)
    baseline_n = min(n, args.baseline_sessions)
    result = new_result(
        "memory", {"sessions": n, "baseline_sessions": baseline_n, "points": sample_points(n, baseline_n)}
    )
    figures = result["figures"]
    with BenchEnv() as env:
        phones, dashboard = Phones(env.sim_url), Dashboard(env.stack)
        try:
            strategies = detect_strategies(env)
            figures["persistence_strategies"] = strategies
            # `profile` keeps a user-data-dir per session, so it runs a browser per session: it is
            # capped like the browser-per-session side (100 browsers would not fit in memory here).
            configurations = (
                [("wagate (context)", {"CHECKPOINT_STRATEGY": "context"}, n),
                 ("wagate (profile)", {"CHECKPOINT_STRATEGY": "profile"}, baseline_n)]
                if strategies["supported"]
                else [("wagate", {}, n)]
            )  # fmt: skip
            models = set(args.models.split(","))
            configurations = [
                c for c in configurations if c[1].get("CHECKPOINT_STRATEGY", "context") in models
            ]
            curves: dict[str, dict] = {}
            for label, extra, most in configurations:
                points = sample_points(most, baseline_n)
                curves[label] = measure_runner(env, dashboard, phones, points, extra)
                env.clear_sessions()
            if "browser" in models:
                curves["browser per session"] = measure_browser_per_session(env, sample_points(baseline_n))
        finally:
            phones.close()
            dashboard.close()
    figures["curves"] = curves
    report(result, curves, n, baseline_n)
    # the README's plot comes from the default run; a run writing its JSON elsewhere plots beside it
    image = REPO / "docs" / "memory-per-session.png"
    if args.json:
        image = Path(args.json).with_suffix(".png")
    figures["plot"] = str(plot.memory_plot(curves, image))
    return result


def detect_strategies(env: BenchEnv) -> dict:
    """Does the runner read CHECKPOINT_STRATEGY? Tried: a runner given an invalid value must refuse
    to start (settings fail fast); one that starts anyway does not read the setting."""
    try:
        running = env.start_runner(CHECKPOINT_STRATEGY="bench-probe-not-a-strategy")
    except StartFailed as exc:
        if "CHECKPOINT_STRATEGY" in str(exc):
            return {"supported": True, "context": "measured", "profile": "measured"}
        raise
    env.stop_runner(running)
    missing = (
        "not available: the runner does not read CHECKPOINT_STRATEGY yet (an invalid value was accepted)"
    )
    return {"supported": False, "context": missing, "profile": missing}


def _point(sessions: int, memory, settle_s: float) -> dict:
    return {"sessions": sessions, **memory.to_json(), "settle_s": round(settle_s, 1)}


def measure_runner(
    env: BenchEnv, dashboard: Dashboard, phones: Phones, points: list[int], extra: dict
) -> dict:
    label = extra.get("CHECKPOINT_STRATEGY", "default")
    log(f"wagate runner ({label}): idle memory")
    runner = env.start_runner(RUNNER_CAPACITY=str(points[-1] + 5), WA_LOAD_TIMEOUT_S="120", **extra)
    runner_id = env.runner_id(runner)
    curve: dict = {"model": "one runner: one Chromium, a browser context per session", "env": extra}
    try:
        memory, settle = settled_memory([runner.pid])
        curve["points"] = [_point(0, memory, settle)]
        linked = []
        started = time.monotonic()
        for count in points:
            linked += link_sessions(env.stack, dashboard, phones, count - len(linked))
            memory, settle = settled_memory([runner.pid])
            curve["points"].append(_point(count, memory, settle))
            log(f"  {count} sessions: {memory.pss_mb:.0f} MB PSS")
        curve["link_seconds"] = round(time.monotonic() - started, 1)
        rows = statuses(env.stack, [s.id for s in linked])
        held = [r for r in rows.values() if r["status"] == "connected" and r["runner_id"] == runner_id]
        curve["held_at_end"] = len(held)
        curve["runner_alive_at_end"] = runner.popen.poll() is None
        if len(held) < len(linked):
            curve["not_held"] = [
                {"status": r["status"], "runner_id": r["runner_id"], "last_error": r["last_error"]}
                for r in rows.values()
                if r not in held
            ]
            curve["runner_warnings"] = _warnings(runner.spec.log_path)
    finally:
        env.stop_runner(runner)
    _marginals(curve)
    return curve


def _warnings(log_path: Path, most: int = 30) -> list[str]:
    """The runner's last warning and error lines (JSON lines; no message text is ever logged)."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line[:400] for line in lines if '"level": "warning"' in line or '"level": "error"' in line][
        -most:
    ]


def measure_browser_per_session(env: BenchEnv, points: list[int]) -> dict:
    log("browser per session: idle driver")
    with open(env.stack.paths.log_dir / "browser-per-session.log", "ab") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.browser_per_session", "--url", env.sim_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=REPO,
            env=env.stack.process_env(),
            preexec_fn=_die_with_parent,
        )
    curve: dict = {"model": "one Chromium per session (whatsapp-web.js), own user-data-dir each", "env": {}}
    try:
        _expect(proc, "ready")
        memory, settle = settled_memory([proc.pid])
        curve["points"] = [_point(0, memory, settle)]
        linked = 0
        for count in points:
            proc.stdin.write(f"add {count - linked}\n")
            proc.stdin.flush()
            _expect(proc, "linked")
            linked = count
            memory, settle = settled_memory([proc.pid])
            curve["points"].append(_point(count, memory, settle))
            log(f"  {count} browsers: {memory.pss_mb:.0f} MB PSS")
        curve["held_at_end"] = linked
    finally:
        try:
            proc.stdin.write("quit\n")
            proc.stdin.flush()
            proc.wait(90)
        except (OSError, subprocess.TimeoutExpired):
            kill_tree(proc.pid)
            proc.wait(10)
    _marginals(curve)
    return curve


def _expect(proc: subprocess.Popen, word: str) -> str:
    line = proc.stdout.readline().strip()
    if not line.startswith(word):
        raise RuntimeError(f"browser-per-session driver: expected {word!r}, got {line!r}")
    return line


def _marginals(curve: dict) -> None:
    idle = curve["points"][0]
    for point in curve["points"][1:]:
        point["pss_mb_per_session"] = round((point["pss_mb"] - idle["pss_mb"]) / point["sessions"], 1)
        point["uss_mb_per_session"] = round((point["uss_mb"] - idle["uss_mb"]) / point["sessions"], 1)
    last = curve["points"][-1]
    curve["sessions"] = last["sessions"]
    curve["marginal_pss_mb_per_session"] = last["pss_mb_per_session"]
    curve["marginal_uss_mb_per_session"] = last["uss_mb_per_session"]
    loaded = curve["points"][1:]
    if len(loaded) >= 2:
        curve["fitted_pss_mb_per_session"] = round(
            linear_fit([p["sessions"] for p in loaded], [p["pss_mb"] for p in loaded])[0], 1
        )


def _at(curve: dict, sessions: int) -> dict | None:
    return next((p for p in curve["points"] if p["sessions"] == sessions), None)


def report(result: dict, curves: dict, n: int, baseline_n: int) -> None:
    rows = []
    for label, curve in curves.items():
        for point in curve["points"]:
            rows.append(
                [label, point["sessions"], point["processes"], point["pss_mb"], point["uss_mb"],
                 point.get("pss_mb_per_session"), point.get("uss_mb_per_session")]
            )  # fmt: skip
    print_table(
        "memory (whole process tree, after settling; per session = (tree(N) - tree(0)) / N)",
        ["model", "sessions", "procs", "PSS MB", "USS MB", "PSS MB/session", "USS MB/session"],
        rows,
    )
    baseline = curves.get("browser per session")
    comparable = _at(baseline, baseline_n) if baseline else None
    ratios = {}
    for label, curve in curves.items():
        if label == "browser per session":
            continue
        point = _at(curve, baseline_n)
        if point and comparable:
            ratios[label] = {
                "sessions": baseline_n,
                "pss_ratio": round(point["pss_mb_per_session"] / comparable["pss_mb_per_session"], 3),
                "uss_ratio": round(point["uss_mb_per_session"] / comparable["uss_mb_per_session"], 3),
            }
    result["figures"]["ratios"] = ratios
    for label, ratio in ratios.items():
        if label == "wagate (profile)":
            continue  # a browser per session by design: a figure, not held to the target
        result["targets"].append(
            target(
                f"{label} / browser per session, marginal PSS per session at {ratio['sessions']} sessions",
                ratio["pss_ratio"],
                RATIO_TARGET,
            )
        )
    for label, curve in curves.items():
        if label != "browser per session" and curve["sessions"] == n:
            result["targets"].append(
                target(
                    f"{label}: sessions held by one runner without a failure",
                    curve["held_at_end"] if curve["runner_alive_at_end"] else 0,
                    HELD_TARGET,
                    at_most=False,
                )
            )
    if n < HELD_TARGET:
        result["notes"].append(f"quick run with {n} sessions: the 100-session target needs --sessions 100")
    for label in STRATEGIES:
        state = result["figures"]["persistence_strategies"][label]
        if state != "measured":
            result["notes"].append(f"strategy {label}: {state}")
    if "wagate (profile)" in curves:
        result["notes"].append(
            "strategy profile keeps a user-data-dir per session, so the runner launches a browser per "
            f"session (whatsapp-web.js RemoteAuth's way): measured up to {baseline_n} sessions like the "
            f"browser-per-session side; its ratio ({ratios.get('wagate (profile)', {}).get('pss_ratio')}) "
            "is a figure, the 0.45 target is for the default strategy, context"
        )
