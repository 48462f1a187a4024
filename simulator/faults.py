"""Faults switched on through the control API, and what a page learns of them when it loads."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_PHONES = "*"


@dataclass
class Faults:
    dropped: set[str] = field(default_factory=set)
    """Phones whose devices cannot reach the server (`*` = the whole network is down)."""
    removed_modules: set[str] = field(default_factory=set)
    renamed_modules: dict[str, str] = field(default_factory=dict)
    """Old module name → new name, as a WhatsApp Web update does."""
    duplicate_adds: bool = False
    delivery_delay_ms: int = 0
    absent_numbers: set[str] = field(default_factory=set)
    """Numbers that are not on WhatsApp."""
    stall_loads: bool = False
    """WhatsApp Web does not load: a request for the page is answered only once this is off."""
    late_globals: bool = False
    """A page with a saved login takes its offline backlog before it publishes `window.Debug` (what
    clients wait for before they reach the modules): messages arrive before anyone listens."""
    media_mode: str = "none"
    """The CDN's answer to media downloads: `none` (serve), `expired` (404, the phone must re-upload)
    or `error` (503)."""
    media_numbers: set[str] = field(default_factory=set)
    """Numbers whose messages' media the media fault hits (empty: everyone's)."""

    def is_dropped(self, phone: str | None) -> bool:
        return ALL_PHONES in self.dropped or (phone is not None and phone in self.dropped)

    def is_on_whatsapp(self, number: str) -> bool:
        return number not in self.absent_numbers

    def media_failure(self, numbers: set[str]) -> str | None:
        """The media fault's mode for a blob of a message between `numbers`, or None (served)."""
        if self.media_mode == "none" or (self.media_numbers and not self.media_numbers & numbers):
            return None
        return self.media_mode

    def page_view(self) -> dict:
        """The part a page needs when it loads (module faults apply to pages loaded after them)."""
        return {
            "removedModules": sorted(self.removed_modules),
            "renamedModules": dict(self.renamed_modules),
            "lateGlobals": self.late_globals,
        }

    def to_json(self) -> dict:
        return {
            "dropped": sorted(self.dropped),
            "removed_modules": sorted(self.removed_modules),
            "renamed_modules": dict(self.renamed_modules),
            "duplicate_adds": self.duplicate_adds,
            "delivery_delay_ms": self.delivery_delay_ms,
            "absent_numbers": sorted(self.absent_numbers),
            "stall_loads": self.stall_loads,
            "late_globals": self.late_globals,
            "media": {"mode": self.media_mode, "numbers": sorted(self.media_numbers)},
        }
