/*
 * What a person (or a DOM-reading driver) sees: the login QR in `div[data-ref]` (the attribute holds
 * the whole QR string, a canvas draws it), a reload button inside it once refs ran out
 * (`div[data-ref] > span > button`), a pairing code when one was requested, and the logged-in intro
 * (`[data-asset-intro-image-light="true"]`).
 */
__d('__sim/login_view', (load) => {
  'use strict';
  const runtime = load('__sim/runtime');
  const { Socket, Conn, hooks } = load('__sim/models');
  const { encodeB64 } = load('__sim/wid');
  const app = document.getElementById('app');
  let pairingCode = null;
  let awaitingPasskey = false;

  function qrString(ref) {
    const reg = runtime.registration;
    const platform = load('__sim/session').DEVICE_PLATFORM;
    return [ref, encodeB64(reg.noise.pubKey), encodeB64(reg.identity.pubKey), encodeB64(reg.advSecret), platform].join(',');
  }

  function drawQr(canvas, text) {
    const image = new Image();
    image.onload = () => {
      const context = canvas.getContext('2d');
      context.imageSmoothingEnabled = false;
      context.fillStyle = '#fff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
    };
    image.src = `/qr.png?text=${encodeURIComponent(text)}`;
  }

  function landing() {
    const root = document.createElement('div');
    root.className = 'landing';
    root.innerHTML = '<h1>Use WhatsApp on your computer</h1><p class="state"></p>';
    const container = document.createElement('div');
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 264;
    canvas.setAttribute('aria-label', 'Scan this QR code to link a device!');
    container.appendChild(canvas);
    const text = qrString(Conn.ref);
    container.setAttribute('data-ref', text);
    drawQr(canvas, text);
    if (Socket.state === 'UNPAIRED_IDLE') {
      container.className = 'idle';
      const span = document.createElement('span');
      const button = document.createElement('button');
      button.textContent = 'Click to reload QR code';
      button.addEventListener('click', () => hooks.refreshQR());
      span.appendChild(button);
      container.appendChild(span);
    }
    root.appendChild(container);
    if (pairingCode) {
      const code = document.createElement('div');
      code.className = 'pairing-code';
      code.setAttribute('data-pairing-code', pairingCode);
      code.textContent = `${pairingCode.slice(0, 4)}-${pairingCode.slice(4)}`;
      root.appendChild(code);
    }
    return root;
  }

  function intro() {
    const root = document.createElement('div');
    root.className = 'intro';
    root.setAttribute('data-asset-intro-image-light', 'true');
    const me = runtime.me;
    root.innerHTML = '<h1>WhatsApp</h1><p class="me"></p><p class="state"></p>';
    root.querySelector('.me').textContent = me ? `${me.push_name} (+${me.phone})` : '';
    return root;
  }

  function passkeyScreen() {
    const root = document.createElement('div');
    root.className = 'landing';
    root.setAttribute('data-testid', 'shortcake_passkey_screen');
    root.innerHTML =
      '<h1>Continue on your phone</h1><p>Confirm this device with your passkey on WhatsApp on your phone.</p>';
    return root;
  }

  function render() {
    const state = Socket.state;
    let view;
    if (awaitingPasskey && !runtime.me) view = passkeyScreen();
    else if (runtime.me && state !== 'UNPAIRED' && state !== 'UNPAIRED_IDLE') view = intro();
    else if (Conn.ref && (state === 'UNPAIRED' || state === 'UNPAIRED_IDLE')) view = landing();
    else {
      view = document.createElement('progress');
      view.max = 100;
      view.value = 40;
    }
    const stateLine = view.querySelector && view.querySelector('.state');
    if (stateLine) stateLine.textContent = state;
    app.replaceChildren(view);
  }

  function mount() {
    hooks.showPasskey = () => {
      awaitingPasskey = true;
      render();
    };
    hooks.showPairingCode = (code) => {
      pairingCode = code;
      render();
    };
    Socket.on('change:state', render);
    Conn.on('change:ref', render);
  }

  return { mount };
});
