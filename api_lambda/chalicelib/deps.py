"""Clients built lazily, once per Lambda container (or `chalice local` process), on first use.

Nothing is read at import time, so the app imports without any settings (packaging checks, the
OpenAPI test) and a missing setting fails the first request with a message naming it.
"""

from __future__ import annotations

import threading

from wagate.auth import TokenVerifier
from wagate.config import Settings
from wagate.service import GatewayService

_lock = threading.Lock()
_settings: Settings | None = None
_service: GatewayService | None = None
_verifier: TokenVerifier | None = None


def settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = Settings.from_env()
        return _settings


def service() -> GatewayService:
    global _service
    current = settings()
    with _lock:
        if _service is None:
            _service = GatewayService.from_settings(current)
        return _service


def verifier() -> TokenVerifier:
    global _verifier
    current = settings()
    with _lock:
        if _verifier is None:
            _verifier = TokenVerifier(current.auth)
        return _verifier


def reset() -> None:
    """Forget every client (tests that change the environment)."""
    global _settings, _service, _verifier
    with _lock:
        _settings = _service = _verifier = None
