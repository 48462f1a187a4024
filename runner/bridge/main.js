// ---------------------------------------------------------------- login, logout, the API, boot
let resolveChatReady = () => {};
const chatReady = new Promise((resolve) => {
  resolveChatReady = resolve;
});

const qrString = async (ref) => {
  const reg = login.Registration;
  const info = await reg.waSignalStore.getRegistrationInfo();
  const noise = await reg.waNoiseInfo.get();
  const noiseB64 = login.Base64.encodeB64(noise.staticKeyPair.pubKey);
  const identityB64 = login.Base64.encodeB64(info.identityKeyPair.pubKey);
  const adv = await reg.getADVSecretKey();
  return [ref, noiseB64, identityB64, adv, reg.DEVICE_PLATFORM].join(",");
};

const me = () => {
  const { MeUser, Conn } = login;
  const user = MeUser.getMaybeMePnUser ? MeUser.getMaybeMePnUser() : MeUser.getMeUser();
  const lid = MeUser.getMaybeMeLidUser ? MeUser.getMaybeMeLidUser() : null;
  const pushName = Conn.pushname || (MeUser.getMePushName ? MeUser.getMePushName() : null);
  return { phone: userOf(user), lid: userOf(lid), pushName };
};

const fail = (err) => {
  if (err instanceof MissingModule) emit("error", { code: "module_missing", module: err.moduleName, message: err.message });
  else emit("error", { code: "bridge_error", message: String((err && err.message) || err) });
};

const reportRef = async (ref) => {
  if (!ref) return;
  try {
    emit("qr", { qr: await qrString(ref) });
  } catch (err) {
    fail(err);
  }
};

// A new series of login codes, however this build offers it.
const refreshQR = () => {
  const { Cmd, LaunchSocket, EventBus } = login;
  if (typeof Cmd.refreshQR === "function") Cmd.refreshQR();
  else if (LaunchSocket && typeof LaunchSocket.refreshQR === "function") LaunchSocket.refreshQR();
  else if (EventBus && typeof EventBus.triggerRefreshQR === "function") EventBus.triggerRefreshQR();
  else throw new MissingModule("WAWebLaunchSocketUtils", "no way to refresh the QR code");
};

// Logged in and synced: reported once the chat modules are there (a session answers at once).
let readyReported = false;
const reportReady = () => {
  chatReady.then((ok) => {
    if (ok && !readyReported) {
      readyReported = true;
      emit("ready", me());
    }
  });
};

// The page's state as a session needs it first: the socket's state, then logged in, or the
// current login code, or no codes left. `renew` (a page loaded before any session took it):
// start a fresh series of codes instead, so the taker gets as long to scan as on a page of its
// own; until its first code arrives, the end of the old series is not reported.
let renewing = false;
let chatFailure = null; // the chat modules did not register: said again to whoever takes the page
const announce = (renew) => {
  const { Socket, Conn } = login;
  emit("state", { state: Socket.state });
  if (chatFailure) fail(chatFailure);
  if (Socket.hasSynced) {
    readyReported = false;
    reportReady();
  } else if (renew && (Socket.state === "UNPAIRED" || Socket.state === "UNPAIRED_IDLE")) {
    renewing = true;
    refreshQR();
  } else if (Socket.state === "UNPAIRED_IDLE") emit("qr_exhausted");
  else if (Conn.ref && (Socket.state === "UNPAIRED" || Socket.state === "OPENING")) reportRef(Conn.ref);
};

// An account that confirms new devices with a passkey: the phone asks its owner, the page waits
// (pairing type SHORTCAKE_PASSKEY, its passkey screen, WAWebLinkDeviceEvents). Reported once.
let passkeyReported = false;
const checkPasskey = () => {
  const type = login.Pairing.getPairingType ? login.Pairing.getPairingType() : null;
  const screen = document.querySelector('[data-testid="shortcake_passkey_screen"]');
  if ((type === "SHORTCAKE_PASSKEY" || screen) && !passkeyReported) {
    passkeyReported = true;
    emit("passkey_required");
  }
};
let passkeyTimer = null;
const watchPasskey = (state) => {
  clearInterval(passkeyTimer);
  passkeyTimer = null;
  if (state !== "PAIRING" && state !== "UNPAIRED") return;
  checkPasskey();
  passkeyTimer = setInterval(checkPasskey, 500);
};

const hookLogin = () => {
  const { Socket, Conn, Cmd, LinkEvents } = login;
  Conn.on("change:ref", (_conn, ref) => {
    if (ref) renewing = false;
    reportRef(ref);
  });
  Socket.on("change:state", (_socket, state) => {
    emit("state", { state });
    watchPasskey(state);
    if (state === "UNPAIRED_IDLE" && !renewing) emit("qr_exhausted");
  });
  Socket.on("change:hasSynced", (_socket, synced) => {
    if (synced) reportReady();
  });
  // The phone unlinked this device: `logout_from_bridge` on current builds, `logout` on older ones.
  Cmd.on("logout", () => emit("logout"));
  Cmd.on("logout_from_bridge", () => emit("logout"));
  if (LinkEvents && typeof LinkEvents.on === "function") LinkEvents.on("passkey_prologue_request", checkPasskey);
  announce(false);
};

const api = {
  version: BRIDGE_VERSION,
  sendText,
  sendMedia,
  downloadMedia,
  canSendVideo,
  exists,
  seenAndTyping,
  async requestPairingCode(phone) {
    login.Pairing.setPairingType("ALT_DEVICE_LINKING");
    await login.Pairing.initializeAltDeviceLinking();
    return login.Pairing.startAltLinkingFlow(phone, true);
  },
  async logout() {
    await login.Socket.logout();
    return true;
  },
  refreshQR() {
    refreshQR();
    return true;
  },
  announce() {
    const since = emitted; // what the page reported before this, nobody was listening to
    announce(true);
    return { since };
  },
  state() {
    return { state: login.Socket.state, synced: Boolean(login.Socket.hasSynced), chats: Boolean(chats) };
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
    login = loadLogin();
  } catch (err) {
    fail(err);
    return;
  }
  window.__wagate = api;
  emit("loaded", { version: String(window.Debug.VERSION), bridge: BRIDGE_VERSION });
  try {
    hookLogin();
  } catch (err) {
    fail(err);
    return;
  }
  try {
    chats = await waitForChatModules();
    hookMessages();
    resolveChatReady(true);
  } catch (err) {
    chatFailure = err;
    resolveChatReady(false);
    fail(err);
  }
};

if (location.href.includes("post_logout=1")) emit("logout");
boot();
