"""The browser-per-session model (whatsapp-web.js, WAHA's WEBJS engine), for the memory benchmark:
one Chromium per session, each with its own user-data-dir (as whatsapp-web.js's LocalAuth and
RemoteAuth launch it), the same flags as wagate's runner, the same page and the same bridge script.

    python -m bench.browser_per_session --url http://127.0.0.1:PORT
    stdin: "add K"  -> launches and links K more sessions, answers "linked TOTAL" (or "error ...")
           "quit"   -> closes every browser and exits (also on end of input)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, async_playwright

from runner.bridge import BRIDGE_JS
from wagate.browser import chromium_launch_options

_phones = itertools.count(random.randrange(10_000, 900_000) * 100)


class OneBrowserSession:
    def __init__(self, playwright, url: str, control: httpx.AsyncClient, profile_root: Path) -> None:
        self.playwright = playwright
        self.url = url
        self.control = control
        self.profile = Path(tempfile.mkdtemp(prefix="session-", dir=profile_root))
        self.context: BrowserContext | None = None
        self.qr: asyncio.Queue[str] = asyncio.Queue()
        self.ready = asyncio.Event()

    def _on_emit(self, _source: dict, event: dict) -> None:
        if event.get("type") == "qr":
            self.qr.put_nowait(event["qr"])
        elif event.get("type") == "ready":
            self.ready.set()

    async def link(self, timeout_s: float = 90.0) -> None:
        self.context = await self.playwright.chromium.launch_persistent_context(
            str(self.profile), **chromium_launch_options(headless_shell=True)
        )
        await self.context.expose_binding("__wagateEmit", self._on_emit)
        await self.context.add_init_script(BRIDGE_JS)
        page = self.context.pages[0] if self.context.pages else await self.context.new_page()
        await page.goto(self.url, wait_until="commit")
        qr = await asyncio.wait_for(self.qr.get(), timeout_s)
        phone = f"4916{next(_phones):08d}"
        response = await self.control.post("/control/scan", json={"qr": qr, "phone": phone, "name": "Bench"})
        response.raise_for_status()
        await asyncio.wait_for(self.ready.wait(), timeout_s)

    async def close(self) -> None:
        if self.context is not None:
            try:
                await self.context.close()
            except Exception:  # already gone
                pass


async def main(url: str) -> int:
    profile_root = Path(tempfile.mkdtemp(prefix="wagate-bench-profiles-"))
    sessions: list[OneBrowserSession] = []
    control = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30)
    playwright = await async_playwright().start()
    try:
        print("ready 0", flush=True)
        while True:
            line = (await asyncio.to_thread(sys.stdin.readline)).strip()
            if not line or line == "quit":
                return 0
            command, _, arg = line.partition(" ")
            if command != "add":
                print(f"error unknown command {line!r}", flush=True)
                continue
            batch = [OneBrowserSession(playwright, url, control, profile_root) for _ in range(int(arg))]
            sessions.extend(batch)
            try:
                for start in range(0, len(batch), 5):  # a few launches at a time on 2 cores
                    await asyncio.gather(*(s.link() for s in batch[start : start + 5]))
            except Exception as exc:
                print(f"error {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
                continue
            print(f"linked {len(sessions)}", flush=True)
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await playwright.stop()
        await control.aclose()
        shutil.rmtree(profile_root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="the simulator's URL")
    sys.exit(asyncio.run(main(parser.parse_args().url + "/")))
