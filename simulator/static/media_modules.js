/*
 * The media modules whatsapp-web.js 1.34.7 uses to send and receive files (Injected/Utils.js
 * `processMediaData`, `processStickerData`; Message.js `downloadMedia`), with the real shapes:
 *
 *   file → WAWebMediaOpaqueData.createFromData → WAWebPrepRawMedia.prepRawMedia(...).waitForPrep()
 *   → mediaData (type, filehash, mimetype, size, mediaBlob, preview...) → WAWebMediaStorage media
 *   object (consolidate) → WAWebMediaMmsV4Upload.uploadMedia: encrypted here under a new mediaKey,
 *   uploaded to the CDN (`POST /mms/upload/<type>`) → mediaEntry (directPath, mediaKey, encFilehash...)
 *   → the message carries them (WAWebSendMsgChatAction.addAndSendMsgToChat).
 */
__d('__sim/media_objects', (load) => {
  'use strict';
  const { Model } = load('__sim/events');

  // One per file (by filehash), as the app shares a media object between messages of the same file.
  class MediaObject extends Model {
    static fields = ['filehash', 'type', 'size', 'mimetype', 'mediaBlob', 'contentInfo', 'mediaKey', 'directPath'];

    consolidate(values) {
      const picked = {};
      for (const name of ['type', 'size', 'mimetype', 'mediaBlob', 'filehash']) {
        if (values && values[name] !== undefined) picked[name] = values[name];
      }
      if (values && values.waveform) this.contentInfo.waveform = values.waveform;
      this.set(picked);
      return this;
    }
  }

  const objects = new Map();
  function getOrCreateMediaObject(filehash) {
    if (!objects.has(filehash)) objects.set(filehash, new MediaObject({ filehash, contentInfo: {} }));
    return objects.get(filehash);
  }
  return { MediaObject, getOrCreateMediaObject };
});

__d('WAWebMediaOpaqueData', () => {
  'use strict';
  // A file's bytes as the app holds them; the blob itself is private (not serialized with a message).
  class OpaqueData {
    #blob;
    #url = null;

    constructor(blob, mimetype, filename) {
      this.#blob = mimetype && blob.type !== mimetype ? new Blob([blob], { type: mimetype }) : blob;
      this.type = this.#blob.type;
      this.size = this.#blob.size;
      this.filename = filename || (blob instanceof File ? blob.name : undefined);
    }

    static async createFromData(data, mimetype) {
      if (data instanceof OpaqueData) return data;
      const blob = data instanceof Blob ? data : new Blob([data], { type: mimetype });
      return new OpaqueData(blob, mimetype, data instanceof File ? data.name : undefined);
    }

    url() {
      if (!this.#url) this.#url = URL.createObjectURL(this.#blob);
      return this.#url;
    }

    autorelease() {
      const url = this.#url;
      if (url) setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return this;
    }

    formData() {
      return this.#blob;
    }

    arrayBuffer() {
      return this.#blob.arrayBuffer();
    }
  }
  return OpaqueData;
});

__d('WAWebPrepRawMedia', (load) => {
  'use strict';
  const { MediaData } = load('__sim/media');
  const { getOrCreateMediaObject } = load('__sim/media_objects');
  const mediaCrypto = load('__sim/media_crypto');
  const THUMBNAIL_PX = 96;
  const WAVEFORM_SAMPLES = 64;

  function typeFor(mimetype, { asSticker, isPtt, asDocument }) {
    if (asDocument) return 'document';
    if (mimetype.startsWith('image/')) return asSticker ? 'sticker' : 'image';
    if (mimetype.startsWith('video/')) return 'video';
    if (mimetype.startsWith('audio/')) return isPtt ? 'ptt' : 'audio';
    return 'document';
  }

  async function imageFacts(blob) {
    try {
      const bitmap = await createImageBitmap(blob);
      const scale = Math.min(1, THUMBNAIL_PX / Math.max(bitmap.width, bitmap.height));
      const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.6 });
      const bytes = new Uint8Array(await jpeg.arrayBuffer());
      const facts = {
        preview: load('__sim/wid').encodeB64(bytes),
        fullWidth: bitmap.width,
        fullHeight: bitmap.height,
        aspectRatio: bitmap.width / bitmap.height,
      };
      bitmap.close();
      return facts;
    } catch (error) {
      return {}; // not an image Chromium decodes: no preview
    }
  }

  async function audioFacts(buffer) {
    try {
      const decoded = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(buffer.slice(0));
      const samples = decoded.getChannelData(0);
      const block = Math.max(1, Math.floor(samples.length / WAVEFORM_SAMPLES));
      const levels = Array.from({ length: WAVEFORM_SAMPLES }, (_, i) => {
        let sum = 0;
        for (let j = i * block; j < Math.min(samples.length, (i + 1) * block); j++) sum += Math.abs(samples[j]);
        return sum / block;
      });
      const peak = Math.max(...levels) || 1;
      return {
        duration: Math.round(decoded.duration),
        waveform: new Uint8Array(levels.map((level) => Math.floor((100 * level) / peak))),
      };
    } catch (error) {
      // Not decodable here (e.g. a codec this Chromium lacks): a flat waveform, unknown length.
      return { duration: 0, waveform: new Uint8Array(WAVEFORM_SAMPLES) };
    }
  }

  function prepRawMedia(opaqueData, params = {}) {
    const prepared = (async () => {
      const mimetype = opaqueData.type || 'application/octet-stream';
      const type = typeFor(mimetype, params);
      const buffer = await opaqueData.arrayBuffer();
      const filehash = await mediaCrypto.sha256B64(buffer);
      const facts = type === 'image' || type === 'sticker' ? await imageFacts(opaqueData.formData())
        : type === 'ptt' || type === 'audio' ? await audioFacts(buffer) : {};
      if (facts.waveform && type === 'ptt') getOrCreateMediaObject(filehash).contentInfo.waveform = facts.waveform;
      return new MediaData({
        type,
        mimetype,
        filehash,
        size: opaqueData.size,
        mediaBlob: opaqueData,
        isGif: Boolean(params.asGif && type === 'video'),
        filename: type === 'document' ? opaqueData.filename : undefined,
        preview: facts.preview,
        fullWidth: facts.fullWidth,
        fullHeight: facts.fullHeight,
        aspectRatio: facts.aspectRatio,
        duration: facts.duration,
      });
    })();
    return { waitForPrep: () => prepared };
  }
  return { prepRawMedia };
});

__d('WAWebMediaStorage', (load) => ({ getOrCreateMediaObject: load('__sim/media_objects').getOrCreateMediaObject }));

__d('WAWebMmsMediaTypes', () => ({
  msgToMediaType: ({ type, isGif }) => (type === 'video' && isGif ? 'gif' : type),
  castToV4: (type) => type,
}));

__d('WAWebMediaDataUtils', () => ({ shouldUseMediaCache: (type) => type !== 'document' }));

__d('WAWebMediaInMemoryBlobCache', () => {
  const blobs = new Map();
  return {
    InMemoryMediaBlobCache: {
      put: (filehash, blob) => blobs.set(filehash, blob),
      get: (filehash) => blobs.get(filehash),
      has: (filehash) => blobs.has(filehash),
    },
  };
});

__d('__sim/media_upload', (load) => {
  'use strict';
  const mediaCrypto = load('__sim/media_crypto');
  const { encodeB64, decodeB64 } = load('__sim/wid');

  /** Encrypt `blob` for `type` under `mediaKey` (base64; a new random one when absent) and upload it. */
  async function encryptAndUpload(blob, type, mediaKey, signal) {
    const key = mediaKey || encodeB64(window.crypto.getRandomValues(new Uint8Array(32)));
    const encrypted = await mediaCrypto.encrypt(await blob.arrayBuffer(), new Uint8Array(decodeB64(key)), type);
    const response = await fetch(`/mms/upload/${encodeURIComponent(type)}`, {
      method: 'POST', body: encrypted, signal, headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (!response.ok) throw Object.assign(new Error(`media upload failed: HTTP ${response.status}`), { status: response.status });
    const answer = await response.json();
    return {
      url: answer.url,
      directPath: answer.direct_path,
      handle: answer.handle,
      mediaKey: key,
      mediaKeyTimestamp: Math.floor(Date.now() / 1000),
      encFilehash: await mediaCrypto.sha256B64(encrypted),
    };
  }
  return { encryptAndUpload };
});

__d('WAWebMediaMmsV4Upload', (load) => {
  const { encryptAndUpload } = load('__sim/media_upload');
  async function uploadMedia({ mediaObject, mediaType, signal }) {
    const blob = mediaObject.mediaBlob && mediaObject.mediaBlob.formData ? mediaObject.mediaBlob.formData() : mediaObject.mediaBlob;
    if (!(blob instanceof Blob)) throw new Error('media-fault: the media object has no file to upload');
    const uploaded = await encryptAndUpload(blob, mediaType, null, signal);
    mediaObject.set({ mediaKey: uploaded.mediaKey, directPath: uploaded.directPath });
    return {
      mediaEntry: {
        mmsUrl: uploaded.url,
        deprecatedMms3Url: uploaded.url,
        directPath: uploaded.directPath,
        mediaKey: uploaded.mediaKey,
        mediaKeyTimestamp: uploaded.mediaKeyTimestamp,
        encFilehash: uploaded.encFilehash,
        uploadHash: uploaded.encFilehash,
        sidecar: undefined,
        firstFrameSidecar: undefined,
        handle: uploaded.handle,
      },
    };
  }
  async function uploadUnencryptedMedia() {
    throw new Error('uploadUnencryptedMedia: channels (newsletters) are not simulated');
  }
  return { uploadMedia, uploadUnencryptedMedia };
});

__d('WAWebUploadManager', (load) => {
  const { encryptAndUpload } = load('__sim/media_upload');
  return {
    encryptAndUpload: ({ blob, type, signal, mediaKey }) => encryptAndUpload(blob, type, mediaKey, signal),
  };
});

__d('WAWebStartMediaUploadQpl', () => ({
  startMediaUploadQpl: () => {
    const qpl = { addAnnotations: () => qpl, addPoint: () => qpl, end: () => qpl, fail: () => qpl };
    return qpl;
  },
}));

__d('WAWebDownloadManager', (load) => ({
  downloadManager: { downloadAndMaybeDecrypt: (options) => load('__sim/media').downloadAndMaybeDecrypt(options) },
}));
