"""The chatbot call: POST the customer's message to the chatbot, get the replies.

Two kinds of chatbot, which never share a connection:
- the project's own `avatar-chat` Edge Function (`{SUPABASE_URL}/functions/v1/avatar-chat`): the
  anon key as the JWT Supabase's gateway wants, and signed with AVATAR_CHAT_SIGNING_SECRET;
- a chatbot's own endpoint (`bot_endpoint`), a URL a tenant chose: through the endpoint guard
  (wagate/endpoints.py), on a pool of connections per tenant, and signed with that chatbot's
  secret (shown to its owner when it was made).
No key wagate holds (service key, JWT secret) is ever sent to either.

Request (JSON), signed per Standard Webhooks (`webhook-id` = the stored message's row id, the same
on every retry, `webhook-timestamp`, `webhook-signature`; wagate/signing.py):
    {"chatbot_id", "session_id", "conversation_id", "channel": "whatsapp_web",
     "message": {"id", "text", "timestamp", "type", "media", "media_error", "location", "contact"},
     "customer": {"phone", "lid", "name", "country"}}
    header Idempotency-Key: the stored message's row id (the same for every retry)
Response 200 (JSON): {"replies": [{"text": "..."}, ...]}   (zero, one or several messages)
    also accepted: {"reply": "..."} or {"text": "..."} for a single reply; files as
    {"image": {"url"}, "caption"}, {"document": {"url", "filename"}}, {"audio": {"url"}, "voice": true},
    {"video": {"url"}}, {"sticker": {"url"}} (fetched through the endpoint guard: runner/media.py).
Each attempt is bounded as a whole by BOT_TIMEOUT_S (waiting for a connection, connecting, the
answer's last byte) and its answer by BOT_MAX_ANSWER_BYTES. Timeouts, transport errors, 429 and
5xx are retried with backoff; other answers are final. A reply longer than WhatsApp's limit is split
into parts (at a line break where possible); an answer of more than MAX_REPLY_MESSAGES messages in
all fails instead of flooding the customer. Failures carry a stable code (wagate/failures.py).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from runner.media import MediaReply
from wagate import failures
from wagate.backoff import compute_backoff
from wagate.endpoints import EndpointAnswer, EndpointFailure, GuardedClients, post
from wagate.signing import signature_headers
from wagate.status import MAX_TEXT_LENGTH

if TYPE_CHECKING:
    from runner.settings import RunnerSettings

MAX_REPLY_MESSAGES = 10  # per customer message, after splitting (10 x 65,536 characters)
USER_AGENT = "wagate (+https://github.com/wagate)"

# What a failed attempt means: (code, words for the tenant, worth another attempt).
_FAILURES = {
    "timeout": (failures.CHATBOT_TIMEOUT, "the chatbot did not answer in time", True),
    "unreachable": (failures.CHATBOT_UNREACHABLE, "the chatbot could not be reached", True),
    "not_allowed": (
        failures.ENDPOINT_NOT_ALLOWED,
        "the chatbot's endpoint leads to an address wagate does not call (private or reserved)",
        False,
    ),
    "redirect": (
        failures.CHATBOT_REDIRECT,
        "the chatbot answered with a redirect, which wagate does not follow",
        False,
    ),
    "too_large": (failures.CHATBOT_ANSWER_TOO_LARGE, "the chatbot's answer is too large", False),
    "bad_answer": (failures.CHATBOT_BAD_ANSWER, "the chatbot's answer could not be read", False),
}


class BotError(Exception):
    """The chatbot did not give a usable answer; `code` and `reason` are stored on the message."""

    def __init__(self, reason: str, code: str = failures.CHATBOT_BAD_ANSWER) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class BotRequest:
    url: str
    payload: dict
    idempotency_key: str
    # None: the project's own avatar-chat; else the chatbot owner's user id (their own endpoint,
    # called through the guard on that tenant's connections). No default: every caller says which.
    tenant: str | None
    secrets: tuple[str, ...]  # sign the call (two while a rotation's overlap lasts)


MEDIA_REPLY_TYPES = ("image", "audio", "video", "document", "sticker")


def parse_replies(body: object) -> list[str | MediaReply]:
    """The replies in an avatar-chat answer (pure): texts, long ones split to WhatsApp's limit, and
    files (`{"image": {"url"}, "caption"}`, `{"document": {"url", "filename"}}`,
    `{"audio": {"url"}, "voice": true}`, video, sticker) as MediaReply."""
    if not isinstance(body, dict):
        raise BotError("chatbot answered with a JSON value that is not an object")
    if "replies" in body:
        items = body["replies"]
        if not isinstance(items, list):
            raise BotError("chatbot answer: 'replies' is not a list")
    elif "reply" in body or "text" in body:
        items = [body.get("reply", body.get("text"))]
    else:
        raise BotError("chatbot answer has no 'replies'")
    replies: list[str | MediaReply] = []
    for item in items:
        if isinstance(item, dict) and any(kind in item for kind in MEDIA_REPLY_TYPES):
            replies.append(_media_reply(item))
            continue
        text = item.get("text") if isinstance(item, dict) else item
        if text is None:
            continue
        _check_text(text, "a reply text")
        if text.strip():
            replies.extend(split_text(text))
    if len(replies) > MAX_REPLY_MESSAGES:
        raise BotError(
            f"chatbot answer too long: {len(replies)} WhatsApp messages (at most {MAX_REPLY_MESSAGES})"
        )
    return replies


def _check_text(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise BotError(f"chatbot answer: {what} is not a string")
    if "\x00" in text or not _is_storable(text):
        raise BotError(f"chatbot answer: {what} holds characters that cannot be sent (NUL, lone surrogates)")


def _media_reply(item: dict) -> MediaReply:
    kinds = [kind for kind in MEDIA_REPLY_TYPES if kind in item]
    if len(kinds) > 1:
        raise BotError(f"chatbot answer: a reply has more than one file ({', '.join(kinds)})")
    kind = kinds[0]
    spec = item[kind]
    if not isinstance(spec, dict) or not isinstance(spec.get("url"), str) or not spec["url"].strip():
        raise BotError(f"chatbot answer: '{kind}' needs an object with a 'url'")
    caption = item.get("caption", "")
    if caption is None:
        caption = ""
    _check_text(caption, f"the {kind}'s caption")
    if len(caption) > MAX_TEXT_LENGTH:
        raise BotError(f"chatbot answer: the {kind}'s caption is longer than {MAX_TEXT_LENGTH} characters")
    filename = spec.get("filename")
    if filename is not None:
        _check_text(filename, f"the {kind}'s filename")
    voice = item.get("voice", spec.get("voice", False))
    if not isinstance(voice, bool) or (voice and kind != "audio"):
        raise BotError("chatbot answer: 'voice' is true or false, and only for 'audio'")
    return MediaReply(
        type="ptt" if voice else kind, url=spec["url"].strip(), caption=caption, filename=filename or None
    )


def _is_storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    def __init__(
        self,
        *,
        anon_key: str,
        timeout_s: float,
        attempts: int,
        allow_private_endpoints: bool = False,
        connections_per_tenant: int = 8,
        max_answer_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        # The project's avatar-chat: the anon key is what Supabase's gateway checks (verify_jwt);
        # what the function trusts is the signature.
        self._project = httpx.AsyncClient(
            timeout=None,
            trust_env=False,
            follow_redirects=False,
            headers={"Authorization": f"Bearer {anon_key}", "apikey": anon_key, "User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        self._tenants = GuardedClients(
            allow_private=allow_private_endpoints,
            per_tenant=connections_per_tenant,
            user_agent=USER_AGENT,
        )
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.max_answer_bytes = max_answer_bytes

    @classmethod
    def from_settings(cls, settings: RunnerSettings) -> BotClient:
        return cls(
            anon_key=settings.supabase_anon_key,
            timeout_s=settings.bot_timeout_s,
            attempts=settings.bot_attempts,
            allow_private_endpoints=settings.common.allow_private_endpoints,
            connections_per_tenant=settings.bot_connections_per_tenant,
            max_answer_bytes=settings.bot_max_answer_bytes,
        )

    async def aclose(self) -> None:
        await self._project.aclose()
        await self._tenants.aclose()

    async def ask(self, request: BotRequest) -> list[str | MediaReply]:
        if not request.secrets:
            raise BotError(
                "the chatbot's endpoint has no signing secret: make one with "
                "POST /api/chatbots/{id}/rotate-secret",
                failures.CHATBOT_SECRET_MISSING,
            )
        body = json.dumps(request.payload, ensure_ascii=False, separators=(",", ":")).encode()
        code, reason = failures.CHATBOT_BAD_ANSWER, "no attempt made"
        for attempt in range(1, self.attempts + 1):
            headers = {
                "Content-Type": "application/json",
                "Idempotency-Key": request.idempotency_key,
                # signed per attempt: the timestamp is part of what is signed
                **signature_headers(request.secrets, message_id=request.idempotency_key, body=body),
            }
            try:
                answer = await self._post(request, body, headers)
            except EndpointFailure as exc:
                code, reason, retry = _FAILURES.get(exc.code, _FAILURES["unreachable"])
                if exc.code == "timeout":
                    reason = f"the chatbot did not answer within {self.timeout_s:g} s"
                if not retry:
                    raise BotError(reason, code) from exc
            else:
                if answer.status == 200:
                    return _replies_of(answer)
                code, reason = failures.CHATBOT_HTTP_ERROR, f"the chatbot answered HTTP {answer.status}"
                if answer.status < 500 and answer.status != 429:
                    raise BotError(reason, code)
            if attempt < self.attempts:
                await asyncio.sleep(compute_backoff(attempt, base_s=0.5, max_s=8.0))
        raise BotError(f"{reason} (after {self.attempts} attempts)", code)

    async def _post(self, request: BotRequest, body: bytes, headers: dict[str, str]) -> EndpointAnswer:
        limits = {"deadline_s": self.timeout_s, "max_bytes": self.max_answer_bytes}
        if request.tenant is None:  # the project's own avatar-chat
            return await post(self._project, request.url, content=body, headers=headers, **limits)
        return await self._tenants.post(request.tenant, request.url, content=body, headers=headers, **limits)


def _replies_of(answer: EndpointAnswer) -> list[str | MediaReply]:
    try:
        body = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BotError("chatbot answered with something that is not JSON (or nested too deep)") from exc
    return parse_replies(body)
