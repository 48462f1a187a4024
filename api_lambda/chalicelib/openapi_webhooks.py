"""The webhook part of the OpenAPI document (merged into `openapi.OPENAPI`)."""

from __future__ import annotations

from typing import Any

from chalicelib.openapi_parts import TIME, UUID, body, errors, json_content, nullable, page_parameters, ref
from wagate.validation import MAX_URL_LENGTH
from wagate.webhook_api import DEFAULT_DELIVERIES_PAGE, MAX_DELIVERIES_PAGE, MAX_DESCRIPTION
from wagate.webhooks import EVENT_TYPES

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
_DESCRIPTION = nullable({"type": "string", "maxLength": MAX_DESCRIPTION, "pattern": "^[^\\u0000]*$"})
_WEBHOOK_PATH_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The endpoint's `id` (a UUID).",
    "schema": UUID,
}

SCHEMAS: dict[str, Any] = {
    "Webhook": {
        "type": "object",
        "required": ["id", "url", "events", "ordered", "enabled", "created_at", "updated_at"],
        "properties": {
            "id": UUID,
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}},
            "description": nullable({"type": "string"}),
            "session_id": nullable(UUID),
            "chatbot_id": nullable(UUID),
            "ordered": {
                "type": "boolean",
                "description": "One session's events arrive in the order they happened (a delivery "
                "waits for the earlier ones of its session).",
            },
            "enabled": {"type": "boolean"},
            "disabled_reason": nullable({"type": "string"}),
            "disabled_at": nullable(TIME),
            "failing_since": nullable(
                {**TIME, "description": "No delivery has succeeded since (disabled after 5 days)."}
            ),
            "secret_created_at": nullable(TIME),
            "previous_secret_valid_until": nullable(
                {**TIME, "description": "While a rotation's overlap lasts, deliveries carry two signatures."}
            ),
            "created_at": TIME,
            "updated_at": TIME,
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
            "session_id": {**UUID, "description": "Only this session's events (not with `chatbot_id`)."},
            "chatbot_id": {**UUID, "description": "Only this chatbot's events (not with `session_id`)."},
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
            "id": UUID,
            "event_id": {"type": "string", "description": "`webhook-id`: the same on every attempt."},
            "event_type": nullable({"type": "string"}),
            "event_created_at": nullable(TIME),
            "status": {"type": "string", "enum": ["pending", "delivering", "delivered", "failed"]},
            "attempts": {"type": "integer"},
            "next_attempt_at": nullable(
                {
                    **TIME,
                    "description": "When pending: the next attempt (null while it waits for an earlier "
                    "delivery of its session, or for the endpoint to be enabled).",
                }
            ),
            "last_status_code": nullable({"type": "integer"}),
            "last_error": nullable({"type": "string"}),
            "created_at": TIME,
            "delivered_at": nullable(TIME),
            "failed_at": nullable(TIME),
            "attempt_log": {
                "type": "array",
                "description": "The latest attempts, oldest first.",
                "items": {
                    "type": "object",
                    "required": ["attempt", "at"],
                    "properties": {
                        "attempt": {"type": "integer"},
                        "at": TIME,
                        "status_code": nullable({"type": "integer"}),
                        "latency_ms": nullable({"type": "integer"}),
                        "error": nullable({"type": "string"}),
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
                "200": json_content(
                    {
                        "type": "object",
                        "required": ["webhooks"],
                        "properties": {"webhooks": {"type": "array", "items": ref("Webhook")}},
                    },
                    "My endpoints (never their secrets).",
                ),
                **errors(401, 429, 503),
            },
        },
        "post": {
            "operationId": "createWebhook",
            "summary": "Add an endpoint; its signing secret is in the answer, this once.",
            "requestBody": body("CreateWebhookRequest"),
            "responses": {
                "201": json_content(ref("Webhook"), "The new endpoint, with `secret`."),
                **errors(400, 401, 404, 409, 413, 415, 429, 503),
            },
        },
    },
    "/api/webhooks/{id}": {
        "parameters": [_WEBHOOK_PATH_ID],
        "get": {
            "operationId": "getWebhook",
            "summary": "One of my endpoints.",
            "responses": {"200": json_content(ref("Webhook"), "The endpoint."), **errors(401, 404, 429, 503)},
        },
        "patch": {
            "operationId": "updateWebhook",
            "summary": "Change an endpoint's URL, events, description, order, or enable/disable it.",
            "requestBody": body("UpdateWebhookRequest"),
            "responses": {
                "200": json_content(ref("Webhook"), "The endpoint."),
                **errors(400, 401, 404, 413, 415, 429, 503),
            },
        },
        "delete": {
            "operationId": "deleteWebhook",
            "summary": "Remove an endpoint and its deliveries.",
            "responses": {"204": {"description": "Deleted."}, **errors(401, 404, 429, 503)},
        },
    },
    "/api/webhooks/{id}/rotate-secret": {
        "parameters": [_WEBHOOK_PATH_ID],
        "post": {
            "operationId": "rotateWebhookSecret",
            "summary": "A new signing secret (the old one keeps signing for "
            "`WAGATE_SECRET_ROTATION_OVERLAP_S`, a day by default).",
            "responses": {
                "200": json_content(ref("Webhook"), "The endpoint, with the new `secret` shown this once."),
                **errors(401, 404, 429, 503),
            },
        },
    },
    "/api/webhooks/{id}/test": {
        "parameters": [_WEBHOOK_PATH_ID],
        "post": {
            "operationId": "testWebhook",
            "summary": "Send a `ping` event to this endpoint.",
            "responses": {"202": json_content(ref("WebhookTest"), "Queued."), **errors(401, 404, 429, 503)},
        },
    },
    "/api/webhooks/{id}/deliveries": {
        "parameters": [_WEBHOOK_PATH_ID],
        "get": {
            "operationId": "listWebhookDeliveries",
            "summary": "The endpoint's deliveries, newest first, each with its attempts.",
            "parameters": page_parameters(maximum=MAX_DELIVERIES_PAGE, default=DEFAULT_DELIVERIES_PAGE),
            "responses": {
                "200": json_content(
                    {
                        "type": "object",
                        "required": ["deliveries", "next_cursor"],
                        "properties": {
                            "deliveries": {"type": "array", "items": ref("WebhookDelivery")},
                            "next_cursor": nullable({"type": "string"}),
                        },
                    },
                    "A page of deliveries.",
                ),
                **errors(400, 401, 404, 429, 503),
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
                "schema": UUID,
            },
        ],
        "post": {
            "operationId": "retryWebhookDelivery",
            "summary": "Deliver again now (a failed delivery, or a delivered one: same event id).",
            "responses": {
                "202": json_content(ref("WebhookDelivery"), "Queued again."),
                **errors(401, 404, 409, 429, 503),
            },
        },
    },
}
