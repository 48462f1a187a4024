"""A small client of the control API, blocking (`SimulatorControl`) or asyncio (`AsyncSimulatorControl`).

Both have the same methods; each returns the decoded JSON answer (the async one as a coroutine),
and an error answer raises `SimulatorControlError` with the API's `status`, `code` and `message`.
`verify` is httpx's: a simulator served over HTTPS (`simulator.tls`) is reached with
`verify=tls_files.client_context()`.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Callable
from typing import Any

import httpx


class SimulatorControlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def media_payload(data: bytes, mime: str, filename: str | None = None) -> dict:
    """`send_message(..., media=media_payload(png, "image/png"))`: the control API's media object."""
    return _without_none({"data_b64": base64.b64encode(data).decode(), "mime": mime, "filename": filename})


def _decode(response: httpx.Response) -> Any:
    if response.is_success and not response.headers.get("content-type", "").startswith("application/json"):
        return response.content  # a media file
    body = response.json() if response.content else None
    if response.is_error:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise SimulatorControlError(
            response.status_code, error.get("code", "error"), error.get("message", "")
        )
    return body


class _ControlApi:
    """Every control call, once; subclasses decide how a request runs."""

    def _call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None,
              pick: Callable[[Any], Any] | None = None) -> Any:  # fmt: skip
        raise NotImplementedError

    # the phone
    def scan(
        self,
        qr: str,
        phone: str,
        name: str | None = None,
        platform: str | None = None,
        *,
        passkey: bool = False,
    ) -> Any:
        """Scan a login QR string with `phone`; links that page. → {phone, device_id, wid, push_name}
        (`passkey`: the account confirms devices with a passkey: → {phone, passkey_required: true},
        linked once `confirm_passkey`)."""
        body = _without_none({"qr": qr, "phone": phone, "name": name, "platform": platform})
        return self._call("POST", "/control/scan", body={**body, **({"passkey": True} if passkey else {})})

    def confirm_passkey(self, phone: str) -> Any:
        """The phone confirms the waiting device with its passkey: the page is linked."""
        return self._call("POST", "/control/passkey", body={"phone": phone})

    def pair(self, code: str, phone: str, name: str | None = None) -> Any:
        """Enter a pairing code on `phone`. → {phone, device_id, wid, push_name}"""
        return self._call(
            "POST", "/control/pair", body=_without_none({"code": code, "phone": phone, "name": name})
        )

    def unlink(self, phone: str, device_id: int | None = None) -> Any:
        """The phone removes its linked device(s); their pages log out. → {unlinked: [...]}"""
        return self._call(
            "POST", "/control/unlink", body=_without_none({"phone": phone, "device_id": device_id})
        )

    def devices(self) -> Any:
        return self._call("GET", "/control/devices")

    # the customers
    def send_message(
        self, sender: str, to: str, text: str | None, name: str | None = None, **options: Any
    ) -> Any:
        """A customer (`sender`) writes to a linked number. → the message id. `options`: addressing
        ("pn" | "lid"), phone_visible, type, caption, ciphertext_ms, ephemeral_s, media (see
        `media_payload`), location ({latitude, longitude, name?, address?}), vcard (README)."""
        body = _without_none({"from": sender, "to": to, "text": text, "name": name, **options})
        return self._call("POST", "/control/messages", body=body, pick=lambda message: message["id"])

    def edit_message(self, message_id: str, text: str) -> Any:
        """The customer edits a message they sent."""
        return self._call("POST", "/control/messages/edit", body={"id": message_id, "text": text})

    def revoke_message(self, message_id: str) -> Any:
        """The customer deletes a message they sent, for everyone."""
        return self._call("POST", "/control/messages/revoke", body={"id": message_id})

    def received(self, number: str) -> Any:
        """What `number` received: [{id, from, to, text, name, time, ack}], oldest first."""
        return self._call("GET", "/control/messages", params={"number": number})

    def media(self, message_id: str) -> Any:
        """The plain bytes of a media message (either direction), as its recipient has them."""
        return self._call("GET", f"/control/media/{message_id}")

    def read(self, number: str, sender: str | None = None) -> Any:
        """Customer `number` reads what it received (from `sender`): those messages get ack 3."""
        return self._call("POST", "/control/read", body=_without_none({"number": number, "from": sender}))

    def presence(self, number: str) -> Any:
        """Chat states (typing...) linked numbers last sent to customer `number`."""
        return self._call("GET", "/control/presence", params={"number": number})

    # the server
    def health(self) -> Any:
        return self._call("GET", "/control/health")

    def reset(self) -> Any:
        return self._call("POST", "/control/reset")

    def get_config(self) -> Any:
        return self._call("GET", "/control/config")

    def configure(self, **settings: Any) -> Any:
        """Change timings at runtime, e.g. `configure(ref_first_ms=500, ref_count=2)`."""
        return self._call("POST", "/control/config", body=settings)

    # faults
    def faults(self) -> Any:
        return self._call("GET", "/control/faults")

    def drop(self, phone: str | None = None) -> Any:
        """Cut `phone`'s devices off the network (all pages when None) until `restore`."""
        return self._call("POST", "/control/faults/drop", body=_without_none({"phone": phone}))

    def restore(self, phone: str | None = None) -> Any:
        return self._call("POST", "/control/faults/restore", body=_without_none({"phone": phone}))

    def conflict(self, phone: str) -> Any:
        return self._call("POST", "/control/faults/conflict", body={"phone": phone})

    def remove_module(self, name: str) -> Any:
        return self._call("POST", "/control/faults/module", body={"name": name})

    def rename_module(self, name: str, rename_to: str) -> Any:
        return self._call("POST", "/control/faults/module", body={"name": name, "rename_to": rename_to})

    def stall_loads(self, enabled: bool = True) -> Any:
        """WhatsApp Web stops loading: requests for the page hang until this is turned off."""
        return self._call("POST", "/control/faults/stall", body={"enabled": enabled})

    def late_globals(self, enabled: bool = True) -> Any:
        """A page with a saved login takes its backlog before it publishes `window.Debug`."""
        return self._call("POST", "/control/faults/late_globals", body={"enabled": enabled})

    def duplicate_adds(self, enabled: bool = True) -> Any:
        return self._call("POST", "/control/faults/duplicate", body={"enabled": enabled})

    def delay(self, ms: int) -> Any:
        return self._call("POST", "/control/faults/delay", body={"ms": ms})

    def exhaust_refs(self) -> Any:
        return self._call("POST", "/control/faults/refs_exhausted")

    def mark_absent(self, *numbers: str, absent: bool = True) -> Any:
        return self._call("POST", "/control/faults/absent", body={"numbers": list(numbers), "absent": absent})

    def fail_media(self, mode: str, *numbers: str) -> Any:
        """Media downloads (of messages to or from `numbers`, or all) fail: "expired" (the CDN answers
        404, the app waits for a re-upload), "error" (503), or "none" (served again)."""
        return self._call("POST", "/control/faults/media", body={"mode": mode, "numbers": list(numbers)})

    def clear_faults(self) -> Any:
        return self._call("POST", "/control/faults/clear")


class SimulatorControl(_ControlApi):
    def __init__(self, url: str, *, timeout: float = 10.0, verify: ssl.SSLContext | bool = True) -> None:
        self._client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, verify=verify)

    def close(self) -> None:
        self._client.close()

    def _call(self, method, path, *, body=None, params=None, pick=None):  # type: ignore[no-untyped-def]
        decoded = _decode(self._client.request(method, path, json=body, params=params))
        return pick(decoded) if pick else decoded


class AsyncSimulatorControl(_ControlApi):
    def __init__(self, url: str, *, timeout: float = 10.0, verify: ssl.SSLContext | bool = True) -> None:
        self._client = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout, verify=verify)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method, path, *, body=None, params=None, pick=None):  # type: ignore[no-untyped-def]
        decoded = _decode(await self._client.request(method, path, json=body, params=params))
        return pick(decoded) if pick else decoded
