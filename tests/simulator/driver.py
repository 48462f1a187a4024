"""Drive the simulator's page the way a bridge does: through `window.require('WAWeb…')` only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from playwright.async_api import Page

# Installed before any page script: when the app sets `window.Debug` (its modules are ready, as in
# the real WhatsApp Web), record the state then and every event a bridge listens to from then on.
RECORDER_INIT_SCRIPT = """
(() => {
  let debug;
  Object.defineProperty(window, 'Debug', {
    configurable: true,
    get() { return debug; },
    set(value) { debug = value; install(); },
  });
  function attach(name, attachTo) {
    try { attachTo(window.require(name)); } catch (error) { window.__recErrors.push(String(error)); }
  }
  function install() {
    const rec = window.__rec = [];
    window.__recErrors = [];
    const push = (kind, value, extra) => rec.push({ kind, value, at: performance.now(), ...extra });
    attach('WAWebSocketModel', ({ Socket }) => {
      window.__stateAtDebug = Socket.state;
      Socket.on('change:state', (_socket, state) => push('state', state));
      Socket.on('change:hasSynced', (_socket, synced) => push('synced', synced));
    });
    attach('WAWebConnModel', ({ Conn }) => Conn.on('change:ref', (_conn, ref) => push('ref', ref)));
    attach('WAWebCmd', ({ Cmd }) => {
      Cmd.on('logout', () => push('logout', 'logout'));
      Cmd.on('logout_from_bridge', () => push('logout', 'logout_from_bridge'));
    });
    attach('WAWebCollections', ({ Msg }) => {
      Msg.on('add', (msg) => push('add', msg.serialize()));
      Msg.on('change:ack', (msg, ack) => push('ack', ack, { id: msg.id._serialized }));
    });
  }
})();
"""

QR_STRING_JS = """
async () => {
  // As whatsapp-web.js v1.34 builds it (Client.inject).
  const registrationInfo = await window.require('WAWebSignalStoreApi').waSignalStore.getRegistrationInfo();
  const noiseKeyPair = await window.require('WAWebUserPrefsInfoStore').waNoiseInfo.get();
  const encodeB64 = window.require('WABase64').encodeB64;
  const platform = window.require('WAWebCompanionRegClientUtils').DEVICE_PLATFORM;
  return window.require('WAWebConnModel').Conn.ref + ',' + encodeB64(noiseKeyPair.staticKeyPair.pubKey) + ','
    + encodeB64(registrationInfo.identityKeyPair.pubKey) + ','
    + window.require('WAWebUserPrefsMultiDevice').getADVSecretKey() + ',' + platform;
}
"""

SEND_TEXT_JS = """
async ([to, body]) => {
  // As whatsapp-web.js v1.34's WWebJS.sendMessage does it for a text, after the number lookup that
  // teaches a LID-migrated account the person's LID (its enforceLidAndPnRetrieval).
  const chatWid = window.require('WAWebWidFactory').createWid(to.includes('@') ? to : to + '@c.us');
  if (chatWid.server === 'c.us') {
    await window.require('WAWebQueryExistsJob').queryWidExists(chatWid).catch(() => null);
  }
  const { chat } = await window.require('WAWebFindChatAction').findOrCreateLatestChat(chatWid);
  const MsgKey = window.require('WAWebMsgKey');
  const me = window.require('WAWebUserPrefsMeUser');
  const meUser = chat.id.isLid() ? me.getMaybeMeLidUser() : me.getMaybeMePnUser();
  const id = new MsgKey({
    from: meUser, to: chat.id, id: await MsgKey.newId(), participant: undefined, selfDir: 'out',
  });
  const message = {
    id, ack: 0, body, from: meUser, to: chat.id, local: true, self: 'out',
    t: Math.floor(Date.now() / 1000), isNewMsg: true, type: 'chat',
  };
  const [added, result] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, message);
  await added;
  window.__sendResults = window.__sendResults || {};
  result.then((value) => { window.__sendResults[id._serialized] = value; });
  return id._serialized;
}
"""


class WaPage:
    def __init__(self, page: Page, errors: list) -> None:
        self.page = page
        self.errors = errors

    async def js(self, expression: str, arg: Any = None) -> Any:
        return await self.page.evaluate(expression, arg)

    async def state(self) -> str:
        return await self.js("window.require('WAWebSocketModel').Socket.state")

    async def wait_state(self, *states: str, timeout_ms: float = 5000) -> str:
        await self.page.wait_for_function(
            "(states) => window.Debug && states.includes(window.require('WAWebSocketModel').Socket.state)",
            arg=list(states),
            timeout=timeout_ms,
        )
        return await self.state()

    async def wait_synced(self, timeout_ms: float = 5000) -> None:
        await self.page.wait_for_function(
            "window.Debug && window.require('WAWebSocketModel').Socket.hasSynced === true", timeout=timeout_ms
        )

    async def qr(self) -> str:
        await self.wait_state("UNPAIRED")
        return await self.js(QR_STRING_JS)

    async def events(self, kind: str | None = None) -> list[dict]:
        recorded = await self.js("window.__rec || []")
        return [event for event in recorded if kind is None or event["kind"] == kind]

    async def wait_event(self, kind: str, count: int = 1, timeout_ms: float = 5000) -> list[dict]:
        await self.page.wait_for_function(
            "([kind, count]) => (window.__rec || []).filter((e) => e.kind === kind).length >= count",
            arg=[kind, count],
            timeout=timeout_ms,
        )
        return await self.events(kind)

    async def send_text(self, to: str, body: str) -> str:
        return await self.js(SEND_TEXT_JS, [to, body])

    async def lookup(self, number: str) -> dict | None:
        """A number lookup (WAWebQueryExistsJob), as a bridge does before opening a chat."""
        return await self.js(
            """(n) => window.require('WAWebQueryExistsJob').queryWidExists(
                 window.require('WAWebWidFactory').createWid(n.includes('@') ? n : n + '@c.us'))""",
            number,
        )

    async def link(self, control: Any, phone: str, name: str | None = None) -> dict:
        """Scan this page's QR with `phone`, wait until it is connected and synced."""
        linked = await control.scan(await self.qr(), phone, name)
        await self.wait_state("CONNECTED")
        await self.wait_synced()
        return linked

    async def storage_dump(self) -> dict:
        return json.loads(await self.js(STORAGE_DUMP_JS))


async def close_and_wait_offline(page: WaPage, control: Any) -> None:
    """Close the page; the server notices its closed socket shortly after (its device offline)."""
    await page.page.close()
    for _ in range(40):
        if not (await control.devices())[0]["online"]:
            return
        await asyncio.sleep(0.05)


# What IndexedDB and localStorage hold, with the type of every binary value.
STORAGE_DUMP_JS = """
async () => {
  const typeOf = (v) => v instanceof Uint8Array ? 'Uint8Array' : v instanceof ArrayBuffer ? 'ArrayBuffer'
    : v instanceof CryptoKey ? 'CryptoKey' : typeof v;
  const read = (name, store) => new Promise((resolve) => {
    const open = indexedDB.open(name);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(store)) { db.close(); resolve([]); return; }
      const request = db.transaction(store).objectStore(store).getAll();
      request.onsuccess = () => { db.close(); resolve(request.result); };
    };
    open.onerror = () => resolve([]);
  });
  const isPlain = (v) => v && typeof v === 'object' && typeOf(v) === 'object';
  const describe = (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k,
    isPlain(v) ? Object.fromEntries(Object.entries(v).map(([k2, v2]) => [k2, typeOf(v2)])) : typeOf(v)]));
  const keys = await read('wawc_db_enc', 'keys');
  return JSON.stringify({
    localStorage: Object.fromEntries(Object.entries(localStorage)),
    user: (await read('wawc', 'user')).map((row) => ({ key: row.key, types: describe(row) })),
    identity: (await read('signal-storage', 'identity-store')).map(describe),
    keys: keys.map((row) => ({ type: typeOf(row.key), extractable: row.key && row.key.extractable,
      algorithm: row.key && row.key.algorithm && row.key.algorithm.name })),
    messages: (await read('model-storage', 'message')).map(describe),
  });
}
"""
