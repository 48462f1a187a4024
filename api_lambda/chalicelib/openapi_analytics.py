"""The analytics part of the OpenAPI document (merged into `openapi.OPENAPI`)."""

from __future__ import annotations

from typing import Any

from chalicelib.openapi_parts import UUID, errors, nullable, ref
from wagate.analytics import COUNTS, MAX_TZ_LENGTH
from wagate.analytics_csv import MAX_EXPORT_BYTES

_COUNT = {"type": "integer", "minimum": 0}
_CSV = {"type": "string", "description": "RFC 4180, every cell quoted; text cells starting with "
        "= + - @ tab or CR prefixed with `'`."}  # fmt: skip
_PERIOD_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "chatbot_id",
        "in": "query",
        "required": True,
        "description": "One of my chatbots (another user's is `chatbot_not_found`).",
        "schema": UUID,
    },
    {
        "name": "session_id",
        "in": "query",
        "required": False,
        "description": "Only this session of the chatbot (`session_not_found` otherwise).",
        "schema": UUID,
    },
    {
        "name": "from",
        "in": "query",
        "required": False,
        "description": "Start, included: an ISO 8601 date (midnight in `tz`) or time (in `tz` without an "
        "offset). Default: 30 days ago at midnight (`bucket=day`), 23 hours before the current hour "
        "(`hour`).",
        "schema": {"type": "string", "example": "2026-12-01"},
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "description": "End, excluded (same forms as `from`). Default: now. At most 366 days after `from` "
        "by day, 31 by hour (`period_too_long`).",
        "schema": {"type": "string", "example": "2026-12-08T00:00:00+01:00"},
    },
    {
        "name": "tz",
        "in": "query",
        "required": False,
        "description": "The IANA time zone of the buckets, the busiest hours and dates without an offset.",
        "schema": {
            "type": "string",
            "maxLength": MAX_TZ_LENGTH,
            "default": "UTC",
            "example": "Europe/Berlin",
        },
    },
]

_FIGURES = {
    "type": "object",
    "required": [*COUNTS, "reply_time_ms", "failures", "media"],
    "properties": {
        "conversations": {**_COUNT, "description": "Distinct customers with a message in the bucket."},
        "new_customers": {**_COUNT, "description": "Customers whose first message in the period is in this "
                          "bucket and who had none before the period (either direction)."},
        "returning_customers": {**_COUNT, "description": "conversations - new_customers."},
        "messages_in": _COUNT,
        "messages_out": _COUNT,
        "answered": {**_COUNT, "description": "Inbound messages the chatbot replied to (`replied`)."},
        "failed": {**_COUNT, "description": "Inbound messages that failed (see `failures`)."},
        "unanswered": {**_COUNT, "description": "Inbound messages still `received` or `replying`."},
        "replies_sent": _COUNT,
        "replies_failed": _COUNT,
        "replies_queued": _COUNT,
        "reply_time_ms": {
            "type": "object",
            "required": ["count", "p50", "p95"],
            "description": "An inbound message's `timestamp` to its first sent reply's `timestamp`, counted "
            "in the inbound message's bucket.",
            "properties": {
                "count": _COUNT,
                "p50": nullable({"type": "number"}),
                "p95": nullable({"type": "number"}),
            },
        },
        "failures": {
            "type": "object",
            "description": "Failed messages (both directions) by `error_code` (`unknown` without one).",
            "additionalProperties": _COUNT,
        },
        "media": {
            "type": "object",
            "required": ["inbound", "outbound"],
            "description": "Messages other than text, by direction and type.",
            "properties": {
                "inbound": {"type": "object", "additionalProperties": _COUNT},
                "outbound": {"type": "object", "additionalProperties": _COUNT},
            },
        },
    },
}  # fmt: skip

SCHEMAS: dict[str, Any] = {
    "AnalyticsFigures": _FIGURES,
    "Analytics": {
        "type": "object",
        "required": ["chatbot_id", "session_id", "from", "to", "bucket", "tz", "totals", "buckets",
                     "busiest_hours"],
        "properties": {
            "chatbot_id": UUID,
            "session_id": nullable(UUID),
            "from": {"type": "string", "format": "date-time"},
            "to": {"type": "string", "format": "date-time"},
            "bucket": {"type": "string", "enum": ["day", "hour"]},
            "tz": {"type": "string"},
            "totals": ref("AnalyticsFigures"),
            "buckets": {
                "type": "array",
                "description": "Every bucket of the period, oldest first, empty ones too; `start` is the "
                "bucket's start (a local midnight or hour in `tz`; the first may start before `from`).",
                "items": {"allOf": [ref("AnalyticsFigures"), {
                    "type": "object", "required": ["start"],
                    "properties": {"start": {"type": "string", "format": "date-time"}}}]},
            },
            "busiest_hours": {
                "type": "object",
                "required": ["by_hour", "by_weekday_hour"],
                "description": "Inbound messages by local hour (0-23), and by weekday (Monday first) "
                "and hour.",
                "properties": {
                    "by_hour": {"type": "array", "items": _COUNT, "minItems": 24, "maxItems": 24},
                    "by_weekday_hour": {
                        "type": "array", "minItems": 7, "maxItems": 7,
                        "items": {"type": "array", "items": _COUNT, "minItems": 24, "maxItems": 24},
                    },
                },
            },
        },
    },
}  # fmt: skip

PATHS: dict[str, Any] = {
    "/api/analytics": {
        "get": {
            "operationId": "getAnalytics",
            "summary": "A chatbot's figures (or one of its sessions') over a period, per day or hour.",
            "parameters": [
                *_PERIOD_PARAMETERS,
                {
                    "name": "bucket",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["day", "hour"], "default": "day"},
                },
                {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "description": "`csv`: the same figures, a row per bucket and a `total` row.",
                    "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The figures.",
                    "content": {
                        "application/json": {"schema": ref("Analytics")},
                        "text/csv": {"schema": _CSV},
                    },
                },
                **errors(400, 401, 404, 429, 503),
            },
        }
    },
    "/api/analytics/messages.csv": {
        "get": {
            "operationId": "exportMessages",
            "summary": "The chatbot's messages of a period as CSV, oldest first.",
            "description": f"At most {MAX_EXPORT_BYTES // 1_000_000} MB per answer: a longer export stops "
            "at a "
            "row and names in `X-Wagate-Next-Cursor` the `after` that goes on.",
            "parameters": [
                *_PERIOD_PARAMETERS,
                {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "description": "The `X-Wagate-Next-Cursor` of the previous, capped export.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "id, timestamp, session_id, direction, customer, customer_phone, "
                    "customer_lid, chat_id, type, status, error_code, reply_to, content, media_filename.",
                    "headers": {
                        "X-Wagate-Next-Cursor": {
                            "description": "Only when the export stopped early: pass it as `after`.",
                            "schema": {"type": "string"},
                        }
                    },
                    "content": {"text/csv": {"schema": _CSV}},
                },
                **errors(400, 401, 404, 429, 503),
            },
        }
    },
}
