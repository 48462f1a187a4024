"""Timings and identity of one simulator, settable by CLI flags and at runtime (`POST /control/config`).

Defaults follow the real WhatsApp Web: the first login ref lives 60 s, each next one 20 s, six refs
per batch, then the page idles (UNPAIRED_IDLE) until `Cmd.refreshQR()`. Tests shorten them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

DEFAULT_WA_VERSION = "2.3000.1031490000"
WA_BUILDS = ("2026", "2025")


@dataclass(frozen=True)
class SimulatorConfig:
    ref_first_ms: int = 60_000
    """Lifetime of the first login ref of a batch."""
    ref_next_ms: int = 20_000
    """Lifetime of every following ref."""
    ref_count: int = 6
    """Refs per batch; after the last one expires the page goes UNPAIRED_IDLE."""
    ack_delivered_ms: int = 400
    """Delay from ack 1 (server) to ack 2 (the customer's phone received it)."""
    ack_read_ms: int = 1_500
    """Delay from ack 2 to ack 3 (read); negative means customers never read on their own."""
    sync_ms: int = 300
    """Delay from the end of the offline backlog to `Socket.hasSynced`."""
    reconnect_ms: int = 1_000
    """The page's reconnect delay after a lost socket (doubles up to 4x while it keeps failing)."""
    pair_code_ttl_ms: int = 180_000
    """How long a pairing code stays valid."""
    wa_version: str = DEFAULT_WA_VERSION
    """`window.Debug.VERSION`."""
    wa_build: str = "2026"
    """Which WhatsApp Web the page behaves like (README "Build profiles"): `2026` (the default, the
    most recent: LID-migrated accounts, `logout_from_bridge`, no `Cmd.refreshQR`, read receipts only
    while the stream is available) or `2025` (phone-number chats, `logout`, `Cmd.refreshQR`)."""
    late_modules_ms: int = 0
    """The chat and message modules register this long after `window.Debug` appears (recent builds
    register their modules progressively, often 10-30 s after load on a cold cache)."""

    def updated(self, values: dict) -> SimulatorConfig:
        """A copy with `values` applied; unknown names or wrong types raise `ValueError`."""
        known = {field.name: field for field in fields(self)}
        changes: dict = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
            changes[name] = _coerce(name, known[name].type, value)
        _validate({**dataclasses.asdict(self), **changes})
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def setting_names() -> list[str]:
    return [field.name for field in fields(SimulatorConfig)]


def _coerce(name: str, type_name: object, value: object) -> object:
    if type_name in ("int", int):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{name} must be an integer")
        try:
            return int(value)
        except ValueError as exc:
            raise ValueError(f"{name} must be an integer") from exc
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _validate(values: dict) -> None:
    if values["wa_build"] not in WA_BUILDS:
        raise ValueError(f"wa_build must be one of {', '.join(WA_BUILDS)}")
    for name in (
        "ref_first_ms",
        "ref_next_ms",
        "sync_ms",
        "reconnect_ms",
        "pair_code_ttl_ms",
        "late_modules_ms",
    ):
        if values[name] < 0:
            raise ValueError(f"{name} must not be negative")
    if values["ref_count"] < 1:
        raise ValueError("ref_count must be at least 1")
    if values["ack_delivered_ms"] < 0:
        raise ValueError("ack_delivered_ms must not be negative")
    if not values["wa_version"].startswith("2.3000."):
        raise ValueError("wa_version must look like 2.3000.x")
