"""Logout: the phone unlinks the device (online or not), or the page logs itself out."""

from __future__ import annotations

from playwright.async_api import Page

PHONE = "15550005001"

LOGGED_OUT_JS = """
async () => {
  const names = (await indexedDB.databases()).map((db) => db.name);
  return { localStorage: Object.keys(localStorage).sort(), hasCredentials: await new Promise((resolve) => {
    const open = indexedDB.open('wawc');
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('user')) { db.close(); resolve(false); return; }
      const get = db.transaction('user').objectStore('user').get('companion_credentials');
      get.onsuccess = () => { db.close(); resolve(Boolean(get.result)); };
    };
  }), databases: names };
}
"""


async def _watch_logout(page: Page) -> list[str]:
    """Record the Cmd logout events through an exposed function (it outlives the navigation)."""
    seen: list[str] = []
    await page.expose_function("onSimLogout", lambda name: seen.append(name))
    await page.evaluate(
        """() => ['logout', 'starting_logout_from_bridge', 'logout_from_bridge'].forEach((name) =>
             window.require('WAWebCmd').Cmd.on(name, () => window.onSimLogout(name)))"""
    )
    return seen


async def test_unlinking_logs_the_page_out(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    noise_before = await page.js("JSON.parse(localStorage.getItem('WANoiseInfo')).pubKey")
    logouts = await _watch_logout(page.page)
    await control.unlink(PHONE)
    await page.page.wait_for_url("**/?post_logout=1*")
    assert logouts == ["starting_logout_from_bridge", "logout_from_bridge"]  # the 2026 build: no `logout`
    await page.wait_state("UNPAIRED")
    after = await page.js(LOGGED_OUT_JS)
    assert after["hasCredentials"] is False
    assert "last-wid-md" not in after["localStorage"]
    assert await page.js("JSON.parse(localStorage.getItem('WANoiseInfo')).pubKey") != noise_before
    assert await control.devices() == []
    assert (await control.scan(await page.qr(), PHONE))["device_id"] == 2


async def test_a_device_unlinked_while_offline_logs_out_when_it_comes_back(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    context = page.page.context
    await page.page.close()
    await control.unlink(PHONE)
    reopened = await context.new_page()
    await reopened.goto(f"{page.page.url}")
    await reopened.wait_for_url("**/?post_logout=1*")
    await reopened.wait_for_function(
        "window.Debug && window.require('WAWebSocketModel').Socket.state === 'UNPAIRED'"
    )


async def test_the_page_can_log_itself_out(open_page, control) -> None:
    page = await open_page()
    await page.link(control, PHONE)
    await page.js("window.require('WAWebSocketModel').Socket.logout()")
    await page.page.wait_for_url("**/?post_logout=1*")
    await page.wait_state("UNPAIRED")
    await page.page.wait_for_timeout(100)
    assert await control.devices() == []
