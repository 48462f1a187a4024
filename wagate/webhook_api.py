"""The API's webhook use cases: a user's endpoints, their secrets, test events, deliveries.

Same rules as the rest of the API (`wagate.service`): every call admitted first; another user's
endpoint, session, chatbot or delivery answers 404 as if it did not exist; bad input is a 4xx with
a stable code and leaves nothing written. The URL goes through the endpoint guard when it is set
(and again at every delivery); wagate makes each endpoint's signing secret and shows it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from wagate.auth import Principal
from wagate.endpoints import check_endpoint
from wagate.errors import Conflict, InvalidInput, NotFound
from wagate.presenters import parse_timestamp
from wagate.signing import new_signing_secret
from wagate.store import Row, Store, eq, in_, or_, quoted
from wagate.validation import (
    BodySchema,
    Field,
    endpoint_url_field,
    is_uuid,
    limit_parameter,
    uuid_field,
)
from wagate.webhooks import EVENT_TYPES

log = logging.getLogger("wagate.webhook_api")

WEBHOOKS = "wagate_webhooks"
DELIVERIES = "wagate_deliveries"
MAX_DESCRIPTION = 500
DEFAULT_DELIVERIES_PAGE = 50
MAX_DELIVERIES_PAGE = 200
ATTEMPTS_SHOWN = 20  # per delivery, the latest
WEBHOOK_FIELDS = (
    "id",
    "url",
    "events",
    "description",
    "session_id",
    "chatbot_id",
    "ordered",
    "enabled",
    "disabled_reason",
    "disabled_at",
    "failing_since",
    "created_at",
    "updated_at",
)


def events_field(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name!r} must be a non-empty list of event types", code="invalid_field")
    unknown = [v for v in value if v not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0][:60]!r}: one of {', '.join(EVENT_TYPES)}",
            code="unknown_event_type",
        )
    return sorted(set(value), key=EVENT_TYPES.index)


def description_field(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "\x00" in value or len(value) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"{name!r} must be a string of at most {MAX_DESCRIPTION} characters", code="invalid_field"
        )
    return value


def bool_field(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name!r} must be true or false", code="invalid_field")
    return value


CREATE_BODY = BodySchema(
    (
        Field("url", endpoint_url_field),
        Field("events", events_field),
        Field("description", description_field, required=False),
        Field("session_id", uuid_field, required=False),
        Field("chatbot_id", uuid_field, required=False),
        Field("ordered", bool_field, required=False),
    )
)
UPDATE_BODY = BodySchema(
    (
        Field("url", endpoint_url_field, required=False),
        Field("events", events_field, required=False),
        Field("description", description_field, required=False),
        Field("ordered", bool_field, required=False),
        Field("enabled", bool_field, required=False),
    )
)


def public_webhook(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """An endpoint as its owner reads it: never a secret, only when it was made or rotated."""
    webhook = {name: row.get(name) for name in WEBHOOK_FIELDS}
    previous_until = parse_timestamp(row.get("previous_valid_until"))
    webhook["secret_created_at"] = row.get("rotated_at") or row.get("created_at")
    webhook["previous_secret_valid_until"] = (
        row.get("previous_valid_until") if previous_until is not None and previous_until > now else None
    )
    return webhook


def public_delivery(row: Mapping[str, Any]) -> dict[str, Any]:
    event = row.get("wagate_events") or {}
    attempts = sorted(row.get("wagate_delivery_attempts") or [], key=lambda a: a["id"])[-ATTEMPTS_SHOWN:]
    return {
        "id": row["id"],
        "event_id": row["event_id"],
        "event_type": event.get("type"),
        "event_created_at": event.get("created_at"),
        "status": row["status"],
        "attempts": row["attempts"],
        # pending and due at 'infinity': waiting for an earlier delivery of its session, or for
        # its endpoint to be enabled again
        "next_attempt_at": row["next_attempt_at"]
        if row["status"] == "pending" and row["next_attempt_at"] != "infinity"
        else None,
        "last_status_code": row.get("last_status_code"),
        "last_error": row.get("last_error"),
        "created_at": row["created_at"],
        "delivered_at": row.get("delivered_at"),
        "failed_at": row.get("failed_at"),
        "attempt_log": [
            {
                "attempt": a["attempt"],
                "at": a["attempted_at"],
                "status_code": a.get("status_code"),
                "latency_ms": a.get("latency_ms"),
                "error": a.get("error"),
            }
            for a in attempts
        ],
    }


class WebhookApi:
    def __init__(
        self,
        *,
        store: Store,
        admit: Callable[[Principal], None],
        owned_session: Callable[..., Row],
        owns_chatbot: Callable[[Principal, str], bool],
        clock: Callable[[], datetime],
        allow_private_endpoints: bool,
        max_per_user: int = 10,
        secret_rotation_overlap_s: int = 24 * 3600,
    ) -> None:
        self.store = store
        self._admit = admit
        self._owned_session = owned_session
        self._owns_chatbot = owns_chatbot
        self.clock = clock
        self.allow_private_endpoints = allow_private_endpoints
        self.max_per_user = max_per_user
        self.secret_rotation_overlap_s = secret_rotation_overlap_s

    def create(self, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        fields = CREATE_BODY.validate(body)
        if fields.get("session_id") and fields.get("chatbot_id"):
            raise InvalidInput("give session_id or chatbot_id, not both", code="invalid_body")
        check_endpoint(fields["url"], allow_private=self.allow_private_endpoints)
        if fields.get("session_id"):
            self._owned_session(user, fields["session_id"])  # admits the call too
        else:
            self._admit(user)
        if fields.get("chatbot_id") and not self._owns_chatbot(user, fields["chatbot_id"]):
            raise NotFound("no such chatbot", code="chatbot_not_found")
        secret = new_signing_secret()
        rows = self.store.rpc(
            "create_webhook",
            {
                "p_user_id": user.user_id,
                "p_url": fields["url"],
                "p_events": fields["events"],
                "p_description": fields.get("description"),
                "p_session_id": fields.get("session_id"),
                "p_chatbot_id": fields.get("chatbot_id"),
                "p_ordered": fields.get("ordered", True),
                "p_secret": secret,
                "p_max": self.max_per_user,
            },
        )
        if not rows:
            raise Conflict(
                f"at most {self.max_per_user} webhook endpoints per user: delete one first",
                code="too_many_webhooks",
            )
        log.info("webhook created", extra={"webhook_id": rows[0]["id"]})
        return {**public_webhook(rows[0], self.clock()), "secret": secret}  # shown this once

    def list(self, user: Principal) -> list[dict[str, Any]]:
        self._admit(user)
        rows = self.store.select(WEBHOOKS, where={"user_id": eq(user.user_id)}, order="created_at.asc")
        return [public_webhook(row, self.clock()) for row in rows]

    def get(self, user: Principal, webhook_id: str) -> dict[str, Any]:
        return public_webhook(self._owned(user, webhook_id), self.clock())

    def update(self, user: Principal, webhook_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        fields = UPDATE_BODY.validate(body)
        if "url" in fields:
            check_endpoint(fields["url"], allow_private=self.allow_private_endpoints)
        row = self._owned(user, webhook_id)
        if not fields:
            return public_webhook(row, self.clock())
        if fields.get("enabled") is True:  # enabled again by its owner: a fresh start
            fields.update(disabled_reason=None, disabled_at=None, failing_since=None)
        elif fields.get("enabled") is False and row["enabled"]:
            fields.update(disabled_reason="disabled by its owner", disabled_at=self.clock().isoformat())
        (changed,) = self.store.update(
            WEBHOOKS, fields, where={"id": eq(row["id"]), "user_id": eq(user.user_id)}
        ) or (row,)
        return public_webhook(changed, self.clock())

    def delete(self, user: Principal, webhook_id: str) -> None:
        row = self._owned(user, webhook_id)
        self.store.delete(WEBHOOKS, where={"id": eq(row["id"]), "user_id": eq(user.user_id)})
        log.info("webhook deleted", extra={"webhook_id": row["id"]})

    def rotate_secret(self, user: Principal, webhook_id: str) -> dict[str, Any]:
        """A new secret, shown this once; the old one keeps signing (a second signature on every
        delivery) for `secret_rotation_overlap_s`."""
        row = self._owned(user, webhook_id)
        secret = new_signing_secret()
        rows = self.store.rpc(
            "rotate_webhook_secret",
            {
                "p_user_id": user.user_id,
                "p_webhook_id": row["id"],
                "p_secret": secret,
                "p_overlap_s": self.secret_rotation_overlap_s,
            },
        )
        if not rows:
            raise NotFound("no such webhook", code="webhook_not_found")
        return {**public_webhook(rows[0], self.clock()), "secret": secret}

    def test(self, user: Principal, webhook_id: str) -> dict[str, Any]:
        row = self._owned(user, webhook_id)
        event_id = self.store.rpc("webhook_ping", {"p_user_id": user.user_id, "p_webhook_id": row["id"]})
        if not event_id:
            raise NotFound("no such webhook", code="webhook_not_found")
        return {"event_id": event_id, "type": "ping"}

    def deliveries(self, user: Principal, webhook_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        limit = limit_parameter(
            query.get("limit"), default=DEFAULT_DELIVERIES_PAGE, maximum=MAX_DELIVERIES_PAGE
        )
        before = query.get("before")
        row = self._owned(user, webhook_id)
        where = {"webhook_id": eq(row["id"])}
        if before is not None:
            cursor = self._delivery_or_none(row["id"], before)
            if cursor is None:
                raise InvalidInput("'before' is not a cursor this API returned", code="invalid_cursor")
            where["or"] = or_(
                f"created_at.lt.{quoted(cursor['created_at'])}",
                f"and(created_at.eq.{quoted(cursor['created_at'])},id.lt.{cursor['id']})",
            )
        rows = self.store.select(
            DELIVERIES,
            where=where,
            columns="*,wagate_events(type,created_at),wagate_delivery_attempts(*)",
            order="created_at.desc,id.desc",
            limit=limit + 1,
        )
        page = rows[:limit]
        return {
            "deliveries": [public_delivery(r) for r in page],
            "next_cursor": page[-1]["id"] if len(rows) > limit else None,
        }

    def retry(self, user: Principal, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        """Deliver again now: a failed delivery, or a delivered one (sent again, same event id)."""
        row = self._owned(user, webhook_id)
        delivery = self._delivery(row["id"], delivery_id)
        if delivery["status"] in ("pending", "delivering"):
            raise Conflict("the delivery is still being attempted", code="delivery_in_progress")
        due = self.clock().isoformat() if row["enabled"] else "infinity"  # disabled: it waits
        changed = self.store.update(
            DELIVERIES,
            {"status": "pending", "next_attempt_at": due, "failed_at": None},
            where={"id": eq(delivery["id"]), "status": in_(["delivered", "failed"])},
        )
        if not changed:
            raise Conflict("the delivery is still being attempted", code="delivery_in_progress")
        (fresh,) = self.store.select(
            DELIVERIES,
            where={"id": eq(delivery["id"])},
            columns="*,wagate_events(type,created_at),wagate_delivery_attempts(*)",
        )
        return public_delivery(fresh)

    # ------------------------------------------------------------------ helpers
    def _owned(self, user: Principal, webhook_id: str) -> Row:
        row = None
        if is_uuid(webhook_id):
            self._admit(user)
            row = self.store.select_one(
                WEBHOOKS, where={"id": eq(webhook_id.lower()), "user_id": eq(user.user_id)}
            )
        if row is None:
            raise NotFound("no such webhook", code="webhook_not_found")
        return row

    def _delivery_or_none(self, webhook_id: str, delivery_id: str) -> Row | None:
        if not is_uuid(delivery_id):
            return None
        return self.store.select_one(
            DELIVERIES, where={"id": eq(delivery_id.lower()), "webhook_id": eq(webhook_id)}
        )

    def _delivery(self, webhook_id: str, delivery_id: str) -> Row:
        row = self._delivery_or_none(webhook_id, delivery_id)
        if row is None:
            raise NotFound("no such delivery", code="delivery_not_found")
        return row
