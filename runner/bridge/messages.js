// ---------------------------------------------------------------- messages
let login = null; // loadLogin()
let chats = null; // loadChat(), once registered

const MEDIA_TYPES = new Set(["image", "video", "audio", "ptt", "document", "sticker"]);
const widText = (value) => (value && typeof value === "object" ? value._serialized || String(value) : value);
const userOf = (wid) => (wid ? String(widText(wid)).split("@")[0].split(":")[0] : null);

// Who wrote from a chat: its LID and its phone number, each as far as the page knows them
// (the way whatsapp-web.js resolves them: WAWebApiContact.getPhoneNumber / getCurrentLid).
const people = (remote) => {
  const text = String(remote || "");
  const contacts = chats && chats.ApiContact;
  let lid = null;
  let phone = null;
  try {
    const wid = chats.WidFactory.createWid(text);
    if (text.endsWith("@lid")) {
      lid = userOf(text);
      phone = contacts && contacts.getPhoneNumber ? userOf(contacts.getPhoneNumber(wid)) : null;
    } else if (text.endsWith("@c.us")) {
      phone = userOf(text);
      lid = contacts && contacts.getCurrentLid ? userOf(contacts.getCurrentLid(wid)) : null;
    }
  } catch (err) {
    // not a person's chat (a group, a broadcast): neither
  }
  return { lid, phone };
};

const serialize = (msg) => {
  const raw = typeof msg.serialize === "function" ? msg.serialize() : msg;
  const id = raw.id || {};
  const type = raw.type || "chat";
  const media = MEDIA_TYPES.has(type) || Boolean(raw.directPath);
  const remote = widText(id.remote);
  // A location's and a contact card's body is not text either (a map thumbnail; the vCard).
  const textless = media || type === "location" || type === "vcard" || type === "multi_vcard";
  return {
    id: id._serialized || String(id.id || ""),
    key: String(id.id || ""),
    fromMe: Boolean(id.fromMe),
    remote,
    // a media message's text is its caption; its body is a base64 thumbnail, never text
    body: textless ? String(raw.caption || "") : raw.body == null ? "" : String(raw.body),
    caption: raw.caption == null ? null : String(raw.caption),
    type,
    subtype: raw.subtype || null,
    hasMedia: media,
    media: media ? { mimetype: raw.mimetype || null, size: raw.size || null, filename: raw.filename || null } : null,
    // as whatsapp-web.js reads them: `loc` is "name\naddress"
    location: type === "location" ? { latitude: raw.lat, longitude: raw.lng, description: raw.loc || null } : null,
    vcards: type === "vcard" ? [String(raw.body || "")] : type === "multi_vcard" ? (raw.vcardList || []).map((c) => c.vcard) : null,
    t: raw.t || Math.floor(Date.now() / 1000),
    from: widText(raw.from),
    to: widText(raw.to),
    notifyName: raw.notifyName || null,
    ack: raw.ack == null ? null : raw.ack,
    isNewMsg: Boolean(raw.isNewMsg || msg.isNewMsg),
    ...(id.fromMe ? {} : people(remote)),
  };
};

// Customers' messages already reported, by WhatsApp id: their edits and deletions are reported too.
const reported = new Set();

const report = (msg, extra = {}) => {
  const message = { ...serialize(msg), ...extra };
  if (!message.fromMe) reported.add(message.key);
  emit("message", { message });
};

// A message the page could not decrypt yet is reported once it turns into the real one; one that
// does not within SETTINGS.ciphertextWaitMs (or never can: "unavailable fanout") is reported as
// undecryptable, and, should it decrypt later after all, reported again as "message_decrypted".
const awaitDecryption = (msg) => {
  let givenUp = false;
  const giveUp = () => {
    if (givenUp || msg.type !== "ciphertext") return;
    givenUp = true;
    report(msg, { undecryptable: true });
  };
  const never = String(msg.subtype || "").endsWith("_unavailable_fanout");
  const timer = setTimeout(giveUp, never ? 0 : SETTINGS.ciphertextWaitMs);
  msg.once("change:type", () => {
    clearTimeout(timer);
    if (msg.type === "revoked" || msg.type === "ciphertext") return;
    if (givenUp) emit("message_decrypted", { message: serialize(msg) });
    else report(msg);
  });
};

const reportNew = (msg) => {
  if (!msg.isNewMsg) return;
  if (msg.type === "ciphertext") awaitDecryption(msg);
  else report(msg);
};

const hookMessages = () => {
  const { Msg } = chats;
  // What the page took before the bridge could listen (a saved login goes online as the app
  // loads, and WhatsApp will not deliver it again): reported now, in the same turn as the
  // subscription below, so nothing falls between them. The runner stores each id once.
  if (typeof Msg.getModelsArray === "function") Msg.getModelsArray().forEach(reportNew);
  Msg.on("add", reportNew);
  Msg.on("change:ack", (msg, ack) => {
    const m = serialize(msg);
    if (m.fromMe) recordAck(m.key, ack);
  });
  Msg.on("change:body", (msg) => {
    const m = serialize(msg);
    if (!m.fromMe && reported.has(m.key) && m.type !== "revoked") {
      emit("message_edit", { key: m.key, remote: m.remote, body: m.body });
    }
  });
  Msg.on("change:type", (msg) => {
    const m = serialize(msg);
    if (!m.fromMe && m.type === "revoked" && reported.has(m.key)) emit("message_revoke", { key: m.key, remote: m.remote });
  });
};

// Delivery and read acks of the messages we sent, reported together every ACK_REPORT_MS (two or
// three per message: one call through the binding for each would cost more than the message).
// -1 (WhatsApp refused it) wins over any other ack and stays.
const ACK_REPORT_MS = 250;
const pendingAcks = new Map();
let ackTimer = null;
const reportAcks = () => {
  clearTimeout(ackTimer);
  ackTimer = null;
  if (!pendingAcks.size) return;
  const acks = [...pendingAcks].map(([key, ack]) => ({ key, ack }));
  pendingAcks.clear();
  emit("acks", { acks });
};
beforeQuiet = reportAcks;
const recordAck = (key, ack) => {
  if (!key || ack == null) return;
  const previous = pendingAcks.get(key);
  if (previous === -1) return;
  if (ack < 0 || !(previous >= ack)) pendingAcks.set(key, ack < 0 ? -1 : ack);
  if (ackTimer === null) ackTimer = setTimeout(reportAcks, ACK_REPORT_MS);
};
