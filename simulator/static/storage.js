/*
 * Where the login lives, as WhatsApp Web keeps it: IndexedDB and localStorage of the page's origin,
 * with binary values.
 *
 *   localStorage  WANoiseInfo       {"pubKey","privKey"} base64 (the noise key pair)
 *                 WAWebEncKeySalt   base64 salt (JSON string)
 *                 last-wid-md       "<phone>:<device>@c.us" (JSON string), once linked
 *                 WALid             "<lid>:<device>@lid" (JSON string), once linked
 *                 remember-me       "true"
 *   IndexedDB     signal-storage / identity-store   {id:"me", registrationId, pubKey: ArrayBuffer, privKey: ArrayBuffer}
 *                 wawc / user                       {key:"adv_secret_key", value: Uint8Array(32)}
 *                                                   {key:"companion_credentials", value:{wid, secret: Uint8Array(32), me}}
 *                 wawc_db_enc / keys                {id:1, key: CryptoKey}   (see history.js)
 *                 model-storage / message           {id, iv: Uint8Array, data: ArrayBuffer}  (see history.js)
 */
__d('__sim/storage', (load) => {
  'use strict';
  const { encodeB64, decodeB64 } = load('__sim/wid');
  const STORES = {
    wawc: { user: 'key' },
    'signal-storage': { 'identity-store': 'id' },
    wawc_db_enc: { keys: 'id' },
    'model-storage': { message: 'id' },
  };
  const open = new Map();

  function database(name) {
    if (!open.has(name)) {
      open.set(name, new Promise((resolve, reject) => {
        const request = indexedDB.open(name, 1);
        request.onupgradeneeded = () => {
          for (const [store, keyPath] of Object.entries(STORES[name])) {
            if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store, { keyPath });
          }
        };
        request.onsuccess = () => {
          request.result.onversionchange = () => request.result.close();
          resolve(request.result);
        };
        request.onerror = () => reject(request.error);
      }));
    }
    return open.get(name);
  }

  async function run(dbName, store, mode, operation) {
    const db = await database(dbName);
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      const request = operation(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  const idb = {
    get: (db, store, key) => run(db, store, 'readonly', (s) => s.get(key)),
    getAll: (db, store) => run(db, store, 'readonly', (s) => s.getAll()),
    put: (db, store, value) => run(db, store, 'readwrite', (s) => s.put(value)),
    clear: (db, store) => run(db, store, 'readwrite', (s) => s.clear()),
  };

  function readJson(key) {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch (error) {
      return null;
    }
  }

  async function newKeyPair() {
    const pair = await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    return {
      pubKey: await crypto.subtle.exportKey('raw', pair.publicKey),
      privKey: await crypto.subtle.exportKey('pkcs8', pair.privateKey),
    };
  }

  /** The registration keys a login QR carries; made once per browser profile, kept until logout. */
  async function loadOrCreateRegistration() {
    const noise = readJson('WANoiseInfo');
    const identity = await idb.get('signal-storage', 'identity-store', 'me');
    const adv = await idb.get('wawc', 'user', 'adv_secret_key');
    if (noise && noise.pubKey && identity && identity.pubKey instanceof ArrayBuffer && adv && adv.value instanceof Uint8Array) {
      return {
        noise: { pubKey: new Uint8Array(decodeB64(noise.pubKey)), privKey: new Uint8Array(decodeB64(noise.privKey)) },
        identity: { pubKey: identity.pubKey, privKey: identity.privKey },
        registrationId: identity.registrationId,
        advSecret: adv.value,
      };
    }
    const noiseKeys = await newKeyPair();
    const identityKeys = await newKeyPair();
    const registrationId = crypto.getRandomValues(new Uint16Array(1))[0] & 0x3fff;
    const advSecret = crypto.getRandomValues(new Uint8Array(32));
    localStorage.setItem('WANoiseInfo', JSON.stringify({
      pubKey: encodeB64(noiseKeys.pubKey), privKey: encodeB64(noiseKeys.privKey),
    }));
    localStorage.setItem('WAWebEncKeySalt', JSON.stringify(encodeB64(crypto.getRandomValues(new Uint8Array(32)))));
    await idb.put('signal-storage', 'identity-store', { id: 'me', registrationId, ...identityKeys });
    await idb.put('wawc', 'user', { key: 'adv_secret_key', value: advSecret });
    return {
      noise: { pubKey: new Uint8Array(noiseKeys.pubKey), privKey: new Uint8Array(noiseKeys.privKey) },
      identity: identityKeys,
      registrationId,
      advSecret,
    };
  }

  /** The credentials the server issued at link time, or null when this profile is not linked. */
  async function loadCredentials() {
    const row = await idb.get('wawc', 'user', 'companion_credentials');
    const value = row && row.value;
    if (!value || typeof value.wid !== 'string' || !(value.secret instanceof Uint8Array)) return null;
    return value;
  }

  async function saveCredentials(credentials, me) {
    const value = { wid: credentials.wid, secret: new Uint8Array(decodeB64(credentials.secret)), me };
    await idb.put('wawc', 'user', { key: 'companion_credentials', value });
    rememberMe(me);
    return value;
  }

  function rememberMe(me) {
    localStorage.setItem('last-wid-md', JSON.stringify(`${me.phone}:${me.device}@c.us`));
    localStorage.setItem('WALid', JSON.stringify(`${me.lid}:${me.device}@lid`));
    localStorage.setItem('remember-me', 'true');
  }

  /** Logout: forget everything of this origin (localStorage and every database). */
  async function clearEverything() {
    localStorage.clear();
    const databases = [...open.keys()];
    for (const name of databases) {
      try {
        (await open.get(name)).close();
      } catch (error) {
        // a database that failed to open has nothing to close
      }
    }
    open.clear();
    const names = new Set([...Object.keys(STORES), ...databases]);
    await Promise.all([...names].map((name) => new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    })));
  }

  return { idb, loadOrCreateRegistration, loadCredentials, saveCredentials, rememberMe, clearEverything };
});
