"""The browser owner in Debian's Chromium: a new session's context is the one kept ready (a new
context and page cost about a second of CPU), another is made behind it, and a restore (a context
with a saved login) never gets the blank one."""

from __future__ import annotations

import asyncio

from runner.browser import BrowserOwner


async def _until(check, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s")


async def test_a_first_login_gets_the_context_kept_ready_and_another_is_made() -> None:
    owner = BrowserOwner(warm=True)
    await owner.start()
    try:
        owner.prepare_spare()
        await _until(lambda: owner.spare_ready)
        first = await owner.new_context()
        assert len(first.pages) == 1 and first.pages[0].url == "about:blank", "its blank page is ready"
        await _until(lambda: owner.spare_ready)  # made again in the background
        second = await owner.new_context()
        assert second is not first
        restored = await owner.new_context(storage_state={"cookies": [], "origins": []})
        assert restored.pages == [], "a restore gets a context of its own, with the saved login"
        for context in (first, second, restored):
            await context.close()
    finally:
        await owner.close()


async def test_without_warming_every_context_is_made_on_demand() -> None:
    owner = BrowserOwner(warm=False)
    await owner.start()
    try:
        owner.prepare_spare()
        await asyncio.sleep(0.5)
        assert not owner.spare_ready
        context = await owner.new_context()
        assert context.pages == []
        await context.close()
    finally:
        await owner.close()
