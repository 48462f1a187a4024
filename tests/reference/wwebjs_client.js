/*
 * The unmodified whatsapp-web.js Client against the simulator, which Chromium reaches as
 * https://web.whatsapp.com/ (the address the library hardcodes): the host resolver maps that name to
 * the simulator's port and nothing else resolves, so this browser cannot reach the real WhatsApp.
 * It answers every text message with "pong: <body>" as a reply (a quote); a media message it downloads
 * (`msg.downloadMedia()`, reporting the file's sha256) and sends back with `MessageMedia`: an image
 * with a caption, a voice note as one (`sendAudioAsVoice`), a document as one (`sendMediaAsDocument`).
 * It prints one JSON line per event on stdout for test_whatsapp_web_js.py.
 *
 *   SIMULATOR_PORT=8443 CHROMIUM_PATH=/usr/bin/chromium node wwebjs_client.js
 */
'use strict';

const crypto = require('node:crypto');
const { Client, MessageMedia, NoAuth } = require('whatsapp-web.js');

const port = Number(process.env.SIMULATOR_PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('SIMULATOR_PORT must be the simulator\'s HTTPS port');
  process.exit(2);
}

function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

function describe(error) {
  return String((error && error.stack) || error);
}

const client = new Client({
  authStrategy: new NoAuth(),
  webVersionCache: { type: 'none' }, // always the page the simulator serves, nothing written to disk
  puppeteer: {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-setuid-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      `--host-resolver-rules=MAP web.whatsapp.com 127.0.0.1:${port}, MAP * ~NOTFOUND`,
      '--ignore-certificate-errors', // the simulator's certificate is made at test time
    ],
  },
});

let watchingPage = false;
function watchPage() {
  // The page's own errors explain most failures (a module the simulator lacks throws there).
  if (watchingPage || !client.pupPage) return;
  watchingPage = true;
  client.pupPage.on('pageerror', (error) => emit('page_error', { message: describe(error) }));
  client.pupPage.on('console', (message) => {
    if (message.type() === 'error') emit('page_console_error', { text: message.text() });
  });
}

client.on('qr', (qr) => {
  watchPage();
  emit('qr', { qr });
});
client.on('authenticated', () => emit('authenticated'));
client.on('auth_failure', (message) => emit('auth_failure', { message: String(message) }));
client.on('ready', () => emit('ready', { wid: client.info && client.info.wid && client.info.wid._serialized }));
client.on('change_state', (state) => emit('change_state', { state }));
client.on('disconnected', (reason) => emit('disconnected', { reason: String(reason) }));

const sha256 = (base64) => crypto.createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');

async function echoMedia(msg) {
  const media = await msg.downloadMedia();
  if (!media) {
    emit('media_downloaded', { id: msg.id._serialized, type: msg.type, downloaded: false });
    return;
  }
  emit('media_downloaded', {
    id: msg.id._serialized, type: msg.type, downloaded: true, sha256: sha256(media.data),
    mimetype: media.mimetype, filename: media.filename, filesize: media.filesize,
  });
  const options = msg.type === 'ptt' ? { sendAudioAsVoice: true }
    : msg.type === 'document' ? { sendMediaAsDocument: true } : { caption: `echo: ${msg.body}` };
  const sent = await client.sendMessage(msg.from, new MessageMedia(media.mimetype, media.data, media.filename), options);
  emit('media_sent', {
    id: sent && sent.id._serialized, to: sent && sent.to, type: sent && sent.type, hasMedia: Boolean(sent && sent.hasMedia),
    body: sent && sent.body,
  });
}

client.on('message', async (msg) => {
  emit('message', { id: msg.id._serialized, from: msg.from, to: msg.to, body: msg.body, type: msg.type, hasMedia: msg.hasMedia });
  if (msg.hasMedia) {
    await echoMedia(msg).catch((error) => emit('error', { where: 'media', message: describe(error) }));
    return;
  }
  try {
    const reply = await msg.reply(`pong: ${msg.body}`);
    emit('replied', {
      id: reply && reply.id._serialized,
      to: reply && reply.to,
      body: reply && reply.body,
      hasQuotedMsg: Boolean(reply && reply.hasQuotedMsg),
    });
  } catch (error) {
    emit('error', { where: 'reply', message: describe(error) });
  }
});

process.on('unhandledRejection', (error) => emit('error', { where: 'unhandledRejection', message: describe(error) }));

async function shutdown() {
  await client.destroy().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

client.initialize().catch(async (error) => {
  emit('error', { where: 'initialize', message: describe(error) });
  await client.destroy().catch(() => undefined);
  process.exit(1);
});
