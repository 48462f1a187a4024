// wagate bridge: injected into WhatsApp Web (or the simulator) before the page's own scripts. It
// waits for the app to load, reaches its modules through window.require('WAWeb…') as the
// maintained open-source clients do (whatsapp-web.js 1.34.7 is the reference), and reports events
// to Python through the binding window.__wagateEmit. Parts, joined in this order into one script
// by runner/bridge/__init__.py (which also sets SETTINGS): core.js (emitting, the page's sockets,
// module lookup), messages.js (what a message is, LIDs, undecrypted messages, edits, acks),
// send.js (chats, sending, receipts), media.js (files in and out), main.js (login, logout,
// passkey, the API, boot).
//
// What it handles of the WhatsApp Web of 2026:
// - every module lookup is guarded: a missing one is reported by name. The login modules are
//   required at load; the chat and message modules, which recent builds register progressively
//   (often 10-30 s after load on a cold cache), are waited for up to SETTINGS.modulesWaitMs;
// - customers addressed by LID (`<lid>@lid`): reported with the chat as WhatsApp names it, the LID,
//   and the phone number when the page knows it (WAWebApiContact); replies go into that chat, from
//   our LID (getMaybeMeLidUser) as whatsapp-web.js sends into LID chats; a phone number is opened
//   as WhatsApp Web does it, through the LID a number lookup teaches the page;
// - undecrypted messages (`ciphertext`, "Waiting for this message") are reported once they turn
//   into the real message (`change:type`), or as undecryptable after SETTINGS.ciphertextWaitMs;
// - edits (`change:body`) and deletions for everyone (type `revoked`) of reported messages;
// - media: the text of a media message is its `caption`, never the thumbnail kept in `body`; its
//   file downloaded and decrypted by the page (downloadMedia), ours uploaded through the page's
//   own media pipeline (media.js); locations and contact cards reported as such;
// - unlinking from the phone: Cmd `logout_from_bridge` (2026) as well as `logout`, and the
//   `post_logout=1` navigation;
// - refreshing the QR: Cmd.refreshQR where it exists, else WAWebLaunchSocketUtils.refreshQR, else
//   the backend event bus's triggerRefreshQR;
// - read receipts sent with the stream marked available (Stream.markAvailable / markUnavailable);
// - a send WhatsApp refuses (its result, or ack -1) is reported, never taken as sent; the result
//   is waited for at most SETTINGS.sendResultWaitMs (it may never settle);
// - disappearing-message chats: replies carry the chat's ephemeral fields;
// - linking that asks for a passkey on the phone ("Shortcake", pairing type SHORTCAKE_PASSKEY).
const BRIDGE_VERSION = "wagate-bridge/2";
if (window.__wagate || window.top !== window) return;

// Every event is numbered (`n`: the runner can tell what a page reported before it took the
// page), "message" events once more on their own (`seq`, per document: see __wagateQuiesce).
const doc = Math.random().toString(36).slice(2);
let emitted = 0;
let messagesEmitted = 0;
const emit = (type, data = {}) => {
  try {
    emitted += 1;
    if (type !== "message") return window.__wagateEmit({ type, ...data, n: emitted });
    const sent = window.__wagateEmit({ type, ...data, n: emitted, doc, seq: messagesEmitted + 1 });
    messagesEmitted += 1;
    return sent;
  } catch (err) {
    return undefined; // binding not ready (about:blank); nothing to report to
  }
};

// The page's WebSockets, so the runner can stop WhatsApp delivering to a page it is about to
// close. WhatsApp takes a message as delivered once the page confirms it, and the page confirms
// as it stores it: every message reported before the sockets close must reach the runner; one
// still being handled then can no longer be confirmed and is delivered again to the next page.
// (Chromium's offline emulation is no substitute: it holds frames and sends them at close.)
const sockets = new Set();
let quiet = false;
let beforeQuiet = () => {}; // reports what is pending (acks) before the page goes quiet
const NativeWebSocket = window.WebSocket;
if (typeof NativeWebSocket === "function") {
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      if (quiet) throw new DOMException("the page is closing (wagate)", "NetworkError");
      super(...args);
      sockets.add(this);
      this.addEventListener("close", () => sockets.delete(this));
    }
  };
}
// Close every socket for good; how many messages were reported, and how many sockets closed.
Object.defineProperty(window, "__wagateQuiesce", {
  value: () => {
    beforeQuiet();
    quiet = true;
    const closed = sockets.size;
    for (const socket of sockets) socket.close(1000, "closing");
    sockets.clear();
    return { doc, messages: messagesEmitted, sockets: closed };
  },
});

class MissingModule extends Error {
  constructor(name, detail) {
    super(`WhatsApp Web module ${name} is missing${detail ? ` (${detail})` : ""}`);
    this.moduleName = name;
  }
}

const need = (name, member) => {
  let mod;
  try {
    mod = window.require(name);
  } catch (err) {
    throw new MissingModule(name);
  }
  if (mod == null) throw new MissingModule(name);
  if (member !== undefined) {
    if (mod[member] == null) throw new MissingModule(name, `no ${member}`);
    return mod[member];
  }
  return mod;
};

// A module some builds have and others not: null when absent.
const maybe = (name, member) => {
  try {
    return need(name, member);
  } catch (err) {
    return null;
  }
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// What logging in needs (required at load: the QR comes first).
const loadLogin = () => ({
  Socket: need("WAWebSocketModel", "Socket"),
  Conn: need("WAWebConnModel", "Conn"),
  Cmd: need("WAWebCmd", "Cmd"),
  MeUser: need("WAWebUserPrefsMeUser"),
  Base64: need("WABase64"),
  Registration: {
    ...need("WAWebCompanionRegClientUtils"),
    ...need("WAWebAdvSignatureApi"),
    ...need("WAWebUserPrefsInfoStore"),
    ...need("WAWebSignalStoreApi"),
  },
  Pairing: need("WAWebAltDeviceLinkingApi"),
  LaunchSocket: maybe("WAWebLaunchSocketUtils"),
  EventBus: maybe("WAWebBackendEventBus", "BackendEventBus"),
  LinkEvents: maybe("WAWebLinkDeviceEvents", "WAWebLinkDeviceEvents"),
});

// What chats and messages need (registered progressively by recent builds).
const loadChat = () => ({
  Msg: need("WAWebCollections", "Msg"),
  Chat: need("WAWebCollections", "Chat"),
  WidFactory: need("WAWebWidFactory"),
  FindChat: need("WAWebFindChatAction"),
  MsgKey: need("WAWebMsgKey"),
  SendMsg: need("WAWebSendMsgChatAction"),
  QueryExists: need("WAWebQueryExistsJob"),
  ChatState: need("WAWebChatStateBridge"),
  Seen: need("WAWebUpdateUnreadChatAction"),
  ApiContact: maybe("WAWebApiContact"),
  Stream: maybe("WAWebStreamModel", "Stream"),
  Ephemeral: maybe("WAWebGetEphemeralFieldsMsgActionsUtils"),
});

// The chat modules, once registered; a module still missing after the wait budget is reported.
const waitForChatModules = async () => {
  const deadline = Date.now() + SETTINGS.modulesWaitMs;
  for (;;) {
    try {
      return loadChat();
    } catch (err) {
      if (!(err instanceof MissingModule) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
};
