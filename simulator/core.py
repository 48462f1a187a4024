"""The simulator: one simulated WhatsApp network (linking + traffic) and the pages connected to it."""

from __future__ import annotations

import logging

from starlette.websockets import WebSocket

from simulator.config import SimulatorConfig
from simulator.errors import InvalidRequest, SimulatorError
from simulator.faults import Faults
from simulator.linking import Linking
from simulator.page_session import CLOSE_DROPPED, CLOSE_RESET, PageSession
from simulator.traffic import Traffic
from simulator.world import World

log = logging.getLogger("simulator")


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.startup_config = config or SimulatorConfig()
        self.world = World(self.startup_config)
        self.linking = Linking(self.world)
        self.traffic = Traffic(self.world)
        self._frame_handlers = {
            "hello": self.linking.on_hello,
            "refresh_qr": self.linking.on_refresh_qr,
            "logout": self.linking.on_device_logout,
            "send": self.traffic.on_device_send,
            "receipt": self.traffic.on_receipt,
            "seen": self.traffic.on_seen,
            "chatstate": self.traffic.on_chat_state,
            "iq": self._on_iq,
        }

    @property
    def config(self) -> SimulatorConfig:
        return self.world.config

    @property
    def faults(self) -> Faults:
        return self.world.faults

    async def serve_page(self, websocket: WebSocket) -> None:
        """Run one page's socket until it closes."""
        await websocket.accept()
        session = PageSession(websocket)
        if self.faults.is_dropped(None):
            await session.close(CLOSE_DROPPED, "network dropped")
            return
        self.world.sessions.add(session)
        try:
            await session.receive_frames(self._handle_frame)
        finally:
            self.linking.forget(session)
            self.world.sessions.discard(session)

    def configure(self, values: object) -> SimulatorConfig:
        if not isinstance(values, dict):
            raise InvalidRequest("invalid_config", "the body must be a JSON object of settings")
        try:
            self.world.config = self.config.updated(values)
        except ValueError as exc:
            raise InvalidRequest("invalid_config", str(exc)) from exc
        return self.world.config

    async def reset(self) -> None:
        """Forget everything: devices, messages, faults, runtime config; close every page's socket."""
        sessions = list(self.world.sessions)
        self.world.timers.cancel_all()
        self.linking.reset()
        self.world.sessions.clear()
        fresh = World(self.startup_config)
        for name in ("accounts", "log", "faults", "presence", "config", "media"):
            setattr(self.world, name, getattr(fresh, name))
        for session in sessions:
            session.device = None
            await session.close(CLOSE_RESET, "simulator reset")

    def page_boot(self) -> dict:
        """What the page learns when it loads (timings and module faults at that moment)."""
        return {
            "version": self.config.wa_version,
            "reconnectMs": self.config.reconnect_ms,
            "syncMs": self.config.sync_ms,
            "build": self.config.wa_build,
            "lateModulesMs": self.config.late_modules_ms,
            **self.faults.page_view(),
        }

    async def _handle_frame(self, session: PageSession, frame: dict) -> None:
        handler = self._frame_handlers.get(str(frame.get("t")))
        if handler is None:
            log.warning("page %s sent an unknown frame type %r", session.number, frame.get("t"))
            return
        await handler(session, frame)

    async def _on_iq(self, session: PageSession, frame: dict) -> None:
        """Request/response frames: `{"t": "iq", "id": n, "q": "alt_link" | "exists", ...}`."""
        query, iq_id = frame.get("q"), frame.get("id")
        try:
            if query == "alt_link":
                result = {"code": self.linking.start_alt_linking(session, frame.get("phone"))}
            elif query == "exists":
                result = self.traffic.lookup(frame.get("wid") or frame.get("user"))
            else:
                raise InvalidRequest("unknown_query", f"unknown iq {query!r}")
        except SimulatorError as exc:
            await session.send({"t": "iq_error", "id": iq_id, "error": exc.to_json()["error"]})
            return
        await session.send({"t": "iq_result", "id": iq_id, **result})
