/*
 * WhatsApp ids: `Wid` (user@server), the factory that makes them, message keys, base64, link finding.
 * Public modules: WAWebWid, WAWebWidFactory, WAWebMsgKey, WABase64, WALinkify.
 */
__d('__sim/wid', () => {
  'use strict';

  class Wid {
    constructor(serialized) {
      const text = String(serialized);
      const at = text.lastIndexOf('@');
      if (at <= 0 || at === text.length - 1) throw new Error(`invalid wid: "${text}"`);
      const [user, device] = text.slice(0, at).split(':');
      this.server = text.slice(at + 1);
      this.user = user;
      if (device !== undefined) this.device = Number(device);
      this._serialized = text;
    }

    toString() {
      return this._serialized;
    }

    toJSON() {
      return this._serialized;
    }

    toJid() {
      return this.server === 'c.us' ? `${this.user}@s.whatsapp.net` : this._serialized;
    }

    equals(other) {
      return other != null && String(other._serialized || other) === this._serialized;
    }

    isUser() {
      return this.server === 'c.us' || this.server === 'lid';
    }

    isLid() {
      return this.server === 'lid';
    }

    isGroup() {
      return this.server === 'g.us';
    }

    isBroadcast() {
      return this.server === 'broadcast';
    }

    isStatus() {
      return this.user === 'status' && this.server === 'broadcast';
    }

    isNewsletter() {
      return this.server === 'newsletter';
    }

    isCompanion() {
      return this.device !== undefined && this.device !== 0;
    }
  }

  function createWid(value) {
    if (value instanceof Wid) return value;
    if (value && typeof value === 'object') return createWidFromWidLike(value);
    return new Wid(value);
  }

  function createWidFromWidLike(value) {
    if (value instanceof Wid) return value;
    if (typeof value === 'string') return new Wid(value);
    if (value && typeof value._serialized === 'string') return new Wid(value._serialized);
    if (value && value.user && value.server) return new Wid(`${value.user}@${value.server}`);
    throw new Error('createWidFromWidLike: not a wid');
  }

  function toUserWid(wid) {
    const parsed = createWid(wid);
    return new Wid(`${parsed.user}@${parsed.server}`);
  }

  class MsgKey {
    constructor({ from, to, id, participant, selfDir, fromMe, remote }) {
      if (typeof id !== 'string' || !id) throw new Error('MsgKey: id is required');
      this.fromMe = selfDir !== undefined ? selfDir === 'out' : Boolean(fromMe);
      const chat = remote !== undefined ? remote : this.fromMe ? to : from;
      this.remote = createWid(chat);
      this.id = id;
      if (participant) this.participant = createWid(participant);
      this._serialized = `${this.fromMe}_${this.remote._serialized}_${id}` +
        (this.participant ? `_${this.participant._serialized}` : '');
    }

    toString() {
      return this._serialized;
    }

    equals(other) {
      return other != null && String(other._serialized || other) === this._serialized;
    }

    static async newId() {
      const bytes = crypto.getRandomValues(new Uint8Array(8));
      return '3EB0' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
    }

    static fromString(serialized) {
      const [fromMe, remote, id, participant] = String(serialized).split('_');
      return new MsgKey({ fromMe: fromMe === 'true', remote, id, participant });
    }

    static from(value) {
      if (value instanceof MsgKey) return value;
      if (typeof value === 'string') return MsgKey.fromString(value);
      return new MsgKey(value);
    }
  }

  function toBytes(value) {
    if (value instanceof Uint8Array) return value;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (Array.isArray(value)) return Uint8Array.from(value);
    throw new TypeError('expected bytes (Uint8Array, ArrayBuffer or array)');
  }

  function encodeB64(value) {
    let binary = '';
    for (const byte of toBytes(value)) binary += String.fromCharCode(byte);
    return btoa(binary);
  }

  function decodeB64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;

  function findLinks(text) {
    if (typeof text !== 'string') return [];
    return Array.from(text.matchAll(LINK), (match) => {
      const url = match[0].replace(/[.,;:!?)]+$/, '');
      const href = url.startsWith('www.') ? `http://${url}` : url;
      return { url, href, index: match.index, suspiciousCharacters: new Set() };
    });
  }

  return { Wid, createWid, createWidFromWidLike, toUserWid, MsgKey, encodeB64, decodeB64, toBytes, findLinks };
});

__d('WAWebWid', (load) => load('__sim/wid').Wid);

__d('WAWebWidFactory', (load) => {
  const wid = load('__sim/wid');
  return {
    createWid: wid.createWid,
    createWidFromWidLike: wid.createWidFromWidLike,
    createUserWid: (user, server = 'c.us') => new wid.Wid(`${user}@${server}`),
    toUserWid: wid.toUserWid,
    asUserWidOrThrow: (value) => {
      const parsed = wid.createWid(value);
      if (!parsed.isUser()) throw new Error(`not a user wid: ${parsed._serialized}`);
      return wid.toUserWid(parsed);
    },
    isWidlike: (value) =>
      value instanceof wid.Wid || Boolean(value && (typeof value._serialized === 'string' || (value.user && value.server))),
  };
});

__d('WAWebMsgKey', (load) => load('__sim/wid').MsgKey);

__d('WABase64', (load) => {
  const { encodeB64, decodeB64 } = load('__sim/wid');
  return { encodeB64, decodeB64 };
});

__d('WALinkify', (load) => {
  const { findLinks } = load('__sim/wid');
  return { findLinks, findLink: (text) => findLinks(text)[0] || null };
});
