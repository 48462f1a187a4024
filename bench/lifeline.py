"""`lifeline`: the window in which a runner's browser outlives its Python process, with and without
the parent-death launchers (`runner/lifeline.py`, `BROWSER_DIES_WITH_RUNNER`), side by side.

Each trial: a runner holding one linked session; its Python process SIGKILLed alone (an OOM kill);
a customer writes at fixed offsets after the kill. Measured: when the runner's last process (the
Playwright driver, Chromium and its children) was gone, and how many messages the dead runner's page
took and confirmed to WhatsApp (the simulator's ack 2) without anyone storing them: lost, since
WhatsApp never delivers them again. A last trial per mode stops the driver first (SIGSTOP), as a
driver too busy to notice its closed pipe."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path

from bench.harness import BenchEnv, log, new_result, print_table
from bench.procmem import alive, descendants
from bench.sessions import Dashboard, Phones, fresh_phone, link_sessions
from bench.stats import summary, target

OFFSETS_MS = (0, 5, 10, 20, 40, 80, 160)
MODES = {"lifeline": "1", "none": "0"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lifeline-trials", type=int, default=0, help="trials per mode (default 3, --full 8)"
    )


def _trial(env: BenchEnv, phones: Phones, dashboard: Dashboard, mode: str, *, stop_driver: bool) -> dict:
    runner = env.start_runner(BROWSER_DIES_WITH_RUNNER=MODES[mode], RUNNER_CAPACITY="5")
    tree: list[int] = []
    try:
        (session,) = link_sessions(env.stack, dashboard, phones, 1)
        tree = descendants(runner.pid)[1:]
        if stop_driver:
            for pid in tree:
                if b"cli.js" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGSTOP)
        customer = fresh_phone("4918")
        sent: dict[str, int] = {}

        def write(started: float) -> None:
            for offset in OFFSETS_MS:
                time.sleep(max(0.0, started + offset / 1000 - time.perf_counter()))
                sent[phones.send(customer, session.phone or "", f"at +{offset} ms")["id"]] = offset

        killed = time.perf_counter()
        os.kill(runner.pid, signal.SIGKILL)
        writer = threading.Thread(target=write, args=(killed,))
        writer.start()
        gone_ms = None
        while time.perf_counter() - killed < 5:
            if not alive(tree):
                gone_ms = (time.perf_counter() - killed) * 1000
                break
            time.sleep(0.002)
        writer.join()
        time.sleep(1.0)  # acks of what a page took reach the simulator's log
        acks = {m["id"]: m["ack"] for m in phones.messages() if m["id"] in sent}
        stored = {
            row[0]
            for row in env.stack.sql(
                "select content from public.whatsapp_web_messages where session_id = %s", (session.id,)
            )
        }
        taken = [offset for mid, offset in sent.items() if acks.get(mid, 0) >= 2]  # the page confirmed it
        lost = [offset for offset in taken if f"at +{offset} ms" not in stored]
        return {"tree_gone_ms": None if gone_ms is None else round(gone_ms, 1), "processes": len(tree),
                "lost_offsets_ms": sorted(lost), "left_alive": len(alive(tree))}  # fmt: skip
    finally:
        for pid in alive(tree):  # orphans: not left to the next trial
            os.kill(pid, signal.SIGKILL)
        env.stack.runners.stop(runner)
        env.clear_sessions()


def run(args: argparse.Namespace) -> dict:
    trials = args.lifeline_trials or (8 if args.full else 3)
    result = new_result("lifeline", {"trials_per_mode": trials, "offsets_ms": OFFSETS_MS})
    figures: dict[str, dict] = {}
    with BenchEnv() as env:
        phones, dashboard = Phones(env.sim_url), Dashboard(env.stack)
        for mode in MODES:
            runs = []
            for index in range(trials):
                runs.append(_trial(env, phones, dashboard, mode, stop_driver=False))
                log(f"{mode} trial {index + 1}: {runs[-1]}")
            busy = _trial(env, phones, dashboard, mode, stop_driver=True)
            log(f"{mode} with its driver stopped: {busy}")
            gone = [r["tree_gone_ms"] for r in runs if r["tree_gone_ms"] is not None]
            lost = [offset for r in runs for offset in r["lost_offsets_ms"]]
            figures[mode] = {
                "tree_gone_ms": summary(gone),
                "messages_written": trials * len(OFFSETS_MS),
                "messages_lost": len(lost),
                "lost_at_offsets_ms": sorted(lost),
                "driver_stopped": busy,
                "trials": runs,
            }
        dashboard.close()
        phones.close()
    result["figures"] = figures
    result["targets"] = [
        target("lifeline: messages lost when written 20 ms or more after the kill",
               sum(1 for o in figures["lifeline"]["lost_at_offsets_ms"] if o >= 20), 0),
        target("lifeline, driver stopped: processes left alive",
               figures["lifeline"]["driver_stopped"]["left_alive"], 0),
    ]  # fmt: skip
    print_table(
        "a runner's Python process SIGKILLed alone",
        ["mode", "last process gone median ms", "max ms", "lost / written", "lost at +ms",
         "driver stopped: alive"],
        [[mode, f["tree_gone_ms"].get("median"), f["tree_gone_ms"].get("max"),
          f"{f['messages_lost']} / {f['messages_written']}", f["lost_at_offsets_ms"],
          f["driver_stopped"]["left_alive"]] for mode, f in figures.items()],
    )  # fmt: skip
    return result
