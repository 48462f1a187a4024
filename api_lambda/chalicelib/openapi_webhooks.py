"""The webhook part of the OpenAPI document (merged into `openapi.OPENAPI`)."""

from __future__ import annotations

from typing import Any

from wagate.validation import MAX_URL_LENGTH, UUID_PATTERN
from wagate.webhook_api import DEFAULT_DELIVERIES_PAGE, MAX_DELIVERIES_PAGE, MAX_DESCRIPTION
from wagate.webhooks import EVENT_TYPES

_UUID = {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}
_TIME = {"type": "string", "format": "date-time"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in sorted(statuses)}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


_URL = {
    "type": "string",
    "format": "uri",
    "pattern": "^https?://[^\\s@/?#]+(/[^\\s]*)?$",
    "maxLength": MAX_URL_LENGTH,
    "description": "https, on a public address (http and private addresses only where the operator "
    "allows them; the local stack allows http://127.0.0.1). Checked by the endpoint guard now and "
    "at every delivery.",
}
_EVENTS = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "string", "enum": list(EVENT_TYPES)},
    "description": "What to receive. `session.qr` says a QR code is ready and until when, never the code.",
}
_DESCRIPTION = _nullable({"type": "string", "maxLength": MAX_DESCRIPTION, "pattern": "^[^\\u0000]*$"})
_WEBHOOK_PATH_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The endpoint's `id` (a UUID).",
    "schema": _UUID,
}

SCHEMAS: dict[str, Any] = {
    "Webhook": {
        "type": "object",
        "required": ["id", "url", "events", "ordered", "enabled", "created_at", "updated_at"],
        "properties": {
            "id": _UUID,
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}},
            "description": _nullable({"type": "string"}),
            "session_id": _nullable(_UUID),
            "chatbot_id": _nullable(_UUID),
            "ordered": {
                "type": "boolean",
                "description": "One session's events arrive in the order they happened (a delivery "
                "waits for the earlier ones of its session).",
            },
            "enabled": {"type": "boolean"},
            "disabled_reason": _nullable({"type": "string"}),
            "disabled_at": _nullable(_TIME),
            "failing_since": _nullable(
                {**_TIME, "description": "No delivery has succeeded since (disabled after 5 days)."}
            ),
            "secret_created_at": _nullable(_TIME),
            "previous_secret_valid_until": _nullable(
                {**_TIME, "description": "While a rotation's overlap lasts, deliveries carry two signatures."}
            ),
            "created_at": _TIME,
            "updated_at": _TIME,
            "secret": {
                "type": "string",
                "description": "Only in the answers to a create and a rotation: the `whsec_…` secret "
                "that signs every delivery (Standard Webhooks), shown this once.",
            },
        },
    },
    "CreateWebhookRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["url", "events"],
        "properties": {
            "url": _URL,
            "events": _EVENTS,
            "description": _DESCRIPTION,
            "session_id": {**_UUID, "description": "Only this session's events (not with `chatbot_id`)."},
            "chatbot_id": {**_UUID, "description": "Only this chatbot's events (not with `session_id`)."},
            "ordered": {"type": "boolean", "default": True},
        },
    },
    "UpdateWebhookRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": _URL,
            "events": _EVENTS,
            "description": _DESCRIPTION,
            "ordered": {"type": "boolean"},
            "enabled": {
                "type": "boolean",
                "description": "false stops deliveries (they wait); true resumes them, in order.",
            },
        },
    },
    "WebhookTest": {
        "type": "object",
        "required": ["event_id", "type"],
        "properties": {"event_id": {"type": "string"}, "type": {"type": "string", "enum": ["ping"]}},
    },
    "WebhookDelivery": {
        "type": "object",
        "required": ["id", "event_id", "status", "attempts", "created_at", "attempt_log"],
        "properties": {
            "id": _UUID,
            "event_id": {"type": "string", "description": "`webhook-id`: the same on every attempt."},
            "event_type": _nullable({"type": "string"}),
            "event_created_at": _nullable(_TIME),
            "status": {"type": "string", "enum": ["pending", "delivering", "delivered", "failed"]},
            "attempts": {"type": "integer"},
            "next_attempt_at": _nullable(
                {
                    **_TIME,
                    "description": "When pending: the next attempt (null while it waits for an earlier "
                    "delivery of its session, or for the endpoint to be enabled).",
                }
            ),
            "last_status_code": _nullable({"type": "integer"}),
            "last_error": _nullable({"type": "string"}),
            "created_at": _TIME,
            "delivered_at": _nullable(_TIME),
            "failed_at": _nullable(_TIME),
            "attempt_log": {
                "type": "array",
                "description": "The latest attempts, oldest first.",
                "items": {
                    "type": "object",
                    "required": ["attempt", "at"],
                    "properties": {
                        "attempt": {"type": "integer"},
                        "at": _TIME,
                        "status_code": _nullable({"type": "integer"}),
                        "latency_ms": _nullable({"type": "integer"}),
                        "error": _nullable({"type": "string"}),
                    },
                },
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/webhooks": {
        "get": {
            "operationId": "listWebhooks",
            "summary": "My webhook endpoints.",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["webhooks"],
                        "properties": {"webhooks": {"type": "array", "items": _ref("Webhook")}},
                    },
                    "My endpoints (never their secrets).",
                ),
                **_errors(401, 429, 503),
            },
        },
        "post": {
            "operationId": "createWebhook",
            "summary": "Add an endpoint; its signing secret is in the answer, this once.",
            "requestBody": _body("CreateWebhookRequest"),
            "responses": {
                "201": _json(_ref("Webhook"), "The new endpoint, with `secret`."),
                **_errors(400, 401, 404, 409, 413, 415, 429, 503),
            },
        },
    },
    "/api/webhooks/{id}": {
        "parameters": [_WEBHOOK_PATH_ID],
        "get": {
            "operationId": "getWebhook",
            "summary": "One of my endpoints.",
            "responses": {"200": _json(_ref("Webhook"), "The endpoint."), **_errors(401, 404, 429, 503)},
        },
        "patch": {
            "operationId": "updateWebhook",
            "summary": "Change an endpoint's URL, events, description, order, or enable/disable it.",
            "requestBody": _body("UpdateWebhookRequest"),
            "responses": {
                "200": _json(_ref("Webhook"), "The endpoint."),
                **_errors(400, 401, 404, 413, 415, 429, 503),
            },
        },
        "delete": {
            "operationId": "deleteWebhook",
            "summary": "Remove an endpoint and its deliveries.",
            "responses": {"204": {"description": "Deleted."}, **_errors(401, 404, 429, 503)},
        },
    },
    "/api/webhooks/{id}/rotate-secret": {
        "parameters": [_WEBHOOK_PATH_ID],
        "post": {
            "operationId": "rotateWebhookSecret",
            "summary": "A new signing secret (the old one keeps signing for "
            "`WAGATE_SECRET_ROTATION_OVERLAP_S`, a day by default).",
            "responses": {
                "200": _json(_ref("Webhook"), "The endpoint, with the new `secret` shown this once."),
                **_errors(401, 404, 429, 503),
            },
        },
    },
    "/api/webhooks/{id}/test": {
        "parameters": [_WEBHOOK_PATH_ID],
        "post": {
            "operationId": "testWebhook",
            "summary": "Send a `ping` event to this endpoint.",
            "responses": {"202": _json(_ref("WebhookTest"), "Queued."), **_errors(401, 404, 429, 503)},
        },
    },
    "/api/webhooks/{id}/deliveries": {
        "parameters": [_WEBHOOK_PATH_ID],
        "get": {
            "operationId": "listWebhookDeliveries",
            "summary": "The endpoint's deliveries, newest first, each with its attempts.",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_DELIVERIES_PAGE,
                        "default": DEFAULT_DELIVERIES_PAGE,
                    },
                },
                {
                    "name": "before",
                    "in": "query",
                    "required": False,
                    "description": "The `next_cursor` of the previous page.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["deliveries", "next_cursor"],
                        "properties": {
                            "deliveries": {"type": "array", "items": _ref("WebhookDelivery")},
                            "next_cursor": _nullable({"type": "string"}),
                        },
                    },
                    "A page of deliveries.",
                ),
                **_errors(400, 401, 404, 429, 503),
            },
        },
    },
    "/api/webhooks/{id}/deliveries/{delivery_id}/retry": {
        "parameters": [
            _WEBHOOK_PATH_ID,
            {
                "name": "delivery_id",
                "in": "path",
                "required": True,
                "description": "The delivery's `id`.",
                "schema": _UUID,
            },
        ],
        "post": {
            "operationId": "retryWebhookDelivery",
            "summary": "Deliver again now (a failed delivery, or a delivered one: same event id).",
            "responses": {
                "202": _json(_ref("WebhookDelivery"), "Queued again."),
                **_errors(401, 404, 409, 429, 503),
            },
        },
    },
}
