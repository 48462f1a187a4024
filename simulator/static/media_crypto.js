/*
 * WhatsApp's media encryption, in WebCrypto: HKDF-SHA256 of the 32-byte mediaKey (112 bytes, info
 * "WhatsApp <Image|Video|Audio|Document> Keys") gives iv (16), cipherKey (32) and macKey (32); the
 * blob is AES-256-CBC ciphertext followed by the first 10 bytes of HMAC-SHA256(macKey, iv + ciphertext).
 * The server does the same in Python (simulator/media.py).
 */
__d('__sim/media_crypto', (load) => {
  'use strict';
  const { encodeB64 } = load('__sim/wid');
  const KEY_INFO = {
    image: 'WhatsApp Image Keys', sticker: 'WhatsApp Image Keys', video: 'WhatsApp Video Keys',
    gif: 'WhatsApp Video Keys', audio: 'WhatsApp Audio Keys', ptt: 'WhatsApp Audio Keys',
    document: 'WhatsApp Document Keys',
  };
  const MAC_LENGTH = 10;
  const subtle = () => window.crypto.subtle;

  async function expand(mediaKey, type) {
    const info = KEY_INFO[type];
    if (!info) throw new Error(`media-fault: no media keys for type ${type}`);
    const base = await subtle().importKey('raw', mediaKey, 'HKDF', false, ['deriveBits']);
    const bits = await subtle().deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: new TextEncoder().encode(info) }, base, 112 * 8);
    const bytes = new Uint8Array(bits);
    return { iv: bytes.slice(0, 16), cipherKey: bytes.slice(16, 48), macKey: bytes.slice(48, 80) };
  }

  async function mac(macKey, iv, ciphertext) {
    const key = await subtle().importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signed = new Uint8Array(iv.length + ciphertext.length);
    signed.set(iv);
    signed.set(ciphertext, iv.length);
    return new Uint8Array(await subtle().sign('HMAC', key, signed)).slice(0, MAC_LENGTH);
  }

  async function sha256B64(data) {
    return encodeB64(new Uint8Array(await subtle().digest('SHA-256', data)));
  }

  /** The blob to upload for `plain` (ArrayBuffer or view) under `mediaKey` (bytes). */
  async function encrypt(plain, mediaKey, type) {
    const { iv, cipherKey, macKey } = await expand(mediaKey, type);
    const key = await subtle().importKey('raw', cipherKey, 'AES-CBC', false, ['encrypt']);
    const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv }, key, plain));
    const tag = await mac(macKey, iv, ciphertext);
    const blob = new Uint8Array(ciphertext.length + MAC_LENGTH);
    blob.set(ciphertext);
    blob.set(tag, ciphertext.length);
    return blob;
  }

  /** The plain bytes (ArrayBuffer) of a downloaded blob; throws when its MAC does not match. */
  async function decrypt(blob, mediaKey, type) {
    const bytes = new Uint8Array(blob);
    if (bytes.length <= MAC_LENGTH) throw new Error('media-fault: the media file is too short');
    const { iv, cipherKey, macKey } = await expand(mediaKey, type);
    const ciphertext = bytes.slice(0, bytes.length - MAC_LENGTH);
    const expected = await mac(macKey, iv, ciphertext);
    const given = bytes.slice(bytes.length - MAC_LENGTH);
    if (!expected.every((value, index) => value === given[index])) {
      throw new Error('media-fault: the media file\'s MAC does not match its key');
    }
    const key = await subtle().importKey('raw', cipherKey, 'AES-CBC', false, ['decrypt']);
    return subtle().decrypt({ name: 'AES-CBC', iv }, key, ciphertext);
  }

  return { KEY_INFO, expand, encrypt, decrypt, sha256B64 };
});
