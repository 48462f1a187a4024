"""Linking devices: login refs rotating on waiting pages, QR scans, pairing codes, unlinking, conflicts.

A page without credentials announces its registration keys and gets refs, one at a time, from the
server: the first lives `ref_first_ms`, the next ones `ref_next_ms`, `ref_count` in all; then
`refs_exhausted` (the page goes UNPAIRED_IDLE) until it asks again (`Cmd.refreshQR()`).
A page with credentials is authenticated and attached to its device; the newest page of a device
wins and the older one gets `conflict` (as WhatsApp's "replaced" stream error).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from simulator.accounts import LinkedDevice
from simulator.codes import new_login_ref, new_pairing_code, normalize_pairing_code, normalize_phone
from simulator.errors import InvalidRequest, NotFound, Rejected
from simulator.faults import ALL_PHONES
from simulator.page_session import CLOSE_DROPPED, CLOSE_REPLACED, PageSession
from simulator.qr import parse_login_qr
from simulator.world import World

PHONE_PLATFORMS = ("android", "iphone", "smba", "smbi")


@dataclass
class PendingPairingCode:
    session: PageSession
    phone: str
    expires_at: float


class Linking:
    def __init__(self, world: World) -> None:
        self.world = world
        self._refs: dict[str, PageSession] = {}
        self._codes: dict[str, PendingPairingCode] = {}
        self._passkeys: dict[str, tuple[PageSession, object, object]] = {}

    # --- frames from pages -------------------------------------------------------------------

    async def on_hello(self, session: PageSession, frame: dict) -> None:
        session.registration = _registration(frame.get("reg"))
        credentials = frame.get("creds")
        if credentials:
            device = self.world.accounts.authenticate(credentials)
            if device is None:
                await session.send({"t": "logged_out", "reason": "unknown_device"})
                return
            if self.world.faults.is_dropped(device.phone):
                await session.close(CLOSE_DROPPED, "network dropped")
                return
            await self.attach(session, device)
            return
        if self.world.faults.is_dropped(None):
            await session.close(CLOSE_DROPPED, "network dropped")
            return
        if session.registration is None:
            await session.send({"t": "error", "reason": "hello without credentials needs reg keys"})
            return
        self.start_refs(session)

    async def on_refresh_qr(self, session: PageSession, frame: dict) -> None:
        if session.waiting:
            self.start_refs(session)

    async def on_device_logout(self, session: PageSession, frame: dict) -> None:
        device = session.device
        if device is not None:
            self.world.accounts.unlink(device.phone, device.device_id)
            session.device = None

    def start_alt_linking(self, session: PageSession, phone: object) -> str:
        number = normalize_phone(phone)
        if number is None:
            raise InvalidRequest(
                "invalid_phone", "the phone number must be 7-15 digits in international format"
            )
        if not session.waiting:
            raise Rejected("not_waiting", "this page is not waiting to be linked")
        for code, pending in list(self._codes.items()):
            if pending.session is session:
                del self._codes[code]
        code = new_pairing_code()
        ttl = self.world.config.pair_code_ttl_ms / 1000
        self._codes[code] = PendingPairingCode(session, number, time.monotonic() + ttl)
        return code

    # --- the phone (control API) ---------------------------------------------------------------

    async def scan(
        self,
        qr_text: object,
        phone: object,
        name: object = None,
        platform: object = None,
        *,
        passkey: object = False,
    ) -> dict:
        """The phone scans a login QR. `passkey`: the account confirms new devices with a passkey
        (WhatsApp's "Shortcake" linking, 2026): the page waits on its passkey screen until the phone
        confirms (`confirm_passkey`)."""
        qr = parse_login_qr(qr_text)
        number = _phone_or_raise(phone)
        session = self._refs.get(qr.ref)
        if session is None or not session.waiting:
            raise Rejected("qr_expired", "this QR code is not showing on any page now (expired or rotated)")
        if session.registration != (qr.noise_key_b64, qr.identity_key_b64, qr.adv_secret_b64, qr.platform):
            raise Rejected(
                "qr_mismatch", "the keys in this QR code are not the ones of the page showing its ref"
            )
        if not isinstance(passkey, bool):
            raise InvalidRequest("invalid_passkey", "passkey must be true or false")
        if passkey:
            session.stop_refs()
            self._set_ref(session, None)
            self._passkeys[number] = (session, name, platform)
            await session.send({"t": "passkey_required"})
            return {"phone": number, "passkey_required": True}
        return await self._link(session, number, name, platform)

    async def confirm_passkey(self, phone: object) -> dict:
        """The phone confirms the new device with its passkey: the waiting page is linked."""
        number = _phone_or_raise(phone)
        pending = self._passkeys.pop(number, None)
        if pending is None or pending[0].closed:
            raise NotFound("no_passkey_request", "no page is waiting for this phone's passkey")
        session, name, platform = pending
        return await self._link(session, number, name, platform)

    async def pair(self, code: object, phone: object, name: object = None, platform: object = None) -> dict:
        if not isinstance(code, str) or not code.strip():
            raise InvalidRequest("invalid_code", "code must be the 8-character pairing code")
        number = _phone_or_raise(phone)
        pending = self._codes.get(normalize_pairing_code(code))
        if pending is None or pending.expires_at < time.monotonic() or not pending.session.waiting:
            raise NotFound("unknown_code", "no page is waiting with this pairing code (wrong or expired)")
        if pending.phone != number:
            raise Rejected("phone_mismatch", "this pairing code was requested for another phone number")
        return await self._link(pending.session, number, name, platform)

    async def unlink(self, phone: object, device_id: object = None) -> list[dict]:
        number = _phone_or_raise(phone)
        if device_id is not None and (isinstance(device_id, bool) or not isinstance(device_id, int)):
            raise InvalidRequest("invalid_device", "device_id must be an integer")
        devices = self.world.accounts.unlink(number, device_id)
        if not devices:
            raise NotFound(
                "not_linked", f"{number} has no linked device" + (f" {device_id}" if device_id else "")
            )
        for device in devices:
            for session in self.world.sessions_of(device):
                session.device = None
                await session.send({"t": "logged_out", "reason": "unlinked"})
        return [{"phone": d.phone, "device_id": d.device_id, "wid": d.wid} for d in devices]

    # --- faults ----------------------------------------------------------------------------------

    async def conflict(self, phone: object) -> int:
        """Tell the phone's online pages that the session was opened elsewhere (state CONFLICT)."""
        sessions = self.world.sessions_of_phone(_phone_or_raise(phone))
        if not sessions:
            raise NotFound("not_online", "no page of this phone is connected")
        for session in sessions:
            await self._replace(session)
        return len(sessions)

    async def drop(self, phone: object | None) -> int:
        key = ALL_PHONES if phone is None else _phone_or_raise(phone)
        self.world.faults.dropped.add(key)
        victims = [
            s
            for s in list(self.world.sessions)
            if key == ALL_PHONES or (s.device is not None and s.device.phone == key)
        ]
        for session in victims:
            await session.close(CLOSE_DROPPED, "network dropped")
        return len(victims)

    def restore(self, phone: object | None) -> None:
        if phone is None:
            self.world.faults.dropped.clear()
        else:
            self.world.faults.dropped.discard(_phone_or_raise(phone))

    async def exhaust_refs(self) -> int:
        waiting = [s for s in self.world.sessions if s.waiting and s.current_ref is not None]
        for session in waiting:
            session.stop_refs()
            self._set_ref(session, None)
            await session.send({"t": "refs_exhausted"})
        return len(waiting)

    # --- sessions --------------------------------------------------------------------------------

    async def attach(self, session: PageSession, device: LinkedDevice) -> None:
        for other in self.world.sessions_of(device):
            if other is not session:
                await self._replace(other)
        self.forget(session)
        backlog = len(device.outbox.after(device.outbox.confirmed_seq))
        session.device = device
        await session.send({"t": "connected", "me": device.me(), "backlog": backlog})
        session.follow_outbox(device, lambda: self.world.faults.delivery_delay_ms)

    def start_refs(self, session: PageSession) -> None:
        session.stop_refs()
        session.refs_task = asyncio.create_task(self._rotate_refs(session))

    def forget(self, session: PageSession) -> None:
        """Drop what a page held here: its refs, its pairing code."""
        session.stop_refs()
        self._set_ref(session, None)
        for code, pending in list(self._codes.items()):
            if pending.session is session:
                del self._codes[code]

    def reset(self) -> None:
        self._refs.clear()
        self._codes.clear()
        self._passkeys.clear()

    async def _rotate_refs(self, session: PageSession) -> None:
        config = self.world.config
        for index in range(config.ref_count):
            ttl_ms = config.ref_first_ms if index == 0 else config.ref_next_ms
            ref = new_login_ref()
            self._set_ref(session, ref)
            await session.send({"t": "ref", "ref": ref, "ttl_ms": ttl_ms})
            await asyncio.sleep(ttl_ms / 1000)
        self._set_ref(session, None)
        await session.send({"t": "refs_exhausted"})

    def _set_ref(self, session: PageSession, ref: str | None) -> None:
        if session.current_ref is not None:
            self._refs.pop(session.current_ref, None)
        session.current_ref = ref
        if ref is not None:
            self._refs[ref] = session

    async def _link(self, session: PageSession, phone: str, name: object, platform: object) -> dict:
        push_name = name.strip() if isinstance(name, str) and name.strip() else f"Phone {phone}"
        if platform is None:
            platform = "android"
        if platform not in PHONE_PLATFORMS:
            raise InvalidRequest("invalid_platform", f"platform must be one of {', '.join(PHONE_PLATFORMS)}")
        self.forget(session)
        device = self.world.accounts.link(phone, push_name, str(platform))
        await session.send({"t": "paired", "creds": device.credentials(), "me": device.me()})
        await self.attach(session, device)
        return {"phone": phone, "device_id": device.device_id, "wid": device.wid, "push_name": push_name}

    async def _replace(self, session: PageSession) -> None:
        session.device = None
        await session.send({"t": "conflict"})
        await session.close(CLOSE_REPLACED, "replaced")


def _registration(value: object) -> tuple[str, str, str, str] | None:
    if not isinstance(value, dict):
        return None
    parts = tuple(value.get(key) for key in ("noise", "identity", "adv", "platform"))
    return parts if all(isinstance(part, str) and part for part in parts) else None  # type: ignore[return-value]


def _phone_or_raise(value: object) -> str:
    number = normalize_phone(value)
    if number is None:
        raise InvalidRequest(
            "invalid_phone", "phone must be 7-15 digits in international format, e.g. 15550100"
        )
    return number
