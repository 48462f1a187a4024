/*
 * Public modules for chats and messages, named as in WhatsApp Web 2.3000.x (as whatsapp-web.js v1.34
 * reaches them in Client.js and Injected/Utils.js).
 */
__d('WAWebCollections', (load) => {
  const { Msg, Chat, Contact } = load('__sim/models').collections;
  return { Msg, Chat, Contact };
});

__d('WAWebMsgModel', (load) => ({ Msg: load('__sim/models').Msg }));

__d('WAWebChatModel', (load) => ({ Chat: load('__sim/models').Chat }));

__d('WAWebFindChatAction', (load) => {
  const { Chat } = load('__sim/models').collections;
  const { createWid } = load('__sim/wid');
  const lids = load('__sim/lids');
  // An account moved to LIDs (2026) opens a person's chat by their LID: a phone number it knows no
  // LID for, and LID digits written as a phone number (`<lid>@c.us`), throw "No LID for user".
  async function findOrCreateLatestChat(wid) {
    let id = createWid(wid);
    const known = Chat.get(id);
    if (known) return { chat: known, created: false };
    if (lids.migrated() && id.server === 'c.us') id = lids.toUserLidOrThrow(id);
    const existing = Chat.get(id);
    return { chat: existing || Chat.getOrCreate(id), created: !existing };
  }
  return { findOrCreateLatestChat, findChat: async (wid) => (await findOrCreateLatestChat(wid)).chat };
});

__d('WAWebSendMsgChatAction', (load) => ({
  addAndSendMsgToChat: (chat, msg) => load('__sim/chats').addAndSend(chat, msg),
}));

__d('WAWebQueryExistsJob', (load) => {
  const runtime = load('__sim/runtime');
  const lids = load('__sim/lids');
  const { createWid, toUserWid } = load('__sim/wid');
  // A number lookup (usync) also tells the page the person's LID: how the real app learns the
  // mapping it needs to open a chat with a phone number (whatsapp-web.js enforceLidAndPnRetrieval).
  return {
    queryWidExists: async (wid) => {
      const id = toUserWid(createWid(wid));
      if (id.server !== 'c.us' && !id.isLid()) return null;
      const answer = await runtime.iq({ q: 'exists', wid: id._serialized });
      if (!answer.exists) return null;
      lids.learn(answer.pn, answer.lid);
      return { wid: id, lid: createWid(`${answer.lid}@lid`), biz: false };
    },
  };
});

__d('WAWebChatStateBridge', (load) => {
  const chats = load('__sim/chats');
  return {
    sendChatStateComposing: async (wid) => chats.sendChatState(wid, 'composing'),
    sendChatStateRecording: async (wid) => chats.sendChatState(wid, 'recording'),
    sendChatStatePaused: async (wid) => chats.sendChatState(wid, 'paused'),
  };
});

__d('WAWebUpdateUnreadChatAction', (load) => {
  const chats = load('__sim/chats');
  // Both call shapes seen in the wild: sendSeen({chat, threadId}) and the older sendSeen(chat, false).
  return { sendSeen: async (arg) => chats.markSeen(arg && arg.chat ? arg.chat : arg) };
});

__d('WAWebChatGetters', () => ({
  getIsNewsletter: (chat) => Boolean(chat && chat.id && chat.id.server === 'newsletter'),
  getIsBroadcast: (chat) => Boolean(chat && chat.id && chat.id.server === 'broadcast'),
  getIsGroup: (chat) => Boolean(chat && chat.id && chat.id.server === 'g.us'),
  getIsUser: (chat) => Boolean(chat && chat.id && chat.id.isUser()),
}));

// The chat's disappearing-messages fields, for an outgoing message (each only when set).
__d('WAWebGetEphemeralFieldsMsgActionsUtils', () => ({
  getEphemeralFields: (chat) => {
    const fields = {};
    for (const name of ['ephemeralDuration', 'ephemeralSettingTimestamp', 'disappearingModeInitiator']) {
      if (chat && chat[name] != null) fields[name] = chat[name];
    }
    return fields;
  },
}));

// Modules whatsapp-web.js v1.34 touches on the way (event wiring, text sends with link previews).
__d('WAWebSyncGatingUtils', () => ({ isPlaceholderMessageResendEnabled: () => false }));

__d('WAWebLinkPreviewChatAction', () => ({ getLinkPreview: async () => null }));
