"""The one place where errors become HTTP responses.

wagate's error tree (`wagate/errors.py`) maps to status codes here; Chalice's own errors (wrong
content type, wrong method, a crash) are rewritten by a middleware into the same shape:
`{"error": {"code": "...", "message": "..."}}`.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from chalice import Response

from wagate.errors import (
    ConfigError,
    Conflict,
    DependencyError,
    Gone,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    UnsupportedMedia,
    WagateError,
)

log = logging.getLogger("wagate.api")

# Most specific first.
STATUS_BY_ERROR: tuple[tuple[type[WagateError], int], ...] = (
    (PayloadTooLarge, 413),
    (UnsupportedMedia, 415),
    (InvalidInput, 400),
    (Unauthorized, 401),
    (NotFound, 404),
    (Gone, 410),
    (Conflict, 409),
    (RateLimited, 429),
    (DependencyError, 503),
    (ConfigError, 500),
    (WagateError, 500),
)
DEPENDENCY_RETRY_AFTER_S = 5
# Chalice's built-in error codes -> (status, wagate code).
_CHALICE_ERRORS = {
    "UnsupportedMediaType": (415, "unsupported_media_type"),
    "MethodNotAllowedError": (405, "method_not_allowed"),
    "BadRequest": (406, "not_acceptable"),  # a binary response without a matching Accept header
    "InternalServerError": (500, "internal_error"),
}


def status_for(error: WagateError) -> int:
    return next(status for kind, status in STATUS_BY_ERROR if isinstance(error, kind))


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(error: WagateError) -> Response:
    status = status_for(error)
    headers = {"Content-Type": "application/json"}
    message = error.message
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="wagate"'
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
    if status >= 500:
        # The detail (URLs, PostgREST messages) goes to the log, not to the caller.
        log.error("request failed: %s", error.message, extra={"code": error.code})
        message = "a backing service is unavailable, try again shortly" if status == 503 else "server error"
        if status == 503:
            headers["Retry-After"] = str(DEPENDENCY_RETRY_AFTER_S)
    return Response(body=error_body(error.code, message), status_code=status, headers=headers)


def translate_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn wagate's errors raised by `view` into their HTTP responses."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except WagateError as error:
            return error_response(error)

    return wrapped


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower()


def normalize_chalice_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: Chalice's `{"Code", "Message"}` errors in wagate's error shape."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        status, code = _CHALICE_ERRORS.get(body["Code"], (response.status_code, _snake(str(body["Code"]))))
        response.status_code = status
        response.body = error_body(code, str(body["Message"]))
        response.headers = {**response.headers, "Content-Type": "application/json"}
    return response
