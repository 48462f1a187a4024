"""HTTP-only helpers for the routes: registration, CORS, the caller's identity, bodies, responses."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import deps
from chalicelib.errors import translate_errors
from wagate.auth import Principal, bearer_token
from wagate.config import cors_origins
from wagate.validation import parse_json_object

JSON = {"Content-Type": "application/json"}


# ------------------------------------------------------------------ CORS
# A browser may call the API only from the origins in CORS_ALLOW_ORIGINS (comma-separated: the
# dashboard's; none by default, and `*` only when an operator writes it). Chalice's own CORS
# support takes one fixed origin, so preflights are routes of ours and the answer's headers are
# added by a middleware (`add_cors_headers`), both from this one list.
ALLOWED_HEADERS = "Authorization, Content-Type"
EXPOSED_HEADERS = "Retry-After, WWW-Authenticate, Content-Disposition, X-Wagate-Next-Cursor"
PREFLIGHT_MAX_AGE_S = 600


def allowed_origins() -> tuple[str, ...]:
    return cors_origins(os.environ)


def cors_headers(origin: str | None) -> dict[str, str]:
    """The CORS headers for a request from `origin` (only `Vary` when it is not allowed)."""
    allowed = allowed_origins()
    if origin and "*" in allowed:
        return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED_HEADERS}
    if origin and origin.rstrip("/") in allowed:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": EXPOSED_HEADERS,
            "Vary": "Origin",
        }
    return {"Vary": "Origin"}


def add_cors_headers(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: every answer says which origin may read it."""
    response = get_response(event)
    response.headers = {**response.headers, **cors_headers(event.headers.get("origin"))}
    return response


_PREFLIGHTS: set[tuple[int, str]] = set()


def _preflight_for(blueprint: Blueprint, path: str) -> None:
    """An OPTIONS route for `path` (once per blueprint and path)."""
    if (id(blueprint), path) in _PREFLIGHTS:
        return
    _PREFLIGHTS.add((id(blueprint), path))

    def preflight(**_params: str) -> Response:
        request = blueprint.current_request
        headers: dict[str, str] = {}
        if "Access-Control-Allow-Origin" in cors_headers(request.headers.get("origin")):
            methods = sorted(blueprint.current_app.routes[path])
            headers = {
                "Access-Control-Allow-Methods": ",".join(methods),
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
            }
        return Response(body="", status_code=204, headers=headers)

    preflight.__name__ = "preflight_" + "".join(ch if ch.isalnum() else "_" for ch in path).strip("_")
    blueprint.route(path, methods=["OPTIONS"], content_types=["*/*"])(preflight)


def route(
    blueprint: Blueprint, path: str, *, method: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view for `method path` with CORS and wagate's error translation.

    Bodies are JSON (Chalice answers other content types with 415); body-less methods accept any.
    """
    content_types = ["application/json"] if method in ("POST", "PUT", "PATCH") else ["*/*"]

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        blueprint.route(path, methods=[method], content_types=content_types)(translate_errors(view))
        _preflight_for(blueprint, path)
        return view

    return register


def caller(request: Request) -> Principal:
    """The verified user behind the request's bearer token."""
    return deps.verifier().verify(bearer_token(request.headers.get("authorization")))


def json_body(request: Request) -> dict[str, Any]:
    return parse_json_object(request.raw_body)


def query(request: Request) -> Mapping[str, str]:
    return request.query_params or {}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers=dict(JSON))


def no_content() -> Response:
    return Response(body="", status_code=204, headers={})
