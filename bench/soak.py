"""soak: N linked sessions over two runners for M minutes, customers writing at a steady rate, and a
random fault every minute (a runner SIGKILLed, its Python process alone SIGKILLed, or stopped, and
replaced; a phone's connection dropped, the chatbot slow or down, PostgREST restarted). At the end:
every message a customer sent is stored once and answered once (or failed with a recorded reason),
no reply arrived twice, and
the fleet's memory per session stayed flat after warm-up (growth <= 10 %).

Not part of `make bench`'s quick run nor of `make test`: `python -m bench soak --full` is the
issue's 50 sessions for 30 minutes; the defaults are a short version of it."""

from __future__ import annotations

import collections
import os
import random
import signal
import statistics
import threading
import time

from bench.harness import BenchEnv, log, new_result, print_table
from bench.procmem import kill_tree, tree_memory
from bench.sessions import Dashboard, Phones, fresh_phone, link_sessions
from bench.stats import target

RUNNER_ENV = {
    "LEASE_TTL_SECONDS": "10",
    "SEND_RATE_PER_S": "20",
    "BOT_TIMEOUT_S": "5",
    "BOT_ATTEMPTS": "3",
    "CHECKPOINT_INTERVAL_S": "30",
    "LOG_LEVEL": os.environ.get("SOAK_LOG_LEVEL", "WARNING"),
}
FAULTS = (
    "runner_sigkill",
    "runner_oom_kill",  # the runner's Python process alone: its browser must die with it
    "runner_sigterm",
    "connection_drop",
    "chatbot_slow",
    "chatbot_down",
    "postgrest_restart",
)
MEMORY_GROWTH_LIMIT = 0.10


def add_arguments(group) -> None:
    # --rate (customer messages per second, all sessions) is shared with `latency`.
    group.add_argument("--minutes", type=float, help="soak: how long (default 5; --full: 30)")
    group.add_argument("--soak-rate", type=float, help="soak: messages per second, all sessions (default 2)")
    group.add_argument("--fault-every", type=float, default=60.0, help="soak: seconds between faults")
    group.add_argument(
        "--faults", help=f"soak: which faults, comma-separated (default all: {','.join(FAULTS)})"
    )


class Soak:
    def __init__(self, env: BenchEnv, sessions: list, rate: float, seed: int) -> None:
        self.env = env
        self.sessions = sessions
        self.rate = rate
        self.rng = random.Random(seed)
        self.phones = Phones(env.sim_url)
        self.sent: dict[str, tuple[str, str]] = {}  # text -> (session id, customer)
        self.sent_at: dict[str, float] = {}  # text -> seconds since the traffic started
        self.t0 = time.monotonic()
        self.customers = {s.id: [fresh_phone("4916") for _ in range(3)] for s in sessions}
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.held_at_fault: list[str] = []  # the sessions of the runner the last fault hit
        self.faults: list[dict] = []

    # ------------------------------------------------------------------ traffic
    def send_loop(self) -> None:
        count = 0
        started = time.monotonic()
        while not self.stop.is_set():
            due = started + count / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
                continue
            session = self.rng.choice(self.sessions)
            customer = self.rng.choice(self.customers[session.id])
            text = f"soak-{count:06d}"
            try:
                sent_at = round(time.monotonic() - self.t0, 2)
                self.phones.send(customer, session.phone, text)
                self.sent[text] = (session.id, customer)
                self.sent_at[text] = sent_at
            except Exception as exc:  # the simulator stays up in this soak: record and go on
                self.errors.append(f"send {text}: {exc}")
            count += 1

    # ------------------------------------------------------------------ faults
    def fault(self, kind: str) -> str:
        env, stack = self.env, self.env.stack
        self.held_at_fault = []
        if kind in ("runner_sigkill", "runner_oom_kill", "runner_sigterm"):
            running = self.rng.choice([r for r in stack.runners.running if r.popen.poll() is None])
            held = stack.sql(
                "select id::text from public.whatsapp_web_sessions where runner_id = %s",
                (env.runner_id(running),),
            )
            self.held_at_fault = [row[0] for row in held]
            if kind == "runner_sigkill":
                kill_tree(running.pid)
            elif kind == "runner_oom_kill":
                running.popen.send_signal(signal.SIGKILL)
            else:
                running.popen.send_signal(signal.SIGTERM)
            running.popen.wait(130)
            stack.runners.running.remove(running)
            env.start_runner(**RUNNER_ENV)
            return f"{env.runner_id(running)} replaced"
        if kind == "connection_drop":
            session = self.rng.choice(self.sessions)
            self.phones.http.post("/control/faults/drop", json={"phone": session.phone})
            time.sleep(5)
            self.phones.http.post("/control/faults/restore", json={"phone": session.phone})
            return f"phone {session.phone[-4:]} offline for 5 s"
        if kind == "chatbot_slow":
            env.bot(delay_ms=7000)  # past BOT_TIMEOUT_S: retried, some fail with a reason
            time.sleep(10)
            env.bot(delay_ms=0)
            return "chatbot 7 s slow for 10 s"
        if kind == "chatbot_down":
            env.bot(mode="down")
            time.sleep(5)
            env.bot(mode="echo")
            return "chatbot down for 5 s"
        if kind == "postgrest_restart":
            stack.kill_part("postgrest")
            return "PostgREST killed and restarted by the supervisor"
        raise ValueError(kind)

    # ------------------------------------------------------------------ memory
    def memory_per_session(self) -> float | None:
        pids = [r.pid for r in self.env.stack.runners.running if r.popen.poll() is None]
        held = self.env.stack.sql(
            "select count(*) from public.whatsapp_web_sessions"
            " where status = 'connected' and runner_id is not null"
        )[0][0]
        if not pids or not held:
            return None
        return tree_memory(pids).pss_mb / held

    # ------------------------------------------------------------------ the verdict
    def whereabouts(self, text: str) -> dict:
        """Where a lost message went: its session, when it was sent, and the runner faults that hit
        the runner holding that session within a minute of it (seconds after the send: negative
        before)."""
        session_id, _customer = self.sent[text]
        sent_at = self.sent_at.get(text)
        hits = [
            {"fault": f["fault"], "after_send_s": round(f["at_s"] - sent_at, 2)}
            for f in self.faults
            if sent_at is not None and session_id in f.get("held", ()) and abs(f["at_s"] - sent_at) <= 60
        ]
        return {"text": text, "session_id": session_id, "sent_at_s": sent_at, "its_runner_hit": hits}

    def verdict(self) -> dict:
        stack = self.env.stack
        rows = stack.sql(
            "select m.content, m.status, m.error, (select count(*) from public.whatsapp_web_messages r"
            " where r.reply_to = m.id and r.status in ('sent', 'queued')) from public.whatsapp_web_messages m"
            " where m.direction = 'inbound' and m.content like 'soak-%%'"
        )
        stored = collections.Counter(r[0] for r in rows)
        lost = sorted(t for t in self.sent if stored[t] == 0)
        delivered = collections.Counter(
            m["text"].removeprefix("You said: ")
            for m in self.phones.messages()
            if m["text"].startswith("You said: soak-")
        )
        failed = collections.Counter((r[2] or "no reason")[:80] for r in rows if r[1] == "failed")
        unfinished = [r[0] for r in rows if r[1] not in ("replied", "failed")]
        return {
            "messages_sent": len(self.sent),
            "stored": sum(1 for t in self.sent if stored[t] >= 1),
            "stored_twice": sum(1 for t in self.sent if stored[t] > 1),
            "lost_count": len(lost),
            "lost": lost[:50],
            "lost_detail": [self.whereabouts(t) for t in lost[:50]],
            "replied": sum(1 for r in rows if r[1] == "replied"),
            "failed_with_reason": dict(failed),
            "unfinished_count": len(unfinished),
            "unfinished": unfinished[:50],
            "replies_delivered": sum(1 for t in self.sent if delivered[t] >= 1),
            "replies_delivered_twice": sorted(t for t in self.sent if delivered[t] > 1)[:50],
            "replied_but_not_delivered": sorted(
                r[0] for r in rows if r[1] == "replied" and delivered[r[0]] == 0
            )[:50],
            "replied_but_not_delivered_detail": self.replies_of(
                sorted(r[0] for r in rows if r[1] == "replied" and delivered[r[0]] == 0)[:50]
            ),
        }

    def replies_of(self, texts: list[str]) -> list[dict]:
        """For a replied message the customer never got the reply to: its reply rows (status, ack,
        error, when) and the faults that hit its runner, so the next run shows where it stopped."""
        found = []
        for text in texts:
            rows = self.env.stack.sql(
                "select r.status, r.ack, r.error_code, r.attempts, extract(epoch from r.created_at),"
                " extract(epoch from r.updated_at) from public.whatsapp_web_messages r"
                " join public.whatsapp_web_messages m on r.reply_to = m.id where m.content = %s",
                (text,),
            )
            replies = [
                {"status": r[0], "ack": r[1], "error_code": r[2], "attempts": r[3],
                 "updated_after_created_s": round(float(r[5]) - float(r[4]), 2)}
                for r in rows
            ]  # fmt: skip
            found.append({**self.whereabouts(text), "replies": replies})
        return found


def run(args) -> dict:
    sessions_n = args.sessions or (50 if args.full else 10)
    minutes = args.minutes or (30.0 if args.full else 5.0)
    rate = args.soak_rate or 2.0
    faults = tuple(args.faults.split(",")) if args.faults else FAULTS
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise SystemExit(f"soak: unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
    inputs = {
        "sessions": sessions_n,
        "minutes": minutes,
        "rate_per_s": rate,
        "fault_every_s": args.fault_every,
        "runners": 2,
        "runner_env": RUNNER_ENV,
        "faults": list(faults),
    }
    result = new_result("soak", inputs)
    with BenchEnv() as env:
        for _ in range(2):
            env.start_runner(**RUNNER_ENV)
        dashboard = Dashboard(env.stack)
        phones = Phones(env.sim_url)
        log(f"linking {sessions_n} sessions")
        sessions = link_sessions(env.stack, dashboard, phones, sessions_n)
        soak = Soak(env, sessions, rate, seed=int(time.time()))
        sender = threading.Thread(target=soak.send_loop, name="customers", daemon=True)
        started = soak.t0 = time.monotonic()  # the faults' and the messages' clock
        end = started + minutes * 60
        sender.start()
        samples: list[tuple[float, float]] = []
        next_fault = started + args.fault_every
        next_sample = started
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_sample:
                value = soak.memory_per_session()
                if value is not None:
                    samples.append((round(now - started, 1), round(value, 2)))
                next_sample = now + 30
            if now >= next_fault:
                kind = soak.rng.choice(faults)
                log(f"fault: {kind}")
                try:
                    what = soak.fault(kind)
                    soak.faults.append(
                        {
                            "at_s": round(now - soak.t0, 2),
                            "fault": kind,
                            "what": what,
                            "held": soak.held_at_fault,
                        }
                    )
                except Exception as exc:
                    soak.faults.append({"at_s": round(now - started, 1), "fault": kind, "error": str(exc)})
                next_fault = time.monotonic() + args.fault_every
            time.sleep(1)
        soak.stop.set()
        sender.join(30)
        log("traffic stopped; waiting for every message to be answered or failed")
        deadline = time.monotonic() + 180
        verdict = soak.verdict()
        while (verdict["unfinished"] or verdict["lost"]) and time.monotonic() < deadline:
            time.sleep(5)
            verdict = soak.verdict()
        warm = [v for t, v in samples if t >= minutes * 60 / 6]
        growth = None
        if len(warm) >= 4:
            head, tail = statistics.median(warm[:3]), statistics.median(warm[-3:])
            growth = tail / head - 1
        result["figures"] = {
            **verdict,
            "faults": soak.faults,
            "send_errors": soak.errors[:20],
            "memory_pss_mb_per_session": samples,
            "memory_growth_after_warmup": None if growth is None else round(growth, 4),
        }
        result["targets"] = [
            target("messages lost", verdict["lost_count"], 0),
            target("messages stored twice", verdict["stored_twice"], 0),
            target("replies delivered twice", len(verdict["replies_delivered_twice"]), 0),
            target("messages neither answered nor failed", verdict["unfinished_count"], 0),
            target("memory growth per session after warm-up", growth, MEMORY_GROWTH_LIMIT),
        ]
        print_table(
            f"soak: {sessions_n} sessions, {minutes:g} min, {rate:g} msg/s, "
            f"a fault every {args.fault_every:g} s",
            ["figure", "value"],
            [
                ["messages sent", verdict["messages_sent"]],
                ["stored (once)", verdict["stored"]],
                ["never stored (lost)", verdict["lost_count"]],
                ["stored, neither answered nor failed", verdict["unfinished_count"]],
                ["replied", verdict["replied"]],
                ["failed with a reason", sum(verdict["failed_with_reason"].values())],
                ["replies delivered", verdict["replies_delivered"]],
                ["faults injected", len(soak.faults)],
                ["memory growth after warm-up", "-" if growth is None else f"{growth:+.1%}"],
            ],
        )
        for lost in verdict["lost_detail"]:
            log(f"never stored: {lost}")
    return result
