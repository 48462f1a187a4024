"""One page's WebSocket to the simulated server: JSON frames both ways (see README, "Wire protocol")."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from simulator.accounts import LinkedDevice

log = logging.getLogger("simulator.page")

CLOSE_REPLACED = 4001
CLOSE_DROPPED = 4008
CLOSE_RESET = 4012

_numbers = itertools.count(1)


class PageSession:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.number = next(_numbers)
        self.registration: tuple[str, str, str, str] | None = None
        """(noise key, identity key, ADV secret, platform), base64, as the page announced them."""
        self.device: LinkedDevice | None = None
        self.current_ref: str | None = None
        self.refs_task: asyncio.Task | None = None
        self.closed = False
        self._sent_seq = 0
        self._wake = asyncio.Event()
        self._writer: asyncio.Task | None = None
        self._send_lock = asyncio.Lock()

    @property
    def waiting(self) -> bool:
        """Showing a login QR (or pairing code): announced itself, not linked, still connected."""
        return self.registration is not None and self.device is None and not self.closed

    async def receive_frames(self, handle: Callable[[PageSession, dict], Awaitable[None]]) -> None:
        try:
            while True:
                text = await self.websocket.receive_text()
                try:
                    frame = json.loads(text)
                except json.JSONDecodeError:
                    log.warning("page %s sent a frame that is not JSON", self.number)
                    continue
                if isinstance(frame, dict):
                    await handle(self, frame)
        except WebSocketDisconnect:
            pass
        finally:
            self._mark_closed()

    async def send(self, frame: dict) -> None:
        if self.closed:
            return
        async with self._send_lock:
            try:
                await self.websocket.send_text(json.dumps(frame))
            except (RuntimeError, WebSocketDisconnect, OSError):
                self._mark_closed()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._mark_closed()
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await self.websocket.close(code, reason)

    def follow_outbox(self, device: LinkedDevice, delay_ms: Callable[[], int]) -> None:
        """Deliver the device's pending frames (from its last confirmation on), and new ones as they come."""
        self.device = device
        self._sent_seq = device.outbox.confirmed_seq
        if self._writer:
            self._writer.cancel()
        self._writer = asyncio.create_task(self._write_outbox(device, delay_ms))

    def wake(self) -> None:
        self._wake.set()

    def stop_refs(self) -> None:
        if self.refs_task and self.refs_task is not asyncio.current_task():
            self.refs_task.cancel()
        self.refs_task = None

    async def _write_outbox(self, device: LinkedDevice, delay_ms: Callable[[], int]) -> None:
        while not self.closed and self.device is device:
            self._wake.clear()
            for frame in device.outbox.after(self._sent_seq):
                delay = delay_ms()
                if delay > 0:
                    await asyncio.sleep(delay / 1000)
                if self.closed or self.device is not device:
                    return
                await self.send(frame)
                self._sent_seq = frame["seq"]
            await self._wake.wait()

    def _mark_closed(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.stop_refs()
        if self._writer and self._writer is not asyncio.current_task():
            self._writer.cancel()
        self._wake.set()
