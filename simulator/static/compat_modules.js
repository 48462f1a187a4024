/*
 * Modules whatsapp-web.js 1.34.7 requires beyond what a bridge needs (src/Client.js, Injected/Utils.js),
 * so the unmodified library runs here (tests/reference). The simulator has no calls, reactions, polls,
 * protobufs or undecryptable messages: these modules have the real shape and stay idle.
 */

// Required unguarded after `ready`'s setup. whatsapp-web.js reports incoming calls by wrapping `.set` of
// the collection's first own Map property (the real collection keeps its calls by id in one); without
// `on` and that Map the whole listener setup throws and no `message` event ever fires.
__d('WAWebCallCollection', (load) => {
  const { Collection, Model } = load('__sim/events');

  class Call extends Model {
    static fields = [
      'id', 'peerJid', 'isVideo', 'isGroup', 'canHandleLocally', 'outgoing', 'webClientShouldHandle',
      'participants',
    ];
  }

  const calls = new Collection(Call);
  calls.callsById = new Map(); // never written: no calls are simulated
  return calls;
});

// `msg.reply()` asks it whether the quoted message can be replied to. Only 1:1 chats exist here,
// so there is no private reply (to a group member) either.
__d('WAWebMsgReply', () => {
  const UNREPLIABLE = new Set(['revoked', 'ciphertext', 'e2e_notification', 'notification_template', 'gp2']);
  const canReplyMsg = (msg) => Boolean(msg && msg.id && !UNREPLIABLE.has(msg.type) && !msg.isStatusV3);
  return { canReplyMsg, canPrivateReply: () => false };
});

// Optional ones, patched by whatsapp-web.js (`injectToFunction`) when present.
__d('WAWebBackendJobsCommon', () => {
  const MEDIA = {
    imageMessage: 'image', videoMessage: 'video', audioMessage: 'audio', documentMessage: 'document',
    stickerMessage: 'sticker',
  };
  const mediaTypeFromProtobuf = (proto) => {
    const key = Object.keys(proto || {}).find((name) => name in MEDIA);
    return key ? MEDIA[key] : null;
  };
  return { mediaTypeFromProtobuf };
});

__d('WAWebE2EProtoUtils', (load) => {
  const { mediaTypeFromProtobuf } = load('WAWebBackendJobsCommon');
  const typeAttributeFromProtobuf = (proto) => {
    if (!proto) return 'text';
    if (proto.reactionMessage) return 'reaction';
    if (proto.pollCreationMessage || proto.pollUpdateMessage) return 'poll';
    return mediaTypeFromProtobuf(proto) ? 'media' : 'text';
  };
  return { typeAttributeFromProtobuf };
});

__d('WAWebAddonReactionTableMode', () => ({ reactionTableMode: { bulkUpsert: async (rows) => rows } }));

__d('WAWebAddonPollVoteTableMode', () => ({ pollVoteTableMode: { bulkUpsert: async (rows) => rows } }));

// Asks the phone to resend messages this device could not decrypt; there are none here.
__d('WAWebNonMessageDataRequestPlaceholderMessageResendUtils', () => ({
  handlePlaceholderMsgsSeen: async () => undefined,
}));
