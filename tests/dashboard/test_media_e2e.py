"""Media in the dashboard's history, in a real Chromium against the real stack: a customer's photo,
voice note, document, location and contact card, downloaded by the runner through the simulator's
WhatsApp Web and kept in S3, shown as a user reads them (the photo loaded from its short-lived URL,
a player for the voice note, the document's name with a download link, a map link, the contact)."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from devstack.testing import StackHandle
from tests.dashboard.test_dashboard_e2e import MESSAGE_TIMEOUT_MS, config_js, open_dashboard
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from wagate import media_av
from wagate.browser import chromium_launch_options

pytestmark = pytest.mark.slow

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Maria Silva\r\nTEL;type=CELL:+49 151 12345678\r\nEND:VCARD"


def _file(data: bytes, mime: str, filename: str | None = None) -> dict:
    return {
        "data_b64": base64.b64encode(data).decode(),
        "mime": mime,
        **({"filename": filename} if filename else {}),
    }


async def test_the_history_shows_a_customers_files(
    stack: StackHandle, simulator: Simulator, runners, dashboard_url: str
) -> None:
    user, chatbot_id = ApiUser(stack), str(uuid.uuid4())
    _session, phone = user.link(simulator, chatbot_id=chatbot_id)
    customer = fresh_number("4917")
    simulator.send(
        customer,
        phone,
        None,
        type="image",
        caption="the broken part",
        media=_file(media_av.sample_image("part"), "image/jpeg"),
    )
    simulator.send(
        customer, phone, None, type="ptt", media=_file(media_av.sample_voice(), "audio/ogg; codecs=opus")
    )
    invoice = media_av.sample_document("Invoice 42")
    simulator.send(
        customer, phone, None, type="document", media=_file(invoice, "application/pdf", "invoice 42.pdf")
    )
    simulator.send(
        customer,
        phone,
        None,
        type="location",
        location={"latitude": 52.52, "longitude": 13.405, "name": "Our shop"},
    )
    simulator.send(customer, phone, None, type="vcard", vcard=VCARD)
    wait_for(lambda: len(simulator.received(customer)) == 5, timeout_s=60, what="every file answered")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            config = config_js(stack.env["API_URL"], user.token, chatbot_id, "media@test.wagate.local")
            page = await open_dashboard(browser, dashboard_url, config)
            history = page.get_by_role("list", name="Messages, newest first")
            received = history.get_by_role("listitem").filter(has_text="Customer +")
            await expect(received).to_have_count(5, timeout=MESSAGE_TIMEOUT_MS)
            for index in range(5):  # files are fetched as their messages come into view
                await received.nth(index).scroll_into_view_if_needed()
            photo = page.get_by_role("img", name="the broken part")
            await photo.scroll_into_view_if_needed(timeout=MESSAGE_TIMEOUT_MS)
            await expect(photo).to_be_visible(timeout=MESSAGE_TIMEOUT_MS)
            # the picture itself loaded, from its presigned URL (not a broken image)
            await page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=await photo.element_handle(),
                timeout=15_000,
            )
            await expect(page.get_by_text("Voice message")).to_be_visible()
            audio = page.locator("audio")
            await expect(audio).to_have_count(1)
            assert (await audio.get_attribute("src") or "").startswith("http")
            download = page.get_by_role("link", name="Download invoice 42.pdf")
            await expect(download).to_be_visible()
            href = await download.get_attribute("href")
            async with httpx.AsyncClient() as http:
                assert (await http.get(href)).content == invoice  # the very file the customer sent
            map_link = page.get_by_role("link", name="Open map (OpenStreetMap, new tab)")
            assert "mlat=52.52" in (await map_link.get_attribute("href") or "")
            await expect(page.get_by_text("Contact card: Maria Silva")).to_be_visible()
            await expect(page.get_by_text("Location: Our shop")).to_be_visible()
        finally:
            await browser.close()
            user.delete_all_sessions()
