"""One simulator process and one Chromium for the whole session; state reset before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, async_playwright

from simulator.testing import AsyncSimulatorControl, SimulatorProcess
from tests.simulator.driver import RECORDER_INIT_SCRIPT, WaPage
from wagate.browser import chromium_launch_options

# Session timings: refs long enough never to expire by accident (tests that need rotation shorten
# them at runtime), everything else fast.
SESSION_SETTINGS = {
    "ref_first_ms": 30_000,
    "ref_next_ms": 30_000,
    "ref_count": 6,
    "ack_delivered_ms": 80,
    "ack_read_ms": 120,
    "sync_ms": 30,
    "reconnect_ms": 150,
    "pair_code_ttl_ms": 60_000,
}

OpenPage = Callable[..., Awaitable[WaPage]]


@pytest.fixture(scope="session")
def simulator() -> SimulatorProcess:
    with SimulatorProcess(**SESSION_SETTINGS) as process:
        yield process


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(**chromium_launch_options())
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def control(simulator: SimulatorProcess) -> AsyncIterator[AsyncSimulatorControl]:
    client = AsyncSimulatorControl(simulator.url)
    await client.reset()
    yield client
    await client.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(browser: Browser, simulator: SimulatorProcess, control: AsyncSimulatorControl):
    """`await open_page()` → a new context and page on the simulator; `context=` reuses a context."""
    contexts: list[BrowserContext] = []

    async def open_(*, context: BrowserContext | None = None, storage_state: dict | None = None) -> WaPage:
        if context is None:
            context = await browser.new_context(storage_state=storage_state)
            await context.add_init_script(RECORDER_INIT_SCRIPT)
            contexts.append(context)
        page = await context.new_page()
        errors: list = []
        page.on("pageerror", lambda error: errors.append(error))
        await page.goto(simulator.url, wait_until="commit")
        await page.wait_for_function("window.Debug && window.Debug.VERSION")
        return WaPage(page, errors)

    yield open_
    for context in contexts:
        await context.close()
