"""Phones and their linked devices (companions), and the credentials that authenticate a page."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from dataclasses import dataclass, field

from simulator.codes import new_lid, new_secret
from simulator.outbox import DeviceOutbox


@dataclass
class LinkedDevice:
    phone: str
    device_id: int
    secret: bytes
    push_name: str
    platform: str
    lid: str
    linked_at: float = field(default_factory=time.time)
    outbox: DeviceOutbox = field(default_factory=DeviceOutbox)

    @property
    def wid(self) -> str:
        """The device's own id, as WhatsApp writes it (`last-wid-md`): `<phone>:<device>@c.us`."""
        return f"{self.phone}:{self.device_id}@c.us"

    def credentials(self) -> dict:
        return {"wid": self.wid, "secret": base64.b64encode(self.secret).decode()}

    def me(self) -> dict:
        return {
            "phone": self.phone,
            "device": self.device_id,
            "push_name": self.push_name,
            "platform": self.platform,
            "lid": self.lid,
        }


class Directory:
    """Every number's LID (linked identity: the `<lid>@lid` user WhatsApp addresses people by since
    2025), made on first use, and the way back from a LID to its phone number (which WhatsApp tells
    a linked device only when the person's phone number is visible to it)."""

    def __init__(self) -> None:
        self._lids: dict[str, str] = {}
        self._phones: dict[str, str] = {}

    def lid_for(self, phone: str) -> str:
        lid = self._lids.get(phone)
        if lid is None:
            lid = self._lids[phone] = new_lid()
            self._phones[lid] = phone
        return lid

    def phone_for(self, lid: str) -> str | None:
        return self._phones.get(lid)


class AccountBook:
    """Every linked device by phone; device ids count up per phone, as companion ids do."""

    def __init__(self) -> None:
        self._devices: dict[tuple[str, int], LinkedDevice] = {}
        self._next_device_id: dict[str, int] = {}
        self.directory = Directory()

    def link(self, phone: str, push_name: str, platform: str) -> LinkedDevice:
        device_id = self._next_device_id.get(phone, 1)
        self._next_device_id[phone] = device_id + 1
        lid = self.directory.lid_for(phone)
        device = LinkedDevice(phone, device_id, new_secret(), push_name, platform, lid)
        self._devices[(phone, device_id)] = device
        return device

    def authenticate(self, credentials: object) -> LinkedDevice | None:
        """The device whose credentials a page presented, or None (unknown, unlinked or forged)."""
        if not isinstance(credentials, dict):
            return None
        key = _parse_device_wid(credentials.get("wid"))
        device = self._devices.get(key) if key else None
        try:
            secret = base64.b64decode(str(credentials.get("secret", "")), validate=True)
        except (binascii.Error, ValueError):
            return None
        if device is None or not hmac.compare_digest(secret, device.secret):
            return None
        return device

    def unlink(self, phone: str, device_id: int | None = None) -> list[LinkedDevice]:
        removed = [
            device
            for key, device in list(self._devices.items())
            if key[0] == phone and (device_id is None or key[1] == device_id)
        ]
        for device in removed:
            del self._devices[(device.phone, device.device_id)]
        return removed

    def devices_of(self, phone: str) -> list[LinkedDevice]:
        return [device for (owner, _), device in self._devices.items() if owner == phone]

    def all(self) -> list[LinkedDevice]:
        return list(self._devices.values())

    def is_linked(self, phone: str) -> bool:
        return bool(self.devices_of(phone))


def _parse_device_wid(value: object) -> tuple[str, int] | None:
    if not isinstance(value, str) or not value.endswith("@c.us") or ":" not in value:
        return None
    phone, _, device = value[: -len("@c.us")].partition(":")
    return (phone, int(device)) if device.isdigit() else None
