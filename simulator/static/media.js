/*
 * Media messages on this page. Inbound: a customer's media message gets the attributes WhatsApp Web's
 * Msg has (mimetype, size, filehash, encFilehash, mediaKey, mediaKeyTimestamp, directPath, ...), a
 * `mediaData` model whose `mediaStage` goes INIT → FETCHING → RESOLVED on `msg.downloadMedia()`, and
 * its bytes come from the CDN (`/mms<directPath>`), encrypted, decrypted here. Under the media fault
 * the CDN answers 404 (expired: `REUPLOADING` while the phone "re-uploads", i.e. until the fault is
 * cleared, then RESOLVED) or 5xx (`ERROR_MISSING`).
 */
__d('__sim/media', (load) => {
  'use strict';
  const { Model } = load('__sim/events');
  const { decodeB64 } = load('__sim/wid');
  const mediaCrypto = load('__sim/media_crypto');
  const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'ptt', 'document', 'sticker']);
  // The fields of a message kept in the history besides the text ones (media, location, contact card).
  const STORED_FIELDS = [
    'mimetype', 'size', 'filehash', 'encFilehash', 'mediaKey', 'mediaKeyTimestamp', 'directPath', 'filename',
    'duration', 'isViewOnce', 'deprecatedMms3Url', 'clientUrl', 'isGif', 'lat', 'lng', 'loc', 'isLive',
    'vcardFormattedName',
  ];
  const REUPLOAD_RETRY_MS = 1000;
  const REUPLOAD_TRIES = 120;

  class MediaData extends Model {
    static fields = [
      'type', 'mimetype', 'filehash', 'size', 'mediaStage', 'mediaBlob', 'preview', 'filename', 'duration',
      'isGif', 'waveform', 'renderableUrl', 'fullWidth', 'fullHeight', 'aspectRatio', 'caption', 'isViewOnce',
    ];
  }

  const mediaDataOf = new WeakMap();

  /** Msg attributes for an inbound frame's media, location or contact card (none: {}). */
  function inboundAttributes(data, kind) {
    if (MEDIA_TYPES.has(kind) && data.media) {
      const { body, ...media } = data.media;
      const attributes = {
        ...media,
        body,
        caption: data.caption || undefined,
        isViewOnce: false,
        deprecatedMms3Url: `https://mmg.whatsapp.net${media.directPath}`,
        clientUrl: `https://mmg.whatsapp.net${media.directPath}`,
      };
      if (attributes.filename == null) delete attributes.filename;
      if (attributes.duration == null) delete attributes.duration;
      return attributes;
    }
    if (kind === 'location' && data.location) {
      const { latitude, longitude, name, address, body } = data.location;
      const loc = [name, address].filter(Boolean).join('\n') || undefined;
      return { body, lat: latitude, lng: longitude, loc, isLive: false };
    }
    if (kind === 'vcard' && data.vcard) {
      return { body: data.vcard.body, vcardFormattedName: data.vcard.vcardFormattedName || undefined };
    }
    return null;
  }

  function storedFields(msg) {
    const fields = {};
    for (const name of STORED_FIELDS) if (msg[name] !== undefined) fields[name] = msg[name];
    return fields;
  }

  function httpError(status) {
    return Object.assign(new Error(`media download failed: HTTP ${status}`), { status });
  }

  /** WAWebDownloadManager.downloadManager.downloadAndMaybeDecrypt: the plain bytes, an ArrayBuffer. */
  async function downloadAndMaybeDecrypt({ directPath, encFilehash, filehash, mediaKey, type, signal }) {
    if (!directPath || !mediaKey) throw new Error('media-fault: directPath and mediaKey are required');
    const response = await fetch(`/mms${directPath}`, { cache: 'no-store', signal });
    if (!response.ok) throw httpError(response.status);
    const blob = await response.arrayBuffer();
    if (encFilehash && (await mediaCrypto.sha256B64(blob)) !== encFilehash) {
      throw new Error('media-fault: the downloaded file does not match encFilehash');
    }
    const plain = await mediaCrypto.decrypt(blob, decodeB64(mediaKey), type);
    if (filehash && (await mediaCrypto.sha256B64(plain)) !== filehash) {
      throw new Error('media-fault: the decrypted file does not match filehash');
    }
    return plain;
  }

  function mediaData(msg) {
    if (!msg.directPath && !MEDIA_TYPES.has(msg.type)) return undefined;
    let data = mediaDataOf.get(msg);
    if (!data) {
      data = new MediaData({
        type: msg.type,
        mimetype: msg.mimetype,
        filehash: msg.filehash,
        size: msg.size,
        filename: msg.filename,
        duration: msg.duration,
        // What this page sent it has; what it received it fetches on demand.
        mediaStage: msg.id.fromMe ? 'RESOLVED' : 'INIT',
      });
      mediaDataOf.set(msg, data);
    }
    return data;
  }

  async function fetchInto(msg, data) {
    const plain = await downloadAndMaybeDecrypt({ ...msg.serialize(), type: msg.type });
    data.set({ mediaStage: 'RESOLVED', mediaBlob: new Blob([plain], { type: msg.mimetype }) });
  }

  function retryWhileReuploading(msg, data, triesLeft) {
    setTimeout(async () => {
      if (data.mediaStage !== 'REUPLOADING') return;
      try {
        await fetchInto(msg, data);
      } catch (error) {
        if (error.status === 404 && triesLeft > 1) retryWhileReuploading(msg, data, triesLeft - 1);
        else data.mediaStage = 'ERROR_MISSING';
      }
    }, REUPLOAD_RETRY_MS);
  }

  /** msg.downloadMedia({downloadEvenIfExpensive, rmrReason}): resolves mediaData's stage. */
  async function downloadMedia(msg) {
    const data = mediaData(msg);
    if (!data || !msg.directPath) return;
    if (data.mediaStage === 'RESOLVED' || data.mediaStage === 'REUPLOADING') return;
    data.mediaStage = 'FETCHING';
    try {
      await fetchInto(msg, data);
    } catch (error) {
      if (error.status === 404) {
        // Expired on the CDN: the app asks the phone to upload it again (a media retry request).
        data.mediaStage = 'REUPLOADING';
        retryWhileReuploading(msg, data, REUPLOAD_TRIES);
      } else {
        data.mediaStage = 'ERROR_MISSING';
      }
    }
  }

  return { MediaData, MEDIA_TYPES, inboundAttributes, storedFields, mediaData, downloadMedia, downloadAndMaybeDecrypt };
});
