/*
 * Messages in and out of this page: inbound frames become `Msg` models (`add` with isNewMsg), sends
 * become `send` frames, acks move `msg.ack` forward (`change:ack`), all kept in the history.
 * `runtime.send(frame)` and `runtime.iq(query)` are provided by the session.
 */
__d('__sim/chats', (load) => {
  'use strict';
  const runtime = load('__sim/runtime');
  const models = load('__sim/models');
  const history = load('__sim/history');
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
      t: msg.t,
      from: msg.from ? String(msg.from._serialized || msg.from) : null,
      to: msg.to ? String(msg.to._serialized || msg.to) : null,
      notifyName: msg.notifyName,
      ack: msg.ack,
      self: msg.self,
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
    const from = createWid(`${data.from}@c.us`);
    const id = new MsgKey({ fromMe: false, remote: from, id: data.id });
    if (MsgCollection.get(id)) return false;
    const contact = ContactCollection.get(from) || ContactCollection.add({ id: from });
    if (data.notify_name) contact.pushname = data.notify_name;
    const msg = new models.Msg({
      id,
      from,
      to: meWid(),
      body: data.body,
      type: 'chat',
      t: data.t,
      notifyName: data.notify_name || undefined,
      ack: 1,
      isNewMsg: true,
      self: 'in',
    });
    placeInChat(msg, true);
    MsgCollection.add(msg);
    if (duplicate) MsgCollection.trigger('add', msg, MsgCollection, {});
    await history.save(toRecord(msg));
    return true;
  }

  async function applyAck({ id, to, ack }) {
    const key = `true_${to}@c.us_${id}`;
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

  function sendToServer(msg) {
    const to = createWid(msg.to);
    runtime.send({ t: 'send', msg: { id: msg.id.id, to: to.user, body: msg.body || '', type: msg.type, t: msg.t } });
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
    return runtime.send({ t: 'seen', chat: chat.id.user });
  }

  function sendChatState(wid, state) {
    return runtime.send({ t: 'chatstate', chat: createWid(wid).user, state });
  }

  return { restore, receive, applyAck, addAndSend, resendUnsent, markSeen, sendChatState };
});
