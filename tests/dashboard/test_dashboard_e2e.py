"""The dashboard end to end, in a real Chromium: the local user opens the demo app the stack serves
(as `make dev` does on :8080), connects WhatsApp by scanning the QR code the page shows (with the
simulator's phone), sees a customer's message and the chatbot's reply appear live, disconnects;
and another user sees none of it.

Needs: `stack`, `simulator` and `runners` (tests/conftest.py), `dashboard_url`
(tests/dashboard/conftest.py; builds dashboard/dist with npm when it is missing or older than the
sources). Other users than the stack's local one get their own /config.js through Playwright.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from devstack import dashboard
from devstack.testing import StackHandle
from tests.e2e import Simulator, decode_qr_png, fresh_number
from wagate.browser import chromium_launch_options

pytestmark = pytest.mark.slow

CODE_TIMEOUT_MS = 60_000  # create -> a runner claims it -> WhatsApp Web loads -> QR stored -> polled
CONNECT_TIMEOUT_MS = 45_000
MESSAGE_TIMEOUT_MS = 30_000


def config_js(api_url: str, token: str, chatbot_id: str, email: str) -> str:
    """What the local stack's /config.js holds, for another user than its local one."""
    config = {"apiUrl": api_url, "accessToken": token, "chatbotId": chatbot_id, "userEmail": email}
    return f"window.__WAGATE__ = {json.dumps(config)};\n"


async def open_dashboard(browser: Browser, url: str, config: str | None = None) -> Page:
    """The demo app as the stack serves it; signed in as another user when `config` is given."""
    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    page = await context.new_page()
    if config is not None:
        await page.route(
            "**/config.js",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=config),
        )
    await page.goto(url)
    return page


async def sessions_of(api_url: str, token: str, chatbot_id: str | None = None) -> list[dict]:
    """The user's sessions as the API lists them (for one chatbot when given)."""
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.get("/api/sessions")
    assert response.status_code == 200, response.text
    return [s for s in response.json()["sessions"] if chatbot_id in (None, s["chatbot_id"])]


async def test_connect_chat_and_disconnect_from_the_dashboard(
    stack: StackHandle, simulator: Simulator, runners: list, dashboard_url: str
) -> None:
    api_url = stack.env["API_URL"]
    phone = fresh_number("1555")
    customer = fresh_number("4917")
    question = f"Hello from the dashboard test {uuid.uuid4().hex[:6]}"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            # The page as `make dev` serves it: signed in as the stack's local user, by its /config.js.
            page = await open_dashboard(browser, dashboard_url)
            config = await page.evaluate("window.__WAGATE__")
            token, chatbot_id = config["accessToken"], config["chatbotId"]
            assert config["apiUrl"] == api_url
            section = page.get_by_role("region", name="WhatsApp")
            await expect(section.locator("strong", has_text="Not connected")).to_be_visible()
            await expect(page.get_by_text(f"Signed in as {dashboard.DEMO_EMAIL}")).to_be_visible()

            # Connect WhatsApp: the QR code appears as soon as the runner has it.
            await page.get_by_role("button", name="Connect WhatsApp").click()
            dialog = page.get_by_role("dialog", name="WhatsApp connection")
            qr = dialog.get_by_role("img", name=re.compile("WhatsApp QR code"))
            await expect(qr).to_be_visible(timeout=CODE_TIMEOUT_MS)
            await expect(dialog.get_by_role("timer")).to_have_text(re.compile(r"^[01]:\d\d$"))

            # The phone scans what the screen shows: the rendered image, not the API's copy.
            qr_text = decode_qr_png(await qr.screenshot())
            await asyncio.to_thread(simulator.scan, qr_text, phone)
            status = dialog.get_by_role("status")
            await expect(status).to_contain_text("Connected", timeout=CONNECT_TIMEOUT_MS)
            await expect(dialog.get_by_text(f"+{phone}", exact=True)).to_be_visible()
            await page.keyboard.press("Escape")
            await expect(dialog).to_be_hidden()
            await expect(section.locator("strong", has_text="Connected")).to_be_visible()
            await expect(section.get_by_text(f"+{phone}", exact=True)).to_be_visible()

            # A customer writes; the message and the chatbot's reply appear in the history, live.
            await asyncio.to_thread(simulator.send, customer, phone, question)
            items = section.get_by_role("list", name="Messages, newest first").get_by_role("listitem")
            inbound = items.filter(has_text=f"Customer +{customer}")
            await expect(inbound).to_contain_text(question, timeout=MESSAGE_TIMEOUT_MS)
            reply = items.filter(has_text=f"Chatbot to +{customer}")
            await expect(reply).to_contain_text(re.compile("Sent|Delivered|Read"), timeout=MESSAGE_TIMEOUT_MS)
            await expect(inbound).to_contain_text("Replied")
            reply_text = await reply.locator(".wg-message__text").inner_text()
            assert question in reply_text  # the local bot echoes: "You said: <text>"
            received = await asyncio.to_thread(simulator.received, customer)
            assert reply_text in [message["text"] for message in received]

            # Disconnect: back to the initial state, also after a reload (it is the API's state).
            await page.get_by_role("button", name="Manage connection").click()
            await dialog.get_by_role("button", name="Disconnect").click()
            await dialog.get_by_role("button", name="Yes, disconnect").click()
            await expect(status).to_contain_text("Not connected", timeout=CONNECT_TIMEOUT_MS)
            await page.keyboard.press("Escape")
            await expect(section.get_by_role("button", name="Connect WhatsApp")).to_be_enabled()
            await page.reload()
            await expect(section.locator("strong", has_text="Not connected")).to_be_visible()
            await expect(section.get_by_role("button", name="Connect WhatsApp")).to_be_enabled()

            # The first user's session, as the API lists it.
            mine = await sessions_of(api_url, token, chatbot_id)
            assert [s["status"] for s in mine] == ["disconnected"]
            session_id = mine[0]["id"]

            # Another user, even with the same chatbot id, sees none of it.
            _, other_token = await asyncio.to_thread(stack.create_user, "other@test.wagate.local")
            other = await open_dashboard(
                browser, dashboard_url, config_js(api_url, other_token, chatbot_id, "other@test.wagate.local")
            )
            other_section = other.get_by_role("region", name="WhatsApp")
            await expect(other_section.locator("strong", has_text="Not connected")).to_be_visible()
            await expect(other_section.get_by_text("Connect WhatsApp to see the messages")).to_be_visible()
            await expect(other.get_by_text(question)).to_have_count(0)
            assert session_id not in [s["id"] for s in await sessions_of(api_url, other_token)]
            async with httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {other_token}"}
            ) as http:
                assert (await http.get(f"/api/sessions/{session_id}")).status_code == 404
                assert (await http.get(f"/api/sessions/{session_id}/messages")).status_code == 404
        finally:
            await browser.close()


async def test_link_with_a_phone_number_instead_of_the_qr_code(
    stack: StackHandle, simulator: Simulator, runners: list, dashboard_url: str
) -> None:
    api_url = stack.env["API_URL"]
    _, token = await asyncio.to_thread(stack.create_user, "pairing@test.wagate.local")
    chatbot_id = str(uuid.uuid4())
    phone = fresh_number("1555")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            page = await open_dashboard(
                browser, dashboard_url, config_js(api_url, token, chatbot_id, "pairing@test.wagate.local")
            )
            await page.get_by_role("button", name="Connect WhatsApp").click()
            dialog = page.get_by_role("dialog", name="WhatsApp connection")
            # The user sees the QR code, then prefers to type a code on the phone.
            qr = dialog.get_by_role("img", name=re.compile("WhatsApp QR code"))
            await expect(qr).to_be_visible(timeout=CODE_TIMEOUT_MS)
            await dialog.get_by_role("button", name="Link with phone number instead").click()
            number_field = dialog.get_by_label("Phone number of the WhatsApp account")
            await number_field.fill(f"+{phone[:4]} {phone[4:]}")
            await dialog.get_by_role("button", name="Get pairing code").click()

            code = dialog.locator(".wg-pairing__code")
            await expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$"), timeout=CODE_TIMEOUT_MS)
            status = dialog.get_by_role("status")
            await expect(status).to_contain_text("Enter the pairing code")
            await expect(dialog.get_by_role("img")).to_have_count(0)
            paired = await asyncio.to_thread(
                simulator.post, "/control/pair", {"code": await code.inner_text(), "phone": phone}
            )
            assert paired.status_code == 200, paired.text
            await expect(status).to_contain_text("Connected", timeout=CONNECT_TIMEOUT_MS)
            await expect(dialog.get_by_text(f"+{phone}", exact=True)).to_be_visible()

            # The QR session it replaced is gone: the chatbot has one session, the linked one.
            sessions = await sessions_of(api_url, token, chatbot_id)
            assert [(s["status"], s["phone_number"]) for s in sessions] == [("connected", phone)]

            # Unlink, so no later suite's runner picks this session up.
            await dialog.get_by_role("button", name="Disconnect").click()
            await dialog.get_by_role("button", name="Yes, disconnect").click()
            await expect(status).to_contain_text("Not connected", timeout=CONNECT_TIMEOUT_MS)
        finally:
            await browser.close()
