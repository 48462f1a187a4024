/*
 * The login and connection life of this page, driven by the server's frames:
 *
 *   OPENING ──(no credentials)──▶ UNPAIRED (refs rotate, `change:ref`) ──(refs ran out)──▶ UNPAIRED_IDLE
 *      │                               │                  ▲──────── Cmd.refreshQR() ───────────┘
 *      │                               └─(scan / pairing code)─▶ PAIRING ──▶ CONNECTED ──▶ hasSynced
 *      └──(stored credentials)──────────────────────────────────────────────▶ CONNECTED ──▶ hasSynced
 *   lost socket: TIMEOUT, then OPENING again; opened elsewhere: CONFLICT (until Socket.takeover());
 *   unlinked: Cmd `starting_logout_from_bridge` and `logout_from_bridge` (the 2025 build: `logout`),
 *   storage cleared, navigation to `/?post_logout=1`;
 *   scanned by an account that confirms devices with a passkey: PAIRING with the pairing type
 *   SHORTCAKE_PASSKEY (and WAWebLinkDeviceEvents `passkey_prologue_request`) until the phone confirms.
 */
__d('__sim/session', (load) => {
  'use strict';
  const runtime = load('__sim/runtime');
  const models = load('__sim/models');
  const storage = load('__sim/storage');
  const history = load('__sim/history');
  const chats = load('__sim/chats');
  const { Transport } = load('__sim/transport');
  const { createWid, encodeB64 } = load('__sim/wid');
  const { Socket, Conn, Cmd, Stream, hooks } = models;

  const DEVICE_PLATFORM = 'WEB';
  const STREAM_INFO = { CONNECTED: 'NORMAL', TIMEOUT: 'TIMEOUT', CONFLICT: 'CONFLICT', OPENING: 'OPENING' };
  const pendingIqs = new Map();
  const offline = { total: 0, done: 0 };
  let transport = null;
  let nextIqId = 1;
  let conflicted = false;
  let takingOver = false;

  function setState(state) {
    Stream.displayInfo = STREAM_INFO[state] || 'PAIRING';
    Socket.state = state;
  }

  function applyMe(me) {
    runtime.me = me;
    Conn.set({
      wid: createWid(`${me.phone}@c.us`),
      pushname: me.push_name,
      platform: me.platform,
      phone: { wa_version: runtime.boot.version, device_manufacturer: me.platform },
    });
  }

  function registrationFrame() {
    const reg = runtime.registration;
    return {
      noise: encodeB64(reg.noise.pubKey),
      identity: encodeB64(reg.identity.pubKey),
      adv: encodeB64(reg.advSecret),
      platform: DEVICE_PLATFORM,
    };
  }

  function helloFrame() {
    const creds = runtime.credentials;
    return {
      t: 'hello',
      version: runtime.boot.version,
      creds: creds ? { wid: creds.wid, secret: encodeB64(creds.secret) } : null,
      reg: registrationFrame(),
      takeover: takingOver,
    };
  }

  function confirm(seq) {
    if (typeof seq === 'number') runtime.send({ t: 'receipt', upto: seq });
  }

  function backlogItemDone() {
    if (offline.done >= offline.total) return;
    offline.done += 1;
    Cmd.trigger('offline_progress_update_from_bridge');
    if (offline.done >= offline.total) scheduleSynced();
  }

  function scheduleSynced() {
    if (Socket.hasSynced) return;
    setTimeout(() => {
      if (Socket.state === 'CONNECTED') Socket.hasSynced = true;
    }, runtime.boot.syncMs);
  }

  const frameHandlers = {
    ref(frame) {
      Conn.set({ ref: frame.ref, refTTL: frame.ttl_ms });
      if (Socket.state !== 'UNPAIRED') setState('UNPAIRED');
    },
    refs_exhausted() {
      setState('UNPAIRED_IDLE');
    },
    async paired(frame) {
      setState('PAIRING');
      runtime.credentials = await storage.saveCredentials(frame.creds, frame.me);
      applyMe(frame.me);
    },
    connected(frame) {
      takingOver = false;
      applyMe(frame.me);
      storage.rememberMe(frame.me);
      transport.connected();
      Conn.connected = true;
      offline.total = frame.backlog || 0;
      offline.done = 0;
      setState('CONNECTED');
      chats.resendUnsent();
      if (offline.total === 0) scheduleSynced();
    },
    async msg(frame) {
      await chats.receive(frame.msg, { duplicate: Boolean(frame.dup) });
      confirm(frame.seq);
      backlogItemDone();
    },
    async msg_edit(frame) {
      await chats.edit(frame);
      confirm(frame.seq);
      backlogItemDone();
    },
    async msg_revoke(frame) {
      await chats.revoke(frame);
      confirm(frame.seq);
      backlogItemDone();
    },
    passkey_required() {
      setState('PAIRING');
      load('WAWebAltDeviceLinkingApi').setPairingType('SHORTCAKE_PASSKEY');
      models.linkEvents.trigger('passkey_prologue_request');
      if (hooks.showPasskey) hooks.showPasskey();
    },
    async ack(frame) {
      await chats.applyAck(frame);
      confirm(frame.seq);
      backlogItemDone();
    },
    async logged_out(frame) {
      await logout(frame.reason || 'unlinked');
    },
    conflict() {
      conflicted = true;
      transport.stop();
      Conn.connected = false;
      setState('CONFLICT');
    },
    iq_result(frame) {
      settleIq(frame.id, (pending) => pending.resolve(frame));
    },
    iq_error(frame) {
      const error = frame.error || {};
      settleIq(frame.id, (pending) => pending.reject(Object.assign(new Error(error.message || 'iq failed'), error)));
    },
  };

  function settleIq(id, settle) {
    const pending = pendingIqs.get(id);
    if (!pending) return;
    pendingIqs.delete(id);
    settle(pending);
  }

  function iq(query) {
    return new Promise((resolve, reject) => {
      const id = nextIqId++;
      if (!runtime.send({ t: 'iq', id, ...query })) {
        reject(new Error('the socket to the server is not open'));
        return;
      }
      pendingIqs.set(id, { resolve, reject });
    });
  }

  function onOpen() {
    if (Socket.state !== 'OPENING') setState('OPENING');
    transport.send(helloFrame());
  }

  function onClose() {
    for (const [id, pending] of pendingIqs) {
      pending.reject(new Error('the socket to the server closed'));
      pendingIqs.delete(id);
    }
    if (conflicted || runtime.loggingOut) return;
    Conn.connected = false;
    setState('TIMEOUT');
  }

  async function logout(reason) {
    if (runtime.loggingOut) return;
    runtime.loggingOut = true;
    if (transport) transport.stop();
    Conn.connected = false;
    if (runtime.build === '2025') Cmd.trigger('logout');
    else {
      Cmd.trigger('starting_logout_from_bridge');
      Cmd.trigger('logout_from_bridge');
    }
    await storage.clearEverything();
    location.replace(`/?post_logout=1&logout_reason=${encodeURIComponent(reason)}`);
  }

  hooks.refreshQR = () => {
    if (Socket.state === 'UNPAIRED' || Socket.state === 'UNPAIRED_IDLE') runtime.send({ t: 'refresh_qr' });
  };
  hooks.logout = async (reason) => {
    if (runtime.me) runtime.send({ t: 'logout' });
    await logout(reason);
  };
  hooks.takeover = () => {
    if (Socket.state !== 'CONFLICT') return;
    conflicted = false;
    takingOver = true;
    setState('OPENING');
    transport.connect();
  };
  hooks.reconnect = () => {
    if (conflicted || runtime.loggingOut) return;
    transport.stop();
    transport.connect();
  };

  async function start() {
    runtime.send = (frame) => (transport ? transport.send(frame) : false);
    runtime.iq = iq;
    runtime.registration = await storage.loadOrCreateRegistration();
    runtime.credentials = await storage.loadCredentials();
    if (runtime.credentials) applyMe(runtime.credentials.me);
    const { records } = await history.open();
    chats.restore(records);
    const publish = () => {
      runtime.publishedAt = Date.now();
      window.Debug = { VERSION: runtime.boot.version };
    };
    // The late_globals fault: a saved login goes online and takes its backlog first.
    const late = Boolean(runtime.boot.lateGlobals && runtime.credentials);
    if (!late) publish();
    else Socket.on('change:hasSynced', (_socket, synced) => synced && !window.Debug && publish());
    transport = new Transport({ onOpen, onFrame: dispatch, onClose });
    transport.connect();
  }

  async function dispatch(frame) {
    const handler = frameHandlers[frame.t];
    if (handler) await handler(frame);
  }

  function offlineProgress() {
    return offline.total === 0 ? 100 : Math.round((100 * offline.done) / offline.total);
  }

  return { start, DEVICE_PLATFORM, offlineProgress };
});
