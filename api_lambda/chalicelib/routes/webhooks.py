"""Webhook routes: a user's endpoints, their secrets, a test event, deliveries and retries."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.http import caller, json_body, json_response, no_content, query, route

webhooks = Blueprint(__name__)


@route(webhooks, "/api/webhooks", method="POST")
def create_webhook() -> Response:
    request = webhooks.current_request
    user = caller(request)
    return json_response(deps.service().webhooks.create(user, json_body(request)), 201)


@route(webhooks, "/api/webhooks", method="GET")
def list_webhooks() -> Response:
    user = caller(webhooks.current_request)
    return json_response({"webhooks": deps.service().webhooks.list(user)})


@route(webhooks, "/api/webhooks/{id}", method="GET")
def get_webhook(id: str) -> Response:
    user = caller(webhooks.current_request)
    return json_response(deps.service().webhooks.get(user, id))


@route(webhooks, "/api/webhooks/{id}", method="PATCH")
def update_webhook(id: str) -> Response:
    request = webhooks.current_request
    user = caller(request)
    return json_response(deps.service().webhooks.update(user, id, json_body(request)))


@route(webhooks, "/api/webhooks/{id}", method="DELETE")
def delete_webhook(id: str) -> Response:
    user = caller(webhooks.current_request)
    deps.service().webhooks.delete(user, id)
    return no_content()


@route(webhooks, "/api/webhooks/{id}/rotate-secret", method="POST")
def rotate_webhook_secret(id: str) -> Response:
    user = caller(webhooks.current_request)
    return json_response(deps.service().webhooks.rotate_secret(user, id))


@route(webhooks, "/api/webhooks/{id}/test", method="POST")
def test_webhook(id: str) -> Response:
    user = caller(webhooks.current_request)
    return json_response(deps.service().webhooks.test(user, id), 202)


@route(webhooks, "/api/webhooks/{id}/deliveries", method="GET")
def list_webhook_deliveries(id: str) -> Response:
    request = webhooks.current_request
    user = caller(request)
    return json_response(deps.service().webhooks.deliveries(user, id, query(request)))


@route(webhooks, "/api/webhooks/{id}/deliveries/{delivery_id}/retry", method="POST")
def retry_webhook_delivery(id: str, delivery_id: str) -> Response:
    user = caller(webhooks.current_request)
    return json_response(deps.service().webhooks.retry(user, id, delivery_id), 202)
