"""wagate's error tree. Adapters wrap library errors into these (`raise ... from exc`);
the API maps them to HTTP status in one place (`api_lambda/chalicelib/errors.py`).

    WagateError
    ├── ConfigError            a setting is missing or malformed
    ├── InvalidInput           the caller's input is wrong            -> 400 / 413 / 415
    ├── Unauthorized           no or bad credentials                   -> 401
    ├── NotFound               no such thing (or not yours)            -> 404
    ├── Gone                   it existed but has expired              -> 410
    ├── Conflict               the state does not allow it            -> 409
    ├── RateLimited            too many, retry later                   -> 429
    └── DependencyError        a backing service failed                -> 503
        ├── StoreError         PostgREST / Postgres
        └── QueueError         SQS / S3
"""

from __future__ import annotations


class WagateError(Exception):
    """Base of every error wagate raises on purpose. `code` is stable, `message` readable."""

    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(WagateError):
    code = "config_error"


class InvalidInput(WagateError):
    code = "invalid_input"


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


class UnsupportedMedia(InvalidInput):
    """A file of a kind WhatsApp does not take as asked (415)."""

    code = "media_type_not_supported"


class Unauthorized(WagateError):
    code = "unauthorized"


class NotFound(WagateError):
    code = "not_found"


class Gone(WagateError):
    code = "gone"


class Conflict(WagateError):
    code = "conflict"


class RateLimited(WagateError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class DependencyError(WagateError):
    code = "dependency_unavailable"


class StoreError(DependencyError):
    """PostgREST failed or refused; `pg_code` is Postgres's SQLSTATE (or PostgREST's PGRST code)."""

    code = "database_unavailable"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        pg_code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.pg_code = pg_code


class StoreUnavailable(StoreError):
    """The database did not answer within the outage window (it is down, not refusing)."""


class QueueError(DependencyError):
    code = "queue_unavailable"
