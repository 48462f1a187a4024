"""The page loads like WhatsApp Web 2.3000.x: `Debug.VERSION`, then `window.require('WAWeb…')`."""

from __future__ import annotations

import re

# Every module and member the simulator documents (README, "Module surface").
MODULE_SURFACE = {
    "WAWebSocketModel": ["Socket.on", "Socket.off", "Socket.once", "Socket.logout", "Socket.takeover"],
    "WAWebConnModel": ["Conn.on", "Conn.serialize"],
    "WAWebCmd": ["Cmd.on"],
    "WAWebLaunchSocketUtils": ["refreshQR"],
    "WAWebBackendEventBus": ["BackendEventBus.triggerRefreshQR", "BackendEventBus.onRefreshQR"],
    "WAWebLinkDeviceEvents": ["WAWebLinkDeviceEvents.on"],
    "WAWebApiContact": ["getPhoneNumber", "getCurrentLid", "getAlternateUserWid"],
    "WAWebLidMigrationUtils": ["toPn", "toLid", "toUserLidOrThrow", "toPnOrThrow"],
    "WAWebStreamModel": ["Stream.markAvailable", "Stream.markUnavailable"],
    "WAWebOfflineHandler": ["OfflineMessageHandler.getOfflineDeliveryProgress"],
    "WAWebAltDeviceLinkingApi": [
        "setPairingType", "getPairingType", "initializeAltDeviceLinking", "startAltLinkingFlow",
        "initializeQRLinking",
    ],
    "WABase64": ["encodeB64", "decodeB64"],
    "WAWebCompanionRegClientUtils": ["getCompanionWebClientFromBrowser"],
    "WAWebAdvSignatureApi": ["getADVSecretKey"],
    "WAWebUserPrefsInfoStore": ["waNoiseInfo.get"],
    "WAWebSignalStoreApi": ["waSignalStore.getRegistrationInfo"],
    "WAWebUserPrefsMultiDevice": ["getADVSecretKey"],
    "WAWebUserPrefsMeUser": ["getMaybeMePnUser", "getMaybeMeLidUser", "getMeUser", "getMaybeMeUser"],
    "WAWebCollections": [
        "Msg.on", "Msg.off", "Msg.once", "Msg.get", "Msg.getModelsArray",
        "Chat.on", "Chat.off", "Chat.get", "Chat.getModelsArray",
    ],
    "WAWebWidFactory": ["createWid", "createWidFromWidLike", "asUserWidOrThrow", "toUserWid"],
    "WAWebMsgKey": ["newId", "fromString"],
    "WAWebFindChatAction": ["findOrCreateLatestChat"],
    "WAWebSendMsgChatAction": ["addAndSendMsgToChat"],
    "WAWebQueryExistsJob": ["queryWidExists"],
    "WAWebChatStateBridge": ["sendChatStateComposing", "sendChatStateRecording", "sendChatStatePaused"],
    "WAWebUpdateUnreadChatAction": ["sendSeen"],
    "WAWebChatGetters": ["getIsNewsletter", "getIsBroadcast"],
    "WAWebGetEphemeralFieldsMsgActionsUtils": ["getEphemeralFields"],
    "WALinkify": ["findLink", "findLinks"],
    "WAWebSyncGatingUtils": ["isPlaceholderMessageResendEnabled"],
    "WAWebLinkPreviewChatAction": ["getLinkPreview"],
}  # fmt: skip

MISSING_MEMBERS_JS = """
(surface) => {
  const missing = [];
  for (const [name, members] of Object.entries(surface)) {
    const module = window.require(name);
    for (const path of members) {
      const value = path.split('.').reduce((target, key) => target?.[key], module);
      if (typeof value !== 'function') missing.push(`${name}.${path}`);
    }
  }
  return missing;
}
"""


async def test_version_is_set_once_modules_are_ready(open_page) -> None:
    page = await open_page()
    assert re.fullmatch(r"2\.3000\.\d+", await page.js("window.Debug.VERSION"))
    # When Debug appears, the socket is still opening, as a bridge waiting on it expects.
    assert await page.js("window.__stateAtDebug") == "OPENING"
    assert await page.js("window.__recErrors") == []


async def test_every_documented_module_and_member_is_there(open_page) -> None:
    page = await open_page()
    assert await page.js(MISSING_MEMBERS_JS, MODULE_SURFACE) == []
    assert await page.js("window.require('WAWebCompanionRegClientUtils').DEVICE_PLATFORM") == "WEB"
    assert await page.js("typeof window.require('WAWebWid')") == "function"


async def test_an_unknown_module_throws(open_page) -> None:
    page = await open_page()
    thrown = await page.js(
        """() => ['WAWebNoSuchModule', '__sim/runtime'].map((name) => {
             try { window.require(name); return null; } catch (error) { return error.message; }
           })"""
    )
    assert thrown == [
        'Requiring unknown module "WAWebNoSuchModule"',
        'Requiring unknown module "__sim/runtime"',
    ]


async def test_a_fresh_page_waits_for_a_scan(open_page) -> None:
    page = await open_page()
    assert await page.wait_state("UNPAIRED") == "UNPAIRED"
    assert await page.js("window.require('WAWebSocketModel').Socket.hasSynced") is False
    assert await page.js("window.require('WAWebUserPrefsMeUser').getMaybeMePnUser()") is None
    assert page.errors == []
