/*
 * The page's WebSocket to the (simulated) WhatsApp server: JSON frames, one at a time in order,
 * reconnecting after a loss (reconnectMs, doubling up to 4x while it keeps failing) unless stopped
 * (conflict, logout).
 */
__d('__sim/transport', (load) => {
  'use strict';
  const runtime = load('__sim/runtime');

  class Transport {
    constructor({ onOpen, onFrame, onClose }) {
      this.handlers = { onOpen, onFrame, onClose };
      this.socket = null;
      this.stopped = false;
      this.failures = 0;
      this.timer = null;
      this.queue = Promise.resolve();
    }

    get isOpen() {
      return Boolean(this.socket) && this.socket.readyState === WebSocket.OPEN;
    }

    connect() {
      clearTimeout(this.timer);
      this.stopped = false;
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const socket = new WebSocket(`${scheme}://${location.host}${runtime.boot.socketPath}`);
      this.socket = socket;
      socket.onopen = () => this.handlers.onOpen();
      socket.onmessage = (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        // Frames are handled strictly in order, each after the previous one finished (storage included).
        this.queue = this.queue
          .then(() => (this.socket === socket ? this.handlers.onFrame(frame) : undefined))
          .catch((error) => console.error('frame handling failed', frame.t, error));
      };
      socket.onclose = (event) => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.queue.then(() => this.handlers.onClose(event));
        if (!this.stopped) this.scheduleReconnect();
      };
    }

    scheduleReconnect() {
      const base = runtime.boot.reconnectMs;
      const delay = Math.min(base * 2 ** this.failures, base * 4);
      this.failures += 1;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        if (!this.stopped) this.connect();
      }, delay);
    }

    connected() {
      this.failures = 0;
    }

    send(frame) {
      if (!this.isOpen) return false;
      this.socket.send(JSON.stringify(frame));
      return true;
    }

    /** Close for good (until connect() is called again). */
    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      const socket = this.socket;
      this.socket = null;
      if (socket) socket.close();
    }
  }

  return { Transport };
});
