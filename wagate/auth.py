"""Verification of Supabase access tokens (`Authorization: Bearer <jwt>`).

Two kinds of signature, chosen by the token's header and never by guessing:
- HS256 with the project's JWT secret (legacy projects and the local stack);
- RS256 / ES256 with a public key from the project's JWKS, looked up by the token's `kid`.
Anything else (`none`, HS384, a public key used as an HMAC secret, ...) is refused. The claims
`exp`, `aud`, `iss` and `sub` are required; `sub` must be a UUID (the user id). A token of
Supabase's anonymous sign-in (`is_anonymous: true`) is refused unless WAGATE_ALLOW_ANONYMOUS_USERS.
An operator is a user whose token carries `app_metadata.role == "admin"` (a custom claim: only the
service role can write `app_metadata`, unlike `user_metadata`, which every user edits).

The JWKS is cached as a whole for JWKS_CACHE_S. A token naming a key the cached set lacks (a
rotation) fetches the set again, at most once per JWKS_REFRESH_COOLDOWN_S, so tokens with made-up
key ids cannot make every request fetch it. Keys are never cached one by one: a key removed from
the set (revoked) stops verifying as soon as the set is fetched again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from wagate.config import AuthSettings
from wagate.errors import DependencyError, Unauthorized

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256"})
CLOCK_SKEW_S = 10
JWKS_CACHE_S = 600
JWKS_REFRESH_COOLDOWN_S = 30
ADMIN_ROLE = "admin"  # app_metadata.role of an operator


@dataclass(frozen=True)
class Principal:
    """The caller, as proven by a verified token."""

    user_id: str
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_admin(self) -> bool:
        """An operator of wagate (GET /api/admin/...): `app_metadata.role` is "admin"."""
        return is_admin_claims(self.claims)


def is_admin_claims(claims: Mapping[str, Any]) -> bool:
    app_metadata = claims.get("app_metadata")
    return isinstance(app_metadata, Mapping) and app_metadata.get("role") == ADMIN_ROLE


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthorized("missing Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("the Authorization header must be 'Bearer <access token>'")
    return token


class TokenVerifier:
    def __init__(
        self,
        settings: AuthSettings,
        *,
        jwks_client: jwt.PyJWKClient | None = None,
        jwks_refresh_cooldown_s: float = JWKS_REFRESH_COOLDOWN_S,
    ) -> None:
        self._settings = settings
        self._jwks_client = jwks_client
        self._jwks_refresh_cooldown_s = jwks_refresh_cooldown_s
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed access token") from exc
        algorithm = header.get("alg")
        if algorithm == "HS256":
            key: Any = self._hmac_secret()
        elif algorithm in ASYMMETRIC_ALGORITHMS:
            key = self._public_key(header, algorithm)
        else:
            raise Unauthorized(f"unsupported token algorithm {algorithm!r}")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "aud", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid access token: {exc}") from exc
        subject = claims.get("sub")
        try:
            user_id = str(uuid.UUID(subject)) if isinstance(subject, str) else None
        except ValueError:
            user_id = None
        if user_id is None:
            raise Unauthorized("the access token's subject is not a user id")
        if claims.get("is_anonymous") is True and not self._settings.allow_anonymous:
            raise Unauthorized(
                "anonymous users cannot use this API: sign in with an account", code="anonymous_not_allowed"
            )
        return Principal(user_id=user_id, claims=claims)

    def _hmac_secret(self) -> str:
        if not self._settings.jwt_secret:
            raise Unauthorized("HS256 tokens are not accepted here")
        return self._settings.jwt_secret

    def _public_key(self, header: Mapping[str, Any], algorithm: str) -> Any:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("an asymmetric token must name its key (kid)")
        client = self._jwks()
        try:
            jwk = client.get_signing_key(kid)
        except (jwt.PyJWKClientConnectionError, ValueError) as exc:  # unreachable, or not JSON
            raise DependencyError("cannot fetch the signing keys (JWKS)", code="auth_unavailable") from exc
        except (jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:  # no such kid, or no keys at all
            raise Unauthorized("the token's signing key is unknown") from exc
        # The key itself decides its algorithm: an RSA key never verifies an ES256 token, and a
        # symmetric ("oct") key from a key set is never used at all.
        if jwk.key_type == "oct" or jwk.algorithm_name != algorithm:
            raise Unauthorized("the token's algorithm does not match its key")
        return jwk.key

    def _jwks(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._jwks_client is None:
                if not self._settings.jwks_url:
                    raise Unauthorized("asymmetric tokens are not accepted here")
                self._jwks_client = jwt.PyJWKClient(
                    self._settings.jwks_url,
                    lifespan=JWKS_CACHE_S,
                    cooldown_duration=self._jwks_refresh_cooldown_s,
                    timeout=5,
                )
            return self._jwks_client
