"""The operator's routes (wagate/admin_api.py): the fleet, and restart or release of a session.

Whoever cannot prove to be an operator, with no token, a bad one or one without the admin claim,
gets the 404 of a route that does not exist.
"""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import deps
from chalicelib.http import caller, json_response, route
from wagate.auth import Principal
from wagate.errors import Unauthorized

admin = Blueprint(__name__)


def operator(request: Request) -> Principal | None:
    """The verified caller, or None (then the admin API answers 404, never 401)."""
    try:
        return caller(request)
    except Unauthorized:
        return None


@route(admin, "/api/admin/fleet", method="GET")
def fleet() -> Response:
    return json_response(deps.service().admin.fleet(operator(admin.current_request)))


@route(admin, "/api/admin/sessions/{id}/restart", method="POST")
def restart_session(id: str) -> Response:
    return json_response(deps.service().admin.restart(operator(admin.current_request), id), 202)


@route(admin, "/api/admin/sessions/{id}/release", method="POST")
def release_session(id: str) -> Response:
    return json_response(deps.service().admin.release(operator(admin.current_request), id))
