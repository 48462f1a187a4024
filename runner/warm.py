"""A WhatsApp Web page loaded before any session needs it.

Opening WhatsApp Web for a new session is most of the wait for its first QR code: a browser context
and page (about a second of Chromium's CPU here), then the app itself (seconds on the real
WhatsApp Web). A runner keeps one page loaded and showing a login code; the next session that logs
in for the first time takes it, asks it to announce its state and start a fresh series of login
codes (as long to scan as on a page of its own), and a new one is loaded behind it. A restore
cannot use it: a saved login is given to a context when it is made. While nobody has taken it, the
page's events are dropped; once its codes run out it sits idle, with no traffic to WhatsApp. It is
replaced after `max_age_s`: WhatsApp Web is updated often, and a session should start on a current
version (a page loaded before an update keeps running the old one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from runner.bridge import BRIDGE_JS

if TYPE_CHECKING:
    from runner.browser import BrowserOwner

log = logging.getLogger("runner.warm")

Listener = Callable[[Any, dict], None]


class WarmPage:
    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page: Page | None = None
        self.loaded = asyncio.get_running_loop().create_future()
        self._listener: Listener | None = None
        self._held: list[tuple[Any, dict]] | None = None  # while being taken
        self._since: int | None = None  # events numbered up to this were reported to nobody
        self.broken = False  # the bridge reported an error while nobody had taken the page

    def emit(self, source: Any, payload: dict) -> None:
        """The bridge's binding: to the session that took the page (only what the page reported
        after it was taken), else only watched for loading."""
        if self._held is not None:
            self._held.append((source, payload))
        elif self._listener is not None:
            if self._since is None or int(payload.get("n") or 0) > self._since:
                self._listener(source, payload)
        elif not self.loaded.done() and payload.get("type") in ("loaded", "error"):
            self.loaded.set_result(payload)
        elif payload.get("type") == "error":  # e.g. chat modules that never registered: not usable
            self.broken = True

    async def adopt(self, listener: Listener, timeout_s: float = 5.0) -> bool:
        """Send the page's events to `listener` from now on, and have it announce its state. False:
        the page cannot be used (closed, or its bridge is not running)."""
        if self.page is None or self.page.is_closed():
            return False
        self._held = []  # events arriving meanwhile may have been reported before: sorted out below
        try:
            answer = await asyncio.wait_for(
                self.page.evaluate("() => window.__wagate ? window.__wagate.announce() : null"), timeout_s
            )
        except (PlaywrightError, TimeoutError):
            answer = None
        held, self._held = self._held, None
        if not isinstance(answer, dict):
            return False
        self._since, self._listener = int(answer.get("since") or 0), listener
        for source, payload in held:
            self.emit(source, payload)
        return True

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.context.close()


class WarmPages:
    """Keeps one WarmPage ready (loading it in the background)."""

    def __init__(
        self,
        browser: BrowserOwner,
        url: str,
        *,
        load_timeout_s: float,
        max_age_s: float = 600.0,
        bridge_js: str = BRIDGE_JS,
    ) -> None:
        self.browser = browser
        self.url = url
        self.bridge_js = bridge_js
        self.load_timeout_s = load_timeout_s
        self.max_age_s = max_age_s
        self._ready: WarmPage | None = None
        self._task: asyncio.Task | None = None
        self._closing = False

    @property
    def ready(self) -> WarmPage | None:
        """The page waiting to be taken, if one is."""
        return self._ready

    def prepare(self) -> None:
        """Load a page unless one is ready or loading."""
        if self._closing or self._ready is not None or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.get_running_loop().create_task(self._load(), name="warm-page")

    async def take(self) -> WarmPage | None:
        """The ready page, if there is one (the next is loaded behind it)."""
        warm, self._ready = self._ready, None
        self.prepare()
        if warm is not None and (warm.page is None or warm.page.is_closed() or warm.broken):
            await warm.close()  # its browser died meanwhile, or its WhatsApp Web cannot be driven
            return None
        return warm

    async def _load(self) -> None:
        warm = None
        try:
            warm = WarmPage(await self.browser.new_context())
            await warm.context.expose_binding("__wagateEmit", warm.emit)
            await warm.context.add_init_script(self.bridge_js)
            warm.page = await warm.context.new_page()
            await warm.page.goto(self.url, wait_until="commit", timeout=self.load_timeout_s * 1000)
            loaded = await asyncio.wait_for(warm.loaded, self.load_timeout_s)
        except (PlaywrightError, TimeoutError) as exc:
            log.warning("no WhatsApp Web page kept ready", extra={"error": str(exc)[:200]})
            if warm is not None:
                await warm.close()
            return
        if loaded.get("type") != "loaded" or self._closing:
            if loaded.get("type") != "loaded":  # WhatsApp Web changed: a session will say how
                log.warning("no WhatsApp Web page kept ready", extra={"error": str(loaded)[:200]})
            await warm.close()
            return
        self._ready = warm
        asyncio.get_running_loop().call_later(self.max_age_s, self._expire, warm)

    def _expire(self, warm: WarmPage) -> None:
        """Replace the page if it is still waiting after max_age_s."""
        if self._ready is warm and not self._closing:
            self._ready = None
            asyncio.get_running_loop().create_task(warm.close())
            self.prepare()

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._ready is not None:
            await self._ready.close()
            self._ready = None
