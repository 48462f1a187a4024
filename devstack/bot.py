"""The local stand-in for the chatbot (the Supabase Edge Function `avatar-chat`).

It speaks the avatar-chat contract (see README "avatar-chat"): it answers `{"replies": [...]}`.
Rules, so that demos and tests can steer it by what the customer writes:
    "!none"          -> no reply
    "!multi"         -> two replies
    "!long N"        -> one reply of N characters (lines of text; N up to 1,000,000)
    "!fail"          -> HTTP 500
    "!image", "!voice", "!doc" -> a generated sample photo (JPEG), voice note (OGG/Opus) or PDF,
                        served by the stand-in itself at /functions/v1/avatar-chat/samples/<name>
    a file           -> "You sent <type> (<mime>, <size> bytes): <caption>"
    a location       -> "You sent location (<latitude>, <longitude>): <name>"
    a contact card   -> "You sent vcard: <name>"
    anything else    -> "You said: <text>"
Behaviour knobs (env at start, or `POST /functions/v1/_local/bot` at run time, local only):
    BOT_DELAY_MS      delay before answering
    BOT_FAILURE_RATE  0..1, share of requests answered with HTTP 500
    BOT_MODE          "echo" (default) | "down" (503 for every request) | "garbage" (not JSON)
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field


@dataclass
class BotBehaviour:
    delay_ms: int = 0
    failure_rate: float = 0.0
    mode: str = "echo"
    calls: int = field(default=0)
    refused: int = field(default=0)  # calls refused for a missing, stale or wrong signature
    last_headers: dict[str, str] = field(default_factory=dict)  # of the last call (tests look for keys)

    @classmethod
    def from_env(cls) -> BotBehaviour:
        return cls(
            delay_ms=int(os.environ.get("BOT_DELAY_MS", "0") or 0),
            failure_rate=float(os.environ.get("BOT_FAILURE_RATE", "0") or 0),
            mode=os.environ.get("BOT_MODE", "echo") or "echo",
        )

    def update(self, changes: dict) -> None:
        if "delay_ms" in changes:
            self.delay_ms = int(changes["delay_ms"])
        if "failure_rate" in changes:
            self.failure_rate = float(changes["failure_rate"])
        if "mode" in changes:
            if changes["mode"] not in ("echo", "down", "garbage"):
                raise ValueError("mode must be echo, down or garbage")
            self.mode = str(changes["mode"])


@dataclass(frozen=True)
class BotAnswer:
    status: int
    body: dict | str


# What "!image", "!voice" and "!doc" answer with (name served under samples_url, the reply item).
SAMPLE_REPLIES = {
    "!image": ("image.jpg", lambda url: {"image": {"url": url}, "caption": "A sample photo"}),
    "!voice": ("voice.ogg", lambda url: {"audio": {"url": url}, "voice": True}),
    "!doc": (
        "menu.pdf",
        lambda url: {"document": {"url": url, "filename": "menu.pdf"}, "caption": "Our menu"},
    ),
}


def sample_file(name: str) -> tuple[bytes, str] | None:
    """The bytes and mime type of a sample the stand-in serves (generated, small)."""
    from wagate import media_av as media

    makers = {
        "image.jpg": (lambda: media.sample_image("wagate sample"), "image/jpeg"),
        "voice.ogg": (media.sample_voice, "audio/ogg"),
        "menu.pdf": (lambda: media.sample_document("Menu"), "application/pdf"),
    }
    if name not in makers:
        return None
    make, mime = makers[name]
    return make(), mime


def describe(message: dict) -> str | None:
    """The stand-in's answer to a message that is not text (None for text)."""
    kind = message.get("type") or "chat"
    caption = message.get("text") or ""
    if kind == "location":
        place = message.get("location") or {}
        where = f"{place.get('latitude')}, {place.get('longitude')}"
        return f"You sent location ({where}): {place.get('name') or ''}"
    if kind == "vcard":
        return f"You sent vcard: {(message.get('contact') or {}).get('name') or ''}"
    if kind == "chat":
        return None
    media = message.get("media")
    if not media:
        return f"You sent {kind} (not kept: {message.get('media_error')}): {caption}"
    return f"You sent {kind} ({media.get('mime')}, {media.get('size')} bytes): {caption}"


def answer(
    request: dict, behaviour: BotBehaviour, rng: random.Random | None = None, *, samples_url: str = ""
) -> BotAnswer:
    """What avatar-chat answers to one request (pure: no I/O, no sleeping)."""
    rng = rng or random
    if behaviour.mode == "down":
        return BotAnswer(503, {"error": "bot unavailable"})
    if behaviour.mode == "garbage":
        return BotAnswer(200, "<html>not json</html>")
    message = request.get("message") if isinstance(request, dict) else None
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return BotAnswer(400, {"error": "message.text is required"})
    if behaviour.failure_rate and rng.random() < behaviour.failure_rate:
        return BotAnswer(500, {"error": "random failure (BOT_FAILURE_RATE)"})
    described = describe(message)
    if described is not None:
        return BotAnswer(200, {"replies": [{"text": described}]})
    command = text.strip()
    if command in SAMPLE_REPLIES and samples_url:
        name, item = SAMPLE_REPLIES[command]
        return BotAnswer(200, {"replies": [item(f"{samples_url.rstrip('/')}/{name}")]})
    if command == "!fail":
        return BotAnswer(500, {"error": "asked to fail"})
    if command == "!none":
        return BotAnswer(200, {"replies": []})
    if command == "!multi":
        return BotAnswer(200, {"replies": [{"text": "First answer."}, {"text": "Second answer."}]})
    if command.startswith("!long ") and command[6:].isdigit():
        return BotAnswer(200, {"replies": [{"text": long_text(min(int(command[6:]), 1_000_000))}]})
    return BotAnswer(200, {"replies": [{"text": f"You said: {text}"}]})


def long_text(length: int) -> str:
    """`length` characters of numbered lines, so a reply split into parts can be checked."""
    lines, size, number = [], 0, 0
    while size < length:
        line = f"line {number:06d} of a long answer\n"
        lines.append(line)
        size += len(line)
        number += 1
    return "".join(lines)[:length]
