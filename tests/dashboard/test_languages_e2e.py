"""The dashboard in every language, in a real Chromium against the real stack: the browser's
locale picks the language (`new_context(locale=...)`), `<html lang dir>` follow it (right to left
for Arabic), and no key is shown missing or answered by the English fallback while the page, the
connect dialog (with its code) and the webhook form's checks are on screen; the language selector
works from the keyboard and the choice survives a reload.

The expected words are read from the dashboard's own catalogues, so the test follows them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from devstack.testing import StackHandle
from tests.dashboard.test_dashboard_e2e import config_js, sessions_of
from wagate.browser import chromium_launch_options

pytestmark = pytest.mark.slow

LOCALES = Path(__file__).resolve().parents[2] / "dashboard" / "src" / "i18n" / "locales"
# (the browser's locale, the language the dashboard should pick, its direction)
BROWSER_LOCALES = [
    ("en-US", "en", "ltr"),
    ("es-MX", "es", "ltr"),
    ("pt-BR", "pt-BR", "ltr"),
    ("de-DE", "de", "ltr"),
    ("fr-FR", "fr", "ltr"),
    ("hi-IN", "hi", "ltr"),
    ("id-ID", "id", "ltr"),
    ("ar-EG", "ar", "rtl"),
]
PAGE_TIMEOUT_MS = 30_000


def catalogue(code: str) -> dict:
    return json.loads((LOCALES / f"{code}.json").read_text(encoding="utf-8"))


async def open_in(browser: Browser, url: str, locale: str, config: str) -> Page:
    context = await browser.new_context(locale=locale, viewport={"width": 1024, "height": 900})
    page = await context.new_page()
    await page.route(
        "**/config.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=config)
    )
    await page.goto(url)
    return page


async def missing_keys(page: Page) -> list[str]:
    return await page.evaluate("window.__wagateMissingKeys ?? []")


async def test_every_language_without_a_missing_key(
    stack: StackHandle, simulator: object, runners: list, dashboard_url: str
) -> None:
    api_url = stack.env["API_URL"]
    email = f"languages-{uuid.uuid4().hex[:6]}@test.wagate.local"
    user_id, _ = await asyncio.to_thread(stack.create_user, email)
    # an operator, so every page shows: theirs and the Fleet page
    token = stack.mint_token(user_id, email=email, app_metadata={"role": "admin"})
    chatbot_id = str(uuid.uuid4())
    config = config_js(api_url, token, chatbot_id, email)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            for locale, code, direction in BROWSER_LOCALES:
                words = catalogue(code)
                page = await open_in(browser, dashboard_url, locale, config)
                html = page.locator("html")
                await expect(html).to_have_attribute("lang", code)
                await expect(html).to_have_attribute("dir", direction)
                await expect(page.get_by_role("heading", level=1)).to_have_text(words["app"]["title"])
                assert await page.title() == words["app"]["documentTitle"]

                # The connect dialog: opened (the first language creates the session, the others
                # find it), showing its status in this language until a code is on screen.
                section = page.get_by_role("region", name=words["whatsapp"]["title"])
                await section.get_by_role("button", name=words["whatsapp"]["connect"]).click(
                    timeout=PAGE_TIMEOUT_MS
                )
                dialog = page.get_by_role("dialog", name=words["modal"]["title"])
                await expect(dialog).to_be_visible()
                code_shown = dialog.get_by_role("img", name=words["codes"]["qrAlt"])
                await expect(code_shown).to_be_visible(timeout=60_000)
                await expect(dialog.get_by_role("status")).to_contain_text(words["connection"]["qr"])
                await dialog.get_by_role("button", name=words["common"]["close"]).click()
                await expect(dialog).to_have_count(0)

                # The webhook form: its checks, in this language.
                form = page.get_by_role("region", name=words["form"]["title"])
                await form.get_by_role("button", name=words["form"]["add"]).click()
                await expect(form.get_by_text(words["webhooks"]["problem"]["url"])).to_be_visible()
                await expect(form.get_by_text(words["webhooks"]["problem"]["events"])).to_be_visible()

                # The operator's Fleet page, loaded, in this language.
                await page.goto(dashboard_url + "#fleet")
                await expect(page.get_by_role("heading", level=1)).to_have_text(words["fleet"]["title"])
                await expect(page.get_by_text(words["fleet"]["loading"])).to_have_count(
                    0, timeout=PAGE_TIMEOUT_MS
                )
                await expect(page.get_by_text(words["fleet"]["intro"])).to_be_visible()

                # Insights (this user's chatbot has no messages: its empty state), in this language.
                await page.goto(dashboard_url + "#insights")
                await expect(page.get_by_role("heading", level=1)).to_have_text(words["insights"]["title"])
                await expect(page.get_by_text(words["insights"]["empty"]["title"])).to_be_visible(
                    timeout=PAGE_TIMEOUT_MS
                )

                assert await missing_keys(page) == [], f"{locale}: keys missing or in English"
                await page.context.close()

            # The selector, by keyboard: English → the next language, kept after a reload.
            page = await open_in(browser, dashboard_url, "en-US", config)
            selector = page.get_by_role("combobox", name=catalogue("en")["app"]["language"])
            await selector.focus()
            await page.keyboard.press("ArrowDown")
            await expect(page.locator("html")).to_have_attribute("lang", "es")
            await expect(page.get_by_role("heading", level=1)).to_have_text(catalogue("es")["app"]["title"])
            await page.reload()
            await expect(page.locator("html")).to_have_attribute("lang", "es")
            await expect(page.get_by_role("combobox", name=catalogue("es")["app"]["language"])).to_have_value(
                "es"
            )
            assert await missing_keys(page) == []
            await page.context.close()
        finally:
            await browser.close()
            # Nothing left for a runner to keep alive.
            async with httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {token}"}
            ) as http:
                for session in await sessions_of(api_url, token, chatbot_id):
                    await http.delete(f"/api/sessions/{session['id']}")
