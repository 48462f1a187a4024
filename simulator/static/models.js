/*
 * The page's models: messages, chats and contacts with their collections, and the connection
 * singletons (Socket, Conn, Cmd, Stream). Behaviour that needs the server (logout, takeover, refresh)
 * goes through `hooks`, which the session fills in.
 */
__d('__sim/models', (load) => {
  'use strict';
  const { Emitter, Model, Collection } = load('__sim/events');
  const { createWid, MsgKey } = load('__sim/wid');
  const hooks = {};

  // What a quote leaves out of the quoted message (the real Msg model's list).
  const NOT_QUOTED = [
    'id', 't', 'notifyName', 'from', 'to', 'author', 'self', 'ack', 'invis', 'isNewMsg', 'star', 'recvFresh',
    'recipients', 'broadcast', 'quotedMsg', 'quotedStanzaID', 'quotedRemoteJid', 'quotedParticipant',
    'senderObj', 'multicast', 'replyButtons', 'buttons', 'latestEditMsgKey', 'latestEditSenderTimestampMs',
  ];

  class Msg extends Model {
    static fields = [
      'id', 'body', 'type', 'subtype', 't', 'from', 'to', 'author', 'notifyName', 'ack', 'isNewMsg', 'self',
      'local', 'star', 'broadcast', 'isForwarded', 'hasReaction', 'mentionedJidList', 'groupMentions',
      'caption', 'isEphemeral', 'isStatusV3',
    ];

    constructor(attributes = {}) {
      super({
        type: 'chat',
        ack: 0,
        star: false,
        broadcast: false,
        isForwarded: false,
        hasReaction: false,
        mentionedJidList: [],
        groupMentions: [],
        isEphemeral: false,
        isStatusV3: false,
        ...attributes,
        id: MsgKey.from(attributes.id),
      });
    }

    unsafe() {
      return this;
    }

    /** A media message's MediaData model (`mediaStage`, ...); undefined for other messages. */
    get mediaData() {
      return load('__sim/media').mediaData(this);
    }

    /** A media message's shared media object (by filehash), as the app keeps one per file. */
    get mediaObject() {
      return this.filehash ? load('__sim/media_objects').getOrCreateMediaObject(this.filehash) : undefined;
    }

    /** Fetch and decrypt a received media message's file: `mediaData.mediaStage` ends RESOLVED or not. */
    downloadMedia(options = {}) {
      return load('__sim/media').downloadMedia(this, options);
    }

    /**
     * The quote a reply to this message carries, as the real model builds it: the message minus its
     * envelope, then its sender, its id, and its chat when `Wid.equals` says the reply goes elsewhere.
     * The real app passes the chat's id; whatsapp-web.js passes the chat, which no Wid equals.
     */
    msgContextInfo(chatOrWid) {
      const quotedMsg = this.toJSON();
      for (const key of NOT_QUOTED) delete quotedMsg[key];
      return {
        quotedMsg,
        quotedParticipant: this.author || this.from,
        quotedStanzaID: this.id.id,
        quotedRemoteJid: chatOrWid && !this.id.remote.equals(chatOrWid) ? this.id.remote : null,
      };
    }
  }

  class Chat extends Model {
    static fields = [
      'id', 'name', 'formattedTitle', 't', 'unreadCount', 'archive', 'pin', 'isReadOnly', 'muteExpiration',
      'mute', 'notSpam', 'lastReceivedKey', 'isGroup',
    ];

    constructor(attributes = {}) {
      const id = createWid(attributes.id);
      super({
        name: undefined,
        formattedTitle: `+${id.user}`,
        t: 0,
        unreadCount: 0,
        archive: false,
        pin: 0,
        isReadOnly: false,
        muteExpiration: 0,
        mute: { expiration: 0 },
        notSpam: true,
        isGroup: id.isGroup(),
        ...attributes,
        id,
      });
      Object.defineProperty(this, 'msgs', { value: new Collection(Msg), enumerable: false });
    }

    serialize() {
      return { ...super.serialize(), msgs: this.msgs.getModelsArray().map((msg) => msg.serialize()) };
    }
  }

  class Contact extends Model {
    static fields = [
      'id', 'name', 'shortName', 'pushname', 'type', 'isBusiness', 'isEnterprise', 'isMe', 'phoneNumber',
    ];

    constructor(attributes = {}) {
      super({ type: 'in', isBusiness: false, isEnterprise: false, isMe: false, ...attributes, id: createWid(attributes.id) });
    }
  }

  class MsgCollection extends Collection {
    async getMessagesById(ids) {
      return { messages: (ids || []).map((id) => this.get(id)).filter(Boolean) };
    }
  }

  class ChatCollection extends Collection {
    getOrCreate(wid) {
      return this.get(wid) || this.add(new Chat({ id: createWid(wid) }), { silent: false });
    }

    async find(wid) {
      return this.getOrCreate(wid);
    }
  }

  class ContactCollection extends Collection {
    async find(wid) {
      return this.get(wid) || this.add(new Contact({ id: createWid(wid) }));
    }
  }

  class SocketModel extends Model {
    static fields = ['state', 'hasSynced'];

    logout() {
      return hooks.logout ? hooks.logout('socket_logout') : undefined;
    }

    takeover() {
      return hooks.takeover ? hooks.takeover() : undefined;
    }

    reconnect() {
      return hooks.reconnect ? hooks.reconnect() : undefined;
    }
  }

  class ConnModel extends Model {
    static fields = ['ref', 'refTTL', 'wid', 'connected', 'pushname', 'platform', 'phone', 'blockStoreAdds'];
  }

  class CmdEmitter extends Emitter {
    refreshQR() {
      return hooks.refreshQR ? hooks.refreshQR() : undefined;
    }
  }

  class StreamModel extends Model {
    static fields = ['displayInfo', 'mode', 'available'];

    markAvailable() {
      this.available = true;
    }

    markUnavailable() {
      this.available = false;
    }
  }

  return {
    hooks,
    Msg,
    Chat,
    Contact,
    collections: {
      Msg: new MsgCollection(Msg),
      Chat: new ChatCollection(Chat),
      Contact: new ContactCollection(Contact),
    },
    Socket: new SocketModel({ state: 'OPENING', hasSynced: false }),
    Conn: new ConnModel({ ref: null, refTTL: null, wid: null, connected: false, pushname: null, platform: null }),
    Cmd: new CmdEmitter(),
    Stream: new StreamModel({ displayInfo: 'OPENING', mode: 'QR', available: false }),
    linkEvents: new Emitter(),
  };
});
