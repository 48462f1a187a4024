"""Routes without authentication: health and the OpenAPI document."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.errors import error_body
from chalicelib.http import json_response, route
from chalicelib.openapi import OPENAPI

meta = Blueprint(__name__)


@route(meta, "/api/health", method="GET")
def health() -> Response:
    healthy, report = deps.service().health()
    if healthy:
        return json_response(report)
    down = ", ".join(name for name, state in report["checks"].items() if state != "ok")
    return json_response({**report, **error_body("dependency_unavailable", f"unavailable: {down}")}, 503)


@route(meta, "/api/openapi.json", method="GET")
def openapi_document() -> Response:
    return json_response(OPENAPI)
