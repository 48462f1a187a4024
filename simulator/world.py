"""The simulated WhatsApp network's state, shared by linking and traffic: one per server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.accounts import AccountBook, LinkedDevice
from simulator.config import SimulatorConfig
from simulator.faults import Faults
from simulator.media import MediaStore
from simulator.message_log import MessageLog

if TYPE_CHECKING:
    from simulator.page_session import PageSession


class Timers:
    """Delayed callbacks (acks, reads) that a reset cancels."""

    def __init__(self) -> None:
        self._handles: set[asyncio.TimerHandle] = set()

    def later(self, delay_ms: int, callback: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()

        def run() -> None:
            self._handles.discard(handle)
            callback()

        handle = loop.call_later(max(delay_ms, 0) / 1000, run)
        self._handles.add(handle)

    def cancel_all(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()


@dataclass
class World:
    config: SimulatorConfig
    accounts: AccountBook = field(default_factory=AccountBook)
    log: MessageLog = field(default_factory=MessageLog)
    faults: Faults = field(default_factory=Faults)
    sessions: set[PageSession] = field(default_factory=set)
    presence: dict[tuple[str, str], dict] = field(default_factory=dict)
    """(customer, linked phone) → the linked phone's last chat state towards that customer."""
    timers: Timers = field(default_factory=Timers)
    media: MediaStore = field(default_factory=MediaStore)
    """The CDN: encrypted media blobs, customers' uploads and linked devices' alike."""

    def sessions_of(self, device: LinkedDevice) -> list[PageSession]:
        return [s for s in self.sessions if s.device is device and not s.closed]

    def sessions_of_phone(self, phone: str) -> list[PageSession]:
        return [s for s in self.sessions if s.device is not None and s.device.phone == phone and not s.closed]

    def push(self, device: LinkedDevice, frame: dict) -> None:
        """Queue a frame for a device; its online page (if any) gets it now, else on reconnect."""
        device.outbox.push(frame)
        for session in self.sessions_of(device):
            session.wake()
