/*
 * Public modules for connection state and login, named as in WhatsApp Web 2.3000.x (as reached by
 * whatsapp-web.js v1.34's AuthStore and Client.inject).
 */
__d('WAWebSocketModel', (load) => ({
  Socket: load('__sim/models').Socket,
  SOCKET_STATE: Object.freeze({
    OPENING: 'OPENING',
    PAIRING: 'PAIRING',
    UNPAIRED: 'UNPAIRED',
    UNPAIRED_IDLE: 'UNPAIRED_IDLE',
    CONNECTED: 'CONNECTED',
    TIMEOUT: 'TIMEOUT',
    CONFLICT: 'CONFLICT',
    UNLAUNCHED: 'UNLAUNCHED',
    PROXYBLOCK: 'PROXYBLOCK',
    TOS_BLOCK: 'TOS_BLOCK',
    SMB_TOS_BLOCK: 'SMB_TOS_BLOCK',
    DEPRECATED_VERSION: 'DEPRECATED_VERSION',
  }),
}));

__d('WAWebConnModel', (load) => ({ Conn: load('__sim/models').Conn }));

// The 2026 build has no Cmd.refreshQR: the QR is renewed through WAWebLaunchSocketUtils.refreshQR
// or the backend event bus (what its own "reload" button calls).
__d('WAWebCmd', (load) => {
  const { Cmd } = load('__sim/models');
  if (load('__sim/runtime').build !== '2025') Object.defineProperty(Cmd, 'refreshQR', { value: undefined });
  return { Cmd };
});

__d('WAWebLaunchSocketUtils', (load) => ({ refreshQR: () => load('__sim/models').hooks.refreshQR() }));

__d('WAWebBackendEventBus', (load) => {
  const { Emitter } = load('__sim/events');
  const { hooks } = load('__sim/models');
  const bus = new Emitter();
  bus.on('refresh_qr', () => hooks.refreshQR());
  return {
    BackendEventBus: {
      triggerRefreshQR: () => bus.trigger('refresh_qr'),
      onRefreshQR: (callback) => bus.on('refresh_qr', callback),
    },
  };
});

// Linking with a passkey ("Shortcake", 2026): the pairing type turns SHORTCAKE_PASSKEY and these
// events fire while the phone asks its owner to confirm the new device.
__d('WAWebLinkDeviceEvents', (load) => ({ WAWebLinkDeviceEvents: load('__sim/models').linkEvents }));

__d('WAWebStreamModel', (load) => ({ Stream: load('__sim/models').Stream }));

__d('WAWebOfflineHandler', (load) => ({
  OfflineMessageHandler: { getOfflineDeliveryProgress: () => load('__sim/session').offlineProgress() },
}));

__d('WAWebCompanionRegClientUtils', (load) => ({
  DEVICE_PLATFORM: load('__sim/session').DEVICE_PLATFORM,
  getCompanionWebClientFromBrowser: () => 'CHROME',
}));

__d('WAWebUserPrefsInfoStore', (load) => {
  const runtime = load('__sim/runtime');
  return {
    waNoiseInfo: {
      get: async () => (runtime.registration ? { staticKeyPair: { ...runtime.registration.noise } } : null),
    },
  };
});

__d('WAWebSignalStoreApi', (load) => {
  const runtime = load('__sim/runtime');
  return {
    waSignalStore: {
      getRegistrationInfo: async () => {
        const reg = runtime.registration;
        return reg ? { registrationId: reg.registrationId, identityKeyPair: { ...reg.identity } } : null;
      },
    },
  };
});

__d('WAWebUserPrefsMultiDevice', (load) => {
  const runtime = load('__sim/runtime');
  const { encodeB64 } = load('__sim/wid');
  // Synchronous, as whatsapp-web.js v1.34 concatenates its result into the QR string directly.
  return { getADVSecretKey: () => (runtime.registration ? encodeB64(runtime.registration.advSecret) : null) };
});

__d('WAWebAdvSignatureApi', (load) => ({
  getADVSecretKey: async () => load('WAWebUserPrefsMultiDevice').getADVSecretKey(),
}));

__d('WAWebUserPrefsMeUser', (load) => {
  const runtime = load('__sim/runtime');
  const { createWid } = load('__sim/wid');
  const pn = () => (runtime.me ? createWid(`${runtime.me.phone}@c.us`) : null);
  const lid = () => (runtime.me ? createWid(`${runtime.me.lid}@lid`) : null);
  const orThrow = (wid) => {
    if (!wid) throw new Error('not logged in: no me user');
    return wid;
  };
  return {
    getMaybeMePnUser: pn,
    getMaybeMeLidUser: lid,
    getMaybeMeUser: pn,
    getMeUser: () => orThrow(pn()),
    getMePnUserOrThrow: () => orThrow(pn()),
    getMeLidUserOrThrow: () => orThrow(lid()),
    getMaybeMeDevicePn: () => (runtime.me ? createWid(`${runtime.me.phone}:${runtime.me.device}@c.us`) : null),
  };
});

__d('WAWebAltDeviceLinkingApi', (load) => {
  const runtime = load('__sim/runtime');
  const { hooks } = load('__sim/models');
  let pairingType = 'QR';
  return {
    getPairingType: () => pairingType,
    setPairingType: (type) => {
      pairingType = type;
    },
    initializeAltDeviceLinking: async () => {
      pairingType = 'ALT_DEVICE_LINKING';
    },
    initializeQRLinking: async () => {
      pairingType = 'QR';
      if (hooks.showPairingCode) hooks.showPairingCode(null);
    },
    startAltLinkingFlow: async (phoneNumber, showNotification = true) => {
      const phone = String(phoneNumber).replace(/\D/g, '');
      const { code } = await runtime.iq({ q: 'alt_link', phone, notify: Boolean(showNotification) });
      if (hooks.showPairingCode) hooks.showPairingCode(code);
      return code;
    },
  };
});
