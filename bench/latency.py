"""`latency`: K linked sessions on one runner, customers writing at a fixed aggregate rate;
inbound-to-reply latency as the customer sees it (the simulator's clock: the customer's message
accepted -> the bot's reply arriving from the page), p50/p99, against the sum of the unavoidable
I/O of one message measured in the same run (bench.probes). Then the highest sustained rate with
p99 <= 500 ms, stepping the rate up until a step misses. With `--media-every N`, a second phase at
the same rate sends a 2 MB photo as every Nth message: latency of photos and texts side by side, and
the runner's CPU per photo (the mixed phase's CPU less the text-only phase's per text message)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import os
import random
import time

import httpx

from bench.harness import BenchEnv, log, new_result, print_table
from bench.probes import STEPS, IoProbe, ProbePage, create_probe_session
from bench.profiling import PySpy, cpu_by_part, cpu_delta, raw_path
from bench.sessions import Dashboard, Phones, fresh_phone, link_sessions
from bench.stats import ms, summary, target

P50_TARGET_MS, P99_TARGET_MS, RATIO_TARGET = 60, 250, 2.5
SUSTAINED_P99_MS, SUSTAINED_TARGET = 500, 60
CUSTOMERS_PER_SESSION = 3
RUNNER_PARTS = ("runner (python)", "playwright driver (node)", "chromium")
RUNNER_SETTINGS = {
    "SEND_RATE_PER_S": "1000",  # the per-number ban protection is not what is measured here
    "SEND_BURST": "1000",
    "TYPING_MS": "0",
    "WA_LOAD_TIMEOUT_S": "120",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=20, help="messages per second, all sessions together")
    parser.add_argument(
        "--search", default="5,10,20,30,40,60,80,100", help="rates to step through for the sustained rate"
    )
    parser.add_argument("--step-seconds", type=float, default=15, help="length of each step of the search")
    parser.add_argument("--no-search", action="store_true", help="only the fixed-rate phase")
    parser.add_argument(
        "--media-every",
        type=int,
        default=0,
        help="also a phase where every Nth message is a 2 MB photo (10: one in ten), side by side with text",
    )
    parser.add_argument(
        "--no-read-acks",
        action="store_true",
        help="experiment: customers' phones never confirm delivery or reading within the run (acks 2 and 3"
        " never come), to measure what persisting those acks costs the runner",
    )


def photo(target_bytes: int = 2 * 2**20) -> bytes:
    """A camera-like JPEG of about `target_bytes` (noise compresses like a detailed photo)."""
    from PIL import Image

    rng, width = random.Random(7), 1600
    while True:
        height = width * 3 // 4
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        if out.tell() >= target_bytes:
            return out.getvalue()
        width += 100


class Load:
    """Customers writing to the linked numbers, and what arrived back (the simulator's log). With a
    `photo`, every `media_every`th message is that photo (its caption the message's text)."""

    def __init__(
        self, sim_url: str, numbers: list[str], photo: bytes | None = None, media_every: int = 0
    ) -> None:
        self.control = httpx.AsyncClient(
            base_url=sim_url,
            timeout=30,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self.numbers = numbers
        self.customers = {n: [fresh_phone("4915") for _ in range(CUSTOMERS_PER_SESSION)] for n in numbers}
        self.sent: dict[str, float] = {}  # text -> the simulator's time when it accepted it
        self.photos: set[str] = set()  # the texts that were photos' captions
        self.by_kind: dict[str, list[float]] = {}  # the last phase's latencies of texts and photos
        self.media_every = media_every
        self._photo = (
            {"data_b64": base64.b64encode(photo).decode(), "mime": "image/jpeg"}
            if photo and media_every
            else None
        )

    async def _send(self, index: int, tag: str) -> None:
        number = self.numbers[index % len(self.numbers)]
        customer = self.customers[number][(index // len(self.numbers)) % CUSTOMERS_PER_SESSION]
        text = f"{tag} {index}"
        body = {"from": customer, "to": number, "text": text}
        if (
            self._photo is not None
            and tag.startswith("media")
            and index % self.media_every == self.media_every - 1
        ):
            body = {
                "from": customer,
                "to": number,
                "text": None,
                "type": "image",
                "caption": text,
                "media": self._photo,
            }
            self.photos.add(text)
        response = await self.control.post("/control/messages", json=body)
        response.raise_for_status()
        self.sent[text] = response.json()["time"]

    async def at_rate(self, tag: str, count: int, rate: float) -> float:
        """Send `count` messages at `rate` per second (open loop); the rate actually achieved."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = []
        for index in range(count):
            delay = started + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._send(index, tag)))
        elapsed = loop.time() - started
        await asyncio.gather(*tasks)
        return count / elapsed if elapsed > 0 else float("inf")

    async def latencies(self, tag: str, count: int, *, timeout_s: float) -> tuple[list[float], int]:
        """Seconds from each message to its reply; waits up to `timeout_s` for missing replies."""
        deadline = time.monotonic() + timeout_s
        while True:
            response = await self.control.get("/control/messages")
            replies = {
                answered: m["time"]
                for m in response.json()
                if (answered := _answered(m.get("text") or "")) and answered.startswith(f"{tag} ")
            }
            if len(replies) >= count or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        values = [
            replies[text] - sent
            for text, sent in self.sent.items()
            if text.startswith(f"{tag} ") and text in replies
        ]
        self.by_kind = {
            kind: [
                replies[text] - sent
                for text, sent in self.sent.items()
                if text.startswith(f"{tag} ")
                and text in replies
                and (text in self.photos) == (kind == "photo")
            ]
            for kind in ("text", "photo")
        }
        return values, count - len(values)


def _answered(reply: str) -> str | None:
    """The text (or caption) the stand-in's reply answers: "You said: <text>", or
    "You sent image (<mime>, <size> bytes): <caption>"."""
    if reply.startswith("You said: "):
        return reply[len("You said: ") :]
    if reply.startswith("You sent ") and "): " in reply:
        return reply.split("): ", 1)[1]
    return None


def _roots(env: BenchEnv) -> list[int]:
    return [
        env.stack.proc.pid,
        *(r.pid for r in env.stack.runners.running),
        *(p.pid for p in env.group.running),
        os.getpid(),  # this process: the customers, the probes and the probes' browser
    ]


async def _idle_cpu(env: BenchEnv, seconds: float = 10) -> dict[str, float]:
    """CPU seconds per second of each part with the sessions linked and nobody writing."""
    before = cpu_by_part(_roots(env))
    await asyncio.sleep(seconds)
    return {
        name: round(value / seconds, 3) for name, value in cpu_delta(before, cpu_by_part(_roots(env))).items()
    }


async def _phase(
    env: BenchEnv, load: Load, probe: IoProbe | None, tag: str, count: int, rate: float, idle: dict
) -> dict:
    stop = asyncio.Event()
    probe_task = None
    if probe is not None:
        probe_task = asyncio.create_task(probe.run(fresh_phone("4914"), load.control, stop, every_s=0.5))
    roots = _roots(env)
    cpu_before, wall = cpu_by_part(roots), time.monotonic()
    achieved = await load.at_rate(tag, count, rate)
    values, lost = await load.latencies(tag, count, timeout_s=60 if load.photos else 30)
    wall = time.monotonic() - wall
    cpu = cpu_delta(cpu_before, cpu_by_part(roots))
    stop.set()
    if probe_task is not None:
        await probe_task
    runner_side = sum(cpu.get(p, 0.0) for p in RUNNER_PARTS)
    return {
        "rate": rate,
        "messages": count,
        # what a runner task itself spends (its Python, Playwright's driver, its Chromium): the rest
        # of the stack (database, PostgREST, gateway, simulator, this benchmark) shares the 2 cores
        "runner_cpu_ms_per_message": round(1000 * runner_side / count, 1),
        "achieved_send_rate": round(achieved, 1),
        "lost": lost,
        "latency_ms": summary([ms(v) for v in values], digits=1),
        "cpu_seconds": cpu,
        "cpu_ms_per_message": round(1000 * sum(cpu.values()) / count, 1),
        "cpu_ms_per_message_above_idle": round(
            1000 * (sum(cpu.values()) - sum(idle.values()) * wall) / count, 1
        ),
        "wall_seconds": round(wall, 1),
    }


def _breakdown(env: BenchEnv, load: Load, tag: str) -> dict:
    """Where one message's time goes, from the database's own timestamps (same clock)."""
    rows = env.stack.sql(
        "select i.content, extract(epoch from i.created_at), extract(epoch from o.created_at)"
        " from public.whatsapp_web_messages o join public.whatsapp_web_messages i on o.reply_to = i.id"
        " where i.content like %s",
        (f"{tag} %",),
    )
    response = httpx.get(f"{env.sim_url}/control/messages", timeout=30).json()
    replied = {
        m["text"][len("You said: ") :]: m["time"] for m in response if m["text"].startswith("You said: ")
    }
    stages: dict[str, list[float]] = {"customer -> inbound row stored": [], "stored -> reply rows stored": [],
                                      "reply stored -> arrived at customer": []}  # fmt: skip
    for text, stored, reply_stored in rows:
        if text in load.sent and text in replied:
            stages["customer -> inbound row stored"].append(ms(float(stored) - load.sent[text]))
            stages["stored -> reply rows stored"].append(ms(float(reply_stored) - float(stored)))
            stages["reply stored -> arrived at customer"].append(ms(replied[text] - float(reply_stored)))
    return {name: summary(values, digits=1) for name, values in stages.items()}


async def _measure(
    env: BenchEnv, args: argparse.Namespace, numbers: list[str], runner_pid: int, result: dict
) -> None:
    figures = result["figures"]
    load = Load(env.sim_url, numbers, photo() if args.media_every else None, args.media_every)
    page = ProbePage(env.sim_url, fresh_phone("4913"))
    probe = None
    try:
        await page.start(load.control)
        session_id, chatbot_id = create_probe_session(env.stack, page.phone)
        probe = IoProbe(env.stack, page, session_id, chatbot_id)
        log("warm-up: one message per session")
        await load.at_rate("warm", len(numbers), 10)
        await load.latencies("warm", len(numbers), timeout_s=60)
        log("CPU with the sessions linked and idle, 10 s")
        idle = figures["idle_cpu_per_s"] = await _idle_cpu(env)
        count = args.messages or int(args.rate * 15)
        log(f"fixed rate: {count} messages at {args.rate:g}/s over {len(numbers)} sessions, probes alongside")
        fixed = await _phase(env, load, probe, "fixed", count, args.rate, idle)
        fixed["breakdown_ms"] = _breakdown(env, load, "fixed")
        fixed["io_ms"] = {
            step: summary([ms(v) for v in probe.samples[step]], digits=1)
            for step in (*STEPS, "chain", "inbound delivery")
        }
        figures["fixed_rate"] = fixed
        if args.media_every:
            figures["media"] = await _media_phase(env, load, args, count, idle, fixed)
        if args.profile:
            seconds = max(5, int(count / args.rate))
            log(f"profiling the runner with py-spy for {seconds} s at the same rate (not in the figures)")
            spy = PySpy(runner_pid, env.state_dir / "runner.pyspy.txt", duration_s=seconds)
            gateway_pid = _gateway_pid(env)
            gateway_spy = (
                PySpy(gateway_pid, env.state_dir / "gateway.pyspy.txt", duration_s=seconds)
                if gateway_pid
                else None
            )
            await _phase(env, load, None, "profiled", int(seconds * args.rate), args.rate, idle)
            figures["profile"] = {"runner": spy.wait(raw_path(args, "latency", "runner"))}
            if gateway_spy:
                figures["profile"]["gateway"] = gateway_spy.wait(raw_path(args, "latency", "gateway"))
        if not args.no_search:
            figures["search"] = []
            for rate in [float(r) for r in args.search.split(",")]:
                step_count = int(rate * args.step_seconds)
                log(f"search: {step_count} messages at {rate:g}/s")
                step = await _phase(env, load, None, f"step{rate:g}", step_count, rate, idle)
                figures["search"].append(step)
                latency = step["latency_ms"]
                log(f"  p50 {latency.get('median')} ms, p99 {latency.get('p99')} ms, lost {step['lost']}")
                if not _sustained(step):
                    break
    finally:
        if probe is not None:
            await probe.aclose()
        await page.close()
        await load.control.aclose()


async def _media_phase(
    env: BenchEnv, load: Load, args: argparse.Namespace, count: int, idle: dict, text_only: dict
) -> dict:
    """The same rate with a 2 MB photo as every Nth message: photos and texts side by side."""
    photos = count // args.media_every
    log(
        f"media: {count} messages at {args.rate:g}/s, {photos} of them 2 MB photos "
        f"(one in {args.media_every})"
    )
    mixed = await _phase(env, load, None, "media", count, args.rate, idle)
    text_ms = text_only["runner_cpu_ms_per_message"]
    mixed_runner_ms = mixed["runner_cpu_ms_per_message"] * count
    return {
        "photo_bytes": len(base64.b64decode(load._photo["data_b64"])) if load._photo else 0,
        "one_in": args.media_every,
        "phase": mixed,
        "latency_ms": {
            kind: summary([ms(v) for v in load.by_kind[kind]], digits=1) for kind in ("text", "photo")
        },
        "runner_cpu_ms_per_text_message": text_ms,
        # the mixed phase's runner CPU less what its texts cost at the text-only phase's rate
        "runner_cpu_ms_per_photo": round((mixed_runner_ms - text_ms * (count - photos)) / max(photos, 1), 1),
    }


def _sustained(step: dict) -> bool:
    return (
        step["lost"] == 0
        and step["latency_ms"].get("p99", float("inf")) <= SUSTAINED_P99_MS
        and step["achieved_send_rate"] >= 0.95 * step["rate"]
    )


def _gateway_pid(env: BenchEnv) -> int | None:
    from pathlib import Path

    from bench.procmem import descendants

    for pid in descendants(env.stack.proc.pid):
        try:
            if b"devstack.gateway" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


def run(args: argparse.Namespace) -> dict:
    k = args.sessions or (50 if args.full else 10)
    result = new_result(
        "latency",
        {"sessions": k, "rate": args.rate, "messages": args.messages or int(args.rate * 15),
         "customers_per_session": CUSTOMERS_PER_SESSION, "runner_env": RUNNER_SETTINGS,
         "search": None if args.no_search else args.search, "step_seconds": args.step_seconds,
         "bot": "local stand-in, instant (echo)"},
    )  # fmt: skip
    simulator = {"ack_delivered_ms": 3_600_000} if args.no_read_acks else {}
    result["inputs"]["simulator_overrides"] = simulator
    with BenchEnv(simulator_args=simulator) as env:
        phones, dashboard = Phones(env.sim_url), Dashboard(env.stack)
        try:
            runner = env.start_runner(RUNNER_CAPACITY=str(k + 5), **RUNNER_SETTINGS)
            env.bot(delay_ms=0, failure_rate=0, mode="echo")
            log(f"linking {k} sessions")
            sessions = link_sessions(env.stack, dashboard, phones, k)
            asyncio.run(_measure(env, args, [s.phone for s in sessions], runner.pid, result))
        finally:
            phones.close()
            dashboard.close()
    report(result, k)
    return result


def report(result: dict, k: int) -> None:
    figures = result["figures"]
    fixed = figures["fixed_rate"]
    lat, io = fixed["latency_ms"], fixed["io_ms"]
    rows = [
        [
            "inbound -> reply at the customer",
            lat.get("min"),
            lat.get("median"),
            lat.get("p99"),
            lat.get("count"),
        ]
    ]
    rows += [
        [f"  io: {step}", s.get("min"), s.get("median"), s.get("p99"), s.get("count")]
        for step, s in io.items()
    ]
    rows += [
        [f"  db: {stage}", s.get("min"), s.get("median"), s.get("p99"), s.get("count")]
        for stage, s in fixed["breakdown_ms"].items()
    ]
    print_table(
        f"latency at {fixed['rate']:g} msg/s over {k} sessions (ms); lost {fixed['lost']}, "
        f"CPU {fixed['cpu_ms_per_message']} ms per message "
        f"({fixed['cpu_ms_per_message_above_idle']} above idle, "
        f"the runner's own {fixed['runner_cpu_ms_per_message']})",
        ["what", "min", "p50", "p99", "n"],
        rows,
    )
    idle = figures["idle_cpu_per_s"]
    print_table(
        "CPU seconds per part: during the fixed-rate phase, and per second when idle",
        ["part", "CPU s", "idle CPU s/s"],
        [[name, value, idle.get(name)] for name, value in fixed["cpu_seconds"].items()],
    )
    chain = io["chain"].get("median")
    ratio = lat.get("median") / chain if chain and lat.get("median") else None
    with_delivery = (chain or 0) + (io["inbound delivery"].get("median") or 0)
    figures["ratio_to_io"] = None if ratio is None else round(ratio, 2)
    figures["ratio_to_io_with_inbound_delivery"] = (
        round(lat["median"] / with_delivery, 2) if with_delivery and lat.get("median") else None
    )
    targets = result["targets"]
    label = f"at {fixed['rate']:g} msg/s, {k} sessions"
    targets.append(target(f"latency p50 {label} (ms)", lat.get("median"), P50_TARGET_MS))
    targets.append(target(f"latency p99 {label} (ms)", lat.get("p99"), P99_TARGET_MS))
    targets.append(
        target(
            f"p50 / sum of the message's unavoidable I/O (p50) {label}", figures["ratio_to_io"], RATIO_TARGET
        )
    )
    if "media" in figures:
        media = figures["media"]
        print_table(
            f"with a {media['photo_bytes'] / 2**20:.1f} MB photo as one message in {media['one_in']} "
            f"(same rate; ms)",
            ["what", "p50", "p99", "n", "runner CPU ms/msg"],
            [["text", media["latency_ms"]["text"].get("median"), media["latency_ms"]["text"].get("p99"),
              media["latency_ms"]["text"].get("count"), media["runner_cpu_ms_per_text_message"]],
             ["photo", media["latency_ms"]["photo"].get("median"), media["latency_ms"]["photo"].get("p99"),
              media["latency_ms"]["photo"].get("count"), media["runner_cpu_ms_per_photo"]]],
        )  # fmt: skip
    if "search" in figures:
        print_table(
            "sustained rate search (one runner)",
            ["rate", "sent/s", "p50 ms", "p99 ms", "lost", "CPU ms/msg", "runner's"],
            [[s["rate"], s["achieved_send_rate"], s["latency_ms"].get("median"), s["latency_ms"].get("p99"),
              s["lost"], s["cpu_ms_per_message"], s["runner_cpu_ms_per_message"]] for s in figures["search"]],
        )  # fmt: skip
        passed = [s["rate"] for s in figures["search"] if _sustained(s)]
        figures["highest_sustained_rate"] = max(passed) if passed else None
        name = f"highest sustained rate with p99 <= {SUSTAINED_P99_MS} ms, {k} sessions (msg/s)"
        targets.append(target(name, figures["highest_sustained_rate"], SUSTAINED_TARGET, at_most=False))
    if fixed["lost"]:
        result["notes"].append(f"{fixed['lost']} message(s) got no reply within 30 s in the fixed-rate phase")
    if k != 50 or fixed["rate"] != 20:
        result["notes"].append(
            "the latency targets are set for 50 sessions at 20 msg/s: --sessions 50 --rate 20"
        )
    if "profile" in figures:
        for name, prof in figures["profile"].items():
            rows = [[t["function"], t["percent"]] for t in prof.get("top_project_code", [])[:10]]
            print_table(
                f"py-spy: {name}, busy samples by the project's innermost function", ["function", "%"], rows
            )
