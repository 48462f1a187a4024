"""The operator's part of the OpenAPI document (merged into `openapi.OPENAPI`).

Every operation here answers 404 `not_found` to anyone but an operator (a token with
`app_metadata.role` "admin"), as an unknown route would.
"""

from __future__ import annotations

from typing import Any

from chalicelib.openapi_parts import TIME, UUID, errors, json_content, nullable, ref
from wagate.status import SessionStatus

_COUNT = {"type": "integer", "minimum": 0}
_ADMIN_ONLY = ' Operators only (`app_metadata.role` "admin" in the token); anyone else gets 404.'
_SESSION_PATH_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The session's `id` (a UUID), any user's.",
    "schema": UUID,
}
_QUEUE = nullable(
    {
        "type": "object",
        "description": "Approximate SQS figures; null when the queue is gone or SQS did not answer.",
        "required": ["visible", "in_flight", "dead_letters"],
        "properties": {
            "visible": {**_COUNT, "description": "Commands waiting."},
            "in_flight": {**_COUNT, "description": "Commands received and not yet deleted."},
            "dead_letters": nullable({**_COUNT, "description": "Commands in the queue's dead-letter queue."}),
        },
    }
)
_CODE_COUNTS = {"type": "object", "additionalProperties": _COUNT}

SCHEMAS: dict[str, Any] = {
    "AdminSession": {
        "type": "object",
        "description": "What an operator sees of a session: ids, status, runner; never a phone number, "
        "a QR code, a message or an error's text.",
        "required": ["id", "user_id", "chatbot_id", "status", "status_since", "runner_id"],
        "properties": {
            "id": UUID,
            "user_id": UUID,
            "chatbot_id": UUID,
            "status": {"type": "string", "enum": [s.value for s in SessionStatus]},
            "status_since": nullable(TIME),
            "runner_id": nullable({"type": "string"}),
            "lease_expires_at": nullable(TIME),
            "last_error_code": nullable({"type": "string"}),
            "reason": {
                "type": "string",
                "enum": ["opening_too_long", "not_claimed", "lease_expired"],
                "description": "Why it is listed as stuck (only in `stuck_sessions`).",
            },
        },
    },
    "AdminRunner": {
        "type": "object",
        "required": ["runner_id", "capacity", "active_sessions", "heartbeat_age_s", "alive", "queue"],
        "properties": {
            "runner_id": {"type": "string"},
            "capacity": _COUNT,
            "active_sessions": _COUNT,
            "started_at": nullable(TIME),
            "heartbeat_at": nullable(TIME),
            "heartbeat_age_s": nullable({"type": "number"}),
            "alive": {"type": "boolean", "description": "Its heartbeat is within `heartbeat_window_s`."},
            "browser_restarts": {**_COUNT, "description": "Times its Chromium was relaunched after a crash."},
            "queue": _QUEUE,
        },
    },
    "Fleet": {
        "type": "object",
        "required": ["generated_at", "heartbeat_window_s", "runners", "queues", "sessions", "stuck_sessions"],
        "properties": {
            "generated_at": TIME,
            "heartbeat_window_s": {"type": "number"},
            "stuck_after_s": {"type": "integer"},
            "runners": {"type": "array", "items": ref("AdminRunner")},
            "queues": {"type": "object", "properties": {"start": _QUEUE}},
            "sessions": {
                "type": "object",
                "properties": {"by_status": _CODE_COUNTS, "total": _COUNT},
            },
            "stuck_sessions": {"type": "array", "items": ref("AdminSession")},
            "failures": {
                "type": "object",
                "description": "Session `last_error_code`s and failed messages' `error_code`s per hour "
                "over the last 24 hours.",
                "properties": {
                    "since": TIME,
                    "by_hour": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "hour": TIME,
                                "sessions": _CODE_COUNTS,
                                "messages": _CODE_COUNTS,
                            },
                        },
                    },
                },
            },
        },
    },
    "AdminAction": {
        "type": "object",
        "required": ["session", "action"],
        "properties": {
            "session": ref("AdminSession"),
            "action": {"type": "string", "enum": ["restart", "release"]},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/admin/fleet": {
        "get": {
            "operationId": "adminFleet",
            "summary": "The runners, the queues, sessions by status, stuck sessions, failures per hour."
            + _ADMIN_ONLY,
            "responses": {"200": json_content(ref("Fleet"), "The fleet now."), **errors(401, 404, 429, 503)},
        }
    },
    "/api/admin/sessions/{id}/restart": {
        "parameters": [_SESSION_PATH_ID],
        "post": {
            "operationId": "adminRestartSession",
            "summary": "Restart any user's session, as its owner's restart does (409 "
            "owner_action_required for `logged_out` and `qr_expired`: only the owner can scan)."
            + _ADMIN_ONLY,
            "responses": {
                "202": json_content(ref("AdminAction"), "Accepted."),
                **errors(401, 404, 409, 429, 503),
            },
        },
    },
    "/api/admin/sessions/{id}/release": {
        "parameters": [_SESSION_PATH_ID],
        "post": {
            "operationId": "adminReleaseSession",
            "summary": "End the lease of the runner holding a session, so another runner takes it "
            "(again on one already released: the same answer; 409 session_not_held when nobody holds "
            "it and it is not waiting to be taken, session_not_running when it has ended)." + _ADMIN_ONLY,
            "responses": {
                "200": json_content(ref("AdminAction"), "Released."),
                **errors(401, 404, 409, 429, 503),
            },
        },
    },
}
