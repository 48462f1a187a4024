"""A thin PostgREST adapter (Supabase's REST layer) over httpx, used by the API and the runners.

It speaks the service role (the key is sent as both `apikey` and bearer token), so Row Level
Security does not apply: callers must filter by owner themselves. Errors come out as `StoreError`
(from httpx's transport errors and from PostgREST's error bodies, whose Postgres `code` is kept).

Filters are PostgREST operator expressions built with the helpers below:

    store.select(SESSIONS, where={"user_id": eq(user_id), "status": in_(["connected"])},
                 order="created_at.desc", limit=20)

`Store` is synchronous (one pooled `httpx.Client`), `AsyncStore` its asyncio twin; both build the
same requests with the pure functions in this module.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from wagate.backoff import compute_backoff
from wagate.errors import StoreError, StoreUnavailable

log = logging.getLogger("wagate.store")

SESSIONS = "whatsapp_web_sessions"
MESSAGES = "whatsapp_web_messages"
RUNNERS = "whatsapp_web_runners"
CHATBOTS = "wagate_chatbots"
CHATBOT_SECRETS = "wagate_chatbot_secrets"
MEDIA_UPLOADS = "wagate_media_uploads"

Row = dict[str, Any]
Where = Mapping[str, str]
# PostgREST or Postgres restarting, or a gateway not reaching PostgREST: the request was not applied.
UNAVAILABLE = {502, 503, 504}


# ---------------------------------------------------------------- filter expressions
def _quote(value: object) -> str:
    """A value inside a PostgREST list or logic tree: double-quoted when it has reserved characters."""
    text = "null" if value is None else str(value)
    if any(ch in text for ch in ',.:()"\\ ') or text == "":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def eq(value: object) -> str:
    return f"eq.{value}"


def neq(value: object) -> str:
    return f"neq.{value}"


def lt(value: object) -> str:
    return f"lt.{value}"


def lte(value: object) -> str:
    return f"lte.{value}"


def gt(value: object) -> str:
    return f"gt.{value}"


def gte(value: object) -> str:
    return f"gte.{value}"


def in_(values: Iterable[object]) -> str:
    return "in.(" + ",".join(_quote(v) for v in values) + ")"


def is_null() -> str:
    return "is.null"


def not_null() -> str:
    return "not.is.null"


def or_(*conditions: str) -> str:
    """A value for the `or` key: `or_("a.lt.1", "and(a.eq.1,b.lt.2)")`; quote values with `quoted`."""
    return "(" + ",".join(conditions) + ")"


def quoted(value: object) -> str:
    return _quote(value)


# ---------------------------------------------------------------- requests and responses
@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def content(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body, separators=(",", ":")).encode()


def _select(table: str, where: Where | None, columns: str, order: str | None, limit: int | None) -> _Request:
    params = {"select": columns, **(where or {})}
    if order:
        params["order"] = order
    if limit is not None:
        params["limit"] = str(limit)
    return _Request("GET", f"/{table}", params)


def _count(table: str, where: Where | None) -> _Request:
    params = {"select": "*", **(where or {})}
    return _Request("HEAD", f"/{table}", params, {"Prefer": "count=exact"})


def _insert(
    table: str, rows: Row | list[Row], on_conflict: str | None, ignore_duplicates: bool, returning: bool
) -> _Request:
    prefer = ["return=representation" if returning else "return=minimal"]
    params = {}
    if on_conflict:
        params["on_conflict"] = on_conflict
        prefer.append("resolution=ignore-duplicates" if ignore_duplicates else "resolution=merge-duplicates")
    return _Request("POST", f"/{table}", params, {"Prefer": ",".join(prefer)}, rows)


def _guarded(where: Where) -> dict[str, str]:
    if not where:
        raise ValueError("update and delete need a filter: refusing to touch every row")
    return dict(where)


def _update(table: str, values: Row, where: Where) -> _Request:
    return _Request("PATCH", f"/{table}", _guarded(where), {"Prefer": "return=representation"}, values)


def _delete(table: str, where: Where) -> _Request:
    return _Request("DELETE", f"/{table}", _guarded(where), {"Prefer": "return=representation"})


def _rpc(function: str, args: Mapping[str, Any]) -> _Request:
    return _Request("POST", f"/rpc/{function}", body=dict(args))


def _error_from_response(request: _Request, response: httpx.Response) -> StoreError:
    try:
        details = response.json()
    except ValueError:
        details = {}
    if not isinstance(details, dict):
        details = {}
    message = details.get("message") or response.reason_phrase or "PostgREST error"
    return StoreError(
        f"{request.method} {request.path}: HTTP {response.status_code}: {message}",
        status_code=response.status_code,
        pg_code=details.get("code"),
    )


def _decode(request: _Request, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise _error_from_response(request, response)
    if request.method == "HEAD":
        # Content-Range: 0-24/3573 or */0
        total = response.headers.get("content-range", "*/0").rsplit("/", 1)[-1]
        return int(total) if total.isdigit() else 0
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise StoreError(f"{request.method} {request.path}: PostgREST answered with non-JSON") from exc


def _headers(service_role_key: str, schema: str) -> dict[str, str]:
    return {
        "apikey": service_role_key,
        "Authorization": f"Bearer {service_role_key}",
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Accept-Profile": schema,
        "Content-Profile": schema,
    }


def _rows(value: Any) -> list[Row]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- the clients
class Store:
    """Synchronous PostgREST client; one instance per process, its connections are reused."""

    def __init__(
        self,
        rest_url: str,
        service_role_key: str,
        *,
        timeout_s: float = 10.0,
        schema: str = "public",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=rest_url.rstrip("/"),
            headers=_headers(service_role_key, schema),
            timeout=timeout_s,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Any) -> Store:
        return cls(settings.rest_url, settings.service_role_key, timeout_s=settings.http_timeout_s)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, request: _Request) -> Any:
        try:
            response = self._client.request(
                request.method,
                request.path,
                params=request.params,
                headers=request.headers,
                content=request.content(),
            )
        except httpx.HTTPError as exc:
            raise StoreError(f"{request.method} {request.path}: {exc.__class__.__name__}: {exc}") from exc
        return _decode(request, response)

    def select(
        self,
        table: str,
        *,
        where: Where | None = None,
        columns: str = "*",
        order: str | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        return _rows(self._send(_select(table, where, columns, order, limit)))

    def select_one(self, table: str, *, where: Where, columns: str = "*") -> Row | None:
        rows = self.select(table, where=where, columns=columns, limit=1)
        return rows[0] if rows else None

    def count(self, table: str, *, where: Where | None = None) -> int:
        return int(self._send(_count(table, where)))

    def insert(
        self,
        table: str,
        rows: Row | list[Row],
        *,
        on_conflict: str | None = None,
        ignore_duplicates: bool = False,
        returning: bool = True,
    ) -> list[Row]:
        return _rows(self._send(_insert(table, rows, on_conflict, ignore_duplicates, returning)))

    def update(self, table: str, values: Row, *, where: Where) -> list[Row]:
        return _rows(self._send(_update(table, values, where)))

    def delete(self, table: str, *, where: Where) -> list[Row]:
        return _rows(self._send(_delete(table, where)))

    def rpc(self, function: str, args: Mapping[str, Any] | None = None) -> Any:
        return self._send(_rpc(function, args or {}))

    def ping(self) -> None:
        """Raise `StoreError` unless PostgREST answers a query on the database."""
        self.select(RUNNERS, columns="runner_id", limit=1)


class AsyncStore:
    """The asyncio twin of `Store`, for the runners, which outlive database outages: a request that
    could not be applied (transport error, 502-504: PostgREST or Postgres restarting) is retried
    with backoff for up to `outage_s`, then StoreUnavailable; another 5xx `attempts` times."""

    def __init__(
        self,
        rest_url: str,
        service_role_key: str,
        *,
        timeout_s: float = 10.0,
        schema: str = "public",
        transport: httpx.AsyncBaseTransport | None = None,
        outage_s: float = 0.0,
        attempts: int = 1,
        max_connections: int = 50,
    ) -> None:
        self.outage_s = outage_s
        self.attempts = attempts
        self._client = httpx.AsyncClient(
            base_url=rest_url.rstrip("/"),
            headers=_headers(service_role_key, schema),
            timeout=timeout_s,
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        )

    @classmethod
    def from_settings(cls, settings: Any) -> AsyncStore:
        return cls(settings.rest_url, settings.service_role_key, timeout_s=settings.http_timeout_s)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send(self, request: _Request) -> Any:
        deadline = time.monotonic() + self.outage_s
        for attempt in itertools.count(1):
            try:
                response = await self._client.request(
                    request.method,
                    request.path,
                    params=request.params,
                    headers=request.headers,
                    content=request.content(),
                )
            except httpx.TransportError as exc:
                name = f"{request.method} {request.path}"
                last: StoreError = StoreError(f"{name}: {exc.__class__.__name__}: {exc}")
                unavailable = True
            else:
                if response.status_code < 500:
                    return _decode(request, response)
                last = _error_from_response(request, response)
                unavailable = response.status_code in UNAVAILABLE
            delay = compute_backoff(attempt, base_s=0.2, max_s=2.0)
            if unavailable and time.monotonic() + delay < deadline:
                if attempt == 1:
                    log.warning("database unavailable; retrying", extra={"error": str(last)[:200]})
            elif attempt >= self.attempts:
                break
            await asyncio.sleep(delay)
        if unavailable and self.outage_s:
            raise StoreUnavailable(
                f"database unreachable for {self.outage_s:.0f} s: {last}", status_code=last.status_code
            ) from last
        raise last

    async def select(
        self,
        table: str,
        *,
        where: Where | None = None,
        columns: str = "*",
        order: str | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        return _rows(await self._send(_select(table, where, columns, order, limit)))

    async def select_one(self, table: str, *, where: Where, columns: str = "*") -> Row | None:
        rows = await self.select(table, where=where, columns=columns, limit=1)
        return rows[0] if rows else None

    async def count(self, table: str, *, where: Where | None = None) -> int:
        return int(await self._send(_count(table, where)))

    async def insert(
        self,
        table: str,
        rows: Row | list[Row],
        *,
        on_conflict: str | None = None,
        ignore_duplicates: bool = False,
        returning: bool = True,
    ) -> list[Row]:
        return _rows(await self._send(_insert(table, rows, on_conflict, ignore_duplicates, returning)))

    async def update(self, table: str, values: Row, *, where: Where) -> list[Row]:
        return _rows(await self._send(_update(table, values, where)))

    async def delete(self, table: str, *, where: Where) -> list[Row]:
        return _rows(await self._send(_delete(table, where)))

    async def rpc(self, function: str, args: Mapping[str, Any] | None = None) -> Any:
        return await self._send(_rpc(function, args or {}))

    async def ping(self) -> None:
        await self.select(RUNNERS, columns="runner_id", limit=1)
