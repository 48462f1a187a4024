"""Chatbot routes: the caller's chatbots, and a new signing secret for a chatbot's endpoint."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.http import caller, json_response, route

chatbots = Blueprint(__name__)


@route(chatbots, "/api/chatbots", method="GET")
def list_chatbots() -> Response:
    user = caller(chatbots.current_request)
    return json_response({"chatbots": deps.service().list_chatbots(user)})


@route(chatbots, "/api/chatbots/{chatbot_id}/rotate-secret", method="POST")
def rotate_chatbot_secret(chatbot_id: str) -> Response:
    user = caller(chatbots.current_request)
    return json_response(deps.service().rotate_chatbot_secret(user, chatbot_id))
