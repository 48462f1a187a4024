"""`startup`: how fast a dashboard user sees things, through the public API with a warm runner:
create -> `qr_ready`, scan -> `connected`, restart -> `connected` again from the auth checkpoint
(no QR), and a runner killed with SIGKILL -> all its sessions connected again on another runner.

Single-session times poll the API every 20 ms (what a dashboard would do, faster); the fleet
figure polls the database every 100 ms."""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from bench.harness import BenchEnv, log, new_result, print_table
from bench.procmem import kill_tree
from bench.sessions import BenchSession, Dashboard, Phones, fresh_phone, link_sessions, statuses
from bench.stats import summary, target
from simulator.qr import decode_qr_png

QR_TARGET_S, RESTART_TARGET_S, KILL_MARGIN_S = 1.0, 2.0, 5.0
POLL_S = 0.02
NOT_AVAILABLE = "checkpoint restore not available: the session asked for a new QR code"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kill-sessions", type=int, default=20, help="sessions on the runner that is killed")
    parser.add_argument("--lease-ttl", type=int, default=15, help="LEASE_TTL_SECONDS of the runners")


def _wait(
    dashboard: Dashboard, session: BenchSession, done, timeout_s: float = 60, seen: dict | None = None
) -> tuple[float, dict]:
    """Poll the API until `done(row)`; `seen` collects when each status was first seen."""
    deadline = time.perf_counter() + timeout_s
    while True:
        row = dashboard.get(session)
        if seen is not None:
            seen.setdefault(row["status"], time.perf_counter())
        if done(row):
            return time.perf_counter(), row
        if row["status"] in ("failed", "logged_out", "qr_expired") or time.perf_counter() > deadline:
            raise RuntimeError(f"session {session.id}: {row['status']} ({row.get('last_error')})")
        time.sleep(POLL_S)


def _connected_since(moment: datetime):
    def done(row: dict) -> bool:
        if row["status"] == "qr_ready":
            return True
        stamp = row.get("connected_at")
        return row["status"] == "connected" and stamp and datetime.fromisoformat(stamp) > moment

    return done


def measure_single(env: BenchEnv, dashboard: Dashboard, phones: Phones, count: int) -> dict:
    qr_s, scan_s, restart_s, restart_qr = [], [], [], 0
    to_starting, starting_to_qr = [], []
    sessions = []
    for _ in range(count):
        started = time.perf_counter()
        session = dashboard.create()
        seen: dict[str, float] = {}
        ready_at, row = _wait(
            dashboard, session, lambda r: r["status"] == "qr_ready" and r.get("qr_code"), seen=seen
        )
        qr_s.append(ready_at - started)
        if "starting" in seen:
            to_starting.append(seen["starting"] - started)
            starting_to_qr.append(ready_at - seen["starting"])
        session.phone = fresh_phone()
        qr = decode_qr_png(row["qr_code"])
        started = time.perf_counter()
        phones.scan(qr, session.phone)
        connected_at, _ = _wait(dashboard, session, lambda r: r["status"] == "connected")
        scan_s.append(connected_at - started)
        sessions.append(session)
    time.sleep(2)  # the checkpoint after login is written in the background
    for session in sessions:
        moment = datetime.now().astimezone()
        started = time.perf_counter()
        session.api.post(f"/api/sessions/{session.id}/restart").raise_for_status()
        back_at, row = _wait(dashboard, session, _connected_since(moment))
        if row["status"] == "qr_ready":
            restart_qr += 1
        else:
            restart_s.append(back_at - started)
    for session in sessions:
        dashboard.delete(session)
    return {
        "create_to_qr_ready_s": summary(qr_s, digits=3),
        "create_to_starting_s": summary(to_starting, digits=3),
        "starting_to_qr_ready_s": summary(starting_to_qr, digits=3),
        "scan_to_connected_s": summary(scan_s, digits=3),
        "restart_to_connected_s": summary(restart_s, digits=3) if restart_s else NOT_AVAILABLE,
        "restarts_that_asked_for_a_qr": restart_qr,
    }


def _checkpointed(env: BenchEnv, ids: list[str], timeout_s: float = 30) -> int:
    """How many of these sessions have an auth checkpoint in S3 (waits up to `timeout_s` for all)."""
    s3, bucket = env.stack.s3(), env.stack.env["WAGATE_CHECKPOINT_BUCKET"]
    deadline = time.monotonic() + timeout_s
    while True:
        found = sum(
            1 for i in ids if s3.list_objects_v2(Bucket=bucket, Prefix=f"checkpoints/{i}/").get("KeyCount", 0)
        )
        if found == len(ids) or time.monotonic() > deadline:
            return found
        time.sleep(1)


def measure_kill(
    env: BenchEnv, dashboard: Dashboard, phones: Phones, runner, count: int, ttl: int, settings: dict
) -> dict:
    sessions = link_sessions(env.stack, dashboard, phones, count)
    ids = [s.id for s in sessions]
    checkpointed = _checkpointed(env, ids)
    log(f"{checkpointed}/{count} sessions have a checkpoint; starting the second runner")
    other = env.start_runner(**settings)
    other_id = env.runner_id(other)
    killed_at, killed_wall = time.perf_counter(), time.time()
    signalled = kill_tree(runner.pid)
    log(f"SIGKILL to the first runner ({signalled} processes)")
    adopted_s = back_s = None
    asked_for_qr = 0
    back_at: dict[str, float] = {}  # when each session was seen connected on the other runner
    deadline = killed_at + ttl + 90
    while time.perf_counter() < deadline:
        rows = statuses(env.stack, ids)
        now = time.perf_counter()
        mine = [r for r in rows.values() if r["runner_id"] == other_id]
        # connected again: logged in on the new runner (a claimed row still says `connected` until
        # the new runner opens it, so the login time tells)
        for session_id, r in rows.items():
            if (
                r["runner_id"] == other_id
                and r["status"] == "connected"
                and (r["connected_at"] or 0) > killed_wall
            ):
                back_at.setdefault(session_id, round(r["connected_at"] - killed_wall, 2))
        if adopted_s is None and len(mine) == count:
            adopted_s = now - killed_at
        asked_for_qr = sum(1 for r in mine if r["status"] == "qr_ready")
        if len(back_at) == count:
            back_s = max(back_at.values())
            break
        if adopted_s is not None and asked_for_qr:
            break
        time.sleep(0.1)
    return {
        "sessions": count,
        "lease_ttl_s": ttl,
        "checkpointed_before_kill": checkpointed,
        "kill_to_all_adopted_s": None if adopted_s is None else round(adopted_s, 2),
        "kill_to_all_connected_s": round(back_s, 2)
        if back_s is not None
        else (NOT_AVAILABLE if asked_for_qr else "timed out"),
        "sessions_that_asked_for_a_qr": asked_for_qr,
        "each_connected_after_s": sorted(back_at.values()),
    }


def run(args: argparse.Namespace) -> dict:
    count = args.sessions or (20 if args.full else 5)
    settings = {
        "RUNNER_CAPACITY": str(max(count, args.kill_sessions) + 10),
        "LEASE_TTL_SECONDS": str(args.lease_ttl),
        "WA_LOAD_TIMEOUT_S": "60",
    }
    result = new_result(
        "startup",
        {"sessions": count, "kill_sessions": args.kill_sessions, "lease_ttl_s": args.lease_ttl,
         "runner_env": settings, "api_poll_interval_s": POLL_S},
    )  # fmt: skip
    with BenchEnv() as env:
        result["inputs"]["simulator"] = env.simulator_args
        # a user per session: the API's per-user rate limit (600 calls a minute) is for dashboards
        # polling every second or so, not every 20 ms
        phones, dashboard = Phones(env.sim_url), Dashboard(env.stack, per_user=1)
        try:
            runner = env.start_runner(**settings)
            log("warming the runner with one linked session")
            warm = link_sessions(env.stack, dashboard, phones, 1)
            dashboard.delete(warm[0])
            log(f"{count} sessions one by one: create -> QR -> scan -> connected -> restart -> connected")
            result["figures"]["single"] = measure_single(env, dashboard, phones, count)
            log(f"{args.kill_sessions} sessions on one runner, then SIGKILL")
            result["figures"]["kill"] = measure_kill(
                env, dashboard, phones, runner, args.kill_sessions, args.lease_ttl, settings
            )
        finally:
            phones.close()
            dashboard.close()
    report(result)
    return result


def report(result: dict) -> None:
    single, kill = result["figures"]["single"], result["figures"]["kill"]
    rows = []
    for name in ("create_to_qr_ready_s", "create_to_starting_s", "starting_to_qr_ready_s",
                 "scan_to_connected_s", "restart_to_connected_s"):  # fmt: skip
        value = single[name]
        if isinstance(value, dict):
            rows.append([name, value["min"], value["median"], value["p99"], value["count"]])
        else:
            rows.append([name, value, None, None, None])
    rows.append(
        [
            f"kill_to_all_adopted_s ({kill['sessions']} sessions)",
            None,
            kill["kill_to_all_adopted_s"],
            None,
            None,
        ]
    )
    rows.append(
        [
            f"kill_to_all_connected_s ({kill['sessions']} sessions)",
            None,
            kill["kill_to_all_connected_s"],
            None,
            None,
        ]
    )
    print_table("startup (seconds)", ["what", "min", "p50", "p99", "n"], rows)
    targets = result["targets"]
    qr = single["create_to_qr_ready_s"]
    targets.append(target("create -> qr_ready p50, warm runner (s)", qr.get("median"), QR_TARGET_S))
    restart = single["restart_to_connected_s"]
    restart_p50 = restart.get("median") if isinstance(restart, dict) else None
    targets.append(target("restart -> connected from a checkpoint, p50 (s)", restart_p50, RESTART_TARGET_S))
    back = kill["kill_to_all_connected_s"]
    targets.append(
        target(f"SIGKILL -> all {kill['sessions']} sessions connected on another runner (s)",
               back if isinstance(back, float) else None, kill["lease_ttl_s"] + KILL_MARGIN_S)
    )  # fmt: skip
    for value in (restart, back):
        if isinstance(value, str):
            result["notes"].append(value)
