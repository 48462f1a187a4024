/*
 * Messages in and out of this page: inbound frames become `Msg` models (`add` with isNewMsg), sends
 * become `send` frames, acks move `msg.ack` forward (`change:ack`), all kept in the history.
 * `runtime.send(frame)` and `runtime.iq(query)` are provided by the session.
 *
 * As the real WhatsApp Web: a customer writing from their LID arrives from `<lid>@lid` (the contact
 * carries `phoneNumber` only when the customer shows it); a message the page cannot decrypt yet is a
 * `ciphertext` model ("Waiting for this message") that becomes the real one later (`change:type`,
 * `change:body`); a media message's `body` is its base64 thumbnail and its text the `caption`; an
 * edit changes `body`, a deletion for everyone turns the type `revoked`; a chat with disappearing
 * messages carries `ephemeralDuration`; the 2026 build sends a read receipt only while the stream
 * is marked available.
 */
__d('__sim/chats', (load) => {
  'use strict';
  const runtime = load('__sim/runtime');
  const models = load('__sim/models');
  const history = load('__sim/history');
  const lids = load('__sim/lids');
  const media = load('__sim/media');
  const { createWid, MsgKey } = load('__sim/wid');
  const { Msg: MsgCollection, Chat: ChatCollection, Contact: ContactCollection } = models.collections;
  const sendResults = new Map();

  function meWid() {
    return runtime.me ? createWid(`${runtime.me.phone}@c.us`) : null;
  }

  function toRecord(msg) {
    return {
      key: msg.id._serialized,
      id: { fromMe: msg.id.fromMe, remote: msg.id.remote._serialized, id: msg.id.id },
      body: msg.body,
      type: msg.type,
      caption: msg.caption,
      t: msg.t,
      from: msg.from ? String(msg.from._serialized || msg.from) : null,
      to: msg.to ? String(msg.to._serialized || msg.to) : null,
      notifyName: msg.notifyName,
      ack: msg.ack,
      self: msg.self,
      ...media.storedFields(msg),
    };
  }

  function placeInChat(msg, incoming) {
    const chat = ChatCollection.getOrCreate(msg.id.remote);
    chat.msgs.add(msg);
    if (msg.t > chat.t) chat.t = msg.t;
    if (incoming) {
      chat.lastReceivedKey = msg.id;
      if (msg.isNewMsg) chat.unreadCount += 1;
    }
    return chat;
  }

  /** Load stored records into the collections (isNewMsg false), before anything listens. */
  function restore(records) {
    for (const record of records) {
      const msg = new models.Msg({
        ...record,
        id: record.id,
        from: record.from ? createWid(record.from) : undefined,
        to: record.to ? createWid(record.to) : undefined,
        isNewMsg: false,
      });
      if (MsgCollection.get(msg.id)) continue;
      placeInChat(msg, !msg.id.fromMe);
      MsgCollection.add(msg);
    }
  }

  /** An inbound message frame; false when this page already has it (a redelivery). */
  async function receive(data, { duplicate = false } = {}) {
    const byLid = data.addressing === 'lid' && data.from_lid;
    if (data.phone_visible !== false) lids.learn(data.from, data.from_lid);
    const from = createWid(byLid ? `${data.from_lid}@lid` : `${data.from}@c.us`);
    const id = new MsgKey({ fromMe: false, remote: from, id: data.id });
    if (MsgCollection.get(id)) return false;
    const contact = ContactCollection.get(from) || ContactCollection.add({ id: from });
    if (data.notify_name) contact.pushname = data.notify_name;
    if (byLid) contact.phoneNumber = lids.pnOf(from);
    const kind = data.type || 'chat';
    const shown = media.inboundAttributes(data, kind) || { body: data.body };
    const sealed = data.ciphertext_ms !== null && data.ciphertext_ms !== undefined;
    const msg = new models.Msg({
      id,
      from,
      to: meWid(),
      ...(sealed ? { body: '' } : shown),
      type: sealed ? 'ciphertext' : kind,
      t: data.t,
      notifyName: data.notify_name || undefined,
      ack: 1,
      isNewMsg: true,
      self: 'in',
    });
    const chat = placeInChat(msg, true);
    if (data.ephemeral_s) {
      chat.set({ ephemeralDuration: data.ephemeral_s, ephemeralSettingTimestamp: data.t, disappearingModeInitiator: 'chat' });
      msg.set({ isEphemeral: true, ephemeralDuration: data.ephemeral_s }, { silent: true });
    }
    MsgCollection.add(msg);
    if (duplicate) MsgCollection.trigger('add', msg, MsgCollection, {});
    await history.save(toRecord(msg));
    if (sealed && data.ciphertext_ms >= 0) {
      setTimeout(() => {
        msg.set({ ...shown, type: kind });
        history.save(toRecord(msg));
      }, data.ciphertext_ms);
    }
    return true;
  }

  /** The customer's message of this (phone-made) id, whatever chat it is in. */
  function incoming(id) {
    return MsgCollection.getModelsArray().find((msg) => !msg.id.fromMe && msg.id.id === id) || null;
  }

  async function edit({ id, body }) {
    const msg = incoming(id);
    if (!msg) return;
    msg.set({ body, latestEditSenderTimestampMs: Date.now() });
    await history.save(toRecord(msg));
  }

  async function revoke({ id }) {
    const msg = incoming(id);
    if (!msg) return;
    msg.set({ type: 'revoked', body: '' });
    await history.save(toRecord(msg));
  }

  async function applyAck({ id, to, chat, ack }) {
    const key = `true_${chat || `${to}@c.us`}_${id}`;
    const msg = MsgCollection.get(key);
    if (msg && (ack === -1 || ack > msg.ack)) {
      msg.ack = ack;
      await history.save(toRecord(msg));
    }
    const resolve = sendResults.get(key);
    if (resolve) {
      sendResults.delete(key);
      resolve({ messageSendResult: ack === -1 ? 'ERROR_UNKNOWN' : 'OK', t: msg ? msg.t : undefined });
    }
  }

  /** WAWebSendMsgChatAction.addAndSendMsgToChat: [added, result] promises. */
  function addAndSend(chat, data) {
    if (!runtime.me) throw new Error('addAndSendMsgToChat: not logged in');
    if (!chat || !chat.id) throw new TypeError('addAndSendMsgToChat: a chat is required');
    if (!data || !data.id) throw new TypeError('addAndSendMsgToChat: the message needs an id (WAWebMsgKey)');
    const target = ChatCollection.getOrCreate(chat.id);
    const msg = new models.Msg({
      ...data,
      from: data.from || meWid(),
      to: data.to || target.id,
      t: data.t || Math.floor(Date.now() / 1000),
      type: data.type || 'chat',
      self: 'out',
      local: true,
      isNewMsg: true,
      ack: 0,
    });
    const existing = MsgCollection.get(msg.id);
    if (existing) return [Promise.resolve(existing), Promise.resolve({ messageSendResult: 'OK' })];
    const result = new Promise((resolve) => sendResults.set(msg.id._serialized, resolve));
    placeInChat(msg, false);
    MsgCollection.add(msg);
    const added = history.save(toRecord(msg)).then(() => msg);
    sendToServer(msg);
    return [added, result];
  }

  // What the server needs of a media message to deliver it: the customer's phone fetches the blob at
  // `directPath` and decrypts it with `mediaKey` (and checks `filehash`).
  const SENT_MEDIA_FIELDS = ['caption', 'directPath', 'mediaKey', 'mimetype', 'filehash', 'encFilehash', 'size', 'filename', 'duration'];

  function sendToServer(msg) {
    const to = createWid(msg.to);
    const data = { id: msg.id.id, to: to._serialized, body: msg.body || '', type: msg.type, t: msg.t, ephemeral_s: msg.ephemeralDuration || null };
    if (media.MEDIA_TYPES.has(msg.type)) {
      data.body = '';
      for (const name of SENT_MEDIA_FIELDS) if (msg[name] != null) data[name] = msg[name];
    }
    runtime.send({ t: 'send', msg: data });
  }

  /** Sends that never reached the server (ack 0) go out again once connected, as WhatsApp Web retries. */
  function resendUnsent() {
    for (const msg of MsgCollection.getModelsArray()) {
      if (msg.id.fromMe && msg.ack === 0) sendToServer(msg);
    }
  }

  function markSeen(chatLike) {
    const chat = ChatCollection.get(chatLike && chatLike.id ? chatLike.id : chatLike);
    if (!chat) return false;
    chat.unreadCount = 0;
    // The 2026 app sends the receipt only while the stream is available (Stream.markAvailable()).
    if (lids.migrated() && !models.Stream.available) return false;
    return runtime.send({ t: 'seen', chat: chat.id._serialized });
  }

  function sendChatState(wid, state) {
    return runtime.send({ t: 'chatstate', chat: createWid(wid)._serialized, state });
  }

  return { restore, receive, edit, revoke, applyAck, addAndSend, resendUnsent, markSeen, sendChatState };
});
