"""Accessibility in a real Chromium against the real stack, left to right (English) and right to
left (Arabic): axe-core finds no serious or critical violation on the settings page with the
Webhooks section and its form's checks, in the connect dialog at its QR step and at its
phone-number step, and in the message history with messages; and the keyboard alone (Playwright's
keyboard.press, no click) connects, reads the history and disconnects: Tab reaches every control
and the history, Escape closes the dialog and focus returns where it was.

The Fleet page's own checks are in test_fleet_e2e.py. The words are read from the catalogues.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from playwright.async_api import Locator, Page, async_playwright, expect

from devstack.testing import StackHandle
from tests.dashboard.axe import assert_accessible
from tests.dashboard.test_dashboard_e2e import config_js, sessions_of
from tests.dashboard.test_languages_e2e import catalogue, open_in
from tests.e2e import Simulator, decode_qr_png, fresh_number
from wagate.browser import chromium_launch_options

pytestmark = pytest.mark.slow

CODE_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_MS = 45_000
MESSAGE_TIMEOUT_MS = 30_000
MAX_TABS = 80


async def press_until_focused(page: Page, target: Locator, key: str = "Tab") -> int:
    """Press `key` until `target` has the focus; how many presses it took (fails past MAX_TABS)."""
    for presses in range(1, MAX_TABS + 1):
        await page.keyboard.press(key)
        if await target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{key} never reached {target} in {MAX_TABS} presses")


async def get_back_to_a_qr_code(page: Page, dialog: Locator, words: dict) -> None:
    qr = dialog.get_by_role("img", name=words["codes"]["qrAlt"])
    ways_back = [
        dialog.get_by_role("button", name=words["common"]["cancel"]),
        dialog.get_by_role("button", name=words["modal"]["newCode"]),
        dialog.get_by_role("button", name=words["modal"]["qrInstead"]),
    ]
    for _ in range(CODE_TIMEOUT_MS // 500):
        if await qr.count():
            return
        for way in ways_back:
            if await way.count() and await way.is_enabled():
                await press_until_focused(page, way)
                await page.keyboard.press("Enter")
                break
        else:
            await page.wait_for_timeout(500)
    await expect(qr).to_be_visible()


@pytest.mark.parametrize(("locale", "code"), [("en-US", "en"), ("ar-EG", "ar")], ids=["ltr-en", "rtl-ar"])
async def test_every_page_and_modal_by_keyboard_and_axe(
    stack: StackHandle, simulator: Simulator, runners: list, dashboard_url: str, locale: str, code: str
) -> None:
    words = catalogue(code)
    api_url = stack.env["API_URL"]
    email = f"a11y-{code}-{uuid.uuid4().hex[:6]}@test.wagate.local"
    _, token = await asyncio.to_thread(stack.create_user, email)
    chatbot_id = str(uuid.uuid4())
    phone, customer = fresh_number("1555"), fresh_number("4917")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            page = await open_in(browser, dashboard_url, locale, config_js(api_url, token, chatbot_id, email))
            await expect(page.locator("html")).to_have_attribute("dir", "rtl" if code == "ar" else "ltr")
            section = page.get_by_role("region", name=words["whatsapp"]["title"])
            opener = section.get_by_role("button", name=words["whatsapp"]["connect"])
            await expect(opener).to_be_enabled(timeout=CODE_TIMEOUT_MS)

            # The settings page, and the Webhooks form showing its checks.
            await assert_accessible(page, f"{code}: the settings page")
            form = page.get_by_role("region", name=words["form"]["title"])
            await form.get_by_role("button", name=words["form"]["add"]).focus()
            await page.keyboard.press("Enter")
            await expect(form.get_by_text(words["webhooks"]["problem"]["url"])).to_be_visible()
            await assert_accessible(page, f"{code}: the Webhooks form with its checks")

            # Connect, by keyboard: from the top of the page, Tab to the button, Enter.
            await page.locator("body").focus()
            await press_until_focused(page, opener)
            await page.keyboard.press("Enter")
            dialog = page.get_by_role("dialog", name=words["modal"]["title"])
            qr = dialog.get_by_role("img", name=words["codes"]["qrAlt"])
            await expect(qr).to_be_visible(timeout=CODE_TIMEOUT_MS)
            await assert_accessible(page, f"{code}: the connect dialog at its QR step")

            # The choice between QR and pairing code, by keyboard; then Escape, and back at the opener.
            await press_until_focused(page, dialog.get_by_role("button", name=words["modal"]["phoneInstead"]))
            await page.keyboard.press("Enter")
            number_field = dialog.get_by_label(words["phone"]["label"])
            await expect(number_field).to_be_visible()
            await press_until_focused(page, number_field)
            await assert_accessible(page, f"{code}: the connect dialog at its phone number step")
            await page.keyboard.press("Escape")
            await expect(dialog).to_have_count(0)
            await expect(opener).to_be_focused()

            # Open it again (Enter on the opener, which has the focus) and get back to a QR code:
            # the dialog remembers the phone number step (Cancel), and the first code may have
            # expired meanwhile (New code).
            await page.keyboard.press("Enter")
            await expect(dialog).to_be_visible()
            await get_back_to_a_qr_code(page, dialog, words)
            await asyncio.to_thread(simulator.scan, decode_qr_png(await qr.screenshot()), phone)
            await expect(dialog.get_by_role("status")).to_contain_text(
                words["connection"]["connected"], timeout=CONNECT_TIMEOUT_MS
            )
            await page.keyboard.press("Escape")
            await expect(dialog).to_have_count(0)
            manage = section.get_by_role("button", name=words["whatsapp"]["manage"])
            await expect(manage).to_be_focused()

            # The history, with messages: Tab from the connection's controls reaches it.
            await asyncio.to_thread(simulator.send, customer, phone, f"a11y {code} {uuid.uuid4().hex[:6]}")
            history = section.get_by_role("list", name=words["history"]["listLabel"])
            await expect(history.get_by_role("listitem")).to_have_count(2, timeout=MESSAGE_TIMEOUT_MS)
            await assert_accessible(page, f"{code}: the message history with messages")
            await press_until_focused(page, history)
            for player_or_link in await history.locator("a, button, audio, video, [tabindex='0']").all():
                await press_until_focused(page, player_or_link)

            # Disconnect, by keyboard: back to "Manage connection", Enter, Disconnect, confirm.
            await press_until_focused(page, manage, key="Shift+Tab")
            await page.keyboard.press("Enter")
            await expect(dialog).to_be_visible()
            await press_until_focused(
                page, dialog.get_by_role("button", name=words["modal"]["disconnect"], exact=True)
            )
            await page.keyboard.press("Enter")
            confirm = dialog.get_by_role("button", name=words["modal"]["yesDisconnect"])
            await expect(confirm).to_be_visible()
            await assert_accessible(page, f"{code}: the connect dialog asking to confirm the disconnect")
            await press_until_focused(page, confirm)
            await page.keyboard.press("Enter")
            await expect(dialog.get_by_role("status")).to_contain_text(
                words["connection"]["notConnected"], timeout=CONNECT_TIMEOUT_MS
            )
            await page.keyboard.press("Escape")
            await expect(dialog).to_have_count(0)
            await expect(section.get_by_role("button", name=words["whatsapp"]["connect"])).to_be_enabled()

            # Insights, with the figures and charts of the conversation above.
            await page.goto(dashboard_url + "#insights")
            await expect(page.get_by_role("heading", level=1)).to_have_text(words["insights"]["title"])
            figures = page.get_by_role("region", name=words["insights"]["figures"]["title"])
            await expect(
                figures.get_by_text(words["insights"]["figures"]["messagesIn"], exact=True)
            ).to_be_visible(timeout=MESSAGE_TIMEOUT_MS)
            await assert_accessible(page, f"{code}: the Insights page with figures and charts")
            assert await page.evaluate("window.__wagateMissingKeys ?? []") == []
        finally:
            await browser.close()
            async with httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {token}"}
            ) as http:
                for session in await sessions_of(api_url, token, chatbot_id):
                    await http.delete(f"/api/sessions/{session['id']}")
