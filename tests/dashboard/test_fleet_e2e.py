"""The operator's Fleet page in a real Chromium against the real stack: an admin (a token with
`app_metadata.role` "admin") finds it in the header and sees the stack's runners alive; a runner
killed shows as gone within its heartbeat window; another user never sees the page. axe-core finds
no serious violation on it, left to right and right to left."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from playwright.async_api import async_playwright, expect

from devstack.testing import StackHandle
from tests.dashboard.axe import assert_accessible
from tests.dashboard.test_dashboard_e2e import config_js, open_dashboard
from tests.e2e import Fleet
from wagate.browser import chromium_launch_options

pytestmark = pytest.mark.slow

ADMIN_METADATA = {"provider": "email", "providers": ["email"], "role": "admin"}
PAGE_TIMEOUT_MS = 30_000
# The fleet's heartbeat window (20 s), one heartbeat (5 s) and one refresh of the page (5 s).
GONE_TIMEOUT_MS = 45_000


def operator_config(stack: StackHandle, email: str = "ops@test.wagate.local") -> str:
    user_id, _ = stack.create_user(email)
    token = stack.mint_token(user_id, email=email, app_metadata=ADMIN_METADATA)
    return config_js(stack.env["API_URL"], token, str(uuid.uuid4()), email)


async def test_an_operator_sees_the_fleet_and_a_killed_runner_gone(
    stack: StackHandle, runners: Fleet, dashboard_url: str
) -> None:
    (extra,) = await asyncio.to_thread(runners.start, 1)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            page = await open_dashboard(browser, dashboard_url, operator_config(stack))
            pages = page.get_by_role("navigation", name="Pages")
            await pages.get_by_role("link", name="Fleet").click()
            await expect(page.get_by_role("heading", level=1, name="Fleet")).to_be_visible()
            table = page.get_by_role("table", name="Runners")
            for runner_id in runners.alive():
                row = table.get_by_role("row").filter(has_text=runner_id)
                await expect(row.get_by_text("Alive", exact=True)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
                await expect(row).to_contain_text(re.compile(r"(\d+ seconds? ago|now)"))
            await expect(page.get_by_role("region", name="Sessions by status")).to_be_visible()
            await expect(page.get_by_role("region", name="Start queue")).to_contain_text("Dead letters")
            await assert_accessible(page, "the Fleet page (en)")

            # A runner lost (SIGKILL: its heartbeat stops) is gone within the heartbeat window.
            await asyncio.to_thread(runners.kill, extra)
            row = table.get_by_role("row").filter(has_text=extra)
            await expect(row.get_by_text("Gone", exact=True)).to_be_visible(timeout=GONE_TIMEOUT_MS)
            for runner_id in runners.alive():
                alive = table.get_by_role("row").filter(has_text=runner_id)
                await expect(alive.get_by_text("Alive", exact=True)).to_be_visible()
            await page.screenshot(path="/tmp/fleet-e2e.png", full_page=True)
        finally:
            await browser.close()


async def test_the_fleet_page_right_to_left_and_for_no_one_else(
    stack: StackHandle, runners: Fleet, dashboard_url: str
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        try:
            context = await browser.new_context(locale="ar-EG", viewport={"width": 1024, "height": 900})
            page = await context.new_page()
            config = operator_config(stack, "ops-ar@test.wagate.local")
            await page.route(
                "**/config.js",
                lambda route: route.fulfill(status=200, content_type="text/javascript", body=config),
            )
            await page.goto(dashboard_url + "#fleet")
            await expect(page.locator("html")).to_have_attribute("dir", "rtl")
            await expect(page.get_by_role("heading", level=1, name="الأسطول")).to_be_visible()
            await expect(
                page.get_by_role("table", name="المشغّلات").get_by_text("يعمل", exact=True).first
            ).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            assert await page.evaluate("window.__wagateMissingKeys ?? []") == []
            await assert_accessible(page, "the Fleet page (ar)")

            # Anyone else: no link to it, and #fleet shows their own settings.
            _, token = await asyncio.to_thread(stack.create_user, "not-ops@test.wagate.local")
            other = await open_dashboard(
                browser,
                dashboard_url + "#fleet",
                config_js(stack.env["API_URL"], token, str(uuid.uuid4()), "not-ops@test.wagate.local"),
            )
            await expect(other.get_by_role("heading", level=1, name="Chatbot settings")).to_be_visible()
            await expect(other.get_by_role("region", name="WhatsApp")).to_be_visible()
            # their pages: their settings and Insights, never Fleet
            pages = other.get_by_role("navigation", name="Pages")
            await expect(pages.get_by_role("link")).to_have_text(["Chatbot settings", "Insights"])
            await expect(other.get_by_role("link", name="Fleet")).to_have_count(0)
        finally:
            await browser.close()
