"""Session routes: create, list, get, QR, disconnect, restart, delete."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.http import caller, json_body, json_response, no_content, query, route

sessions = Blueprint(__name__)


@route(sessions, "/api/sessions/create", method="POST")
def create_session() -> Response:
    request = sessions.current_request
    user = caller(request)
    return json_response(deps.service().create_session(user, json_body(request)), 201)


@route(sessions, "/api/sessions/disconnect", method="POST")
def disconnect_session() -> Response:
    request = sessions.current_request
    user = caller(request)
    return json_response(deps.service().disconnect_session(user, json_body(request)), 202)


@route(sessions, "/api/sessions", method="GET")
def list_sessions() -> Response:
    user = caller(sessions.current_request)
    return json_response({"sessions": deps.service().list_sessions(user)})


@route(sessions, "/api/sessions/{id}", method="GET")
def get_session(id: str) -> Response:
    user = caller(sessions.current_request)
    return json_response(deps.service().get_session(user, id))


@route(sessions, "/api/sessions/{id}/qr", method="GET")
def get_session_qr(id: str) -> Response:
    user = caller(sessions.current_request)
    png = deps.service().session_qr_png(user, id)
    return Response(
        body=png, status_code=200, headers={"Content-Type": "image/png", "Cache-Control": "no-store"}
    )


@route(sessions, "/api/sessions/{id}/restart", method="POST")
def restart_session(id: str) -> Response:
    user = caller(sessions.current_request)
    return json_response(deps.service().restart_session(user, id), 202)


@route(sessions, "/api/sessions/{id}", method="DELETE")
def delete_session(id: str) -> Response:
    request = sessions.current_request
    user = caller(request)
    deps.service().delete_session(user, id, query(request))
    return no_content()
