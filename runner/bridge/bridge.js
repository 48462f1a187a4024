// wagate bridge: injected into WhatsApp Web (or the simulator) before the page's own scripts.
// It waits for the app to load, reaches its modules through window.require('WAWeb…') as the
// maintained open-source clients do, and reports events to Python through the binding
// window.__wagateEmit. Every module lookup is guarded: a missing module is reported by name.
(() => {
  const BRIDGE_VERSION = "wagate-bridge/1";
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

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  let store = null;

  const loadStore = () => ({
    Socket: need("WAWebSocketModel", "Socket"),
    Conn: need("WAWebConnModel", "Conn"),
    Cmd: need("WAWebCmd", "Cmd"),
    Collections: need("WAWebCollections"),
    Msg: need("WAWebCollections", "Msg"),
    Chat: need("WAWebCollections", "Chat"),
    WidFactory: need("WAWebWidFactory"),
    FindChat: need("WAWebFindChatAction"),
    MsgKey: need("WAWebMsgKey"),
    SendMsg: need("WAWebSendMsgChatAction"),
    QueryExists: need("WAWebQueryExistsJob"),
    MeUser: need("WAWebUserPrefsMeUser"),
    Base64: need("WABase64"),
    Registration: {
      ...need("WAWebCompanionRegClientUtils"),
      ...need("WAWebAdvSignatureApi"),
      ...need("WAWebUserPrefsInfoStore"),
      ...need("WAWebSignalStoreApi"),
    },
    Pairing: need("WAWebAltDeviceLinkingApi"),
    ChatState: need("WAWebChatStateBridge"),
    Seen: need("WAWebUpdateUnreadChatAction"),
  });

  const serialize = (msg) => {
    const raw = typeof msg.serialize === "function" ? msg.serialize() : msg;
    const id = raw.id || {};
    const wid = (value) => (value && typeof value === "object" ? value._serialized || String(value) : value);
    return {
      id: id._serialized || String(id.id || ""),
      key: String(id.id || ""),
      fromMe: Boolean(id.fromMe),
      remote: wid(id.remote),
      body: raw.body == null ? "" : String(raw.body),
      type: raw.type || "chat",
      t: raw.t || Math.floor(Date.now() / 1000),
      from: wid(raw.from),
      to: wid(raw.to),
      notifyName: raw.notifyName || null,
      ack: raw.ack == null ? null : raw.ack,
      isNewMsg: Boolean(raw.isNewMsg || msg.isNewMsg),
    };
  };

  const qrString = async (ref) => {
    const reg = store.Registration;
    const info = await reg.waSignalStore.getRegistrationInfo();
    const noise = await reg.waNoiseInfo.get();
    const noiseB64 = store.Base64.encodeB64(noise.staticKeyPair.pubKey);
    const identityB64 = store.Base64.encodeB64(info.identityKeyPair.pubKey);
    const adv = await reg.getADVSecretKey();
    return [ref, noiseB64, identityB64, adv, reg.DEVICE_PLATFORM].join(",");
  };

  const me = () => {
    const user = store.MeUser.getMaybeMePnUser ? store.MeUser.getMaybeMePnUser() : store.MeUser.getMeUser();
    const phone = user ? String(user.user || user._serialized || user).split("@")[0] : null;
    const pushName = store.Conn.pushname || (store.MeUser.getMePushName ? store.MeUser.getMePushName() : null);
    return { phone, pushName };
  };

  const reportRef = async (ref) => {
    if (!ref) return;
    try {
      emit("qr", { qr: await qrString(ref) });
    } catch (err) {
      fail(err);
    }
  };

  // The page's state as a session needs it first: the socket's state, then logged in, or the
  // current login code, or no codes left. `renew` (a page loaded before any session took it):
  // start a fresh series of codes instead, so the taker gets as long to scan as on a page of its
  // own; until its first code arrives, the end of the old series is not reported.
  let renewing = false;
  const announce = (renew) => {
    const { Socket, Conn, Cmd } = store;
    emit("state", { state: Socket.state });
    if (Socket.hasSynced) emit("ready", me());
    else if (renew && (Socket.state === "UNPAIRED" || Socket.state === "UNPAIRED_IDLE")) {
      renewing = true;
      Cmd.refreshQR();
    } else if (Socket.state === "UNPAIRED_IDLE") emit("qr_exhausted");
    else if (Conn.ref && (Socket.state === "UNPAIRED" || Socket.state === "OPENING")) reportRef(Conn.ref);
  };

  const hook = () => {
    const { Socket, Conn, Cmd, Msg } = store;
    Conn.on("change:ref", (_conn, ref) => {
      if (ref) renewing = false;
      reportRef(ref);
    });
    Socket.on("change:state", (_socket, state) => {
      emit("state", { state });
      if (state === "UNPAIRED_IDLE" && !renewing) emit("qr_exhausted");
    });
    Socket.on("change:hasSynced", (_socket, synced) => {
      if (synced) emit("ready", me());
    });
    Cmd.on("logout", () => emit("logout"));
    // What the page took before the bridge could listen (a saved login goes online as the app
    // loads, and WhatsApp will not deliver it again): reported now, in the same turn as the
    // subscription below, so nothing falls between them. The runner stores each id once.
    const reportNew = (msg) => {
      if (msg.isNewMsg) emit("message", { message: serialize(msg) });
    };
    if (typeof Msg.getModelsArray === "function") Msg.getModelsArray().forEach(reportNew);
    Msg.on("add", reportNew);
    Msg.on("change:ack", (msg, ack) => {
      const m = serialize(msg);
      if (m.fromMe) recordAck(m.key, ack);
    });
    announce(false);
  };

  // Delivery and read acks of the messages we sent, reported together every ACK_REPORT_MS (two or
  // three per message: one call through the binding for each would cost more than the message).
  const ACK_REPORT_MS = 250;
  const pendingAcks = new Map();
  let ackTimer = null;
  const reportAcks = () => {
    clearTimeout(ackTimer);
    ackTimer = null;
    if (!pendingAcks.size) return;
    const acks = [...pendingAcks].map(([key, ack]) => ({ key, ack }));
    pendingAcks.clear();
    emit("acks", { acks });
  };
  beforeQuiet = reportAcks;
  const recordAck = (key, ack) => {
    if (!key || ack == null) return;
    if (!(pendingAcks.get(key) >= ack)) pendingAcks.set(key, ack);
    if (ackTimer === null) ackTimer = setTimeout(reportAcks, ACK_REPORT_MS);
  };

  const fail = (err) => {
    if (err instanceof MissingModule) emit("error", { code: "module_missing", module: err.moduleName, message: err.message });
    else emit("error", { code: "bridge_error", message: String((err && err.message) || err) });
  };

  const api = {
    version: BRIDGE_VERSION,
    async sendText({ to, text, id, seen, typing }) {
      const wid = store.WidFactory.createWid(to.includes("@") ? to : `${to}@c.us`);
      const found = await store.FindChat.findOrCreateLatestChat(wid);
      const chat = found && found.chat ? found.chat : found;
      // Blue ticks on what the customer wrote and "typing…" before the answer, as a person would
      // (what the maintained clients do against bans); not awaited, so they never delay the reply.
      if (seen && store.Seen.sendSeen) Promise.resolve(store.Seen.sendSeen({ chat })).catch(() => {});
      if (typing && store.ChatState.sendChatStateComposing) {
        Promise.resolve(store.ChatState.sendChatStateComposing(wid)).catch(() => {});
      }
      const MsgKey = store.MsgKey.default || store.MsgKey;
      const from = store.MeUser.getMaybeMePnUser ? store.MeUser.getMaybeMePnUser() : store.MeUser.getMeUser();
      const key = new MsgKey({ from, to: chat.id, id: id || (await MsgKey.newId()), selfDir: "out" });
      const message = {
        id: key, ack: 0, body: text, from, to: chat.id, local: true, self: "out",
        t: Math.floor(Date.now() / 1000), isNewMsg: true, type: "chat",
      };
      const [added, result] = store.SendMsg.addAndSendMsgToChat(chat, message);
      await added;
      const outcome = await result;
      return { id: key._serialized || String(key.id), key: String(key.id), outcome: outcome ?? null };
    },
    async exists(number) {
      const wid = store.WidFactory.createWid(number.includes("@") ? number : `${number}@c.us`);
      const answer = await store.QueryExists.queryWidExists(wid);
      return Boolean(answer && (answer.wid || answer.exists !== false));
    },
    async seenAndTyping(to) {
      const wid = store.WidFactory.createWid(to.includes("@") ? to : `${to}@c.us`);
      const chat = store.Chat.get(wid);
      if (chat && store.Seen.sendSeen) await store.Seen.sendSeen({ chat });
      if (store.ChatState.sendChatStateComposing) await store.ChatState.sendChatStateComposing(wid);
      return true;
    },
    async requestPairingCode(phone) {
      store.Pairing.setPairingType("ALT_DEVICE_LINKING");
      await store.Pairing.initializeAltDeviceLinking();
      return store.Pairing.startAltLinkingFlow(phone, true);
    },
    async logout() {
      await store.Socket.logout();
      return true;
    },
    refreshQR() {
      store.Cmd.refreshQR();
      return true;
    },
    announce() {
      const since = emitted; // what the page reported before this, nobody was listening to
      announce(true);
      return { since };
    },
    state() {
      return { state: store.Socket.state, synced: Boolean(store.Socket.hasSynced) };
    },
  };

  const boot = async () => {
    const deadline = Date.now() + 60000;
    while (!(window.Debug && window.Debug.VERSION && typeof window.require === "function")) {
      if (Date.now() > deadline) {
        emit("error", { code: "load_timeout", message: "WhatsApp Web did not finish loading" });
        return;
      }
      await sleep(50);
    }
    try {
      store = loadStore();
    } catch (err) {
      fail(err);
      return;
    }
    window.__wagate = api;
    emit("loaded", { version: String(window.Debug.VERSION), bridge: BRIDGE_VERSION });
    try {
      hook();
    } catch (err) {
      fail(err);
    }
  };

  if (location.href.includes("post_logout=1")) emit("logout");
  boot();
})();
