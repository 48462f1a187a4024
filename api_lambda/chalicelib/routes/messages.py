"""Message routes: send, and a session's history."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.http import caller, json_body, json_response, query, route

messages = Blueprint(__name__)


@route(messages, "/api/messages/send", method="POST")
def send_message() -> Response:
    request = messages.current_request
    user = caller(request)
    return json_response({"message": deps.service().send_message(user, json_body(request))}, 202)


@route(messages, "/api/sessions/{id}/messages", method="GET")
def list_messages(id: str) -> Response:
    request = messages.current_request
    user = caller(request)
    return json_response(deps.service().list_messages(user, id, query(request)))
