"""The chatbot call: POST the customer's message to avatar-chat, get the replies.

Request (JSON), sent with the service key as bearer (Supabase Edge Functions verify a JWT):
    {"chatbot_id", "session_id", "conversation_id", "channel": "whatsapp_web",
     "message": {"id", "text", "timestamp"}, "customer": {"phone", "name"}}
    header Idempotency-Key: the stored message's row id (the same for every retry)
Response 200 (JSON): {"replies": [{"text": "..."}, ...]}   (zero, one or several messages)
    also accepted: {"reply": "..."} or {"text": "..."} for a single reply.
Timeouts, transport errors, 429 and 5xx are retried with backoff; other answers are final.
A reply longer than WhatsApp's limit is split into parts (at a line break where possible); an
answer of more than MAX_REPLY_MESSAGES messages in all fails instead of flooding the customer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from wagate.backoff import compute_backoff
from wagate.status import MAX_TEXT_LENGTH

MAX_REPLY_MESSAGES = 10  # per customer message, after splitting (10 x 65,536 characters)


class BotError(Exception):
    """The chatbot did not give a usable answer; `reason` is stored on the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BotRequest:
    url: str
    payload: dict
    idempotency_key: str


def parse_replies(body: object) -> list[str]:
    """The reply texts in an avatar-chat answer, long ones split to WhatsApp's limit (pure)."""
    if not isinstance(body, dict):
        raise BotError("chatbot answered with a JSON value that is not an object")
    if "replies" in body:
        items = body["replies"]
        if not isinstance(items, list):
            raise BotError("chatbot answer: 'replies' is not a list")
        texts = [item.get("text") if isinstance(item, dict) else item for item in items]
    elif "reply" in body or "text" in body:
        texts = [body.get("reply", body.get("text"))]
    else:
        raise BotError("chatbot answer has no 'replies'")
    replies: list[str] = []
    for text in texts:
        if text is None:
            continue
        if not isinstance(text, str):
            raise BotError("chatbot answer: a reply text is not a string")
        if text.strip():
            replies.extend(split_text(text))
    if len(replies) > MAX_REPLY_MESSAGES:
        raise BotError(
            f"chatbot answer too long: {len(replies)} WhatsApp messages (at most {MAX_REPLY_MESSAGES})"
        )
    return replies


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Split at WhatsApp's length limit, preferring a line break near the end of each part."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", limit // 2, limit)
        cut = cut + 1 if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:]
    parts.append(text)
    return parts


class BotClient:
    def __init__(self, service_key: str, *, timeout_s: float, attempts: int) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {service_key}", "apikey": service_key},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        self.attempts = attempts

    async def aclose(self) -> None:
        await self._client.aclose()

    async def ask(self, request: BotRequest) -> list[str]:
        last_reason = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self._client.post(
                    request.url, json=request.payload, headers={"Idempotency-Key": request.idempotency_key}
                )
            except httpx.TimeoutException:
                last_reason = "chatbot timed out"
            except httpx.TransportError as exc:
                last_reason = f"chatbot unreachable ({type(exc).__name__})"
            else:
                if response.status_code == 200:
                    try:
                        body = response.json()
                    except ValueError as exc:
                        raise BotError("chatbot answered with something that is not JSON") from exc
                    return parse_replies(body)
                last_reason = f"chatbot answered HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    raise BotError(last_reason)
            if attempt < self.attempts:
                await asyncio.sleep(compute_backoff(attempt, base_s=0.5, max_s=8.0))
        raise BotError(f"{last_reason} after {self.attempts} attempts")
