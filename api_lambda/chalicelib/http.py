"""HTTP-only helpers for the routes: registration, CORS, the caller's identity, bodies, responses."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Blueprint, CORSConfig, Response
from chalice.app import Request

from chalicelib import deps
from chalicelib.errors import translate_errors
from wagate.auth import Principal, bearer_token
from wagate.validation import parse_json_object

JSON = {"Content-Type": "application/json"}


def cors_config() -> CORSConfig:
    """The dashboard's origin (`CORS_ALLOW_ORIGIN`, `*` when unset) may call the API from a browser."""
    return CORSConfig(
        allow_origin=os.environ.get("CORS_ALLOW_ORIGIN") or "*",
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After", "WWW-Authenticate"],
        max_age=600,
    )


CORS = cors_config()


def route(
    blueprint: Blueprint, path: str, *, method: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view for `method path` with CORS and wagate's error translation.

    Bodies are JSON (Chalice answers other content types with 415); body-less methods accept any.
    """
    content_types = ["application/json"] if method in ("POST", "PUT", "PATCH") else ["*/*"]

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        blueprint.route(path, methods=[method], cors=CORS, content_types=content_types)(
            translate_errors(view)
        )
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
