"""Media both ways, with real bytes: a customer's files reach the page as WhatsApp Web's media messages
(downloaded and decrypted as whatsapp-web.js 1.34.7 does it), the page's files reach the customer
(prepared, encrypted and uploaded through the modules whatsapp-web.js's processMediaData uses)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from simulator.testing import SimulatorControlError, media_payload
from tests.simulator import media_samples

PHONE = "15550007001"
CUSTOMER = "4915100007001"
OTHER_CUSTOMER = "4915100007002"

# Message.js downloadMedia() of whatsapp-web.js 1.34.7, as it evaluates it in the page (its
# WWebJS.arrayBufferToBase64Async inlined).
DOWNLOAD_JS = """
async (msgId) => {
  const msg = window.require('WAWebCollections').Msg.get(msgId)
    || (await window.require('WAWebCollections').Msg.getMessagesById([msgId]))?.messages?.[0];
  if (!msg || !msg.mediaData || msg.mediaData.mediaStage === 'REUPLOADING') return null;
  if (msg.mediaData.mediaStage != 'RESOLVED') {
    await msg.downloadMedia({ downloadEvenIfExpensive: true, rmrReason: 1 });
  }
  if (msg.mediaData.mediaStage.includes('ERROR') || msg.mediaData.mediaStage === 'FETCHING') {
    return undefined;
  }
  try {
    const mockQpl = { addAnnotations() { return this; }, addPoint() { return this; } };
    const { downloadManager } = window.require('WAWebDownloadManager');
    const decryptedMedia = await downloadManager.downloadAndMaybeDecrypt({
      directPath: msg.directPath, encFilehash: msg.encFilehash, filehash: msg.filehash,
      mediaKey: msg.mediaKey, mediaKeyTimestamp: msg.mediaKeyTimestamp, type: msg.type,
      signal: new AbortController().signal,
      downloadQpl: mockQpl,
    });
    const data = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result.split(',')[1]);
      reader.onerror = reject;
      reader.readAsDataURL(new Blob([decryptedMedia], { type: 'application/octet-stream' }));
    });
    return { data, mimetype: msg.mimetype, filename: msg.filename, filesize: msg.size };
  } catch (e) {
    if (e.status && e.status === 404) return undefined;
    throw e;
  }
}
"""

MESSAGE_JS = """
(msgId) => {
  const msg = window.require('WAWebCollections').Msg.get(msgId);
  const data = msg.serialize();
  return {
    type: data.type, body: data.body, caption: data.caption, mimetype: data.mimetype, size: data.size,
    filehash: data.filehash, encFilehash: data.encFilehash, mediaKey: data.mediaKey,
    mediaKeyTimestamp: data.mediaKeyTimestamp, directPath: data.directPath, filename: data.filename,
    duration: data.duration, isViewOnce: data.isViewOnce, lat: data.lat, lng: data.lng, loc: data.loc,
    vcardFormattedName: data.vcardFormattedName, mediaStage: msg.mediaData ? msg.mediaData.mediaStage : null,
  };
}
"""

INBOUND = [
    ("image", media_samples.png(), "image/png", None),
    ("sticker", media_samples.webp(), "image/webp", None),
    ("ptt", media_samples.wav(), "audio/wav", None),
    ("audio", media_samples.wav(1.0), "audio/wav", None),
    ("video", media_samples.mp4_bytes(), "video/mp4", None),
    ("document", media_samples.pdf(), "application/pdf", "invoice 42.pdf"),
]


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


async def linked_page(open_page, control):
    page = await open_page()
    await page.link(control, PHONE, name="Shop")
    return page


async def receive(page, control, sender: str, count: int, text: str | None = None, **options) -> str:
    message_id = await control.send_message(sender, PHONE, text, name="Maria", **options)
    await page.wait_event("add", count=count)
    return f"false_{sender}@c.us_{message_id}"


async def test_every_inbound_media_type_downloads_as_whatsapp_web_js_reads_it(open_page, control) -> None:
    page = await linked_page(open_page, control)
    for count, (kind, data, mime, filename) in enumerate(INBOUND, start=1):
        caption = None if kind in ("ptt", "audio", "sticker") else f"a {kind}"
        key = await receive(page, control, CUSTOMER, count, type=kind, caption=caption,
                            media=media_payload(data, mime, filename))  # fmt: skip
        msg = await page.js(MESSAGE_JS, key)
        assert (msg["type"], msg["mimetype"], msg["size"], msg["caption"]) == (kind, mime, len(data), caption)
        assert msg["filehash"] == b64_sha256(data) and msg["directPath"].startswith("/v/t62.")
        assert len(base64.b64decode(msg["mediaKey"])) == 32 and msg["encFilehash"]
        assert msg["isViewOnce"] is False and msg["mediaStage"] == "INIT"
        assert msg["filename"] == filename
        assert (msg["duration"] is not None) == (kind in ("ptt", "audio", "video"))
        if kind in ("image", "sticker", "video", "document"):
            assert base64.b64decode(msg["body"])[:2] == b"\xff\xd8", kind  # a JPEG thumbnail
        downloaded = await page.js(DOWNLOAD_JS, key)
        assert downloaded is not None, kind
        assert base64.b64decode(downloaded["data"]) == data, kind
        assert (downloaded["mimetype"], downloaded["filename"], downloaded["filesize"]) == (
            mime,
            filename,
            len(data),
        )
        assert (await page.js(MESSAGE_JS, key))["mediaStage"] == "RESOLVED"
    received = {m["type"]: m for m in await control.received(PHONE)}
    assert received["document"]["media"] == {
        "mime": "application/pdf", "filename": "invoice 42.pdf", "size": len(media_samples.pdf()),
        "sha256": media_samples.sha256(media_samples.pdf()),
    }  # fmt: skip
    assert received["image"]["caption"] == "a image" and received["ptt"]["media"]["mime"] == "audio/wav"
    assert await control.media(received["image"]["id"]) == media_samples.png()
    assert not page.errors


async def test_a_location_and_a_contact_card_arrive_as_whatsapp_web_js_reads_them(open_page, control) -> None:
    page = await linked_page(open_page, control)
    location = {"latitude": 52.52, "longitude": 13.405, "name": "Shop", "address": "Main St 1, Berlin"}
    key = await receive(page, control, CUSTOMER, 1, type="location", location=location)
    msg = await page.js(MESSAGE_JS, key)
    assert (msg["type"], msg["lat"], msg["lng"], msg["loc"]) == (
        "location",
        52.52,
        13.405,
        "Shop\nMain St 1, Berlin",
    )
    assert msg["directPath"] is None and msg["mediaStage"] is None  # not media: nothing to download
    vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Ana Lima\nTEL;type=CELL:+5511999990000\nEND:VCARD"
    key = await receive(page, control, CUSTOMER, 2, type="vcard", vcard=vcard)
    msg = await page.js(MESSAGE_JS, key)
    assert (msg["type"], msg["body"], msg["vcardFormattedName"]) == ("vcard", vcard, "Ana Lima")
    (loc, card) = await control.received(PHONE)
    assert (loc["type"], loc["media"], card["type"]) == ("location", None, "vcard")


async def test_expired_media_is_not_downloadable_until_the_phone_reuploads_it(open_page, control) -> None:
    page = await linked_page(open_page, control)
    data = media_samples.png()
    key = await receive(page, control, CUSTOMER, 1, type="image", media=media_payload(data, "image/png"))
    other = await receive(
        page, control, OTHER_CUSTOMER, 2, type="image", media=media_payload(data, "image/png")
    )
    faults = await control.fail_media("expired", CUSTOMER)
    assert faults["media"] == {"mode": "expired", "numbers": [CUSTOMER]}
    assert await page.js(DOWNLOAD_JS, key) is None  # whatsapp-web.js: undefined (its 404 branch)
    assert (await page.js(MESSAGE_JS, key))["mediaStage"] == "REUPLOADING"
    assert await page.js(DOWNLOAD_JS, key) is None  # REUPLOADING: null, nothing fetched
    assert base64.b64decode((await page.js(DOWNLOAD_JS, other))["data"]) == data  # another customer's
    await control.clear_faults()
    await page.page.wait_for_function(
        "(id) => window.require('WAWebCollections').Msg.get(id).mediaData.mediaStage === 'RESOLVED'", arg=key
    )
    assert base64.b64decode((await page.js(DOWNLOAD_JS, key))["data"]) == data


async def test_a_cdn_error_leaves_media_in_an_error_stage(open_page, control) -> None:
    page = await linked_page(open_page, control)
    data = media_samples.pdf()
    key = await receive(page, control, CUSTOMER, 1, type="document",
                        media=media_payload(data, "application/pdf", "a.pdf"))  # fmt: skip
    await control.fail_media("error")
    assert await page.js(DOWNLOAD_JS, key) is None
    assert (await page.js(MESSAGE_JS, key))["mediaStage"].startswith("ERROR")
    await control.fail_media("none")
    assert base64.b64decode((await page.js(DOWNLOAD_JS, key))["data"]) == data


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"type": "image"}, "invalid_media"),
        ({"type": "image", "media": {"data_b64": "not base64!", "mime": "image/png"}}, "invalid_media"),
        ({"type": "image", "media": {"data_b64": "AAAA"}}, "invalid_media"),
        ({"type": "sticker", "media": {"data_b64": "AAAA", "mime": "image/png"}}, "invalid_media"),
        ({"type": "chat", "text": "hi", "media": {"data_b64": "AAAA", "mime": "image/png"}}, "invalid_media"),
        ({"type": "location", "location": {"latitude": 200, "longitude": 0}}, "invalid_location"),
        ({"type": "location"}, "invalid_location"),
        ({"type": "vcard", "vcard": "Ana Lima"}, "invalid_vcard"),
    ],
)
async def test_bad_media_input_is_refused(open_page, control, options: dict, code: str) -> None:
    page = await linked_page(open_page, control)
    text = options.pop("text", None)
    with pytest.raises(SimulatorControlError) as refused:
        await control.send_message(CUSTOMER, PHONE, text, **options)
    assert (refused.value.status, refused.value.code) == (400, code)
    assert not await page.events("add")


async def test_bad_media_fault_input_is_refused(control) -> None:
    with pytest.raises(SimulatorControlError) as refused:
        await control.fail_media("slow")
    assert (refused.value.status, refused.value.code) == (400, "invalid_media_fault")
    with pytest.raises(SimulatorControlError) as unknown:
        await control.media("3A0000")
    assert unknown.value.status == 404


# whatsapp-web.js 1.34.7's media send, as Injected/Utils.js does it (mediaInfoToFile, processMediaData,
# processStickerData, then sendMessage's message for a 1:1 chat), condensed but call for call.
SEND_MEDIA_JS = """
async ([to, mediaInfo, options]) => {
  const toFile = ({ data, mimetype, filename }) => {
    const binary = atob(data);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const blob = new Blob([bytes], { type: mimetype });
    return new File([blob], filename, { type: mimetype, lastModified: Date.now() });
  };
  const fileHash = async (file) => btoa(String.fromCharCode(
    ...new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))));
  async function processStickerData(mediaInfo) {
    if (mediaInfo.mimetype !== 'image/webp') throw new Error('Invalid media type');
    const file = toFile(mediaInfo);
    const filehash = await fileHash(file);
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const mediaKey = Array.from({ length: 32 }, () => letters[Math.floor(Math.random() * 62)]).join('');
    const uploadedInfo = await window.require('WAWebUploadManager').encryptAndUpload({
      blob: file, type: 'sticker', signal: new AbortController().signal, mediaKey,
      uploadQpl: window.require('WAWebStartMediaUploadQpl')
        .startMediaUploadQpl({ entryPoint: 'MediaUpload' }),
    });
    return { ...uploadedInfo, clientUrl: uploadedInfo.url, deprecatedMms3Url: uploadedInfo.url,
      uploadhash: uploadedInfo.encFilehash, size: file.size, type: 'sticker', filehash };
  }
  async function processMediaData(mediaInfo, { forceSticker, forceGif, forceVoice, forceDocument }) {
    const file = toFile(mediaInfo);
    const OpaqueData = window.require('WAWebMediaOpaqueData');
    const opaqueData = await OpaqueData.createFromData(file, mediaInfo.mimetype);
    const mediaParams = {
      asSticker: forceSticker, asGif: forceGif, isPtt: forceVoice, asDocument: forceDocument };
    const mediaPrep = window.require('WAWebPrepRawMedia').prepRawMedia(opaqueData, mediaParams);
    const mediaData = await mediaPrep.waitForPrep();
    const mediaObject = window.require('WAWebMediaStorage').getOrCreateMediaObject(mediaData.filehash);
    const mediaType = window.require('WAWebMmsMediaTypes').msgToMediaType({
      type: mediaData.type, isGif: mediaData.isGif, isNewsletter: false });
    if (!mediaData.filehash) throw new Error('media-fault: sendToChat filehash undefined');
    if (forceVoice && mediaData.type === 'ptt') {
      mediaData.waveform = mediaObject.contentInfo.waveform;  // (the library's generateWaveform if unset)
      window.__waveform = Array.from(mediaData.waveform || []);
    }
    if (!(mediaData.mediaBlob instanceof OpaqueData)) {
      mediaData.mediaBlob = await OpaqueData.createFromData(mediaData.mediaBlob, mediaData.mediaBlob.type);
    }
    mediaData.renderableUrl = mediaData.mediaBlob.url();
    mediaObject.consolidate(mediaData.toJSON());
    mediaData.mediaBlob.autorelease();
    const useCache = window.require('WAWebMediaDataUtils').shouldUseMediaCache(
      window.require('WAWebMmsMediaTypes').castToV4(mediaObject.type));
    if (useCache && mediaData.mediaBlob instanceof OpaqueData) {
      window.require('WAWebMediaInMemoryBlobCache').InMemoryMediaBlobCache.put(
        mediaObject.filehash, mediaData.mediaBlob.formData());
    }
    const { uploadMedia } = window.require('WAWebMediaMmsV4Upload');
    const uploadedMedia = await uploadMedia({ mimetype: mediaData.mimetype, mediaObject, mediaType });
    const mediaEntry = uploadedMedia.mediaEntry;
    if (!mediaEntry) throw new Error('upload failed: media entry was not created');
    mediaData.set({
      clientUrl: mediaEntry.mmsUrl, deprecatedMms3Url: mediaEntry.deprecatedMms3Url,
      directPath: mediaEntry.directPath, mediaKey: mediaEntry.mediaKey,
      mediaKeyTimestamp: mediaEntry.mediaKeyTimestamp, filehash: mediaObject.filehash,
      encFilehash: mediaEntry.encFilehash, uploadhash: mediaEntry.uploadHash, size: mediaObject.size,
      streamingSidecar: mediaEntry.sidecar, firstFrameSidecar: mediaEntry.firstFrameSidecar,
      mediaHandle: null,
    });
    return mediaData;
  }

  const chatWid = window.require('WAWebWidFactory').createWid(to + '@c.us');
  await window.require('WAWebQueryExistsJob').queryWidExists(chatWid);
  const { chat } = await window.require('WAWebFindChatAction').findOrCreateLatestChat(chatWid);
  const mediaOptions = options.sendMediaAsSticker
    ? await processStickerData(mediaInfo)
    : await processMediaData(mediaInfo, { forceVoice: options.sendAudioAsVoice,
        forceDocument: options.sendMediaAsDocument });
  mediaOptions.caption = options.caption;
  const content = options.sendMediaAsSticker ? undefined : mediaOptions.preview;
  mediaOptions.isViewOnce = undefined;
  const me = window.require('WAWebUserPrefsMeUser');
  const from = chat.id.isLid() ? me.getMaybeMeLidUser() : me.getMaybeMePnUser();
  const MsgKey = window.require('WAWebMsgKey');
  const id = new MsgKey({
    from, to: chat.id, id: await MsgKey.newId(), participant: undefined, selfDir: 'out' });
  const message = {
    id, ack: 0, body: content, from, to: chat.id, local: true, self: 'out', t: Math.floor(Date.now() / 1000),
    isNewMsg: true, type: 'chat',
    ...window.require('WAWebGetEphemeralFieldsMsgActionsUtils').getEphemeralFields(chat),
    ...mediaOptions, ...(mediaOptions.toJSON ? mediaOptions.toJSON() : {}),
  };
  const [added] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, message);
  const msg = await added;
  return { id: msg.id.id, type: msg.type, caption: msg.caption, filename: msg.filename,
    mediaStage: msg.mediaData.mediaStage };
}
"""

OUTBOUND = [
    # (what, bytes, mimetype, filename, options, the type the customer gets)
    ("image", media_samples.png(), "image/png", "photo.png", {"caption": "your order"}, "image"),
    ("voice", media_samples.wav(), "audio/wav", "voice.wav", {"sendAudioAsVoice": True}, "ptt"),
    (
        "document",
        media_samples.pdf(),
        "application/pdf",
        "invoice.pdf",
        {"sendMediaAsDocument": True},
        "document",
    ),
    ("sticker", media_samples.webp(), "image/webp", "s.webp", {"sendMediaAsSticker": True}, "sticker"),
]


@pytest.mark.parametrize(
    ("what", "data", "mime", "filename", "options", "kind"), OUTBOUND, ids=[o[0] for o in OUTBOUND]
)
async def test_the_page_sends_media_the_customer_receives_byte_for_byte(
    open_page, control, what, data, mime, filename, options, kind
) -> None:
    page = await linked_page(open_page, control)
    media_info = {"data": base64.b64encode(data).decode(), "mimetype": mime, "filename": filename}
    sent = await page.js(SEND_MEDIA_JS, [CUSTOMER, media_info, options])
    assert (sent["type"], sent["caption"], sent["mediaStage"]) == (kind, options.get("caption"), "RESOLVED")
    await page.wait_event("ack", count=1)
    (received,) = await control.received(CUSTOMER)
    assert (received["id"], received["type"], received["caption"]) == (
        sent["id"],
        kind,
        options.get("caption"),
    )
    assert received["from"] == PHONE and received["ack"] >= 1
    expected_mime = "image/webp" if kind == "sticker" else mime
    assert received["media"] == {
        "mime": expected_mime, "filename": filename if kind == "document" else None, "size": len(data),
        "sha256": media_samples.sha256(data),
    }  # fmt: skip
    assert await control.media(received["id"]) == data
    if kind == "ptt":
        assert (
            len(await page.js("window.__waveform")) == 64
        )  # decoded in this Chromium: no AudioContext needed
    assert not page.errors
