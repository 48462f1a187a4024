// ---------------------------------------------------------------- sending
const unwrap = (found) => (found && found.chat ? found.chat : found);

// The chat to send into: as the stored message names it (`<lid>@lid` or `<phone>@c.us`), else a
// phone number, opened the way WhatsApp Web does it: a chat the page has, else through the
// person's LID (a LID-migrated account opens no chat by phone number: "No LID for user"), which a
// number lookup teaches the page when it does not know it yet.
const chatFor = async ({ chat, to }) => {
  const { WidFactory, Chat, FindChat, QueryExists, ApiContact } = chats;
  const wid = WidFactory.createWid(chat || (String(to).includes("@") ? to : `${to}@c.us`));
  const known = Chat.get(wid);
  if (known) return known;
  if (!chat && ApiContact && ApiContact.getCurrentLid && !ApiContact.getCurrentLid(wid)) {
    await Promise.resolve(QueryExists.queryWidExists(wid)).catch(() => null);
  }
  return unwrap(await FindChat.findOrCreateLatestChat(wid));
};

// Blue ticks: the 2026 app sends the receipt only while the stream is marked available.
const markSeen = async (chat) => {
  const { Seen, Stream } = chats;
  if (!Seen.sendSeen) return false;
  if (Stream && Stream.markAvailable) Stream.markAvailable();
  try {
    await Seen.sendSeen({ chat, threadId: undefined });
  } finally {
    if (Stream && Stream.markUnavailable) Stream.markUnavailable();
  }
  return true;
};

const chatReadyOrThrow = async () => {
  if (!chats) await chatReady;
  if (!chats) throw new MissingModule("WAWebCollections");
};

// Send into the customer's chat: `fields()` gives what the message carries beyond its envelope
// (a text's body; a file's media fields, prepared and uploaded once the chat is known).
const sendMessage = async ({ chat: chatId, to, id, seen, typing }, fields) => {
  await chatReadyOrThrow();
  const chat = await chatFor({ chat: chatId, to });
  // Blue ticks on what the customer wrote and "typing…" before the answer, as a person would
  // (what the maintained clients do against bans); not awaited, so they never delay the reply.
  if (seen) markSeen(chat).catch(() => {});
  if (typing && chats.ChatState.sendChatStateComposing) {
    Promise.resolve(chats.ChatState.sendChatStateComposing(chat.id)).catch(() => {});
  }
  const content = await fields(chat);
  const MsgKey = chats.MsgKey.default || chats.MsgKey;
  const lidChat = typeof chat.id.isLid === "function" && chat.id.isLid();
  const from = lidChat && login.MeUser.getMaybeMeLidUser ? login.MeUser.getMaybeMeLidUser() : login.MeUser.getMaybeMePnUser();
  const key = new MsgKey({ from, to: chat.id, id: id || (await MsgKey.newId()), selfDir: "out" });
  const ephemeral = chats.Ephemeral && chats.Ephemeral.getEphemeralFields ? chats.Ephemeral.getEphemeralFields(chat) : {};
  const message = {
    id: key, ack: 0, from, to: chat.id, local: true, self: "out",
    t: Math.floor(Date.now() / 1000), isNewMsg: true, type: "chat", ...ephemeral, ...content,
  };
  const [added, result] = chats.SendMsg.addAndSendMsgToChat(chat, message);
  await added;
  // The send's result may never settle on recent builds: an ack of -1 says a refusal later.
  const outcome = await Promise.race([result, sleep(SETTINGS.sendResultWaitMs).then(() => null)]);
  const verdict = outcome && outcome.messageSendResult;
  if (verdict && verdict !== "OK") throw new Error(`WhatsApp refused the message (${verdict})`);
  return { id: key._serialized || String(key.id), key: String(key.id), chat: widText(chat.id), outcome: outcome ?? null };
};

const sendText = async ({ text, ...target }) => sendMessage(target, async () => ({ body: text }));

const exists = async (number) => {
  await chatReadyOrThrow();
  const wid = chats.WidFactory.createWid(number.includes("@") ? number : `${number}@c.us`);
  const answer = await chats.QueryExists.queryWidExists(wid);
  return Boolean(answer && (answer.wid || answer.exists !== false));
};

const seenAndTyping = async ({ chat: chatId, to }) => {
  await chatReadyOrThrow();
  const chat = await chatFor({ chat: chatId, to });
  await markSeen(chat);
  if (chats.ChatState.sendChatStateComposing) await chats.ChatState.sendChatStateComposing(chat.id);
  return true;
};
