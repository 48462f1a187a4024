"""The unavoidable I/O of one answered message, measured on its own while the load runs: the same
calls the runner makes per message, with the runner's own clients (runner.repository,
runner.botclient) against the same stack, and a page of our own (same flags, same simulator page,
same bridge) for the page send and the inbound delivery.

Per message the runner: stores the inbound row, marks it `replying`, calls the bot, stores the
replies (`store_replies`), sends the reply in the page, marks it `sent`. The probe's session row is
held by a runner id of its own with a lease far in the future, so no runner ever claims it."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from datetime import UTC, datetime

import httpx
from playwright.async_api import async_playwright

from devstack.testing import StackHandle
from runner.botclient import BotClient, BotRequest
from runner.bridge import BRIDGE_JS
from runner.repository import RunnerRepository
from wagate.browser import chromium_launch_options

PROBE_RUNNER = "bench-probe"
STEPS = ("store inbound", "bot call", "store replies", "page send", "mark sent")
# On the customer's path: everything up to the page send (the reply is marked `sent` after the
# customer already has it).
ON_PATH = ("store inbound", "bot call", "store replies", "page send")


class ProbePage:
    """One linked WhatsApp Web page in a browser of the benchmark's own, driven through the bridge."""

    def __init__(self, sim_url: str, phone: str) -> None:
        self.sim_url, self.phone = sim_url, phone
        self._events: asyncio.Queue[dict] = asyncio.Queue()
        self._inbound: dict[str, asyncio.Future] = {}
        self._playwright = self._browser = self.page = None

    def _on_emit(self, _source: dict, event: dict) -> None:
        if event.get("type") == "message":
            future = self._inbound.pop((event["message"].get("body") or ""), None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())
        else:
            self._events.put_nowait(event)

    async def _next(self, kind: str, timeout_s: float = 60) -> dict:
        async with asyncio.timeout(timeout_s):
            while True:
                event = await self._events.get()
                if event.get("type") == kind:
                    return event

    async def start(self, control: httpx.AsyncClient) -> None:
        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(**chromium_launch_options(headless_shell=True))
        context = await self._browser.new_context()
        await context.expose_binding("__wagateEmit", self._on_emit)
        await context.add_init_script(BRIDGE_JS)
        self.page = await context.new_page()
        await self.page.goto(self.sim_url + "/", wait_until="commit")
        qr = (await self._next("qr"))["qr"]
        response = await control.post("/control/scan", json={"qr": qr, "phone": self.phone, "name": "Probe"})
        response.raise_for_status()
        await self._next("ready")

    async def send(self, to: str, text: str) -> None:
        key = "3EB0" + secrets.token_hex(9).upper()
        await self.page.evaluate("a => window.__wagate.sendText(a)", {"to": to, "text": text, "id": key})

    def expect_inbound(self, text: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._inbound[text] = future
        return future

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()


def create_probe_session(stack: StackHandle, phone: str) -> tuple[str, str]:
    """A session row held by the probe's own runner id (never claimed by a real runner)."""
    user_id, _ = stack.create_user()
    chatbot_id = str(uuid.uuid4())
    (row,) = stack.sql(
        "insert into public.whatsapp_web_sessions (user_id, chatbot_id, session_id, status, phone_number,"
        " runner_id, lease_expires_at, epoch) values (%s, %s, %s, 'connected', %s, %s,"
        " now() + interval '1 day', 1) returning id::text",
        (user_id, chatbot_id, f"bench_probe_{secrets.token_hex(6)}", phone, PROBE_RUNNER),
    )
    return row[0], chatbot_id


class IoProbe:
    """Runs the runner's per-message I/O chain, timing each step (seconds)."""

    def __init__(self, stack: StackHandle, page: ProbePage, session_id: str, chatbot_id: str) -> None:
        key = stack.env["SUPABASE_SERVICE_ROLE_KEY"]
        self.repo = RunnerRepository(f"{stack.supabase_url}/rest/v1", key)
        self.bot = BotClient(anon_key=stack.env["SUPABASE_ANON_KEY"], timeout_s=10, attempts=1)
        self.bot_secrets = (stack.env["AVATAR_CHAT_SIGNING_SECRET"],)
        self.bot_url = f"{stack.supabase_url}/functions/v1/avatar-chat"
        self.page, self.session_id, self.chatbot_id = page, session_id, chatbot_id
        self.samples: dict[str, list[float]] = {step: [] for step in (*STEPS, "chain", "inbound delivery")}

    async def once(self, customer: str, control: httpx.AsyncClient) -> None:
        text = f"probe {secrets.token_hex(6)}"
        times: dict[str, float] = {}

        async def timed(step: str, call):
            started = time.perf_counter()
            value = await call
            times[step] = time.perf_counter() - started
            return value

        # the inbound leg: a customer's message reaching Python through the page and the bridge
        arrived = self.page.expect_inbound(text)
        sent_at = time.perf_counter()
        await control.post("/control/messages", json={"from": customer, "to": self.page.phone, "text": text})
        delivery = await asyncio.wait_for(arrived, 10) - sent_at

        row = {
            "session_id": self.session_id, "chatbot_id": self.chatbot_id,
            "message_id": text.replace(" ", "-"), "from_number": customer, "to_number": self.page.phone,
            "direction": "inbound", "content": text,
            "timestamp": datetime.now(UTC).isoformat(), "status": "replying",
        }  # fmt: skip
        stored = await timed("store inbound", self.repo.insert_inbound(row))
        payload = {
            "chatbot_id": self.chatbot_id, "session_id": self.session_id,
            "conversation_id": f"{self.session_id}:{customer}", "channel": "whatsapp_web",
            "message": {"id": row["message_id"], "text": text, "timestamp": row["timestamp"]},
            "customer": {"phone": customer, "name": "Probe"},
        }  # fmt: skip
        texts = await timed(
            "bot call",
            self.bot.ask(
                BotRequest(self.bot_url, payload, stored["id"], tenant=None, secrets=self.bot_secrets)
            ),
        )
        replies = await timed(
            "store replies",
            self.repo.rpc(
                "store_replies", p_inbound_id=stored["id"], p_runner_id=PROBE_RUNNER, p_epoch=1,
                p_whatsapp_ids=["3EB0" + secrets.token_hex(9).upper() for _ in texts], p_texts=texts,
            ),
        )  # fmt: skip
        await timed("page send", self.page.send(customer, replies[0]["content"]))
        await timed(
            "mark sent",
            self.repo.mark_message(
                replies[0]["id"], PROBE_RUNNER, 1, "sent", ack=1, expected_status="queued"
            ),
        )
        for step, value in times.items():
            self.samples[step].append(value)
        self.samples["chain"].append(sum(times[step] for step in ON_PATH))
        self.samples["inbound delivery"].append(delivery)

    async def run(
        self, customer: str, control: httpx.AsyncClient, stop: asyncio.Event, every_s: float
    ) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await self.once(customer, control)
            await asyncio.sleep(max(0.0, every_s - (time.perf_counter() - started)))

    async def aclose(self) -> None:
        await self.repo.aclose()
        await self.bot.aclose()
