"""The OpenAPI 3 document of the API, served at `GET /api/openapi.json`.

`tests/api/test_openapi.py` keeps it true: its operations and the app's routes are the same set,
and schemathesis checks the live API's answers against it.
"""

from __future__ import annotations

from typing import Any

from chalicelib import openapi_admin, openapi_analytics, openapi_media, openapi_webhooks
from chalicelib.openapi_parts import TIME, UUID, body, errors, json_content, nullable, page_parameters, ref
from wagate.failures import MESSAGE_CODES, SESSION_CODES
from wagate.phone import E164_DIGITS_PATTERN
from wagate.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from wagate.status import MAX_TEXT_LENGTH, Direction, MessageStatus, SessionStatus
from wagate.validation import MAX_URL_LENGTH

ERROR_CODES = {
    400: "invalid_json, invalid_body, missing_field, unknown_field, invalid_field, text_too_long, "
    "invalid_phone, invalid_parameter, missing_parameter, invalid_period, period_too_long, invalid_cursor, "
    "unknown_event_type, endpoint_not_allowed (a "
    "`bot_endpoint`, webhook `url` or `media_url` the endpoint guard refuses: the message says why), "
    "invalid_media, invalid_mime, invalid_filename, invalid_size, media_unreachable (`media_url` did not "
    "answer 200 with the file)",
    401: "unauthorized (also a valid token whose user no longer exists), anonymous_not_allowed",
    404: "session_not_found, qr_not_available, chatbot_not_found, webhook_not_found, delivery_not_found, "
    "media_not_found (no such upload, or nothing PUT to it yet), message_not_found "
    "(another user's looks the same as none), not_found (an admin route, to anyone but an operator)",
    406: "not_acceptable (the QR image needs `Accept: image/png`)",
    409: "session_not_connected, too_many_sessions, session_busy, too_many_webhooks, delivery_in_progress, "
    "owner_action_required, session_not_running, session_not_held (an operator's restart or release)",
    410: "qr_expired",
    413: "payload_too_large, media_too_large (over WhatsApp's limit for that kind of file)",
    415: "unsupported_media_type (a body that is not JSON), media_type_not_supported (a file WhatsApp "
    "does not take as asked: checked on its bytes)",
    429: "rate_limited (a user's API calls, a session's sends, per minute); wait `Retry-After` seconds",
    503: "database_unavailable, queue_unavailable, storage_unavailable, auth_unavailable",
}


_PHONE = {"type": "string", "pattern": E164_DIGITS_PATTERN, "example": "15551234567"}
_SESSION_PATH_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The session's `id` (a UUID).",
    "schema": UUID,
}
_AUTHENTICATED = [{"bearerAuth": []}]
_PUBLIC: list[dict[str, Any]] = []

_ERROR_DETAIL = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": _ERROR_DETAIL}},
    "Session": {
        "type": "object",
        "required": ["id", "session_id", "chatbot_id", "status", "created_at", "updated_at"],
        "properties": {
            "id": UUID,
            "session_id": {"type": "string", "description": "Unique text id (names logs and contexts)."},
            "chatbot_id": UUID,
            "status": {"type": "string", "enum": [status.value for status in SessionStatus]},
            "phone_number": nullable({"type": "string"}),
            "push_name": nullable({"type": "string"}),
            "qr_code": nullable(
                {"type": "string", "description": "Base64 PNG; only while `qr_expires_at` is in the future."}
            ),
            "qr_expires_at": nullable(TIME),
            "pairing_code": nullable({"type": "string"}),
            "connected_at": nullable(TIME),
            "last_error": nullable({"type": "string", "description": "Plain words for the owner."}),
            "last_error_code": nullable(
                {"type": "string", "description": "Stable: " + ", ".join(SESSION_CODES) + "."}
            ),
            "created_at": TIME,
            "updated_at": TIME,
            "bot_signing_secret": {
                "type": "string",
                "description": "Only in the answer to a create with `bot_endpoint` that made the "
                "chatbot's signing secret (`whsec_…`): shown this once. It verifies the "
                "Standard Webhooks signature of every call wagate makes to the endpoint.",
            },
        },
    },
    "Chatbot": {
        "type": "object",
        "required": ["chatbot_id", "created_at", "signing_secret_created_at", "previous_secret_valid_until"],
        "properties": {
            "chatbot_id": UUID,
            "created_at": TIME,
            "signing_secret_created_at": nullable(TIME),
            "previous_secret_valid_until": nullable(
                {**TIME, "description": "While a rotation's overlap lasts, calls carry both signatures."}
            ),
        },
    },
    "RotatedSecret": {
        "type": "object",
        "required": ["chatbot_id", "signing_secret", "rotated_at", "previous_valid_until"],
        "properties": {
            "chatbot_id": UUID,
            "signing_secret": {"type": "string", "description": "`whsec_…`, shown this once."},
            "rotated_at": TIME,
            "previous_valid_until": nullable(TIME),
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "session_id", "message_id", "direction", "status", "timestamp"],
        "properties": {
            "id": UUID,
            "session_id": nullable(UUID),
            "message_id": {
                "type": "string",
                "description": "WhatsApp's id; `pending:<uuid>` until an outbound message is sent.",
            },
            "direction": {"type": "string", "enum": [d.value for d in Direction]},
            "from_number": {"type": "string"},
            "to_number": {"type": "string"},
            "content": {"type": "string"},
            "status": {"type": "string", "enum": [s.value for s in MessageStatus]},
            "ack": nullable({"type": "integer"}),
            "timestamp": TIME,
            "reply_to": nullable(UUID),
            "error": nullable({"type": "string", "description": "Plain words for the owner."}),
            "error_code": nullable(
                {"type": "string", "description": "Stable: " + ", ".join(MESSAGE_CODES) + "."}
            ),
            "chat_id": nullable(
                {
                    "type": "string",
                    "description": "The chat as WhatsApp names it: `<lid>@lid` (a customer addressed by "
                    "LID) or `<phone>@c.us`. Replies go into it.",
                }
            ),
            "customer_lid": nullable(
                {"type": "string", "description": "The customer's LID, when there is one."}
            ),
            "customer_phone": nullable(
                {
                    "type": "string",
                    "description": "The customer's phone number (E.164 digits) when WhatsApp Web knows it; a "
                    "customer writing by LID may hide it (then `from_number` is the LID chat).",
                }
            ),
            "edited_at": nullable({**TIME, "description": "When the customer last edited it."}),
            "revoked_at": nullable({**TIME, "description": "When the customer deleted it for everyone."}),
            **openapi_media.MESSAGE_MEDIA_PROPERTIES,
        },
    },
    "CreateSessionRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["chatbot_id"],
        "properties": {
            "chatbot_id": UUID,
            "phone_number": {
                **_PHONE,
                "description": "Log in with a pairing code for this number instead of a QR code.",
            },
            "bot_endpoint": {
                "type": "string",
                "format": "uri",
                "pattern": "^https?://[^\\s@/?#]+(/[^\\s]*)?$",
                "maxLength": MAX_URL_LENGTH,
                "description": "The chatbot's own endpoint, instead of avatar-chat: https, on a public "
                "address (http and private addresses only where the operator allows them). Calls to "
                "it are signed with the chatbot's secret (Standard Webhooks).",
            },
        },
    },
    "DisconnectSessionRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["session_id"],
        "properties": {"session_id": {**UUID, "description": "The session's `id`."}},
    },
    "SendMessageRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["session_id", "to"],
        "description": "A text (`text`), or a file (`media_id` or `media_url`, with an optional "
        "`caption` and `type`).",
        "properties": {
            "session_id": {**UUID, "description": "The session's `id`."},
            "to": _PHONE,
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_LENGTH, "pattern": "\\S"},
            **openapi_media.SEND_MEDIA_PROPERTIES,
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": {
                "type": "object",
                "additionalProperties": {"type": "string", "enum": ["ok", "unavailable"]},
            },
            "error": _ERROR_DETAIL,
        },
    },
}


def _error_response(status: int) -> dict[str, Any]:
    response = json_content(
        ref("Error"), f'`{{"error": {{"code", "message"}}}}`; codes: {ERROR_CODES[status]}'
    )
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
        }
    return response


PATHS: dict[str, Any] = {
    "/api/health": {
        "get": {
            "operationId": "health",
            "summary": "Whether PostgREST and SQS answer.",
            "security": _PUBLIC,
            "responses": {
                "200": json_content(ref("Health"), "Everything answers."),
                "503": json_content(ref("Health"), "A dependency is down; `checks` names it."),
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": _PUBLIC,
            "responses": {"200": json_content({"type": "object"}, "The OpenAPI document.")},
        }
    },
    "/api/sessions": {
        "get": {
            "operationId": "listSessions",
            "summary": "My sessions, newest first.",
            "responses": {
                "200": json_content(
                    {
                        "type": "object",
                        "required": ["sessions"],
                        "properties": {"sessions": {"type": "array", "items": ref("Session")}},
                    },
                    "My sessions.",
                ),
                **errors(401, 429, 503),
            },
        }
    },
    "/api/sessions/create": {
        "post": {
            "operationId": "createSession",
            "summary": "Create a session (`pending`) and ask a runner to start it.",
            "requestBody": body("CreateSessionRequest"),
            "responses": {
                "201": json_content(ref("Session"), "The new session."),
                **errors(400, 401, 429, 409, 413, 415, 503),
            },
        }
    },
    "/api/sessions/disconnect": {
        "post": {
            "operationId": "disconnectSession",
            "summary": "Log the device out and end the session.",
            "requestBody": body("DisconnectSessionRequest"),
            "responses": {
                "202": json_content(
                    ref("Session"), "Accepted: the runner is told, or the session is ended here."
                ),
                **errors(400, 401, 429, 404, 409, 413, 415, 503),
            },
        }
    },
    "/api/messages/send": {
        "post": {
            "operationId": "sendMessage",
            "summary": "Queue a text or a file from a connected session.",
            "requestBody": body("SendMessageRequest"),
            "responses": {
                "202": json_content(
                    {"type": "object", "required": ["message"], "properties": {"message": ref("Message")}},
                    "Queued: the message row (`queued`) is the source of truth.",
                ),
                **errors(400, 401, 429, 404, 409, 413, 415, 503),
            },
        }
    },
    "/api/sessions/{id}": {
        "parameters": [_SESSION_PATH_ID],
        "get": {
            "operationId": "getSession",
            "summary": "One of my sessions (the QR code only while it is valid).",
            "responses": {"200": json_content(ref("Session"), "The session."), **errors(401, 429, 404, 503)},
        },
        "delete": {
            "operationId": "deleteSession",
            "summary": "Log out, erase the stored auth state and remove the session.",
            "parameters": [
                {
                    "name": "delete_messages",
                    "in": "query",
                    "required": False,
                    "description": "Also erase its messages (by default they are kept, detached).",
                    "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
                }
            ],
            "responses": {"204": {"description": "Deleted."}, **errors(400, 401, 429, 404, 503)},
        },
    },
    "/api/sessions/{id}/qr": {
        "parameters": [_SESSION_PATH_ID],
        "get": {
            "operationId": "getSessionQr",
            "summary": "The current QR code as a PNG image.",
            "responses": {
                "200": {
                    "description": "The QR code.",
                    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                },
                **errors(401, 429, 404, 406, 410, 503),
            },
        },
    },
    "/api/sessions/{id}/messages": {
        "parameters": [_SESSION_PATH_ID],
        "get": {
            "operationId": "listMessages",
            "summary": "The session's messages, newest first, a page at a time.",
            "parameters": page_parameters(maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE),
            "responses": {
                "200": json_content(
                    {
                        "type": "object",
                        "required": ["messages", "next_cursor"],
                        "properties": {
                            "messages": {"type": "array", "items": ref("Message")},
                            "next_cursor": nullable({"type": "string"}),
                        },
                    },
                    "A page of messages.",
                ),
                **errors(400, 401, 429, 404, 503),
            },
        },
    },
    "/api/chatbots": {
        "get": {
            "operationId": "listChatbots",
            "summary": "My chatbots (a chatbot is its first linker's), with their secrets' dates.",
            "responses": {
                "200": json_content(
                    {
                        "type": "object",
                        "required": ["chatbots"],
                        "properties": {"chatbots": {"type": "array", "items": ref("Chatbot")}},
                    },
                    "My chatbots.",
                ),
                **errors(401, 429, 503),
            },
        }
    },
    "/api/chatbots/{chatbot_id}/rotate-secret": {
        "parameters": [
            {
                "name": "chatbot_id",
                "in": "path",
                "required": True,
                "description": "The chatbot's id (a UUID).",
                "schema": UUID,
            }
        ],
        "post": {
            "operationId": "rotateChatbotSecret",
            "summary": "A new signing secret for the chatbot's endpoint (the old one stays valid for "
            "`WAGATE_SECRET_ROTATION_OVERLAP_S`, a day by default).",
            "responses": {
                "200": json_content(ref("RotatedSecret"), "The new secret, shown this once."),
                **errors(401, 429, 404, 503),
            },
        },
    },
    "/api/sessions/{id}/restart": {
        "parameters": [_SESSION_PATH_ID],
        "post": {
            "operationId": "restartSession",
            "summary": "Close and start the session again (a new QR code if it is not logged in).",
            "responses": {
                "202": json_content(ref("Session"), "Accepted."),
                **errors(401, 429, 404, 409, 503),
            },
        },
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "wagate API",
        "version": "1.0.0",
        "description": "WhatsApp Web sessions for chatbots. Every operation but health and this document "
        "needs `Authorization: Bearer <Supabase access token>`. Errors are "
        '`{"error": {"code", "message"}}` with a stable `code`.',
    },
    "paths": {
        **PATHS,
        **openapi_webhooks.PATHS,
        **openapi_media.PATHS,
        **openapi_admin.PATHS,
        **openapi_analytics.PATHS,
    },
    "security": _AUTHENTICATED,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "schemas": {
            **SCHEMAS,
            **openapi_webhooks.SCHEMAS,
            **openapi_media.SCHEMAS,
            **openapi_admin.SCHEMAS,
            **openapi_analytics.SCHEMAS,
        },
        "responses": {f"Error{status}": _error_response(status) for status in ERROR_CODES},
    },
}
