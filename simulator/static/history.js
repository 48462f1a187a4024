/*
 * Message history at rest, encrypted as WhatsApp Web does it: AES-GCM with a non-extractable
 * CryptoKey kept in IndexedDB (wawc_db_enc / keys). A profile restored elsewhere (e.g. Playwright's
 * storage_state) gets the key back as a plain object, unusable: the page then starts a fresh, empty
 * history with a new key, and the login itself is not affected.
 */
__d('__sim/history', (load) => {
  'use strict';
  const { idb } = load('__sim/storage');
  const runtime = load('__sim/runtime');
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  async function freshKey() {
    await idb.clear('model-storage', 'message');
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await idb.put('wawc_db_enc', 'keys', { id: 1, key });
    return key;
  }

  /** Open the history: its records (oldest first), decrypted; a fresh history when the key is unusable. */
  async function open() {
    const row = await idb.get('wawc_db_enc', 'keys', 1);
    if (!row || !(row.key instanceof CryptoKey)) {
      runtime.historyKey = await freshKey();
      return { records: [], fresh: true };
    }
    runtime.historyKey = row.key;
    try {
      const rows = await idb.getAll('model-storage', 'message');
      const records = [];
      for (const stored of rows) {
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: stored.iv }, row.key, stored.data);
        records.push(JSON.parse(decoder.decode(plain)));
      }
      records.sort((a, b) => a.t - b.t);
      return { records, fresh: false };
    } catch (error) {
      console.warn('history could not be decrypted; starting a fresh one', error);
      runtime.historyKey = await freshKey();
      return { records: [], fresh: true };
    }
  }

  /** Store (or update) one message record: plain data, encrypted. */
  async function save(record) {
    const key = runtime.historyKey;
    if (!key || runtime.loggingOut) return;
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify(record));
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
    await idb.put('model-storage', 'message', { id: record.key, iv, data });
  }

  return { open, save };
});
