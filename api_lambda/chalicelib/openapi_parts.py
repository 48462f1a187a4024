"""Building blocks of the OpenAPI document (`openapi.py` and `openapi_webhooks.py`)."""

from __future__ import annotations

from typing import Any

from wagate.validation import UUID_PATTERN

UUID = {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}
TIME = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in sorted(statuses)}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def page_parameters(*, maximum: int, default: int) -> list[dict[str, Any]]:
    """`limit` and `before` (the previous page's `next_cursor`)."""
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
        },
        {
            "name": "before",
            "in": "query",
            "required": False,
            "description": "The `next_cursor` of the previous page.",
            "schema": {"type": "string"},
        },
    ]
