"""`api`: each endpoint's latency in-process (the Chalice app through chalice.test.Client, as a
Lambda runs it) and through the local server (`chalice local`), against the raw PostgREST, SQS and
S3 calls it makes, measured in the same run.

The raw calls are not written out by hand: every request the in-process app makes (its httpx
client's requests, its boto3 clients' operations) is recorded and replayed with a plain httpx
client and plain boto3 clients, so the comparison follows the code as it is. Values that must be
unique (a new session's key, a provisional message id, the session being deleted) are replaced in
the replay so it does the same work instead of hitting a conflict."""

from __future__ import annotations

import argparse
import base64
import copy
import importlib.util
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
import httpx
from botocore import xform_name

from bench.harness import REPO, BenchEnv, log, new_result, print_table
from bench.profiling import PySpy, raw_path
from bench.stats import ms, summary, target
from simulator.qr import render_qr_png
from wagate.queues import BOTO_CONFIG

OVERHEAD_TARGET = 1.3
FAKE_RUNNER = "bench-api-runner"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=30, help="calls of each endpoint in each mode")


# ---------------------------------------------------------------------- recording and replaying
@dataclass
class Recorder:
    http: list[httpx.Request] = field(default_factory=list)
    boto: list[tuple[str, str, dict]] = field(default_factory=list)  # (service, operation, params)
    on: bool = False

    def on_request(self, request: httpx.Request) -> None:
        if self.on:
            request.read()
            self.http.append(request)

    def on_boto(self, params: dict, model, event_name: str, **_: object) -> None:
        if self.on:
            self.boto.append((event_name.split(".")[1], model.name, copy.deepcopy(params)))

    def take(self) -> tuple[list[httpx.Request], list[tuple[str, str, dict]]]:
        calls = (self.http, self.boto)
        self.http, self.boto = [], []
        return calls


class Replayer:
    def __init__(self, env: dict[str, str]) -> None:
        self.http = httpx.Client(timeout=30)
        endpoint = env.get("AWS_ENDPOINT_URL")
        self.boto = {
            name: boto3.client(name, endpoint_url=endpoint, config=BOTO_CONFIG) for name in ("sqs", "s3")
        }

    def replay(self, calls, swap: Callable[[str], str]) -> float:
        """Run the recorded calls again (values swapped by `swap`); seconds taken."""
        http_calls, boto_calls = calls
        prepared_http = [
            (r.method, swap(str(r.url)), dict(r.headers), swap(r.content.decode())) for r in http_calls
        ]
        prepared_boto = [(s, xform_name(op), json.loads(swap(json.dumps(p)))) for s, op, p in boto_calls]
        started = time.perf_counter()
        for method, url, headers, content in prepared_http:
            headers.pop("content-length", None)
            self.http.request(method, url, headers=headers, content=content.encode() or None)
        for service, operation, params in prepared_boto:
            getattr(self.boto[service], operation)(**params)
        return time.perf_counter() - started


def load_app(env: dict[str, str]):
    """The Chalice app, in this process, with the stack's settings (as `chalice local` runs it)."""
    os.environ.update(env)
    api_dir = REPO / "api_lambda"
    if str(api_dir) not in sys.path:
        sys.path.insert(0, str(api_dir))
    spec = importlib.util.spec_from_file_location("wagate_api_app", api_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from chalicelib import deps  # the module the app uses (api_lambda is on sys.path)

    return module.app, deps


# ---------------------------------------------------------------------- fixtures per iteration
@dataclass
class Fixtures:
    user_id: str
    token: str
    held: str  # connected, held by a (fake) runner with a live lease: commands go to its queue
    qr: str  # showing a QR code
    doomed: dict[str, str]  # mode -> a session that mode deletes

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


def make_fixtures(env: BenchEnv, qr_png_b64: str) -> Fixtures:
    stack = env.stack
    user_id, token = stack.create_user()

    def session(status: str, **extra: str) -> str:
        columns = ["user_id", "chatbot_id", "session_id", "status", *extra]
        values = [user_id, str(uuid.uuid4()), f"wa_bench_{uuid.uuid4().hex[:16]}", status, *extra.values()]
        placeholders = ", ".join(["%s"] * len(values))
        (row,) = stack.sql(
            f"insert into public.whatsapp_web_sessions ({', '.join(columns)}) values ({placeholders})"
            " returning id::text",
            tuple(values),
        )
        return row[0]

    held = session("connected", phone_number="4917000000001", runner_id=FAKE_RUNNER)
    stack.sql(
        "update public.whatsapp_web_sessions set lease_expires_at = now() + interval '1 day', epoch = 1,"
        " connected_at = now() where id = %s",
        (held,),
    )
    stack.sql(
        "insert into public.whatsapp_web_messages (session_id, chatbot_id, message_id, from_number,"
        " to_number, direction, content, status, timestamp) select s.id, s.chatbot_id, 'bench-' || g,"
        " '4915000000001', '4917000000001', 'inbound', 'hello ' || g, 'replied',"
        " now() - make_interval(secs => g)"
        " from public.whatsapp_web_sessions s, generate_series(1, 60) g where s.id = %s",
        (held,),
    )
    qr = session("qr_ready", qr_code=qr_png_b64)
    stack.sql(
        "update public.whatsapp_web_sessions set qr_expires_at = now() + interval '1 day' where id = %s",
        (qr,),
    )
    doomed = {mode: session("disconnected") for mode in ("in-process", "chalice local", "raw calls")}
    return Fixtures(user_id, token, held, qr, doomed)


def endpoints(f: Fixtures, mode: str) -> list[tuple[str, str, str, dict | None, int]]:
    """(name, method, path, body, expected status) of each endpoint, for `mode`."""
    send = {"session_id": f.held, "to": "4915000000002", "text": "hello from the benchmark"}
    return [
        ("GET /api/health", "GET", "/api/health", None, 200),
        ("POST /api/sessions/create", "POST", "/api/sessions/create", {"chatbot_id": str(uuid.uuid4())}, 201),
        ("GET /api/sessions", "GET", "/api/sessions", None, 200),
        ("GET /api/sessions/{id}", "GET", f"/api/sessions/{f.held}", None, 200),
        ("GET /api/sessions/{id}/qr", "GET", f"/api/sessions/{f.qr}/qr", None, 200),
        ("GET /api/sessions/{id}/messages", "GET", f"/api/sessions/{f.held}/messages?limit=50", None, 200),
        ("POST /api/messages/send", "POST", "/api/messages/send", send, 202),
        ("POST /api/sessions/disconnect", "POST", "/api/sessions/disconnect", {"session_id": f.held}, 202),
        ("POST /api/sessions/{id}/restart", "POST", f"/api/sessions/{f.held}/restart", None, 202),
        ("DELETE /api/sessions/{id}", "DELETE", f"/api/sessions/{f.doomed[mode]}", None, 204),
    ]


def replay_swap(f: Fixtures) -> Callable[[str], str]:
    """What the replay changes: a new session key, a new provisional message id, its own session to
    delete (the same request again would hit a unique key or find nothing)."""

    def swap(text: str) -> str:
        text = re.sub(r"wa_[0-9a-f]{24}", lambda _: f"wa_{uuid.uuid4().hex[:24]}", text)
        text = re.sub(r"pending:[0-9a-f-]{36}", lambda _: f"pending:{uuid.uuid4()}", text)
        return text.replace(f.doomed["in-process"], f.doomed["raw calls"])

    return swap


# ---------------------------------------------------------------------- the run
def run(args: argparse.Namespace) -> dict:
    from chalice.test import Client

    iterations = args.messages or (50 if args.full else args.iterations)
    result = new_result("api", {"iterations": iterations, "warmup_iterations": 3})
    with BenchEnv() as env:
        stack = env.stack
        queue_url = stack.sqs().create_queue(
            QueueName=f"{stack.env['WAGATE_RUNNER_QUEUE_PREFIX']}{FAKE_RUNNER}"
        )["QueueUrl"]
        stack.sql(
            "insert into public.whatsapp_web_runners (runner_id, queue_url, capacity) values (%s, %s, 10)",
            (FAKE_RUNNER, queue_url),
        )
        app, deps = load_app(stack.process_env())
        recorder, replayer = Recorder(), Replayer(stack.env)
        http = httpx.Client(base_url=stack.api_url, timeout=30)
        qr_png = base64.b64encode(render_qr_png("2@bench,bench,bench,bench,WEB")).decode()
        times: dict[str, dict[str, list[float]]] = {}
        calls_made: dict[str, dict] = {}
        spy = None
        with Client(app) as client:
            client.http.get("/api/health")  # builds the service and its clients
            service = deps.service()
            service.store._client.event_hooks = {"request": [recorder.on_request], "response": []}
            for boto_client in (service.queues._client, service.objects._client):
                boto_client.meta.events.register("provide-client-params", recorder.on_boto)
            for index in range(iterations + 3):
                if index == 3:
                    log(f"measuring {iterations} iterations")
                    if args.profile:
                        spy = PySpy(_api_pid(env), env.state_dir / "api.pyspy.txt", duration_s=30)
                fixtures = make_fixtures(env, qr_png)
                swap = replay_swap(fixtures)
                in_process, over_http = (
                    endpoints(fixtures, "in-process"),
                    endpoints(fixtures, "chalice local"),
                )
                for (name, method, path, body, expected), http_call in zip(
                    in_process, over_http, strict=True
                ):
                    content = json.dumps(body).encode() if body is not None else b""
                    recorder.on = True
                    started = time.perf_counter()
                    headers = {**fixtures.headers, "Accept": "image/png" if path.endswith("/qr") else "*/*"}
                    response = client.http.request(method, path, headers=headers, body=content)
                    took = {"in-process": time.perf_counter() - started}
                    recorder.on = False
                    calls = recorder.take()
                    _check(name, "in-process", response.status_code, expected, response.body)
                    for mode in (
                        ("chalice local", "raw calls") if index % 2 else ("raw calls", "chalice local")
                    ):
                        if mode == "raw calls":
                            took[mode] = replayer.replay(calls, swap)
                            continue
                        _, _, http_path, http_body, _ = http_call
                        started = time.perf_counter()
                        reply = http.request(method, http_path, headers=headers, json=http_body)
                        took[mode] = time.perf_counter() - started
                        _check(name, mode, reply.status_code, expected, reply.content)
                    if index >= 3:
                        for mode, seconds in took.items():
                            times.setdefault(name, {}).setdefault(mode, []).append(seconds)
                        calls_made[name] = {
                            "postgrest": [f"{r.method} {r.url.path}" for r in calls[0]],
                            "aws": [f"{s}.{op}" for s, op, _ in calls[1]],
                        }
        if spy is not None:
            result["figures"]["profile_chalice_local"] = spy.wait(raw_path(args, "api", "chalice-local"))
        http.close()
    report(result, times, calls_made)
    return result


def _check(name: str, mode: str, status: int, expected: int, body: object) -> None:
    if status != expected:
        raise RuntimeError(f"{name} ({mode}) answered {status}, expected {expected}: {str(body)[:300]}")


def _api_pid(env: BenchEnv) -> int:
    from pathlib import Path

    from bench.procmem import descendants

    for pid in descendants(env.stack.proc.pid):
        try:
            if b"chalice" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    raise RuntimeError("the chalice local process was not found")


def report(result: dict, times: dict, calls_made: dict) -> None:
    figures = result["figures"]
    figures["endpoints"] = {}
    rows = []
    for name, modes in times.items():
        stats = {mode: summary([ms(v) for v in values], digits=2) for mode, values in modes.items()}
        raw = stats["raw calls"]["median"]
        entry = {
            "ms": stats,
            "calls": calls_made[name],
            "overhead_in_process": round(stats["in-process"]["median"] / raw, 2),
            "overhead_chalice_local": round(stats["chalice local"]["median"] / raw, 2),
        }
        figures["endpoints"][name] = entry
        rows.append([name, len(calls_made[name]["postgrest"]) + len(calls_made[name]["aws"]), raw,
                     stats["in-process"]["median"], stats["in-process"]["p99"], entry["overhead_in_process"],
                     stats["chalice local"]["median"], entry["overhead_chalice_local"]])  # fmt: skip
    print_table(
        "API latency (ms, medians unless p99); overhead = median / median of its raw calls",
        ["endpoint", "calls", "raw", "in-proc", "in-proc p99", "x", "local server", "x"],
        rows,
    )
    for name, entry in figures["endpoints"].items():
        result["targets"].append(
            target(
                f"{name}: in-process / its raw calls (median)", entry["overhead_in_process"], OVERHEAD_TARGET
            )
        )
    result["notes"].append(
        "chalice local (a development server) is reported but not held to the target: in AWS the "
        "API runs as a Lambda behind API Gateway, which is what the in-process figure measures"
    )
