"""Message routes: send (text or a file), uploads for files, a session's history, a message's file."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.http import caller, json_body, json_response, query, route
from wagate.validation import bool_parameter

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


@route(messages, "/api/media", method="POST")
def create_media_upload() -> Response:
    request = messages.current_request
    user = caller(request)
    return json_response(deps.service().create_media_upload(user, json_body(request)), 201)


@route(messages, "/api/messages/{id}/media", method="GET")
def message_media(id: str) -> Response:
    """The owner's file as a short-lived URL: a redirect, or JSON with `?redirect=false` (for a
    browser, which cannot attach its bearer token to an <img src>)."""
    request = messages.current_request
    user = caller(request)
    redirect = bool_parameter(query(request).get("redirect"), name="redirect", default=True)
    link = deps.service().message_media(user, id)
    if not redirect:
        return json_response(link)
    return Response(body="", status_code=302, headers={"Location": link["url"], "Cache-Control": "no-store"})
