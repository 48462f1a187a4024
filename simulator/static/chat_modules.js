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
  async function findOrCreateLatestChat(wid) {
    const id = createWid(wid);
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
  const { createWid, toUserWid } = load('__sim/wid');
  return {
    queryWidExists: async (wid) => {
      const id = createWid(wid);
      if (id.server !== 'c.us') return null;
      const { exists } = await runtime.iq({ q: 'exists', user: id.user });
      return exists ? { wid: toUserWid(id), biz: false } : null;
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
  getIsUser: (chat) => Boolean(chat && chat.id && chat.id.server === 'c.us'),
}));

__d('WAWebGetEphemeralFieldsMsgActionsUtils', () => ({ getEphemeralFields: () => ({}) }));

// Modules whatsapp-web.js v1.34 touches on the way (event wiring, text sends with link previews).
__d('WAWebSyncGatingUtils', () => ({ isPlaceholderMessageResendEnabled: () => false }));

__d('WAWebLinkPreviewChatAction', () => ({ getLinkPreview: async () => null }));
