"""`webhooks`: event -> delivered, through the durable outbox, side by side with a direct POST.

One user's endpoint (a local receiver that verifies every signature with `standardwebhooks`)
subscribes to `message.received`; inbound message rows are inserted, as the runners insert them,
at `--events-rate` per second over `--event-sessions` sessions (an ordered endpoint: one session's
events go in order). The row's trigger writes the event and its delivery in the same statement; the
stack's dispatcher (a process of the stack, the Lambda's code) claims and posts it. Latency: from
the event's `created_at` (Postgres's clock) to the receiver's arrival (the same machine's clock);
CPU: the dispatcher's own, per event, and the database's (Postgres, PostgREST, the gateway).

The alternative, in the same run: what the peers do (WAHA, Evolution API): the process that saw
the event signs and POSTs it at once, from memory, with no outbox (nothing survives a crash).
The same receiver, the same rate, the same signing; its latency and its CPU per event."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks import Webhook

from bench.harness import BenchEnv, log, new_result, print_table
from bench.procmem import descendants
from bench.profiling import cpu_by_part, cpu_delta, cpu_seconds
from bench.stats import ms, summary
from devstack.stack import free_port
from wagate.signing import new_signing_secret, signature_headers
from wagate.webhooks import envelope_body

DB_PARTS = ("postgres", "postgrest", "supabase gateway (python)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events-rate", type=float, default=50, help="events per second")
    parser.add_argument("--event-seconds", type=float, default=30, help="how long each phase sends")
    parser.add_argument("--event-sessions", type=int, default=50, help="sessions the events spread over")


class Receiver:
    """Verifies each request and keeps when each event id first arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.created: dict[str, float] = {}
        self.rejected = 0
        self.duplicates = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                now = time.time()
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = Webhook(receiver.secret).verify(
                        raw, {k.lower(): v for k, v in self.headers.items()}
                    )
                except Exception:
                    with receiver._lock:
                        receiver.rejected += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver._lock:
                    if body["id"] in receiver.arrived:
                        receiver.duplicates += 1
                    else:
                        receiver.arrived[body["id"]] = now
                        receiver.created[body["id"]] = datetime.fromisoformat(body["created_at"]).timestamp()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def latencies(self) -> list[float]:
        with self._lock:
            return [self.arrived[i] - self.created[i] for i in self.arrived]

    def reset(self) -> None:
        with self._lock:
            self.arrived.clear()
            self.created.clear()


def _sessions(env: BenchEnv, user_id: str, count: int) -> list[str]:
    """Session rows to hang the messages on (no runner: the rows are what the events come from)."""
    rows = env.stack.sql(
        "insert into public.whatsapp_web_sessions (user_id, chatbot_id, session_id, status)"
        " select %s, gen_random_uuid(), 'wa_bench_' || md5(random()::text), 'disconnected'"
        " from generate_series(1, %s) returning id",
        (user_id, count),
    )
    return [str(r[0]) for r in rows]


def _outbox_phase(
    env: BenchEnv, receiver: Receiver, sessions: list[str], rate: float, seconds: float
) -> dict:
    import psycopg

    count = int(rate * seconds)
    dispatcher = env.stack.part_pid("webhooks")
    roots = [env.stack.proc.pid]
    before, dispatcher_before = cpu_by_part(roots), cpu_seconds(descendants(dispatcher))
    started = time.monotonic()
    with psycopg.connect(env.stack.env["DATABASE_URL"], autocommit=True) as conn:
        for index in range(count):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            conn.execute(
                "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
                " to_number, direction, content, status)"
                " select s.id, s.chatbot_id, %s, '4915100000001', '4917100000001', 'inbound', %s, 'received'"
                " from public.whatsapp_web_sessions s where s.id = %s",
                (f"wamid-{uuid.uuid4().hex}", f"event {index}", sessions[index % len(sessions)]),
            )
    deadline = time.monotonic() + 120
    while len(receiver.arrived) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    cpu = cpu_delta(before, cpu_by_part(roots))
    dispatcher_cpu = cpu_seconds(descendants(dispatcher)) - dispatcher_before
    return {
        "events": count,
        "delivered": len(receiver.arrived),
        "duplicates": receiver.duplicates,
        "rejected_signatures": receiver.rejected,
        "latency_ms": summary([ms(v) for v in receiver.latencies()], digits=1),
        "dispatcher_cpu_ms_per_event": round(1000 * dispatcher_cpu / count, 2),
        "database_cpu_ms_per_event": round(1000 * sum(cpu.get(p, 0.0) for p in DB_PARTS) / count, 2),
        "cpu_ms_per_event_by_part": {name: round(1000 * value / count, 2) for name, value in cpu.items()},
    }


async def _direct_phase(receiver: Receiver, rate: float, seconds: float) -> dict:
    """The alternative: sign and POST each event from memory at once (no outbox)."""
    count = int(rate * seconds)
    cpu_before = time.process_time()
    async with httpx.AsyncClient(timeout=10) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = []
        for index in range(count):
            delay = started + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            event = {
                "id": f"evt_{uuid.uuid4().hex}",
                "type": "message.received",
                "created_at": datetime.now().astimezone().isoformat(),
                "data": {"message": {"content": f"event {index}"}},
            }
            body = envelope_body(event)
            headers = {**signature_headers([receiver.secret], message_id=event["id"], body=body),
                       "Content-Type": "application/json"}  # fmt: skip
            tasks.append(asyncio.create_task(client.post(receiver.url, content=body, headers=headers)))
        await asyncio.gather(*tasks, return_exceptions=True)
    cpu = time.process_time() - cpu_before
    return {
        "events": count,
        "delivered": len(receiver.arrived),
        "latency_ms": summary([ms(v) for v in receiver.latencies()], digits=1),
        "sender_cpu_ms_per_event": round(1000 * cpu / count, 2),
        "note": "the sender's CPU includes this benchmark's pacing loop",
    }


def run(args: argparse.Namespace) -> dict:
    rate, seconds, session_count = args.events_rate, args.event_seconds, args.event_sessions
    if not args.full:
        seconds = min(seconds, 10)
    result = new_result("webhooks", {"rate": rate, "seconds": seconds, "sessions": session_count,
                                     "endpoint": "ordered (the default), message.received"})  # fmt: skip
    receiver = Receiver()
    with BenchEnv() as env:
        user_id, token = env.stack.create_user()
        with httpx.Client(base_url=env.stack.api_url, headers={"Authorization": f"Bearer {token}"}) as api:
            created = api.post("/api/webhooks", json={"url": receiver.url, "events": ["message.received"]})
            created.raise_for_status()
        receiver.secret = created.json()["secret"]
        sessions = _sessions(env, user_id, session_count)
        log(f"outbox: {int(rate * seconds)} events at {rate:g}/s over {session_count} sessions")
        result["figures"]["outbox"] = _outbox_phase(env, receiver, sessions, rate, seconds)
    receiver.reset()
    receiver.secret = new_signing_secret()
    log(f"direct POST (no outbox): {int(rate * seconds)} events at {rate:g}/s")
    result["figures"]["direct"] = asyncio.run(_direct_phase(receiver, rate, seconds))
    receiver.server.shutdown()
    report(result)
    return result


def report(result: dict) -> None:
    outbox, direct = result["figures"]["outbox"], result["figures"]["direct"]
    rows = [
        ["outbox (wagate)", outbox["delivered"], outbox["events"], outbox["latency_ms"].get("median"),
         outbox["latency_ms"].get("p99"), outbox["dispatcher_cpu_ms_per_event"],
         outbox["database_cpu_ms_per_event"]],
        ["direct POST, no outbox", direct["delivered"], direct["events"], direct["latency_ms"].get("median"),
         direct["latency_ms"].get("p99"), direct["sender_cpu_ms_per_event"], None],
    ]  # fmt: skip
    print_table(
        f"event -> delivered at {result['inputs']['rate']:g} events/s (ms)",
        ["path", "delivered", "of", "p50", "p99", "sender CPU ms/event", "database CPU ms/event"],
        rows,
    )
    if outbox["delivered"] < outbox["events"]:
        result["notes"].append(f"{outbox['events'] - outbox['delivered']} events not delivered within 120 s")
    result["notes"].append(json.dumps({"duplicates": outbox["duplicates"]}))
