// ---------------------------------------------------------------- media
// A customer's file downloaded and decrypted by WhatsApp Web itself, and our files sent through
// its own upload, with the calls whatsapp-web.js 1.34.7 makes against the real app
// (Message.downloadMedia; WWebJS.sendMessage with processMediaData / processStickerData).

const bufferToBase64 = (buffer) =>
  new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(new Blob([buffer], { type: "application/octet-stream" }));
  });

const base64ToFile = (data, mimetype, filename) => {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return new File([bytes], filename || "file", { type: mimetype, lastModified: Date.now() });
};

const messageByKey = async ({ id, key }) => {
  const { Msg } = chats;
  let msg = (id && Msg.get(id)) || null;
  if (!msg && id && typeof Msg.getMessagesById === "function") {
    const found = await Promise.resolve(Msg.getMessagesById([id])).catch(() => null);
    msg = (found && found.messages && found.messages[0]) || null;
  }
  if (!msg && key) msg = Msg.getModelsArray().find((m) => m.id && m.id.id === key) || null;
  return msg;
};

// The plain bytes of a received file: {data (base64), mimetype, filename, size}, or {error, reason}
// (`missing`: the page no longer has the message; `expired`: WhatsApp is re-uploading it, try
// later; `failed`: the download did not succeed; `too_large`: over maxBytes, not downloaded).
const downloadMedia = async ({ id, key, maxBytes }) => {
  await chatReadyOrThrow();
  const msg = await messageByKey({ id, key });
  if (!msg) return { error: "missing", reason: "the message is no longer on this device" };
  if (maxBytes && msg.size > maxBytes) return { error: "too_large", reason: `${msg.size} bytes`, size: msg.size };
  if (!msg.mediaData || msg.mediaData.mediaStage === "REUPLOADING") {
    return { error: "expired", reason: "WhatsApp no longer has the file (it is being re-uploaded)" };
  }
  if (msg.mediaData.mediaStage !== "RESOLVED") {
    await msg.downloadMedia({ downloadEvenIfExpensive: true, rmrReason: 1 });
  }
  const stage = String(msg.mediaData.mediaStage || "");
  if (stage === "REUPLOADING") return { error: "expired", reason: "WhatsApp no longer has the file" };
  if (stage.includes("ERROR") || stage === "FETCHING") return { error: "failed", reason: `download ${stage}` };
  const quiet = { addAnnotations() { return this; }, addPoint() { return this; } };
  const plain = await need("WAWebDownloadManager", "downloadManager").downloadAndMaybeDecrypt({
    directPath: msg.directPath,
    encFilehash: msg.encFilehash,
    filehash: msg.filehash,
    mediaKey: msg.mediaKey,
    mediaKeyTimestamp: msg.mediaKeyTimestamp,
    type: msg.type,
    signal: new AbortController().signal,
    downloadQpl: quiet,
  });
  return { data: await bufferToBase64(plain), mimetype: msg.mimetype, filename: msg.filename || null, size: plain.byteLength };
};

// A voice note's waveform (64 levels 0-100), as whatsapp-web.js computes it when the media object
// has none; undefined when the browser cannot decode the audio.
const waveformOf = async (file) => {
  const Context = window.OfflineAudioContext || window.AudioContext;
  if (!Context) return undefined;
  const context = new Context(1, 1, 44100);
  const audio = await context.decodeAudioData(await file.arrayBuffer());
  const samples = audio.getChannelData(0);
  const block = Math.max(1, Math.floor(samples.length / 64));
  const levels = [];
  for (let i = 0; i < 64; i += 1) {
    let sum = 0;
    for (let j = 0; j < block; j += 1) sum += Math.abs(samples[i * block + j] || 0);
    levels.push(sum / block);
  }
  const top = Math.max(...levels) || 1;
  return new Uint8Array(levels.map((level) => Math.floor((100 * level) / top)));
};

// WhatsApp Web's media pipeline: prepare (type, hash, preview), upload (encrypted), and the fields
// the message carries (directPath, mediaKey, filehash, ...).
const prepareMedia = async (file, { isPtt, asDocument }) => {
  const OpaqueData = need("WAWebMediaOpaqueData");
  const opaque = await OpaqueData.createFromData(file, file.type);
  const prepared = await need("WAWebPrepRawMedia")
    .prepRawMedia(opaque, { asSticker: false, asGif: false, isPtt, asDocument })
    .waitForPrep();
  if (!prepared.filehash) throw new Error("media-fault: no filehash after preparing the file");
  const MediaTypes = need("WAWebMmsMediaTypes");
  const mediaObject = need("WAWebMediaStorage").getOrCreateMediaObject(prepared.filehash);
  const mediaType = MediaTypes.msgToMediaType({ type: prepared.type, isGif: prepared.isGif, isNewsletter: false });
  if (isPtt && prepared.type === "ptt") {
    const known = mediaObject.contentInfo && mediaObject.contentInfo.waveform;
    prepared.waveform = known || (await waveformOf(file).catch(() => undefined));
  }
  if (!(prepared.mediaBlob instanceof OpaqueData)) {
    prepared.mediaBlob = await OpaqueData.createFromData(prepared.mediaBlob, prepared.mediaBlob.type);
  }
  prepared.renderableUrl = prepared.mediaBlob.url();
  mediaObject.consolidate(prepared.toJSON());
  prepared.mediaBlob.autorelease();
  const DataUtils = maybe("WAWebMediaDataUtils");
  const cache = maybe("WAWebMediaInMemoryBlobCache", "InMemoryMediaBlobCache");
  if (DataUtils && cache && DataUtils.shouldUseMediaCache(MediaTypes.castToV4(mediaObject.type))) {
    cache.put(mediaObject.filehash, prepared.mediaBlob.formData());
  }
  const uploaded = await need("WAWebMediaMmsV4Upload").uploadMedia({ mimetype: prepared.mimetype, mediaObject, mediaType });
  const entry = uploaded && uploaded.mediaEntry;
  if (!entry) throw new Error("upload failed: media entry was not created");
  prepared.set({
    clientUrl: entry.mmsUrl,
    deprecatedMms3Url: entry.deprecatedMms3Url,
    directPath: entry.directPath,
    mediaKey: entry.mediaKey,
    mediaKeyTimestamp: entry.mediaKeyTimestamp,
    filehash: mediaObject.filehash,
    encFilehash: entry.encFilehash,
    uploadhash: entry.uploadHash,
    size: mediaObject.size,
    streamingSidecar: entry.sidecar,
    firstFrameSidecar: entry.firstFrameSidecar,
    mediaHandle: null,
  });
  return prepared;
};

// A sticker (WebP) goes through the upload manager directly, as whatsapp-web.js sends one.
const prepareSticker = async (file) => {
  const digest = async (buffer) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", buffer))));
  const buffer = await file.arrayBuffer();
  const filehash = await digest(buffer);
  const mediaKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const qpl = need("WAWebStartMediaUploadQpl").startMediaUploadQpl({ entryPoint: "MediaUpload" });
  const uploaded = await need("WAWebUploadManager").encryptAndUpload({
    blob: file, type: "sticker", signal: new AbortController().signal, mediaKey, uploadQpl: qpl,
  });
  return {
    ...uploaded, clientUrl: uploaded.url, deprecatedMms3Url: uploaded.url, uploadhash: uploaded.encFilehash,
    size: file.size, type: "sticker", filehash, mediaKey, mimetype: "image/webp",
  };
};

// Can this browser send video? WhatsApp Web prepares a video by decoding it, and Debian's
// Chromium has no H.264 (nor has Chromium without proprietary codecs).
const canSendVideo = () => {
  const probe = document.createElement("video");
  return Boolean(probe.canPlayType && probe.canPlayType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"'));
};

// Send a file: {chat, to, id, data (base64), mimetype, filename, caption, type, seen, typing}.
const sendMedia = async ({ data, mimetype, filename, caption, type, ...target }) => {
  const file = base64ToFile(data, mimetype, filename);
  const fields = async () => {
    if (type === "sticker") return prepareSticker(file);
    const prepared = await prepareMedia(file, { isPtt: type === "ptt", asDocument: type === "document" });
    return { ...prepared, ...(prepared.toJSON ? prepared.toJSON() : {}), caption: caption || undefined };
  };
  return sendMessage(target, async () => {
    const media = await fields();
    return { ...media, body: type === "sticker" ? undefined : media.preview };
  });
};
