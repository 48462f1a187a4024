"""One owner for browser resources: playwright -> browser -> contexts, relaunched when the
browser dies, torn down in reverse (scrapy-playwright's handler)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright

from runner import lifeline
from wagate.browser import chromium_launch_options

log = logging.getLogger("runner.browser")


class BrowserOwner:
    def __init__(
        self, on_browser_lost: Callable[[], Awaitable[None]] | None = None, *, dies_with_runner: bool = True
    ) -> None:
        self._playwright: Playwright | None = None
        self._dies_with_runner = dies_with_runner
        self._launch_options: dict = {}
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()
        self._closing = False
        self._on_browser_lost = on_browser_lost
        self.launches = 0

    async def start(self) -> None:
        line = lifeline.install() if self._dies_with_runner else None
        self._playwright = await async_playwright().start()
        self._launch_options = chromium_launch_options(headless_shell=True)
        if line is not None:  # Chromium too: the system one, else Playwright's own
            target = self._launch_options.get("executable_path") or self._playwright.chromium.executable_path
            self._launch_options["executable_path"] = line.launcher("chromium", target)
        await self._launch()

    async def _launch(self) -> Browser:
        assert self._playwright is not None
        browser = await self._playwright.chromium.launch(**self._launch_options)
        browser.on("disconnected", lambda _b: self._lost(browser))
        self._browser = browser
        self.launches += 1
        log.info("browser launched", extra={"launches": self.launches, "version": browser.version})
        return browser

    def _lost(self, browser: Browser) -> None:
        if self._closing or browser is not self._browser:
            return
        log.warning("browser disconnected; relaunching")
        self._browser = None
        if self._on_browser_lost:
            asyncio.get_running_loop().create_task(self._on_browser_lost())

    async def browser(self) -> Browser:
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                await self._launch()
            assert self._browser is not None
            return self._browser

    async def new_context(self, **options) -> BrowserContext:
        browser = await self.browser()
        return await browser.new_context(**options)

    async def persistent_context(self, user_data_dir) -> BrowserContext:
        """A browser of its own on `user_data_dir` (the `profile` checkpoint strategy)."""
        assert self._playwright is not None
        return await self._playwright.chromium.launch_persistent_context(
            str(user_data_dir), **self._launch_options
        )

    @property
    def pid(self) -> int | None:
        """The browser process id (for tests that kill it, and for memory accounting)."""
        browser = self._browser
        proc = getattr(getattr(browser, "_impl_obj", None), "_browser_process", None)
        return getattr(proc, "pid", None)

    async def close(self) -> None:
        self._closing = True
        if self._browser is not None:
            try:
                await self._browser.close()
            except Exception:  # already gone
                pass
        if self._playwright is not None:
            await self._playwright.stop()
