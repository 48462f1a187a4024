"""Who may call which chatbot, and with which secrets: `chatbot_call_profile` per (chatbot, user),
kept for BOT_PROFILE_TTL_S (30 s) so a busy chat does not ask the database per message; a rotation
or a change of owner takes effect within that time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.repository import RunnerRepository

PROFILE_TTL_S = 30.0
MAX_PROFILES = 10_000


@dataclass(frozen=True)
class ChatbotProfile:
    owned: bool  # the session's user owns the chatbot (else its calls are refused: chatbot_not_found)
    secrets: tuple[str, ...]  # sign calls to the chatbot's own endpoint (current, previous)


class ChatbotProfiles:
    def __init__(self, repo: RunnerRepository, *, ttl_s: float = PROFILE_TTL_S) -> None:
        self.repo = repo
        self.ttl_s = ttl_s
        self._cache: dict[tuple[str, str], tuple[float, ChatbotProfile]] = {}

    async def get(self, chatbot_id: str, user_id: str) -> ChatbotProfile:
        key = (chatbot_id, user_id)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        rows = await self.repo.rpc("chatbot_call_profile", p_chatbot_id=chatbot_id, p_user_id=user_id)
        row = rows[0] if isinstance(rows, list) and rows else {}
        profile = ChatbotProfile(owned=bool(row.get("owned")), secrets=tuple(row.get("secrets") or ()))
        if len(self._cache) >= MAX_PROFILES:
            self._cache.clear()
        self._cache[key] = (now, profile)
        return profile
