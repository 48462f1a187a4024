"""Token verification (`wagate.auth`) with keys made here: no stack needed.

Asymmetric keys are served as a real JWKS by a local HTTP server, so PyJWKClient runs as in AWS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from wagate.auth import Principal, TokenVerifier, bearer_token
from wagate.config import AuthSettings
from wagate.errors import DependencyError, Unauthorized

SUPABASE_URL = "http://127.0.0.1:25421"
ISSUER = f"{SUPABASE_URL}/auth/v1"
SECRET = "local-test-secret-that-is-long-enough-for-every-hmac-algorithm-0123456789"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(algorithm: Any, key: Any, kid: str, alg: str) -> dict[str, Any]:
    return {**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "alg": alg, "use": "sig"}


JWKS = {
    "keys": [
        _jwk(RSAAlgorithm, RSA_KEY, "rsa-1", "RS256"),
        _jwk(ECAlgorithm, EC_KEY, "ec-1", "ES256"),
    ]
}


class _JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(JWKS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/auth/v1/.well-known/jwks.json"
    server.shutdown()


@pytest.fixture
def verifier(jwks_url: str) -> TokenVerifier:
    return TokenVerifier(
        AuthSettings(issuer=ISSUER, audience="authenticated", jwt_secret=SECRET, jwks_url=jwks_url)
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "role": "authenticated",
        "iss": ISSUER,
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], sign: Any = None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = b64(sign(signing_input.encode())) if sign else ""
    return f"{signing_input}.{signature}"


# ------------------------------------------------------------------ accepted
def test_hs256_token_is_accepted(verifier: TokenVerifier) -> None:
    body = claims()
    principal = verifier.verify(jwt.encode(body, SECRET, algorithm="HS256"))
    assert principal == Principal(user_id=body["sub"], claims=principal.claims)
    assert principal.claims["role"] == "authenticated"


def test_rs256_token_is_verified_with_the_jwks_key(verifier: TokenVerifier) -> None:
    body = claims()
    token = jwt.encode(body, RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert verifier.verify(token).user_id == body["sub"]


def test_es256_token_is_verified_with_the_jwks_key(verifier: TokenVerifier) -> None:
    body = claims()
    token = jwt.encode(body, EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    assert verifier.verify(token).user_id == body["sub"]


def test_hs256_token_with_a_kid_still_uses_the_secret(verifier: TokenVerifier) -> None:
    body = claims()
    token = jwt.encode(body, SECRET, algorithm="HS256", headers={"kid": "rsa-1"})
    assert verifier.verify(token).user_id == body["sub"]


# ------------------------------------------------------------------ refused
def _refused(verifier: TokenVerifier, token: str, reason: str = "") -> None:
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    assert caught.value.code == "unauthorized"
    assert reason.lower() in caught.value.message.lower()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
        ({"aud": "anon"}, "audience"),
        ({"iss": "https://evil.example/auth/v1"}, "issuer"),
        ({"sub": None}, "sub"),
        ({"exp": None}, "exp"),
        ({"aud": None}, "aud"),
        ({"iss": None}, "iss"),
        ({"sub": "not-a-uuid"}, "subject"),
        ({"sub": 12345}, ""),
    ],
)
def test_claims_are_checked(verifier: TokenVerifier, overrides: dict[str, Any], reason: str) -> None:
    _refused(verifier, jwt.encode(claims(**overrides), SECRET, algorithm="HS256"), reason)


def test_wrong_secret_is_refused(verifier: TokenVerifier) -> None:
    _refused(
        verifier,
        jwt.encode(claims(), "another-secret-of-sufficient-length-xx", algorithm="HS256"),
        "signature",
    )


def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    _refused(verifier, handmade({"alg": "none", "typ": "JWT"}, claims()), "unsupported token algorithm")


def test_other_hmac_algorithms_are_refused(verifier: TokenVerifier) -> None:
    _refused(verifier, jwt.encode(claims(), SECRET, algorithm="HS512"), "unsupported token algorithm")


def test_public_key_used_as_hmac_secret_is_refused(verifier: TokenVerifier) -> None:
    """Algorithm confusion: an HS256 token 'signed' with the (public) RSA key as its secret."""
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_json = json.dumps(JWKS["keys"][0]).encode()
    for secret in (pem, jwk_json):
        token = handmade(
            {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
            claims(),
            sign=lambda data, secret=secret: hmac.new(secret, data, hashlib.sha256).digest(),
        )
        _refused(verifier, token, "signature")


def test_rs256_token_signed_by_an_unknown_key_is_refused(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), OTHER_RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    _refused(verifier, token, "signature")


def test_unknown_kid_is_refused(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "nope"})
    _refused(verifier, token, "unknown")


def test_asymmetric_token_without_kid_is_refused(verifier: TokenVerifier) -> None:
    _refused(verifier, jwt.encode(claims(), RSA_KEY, algorithm="RS256"), "kid")


def test_token_algorithm_must_match_its_key(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "rsa-1"})
    _refused(verifier, token, "does not match")


def test_hs256_is_refused_without_a_secret(jwks_url: str) -> None:
    strict = TokenVerifier(
        AuthSettings(issuer=ISSUER, audience="authenticated", jwt_secret=None, jwks_url=jwks_url)
    )
    _refused(strict, jwt.encode(claims(), SECRET, algorithm="HS256"), "HS256")


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "e30.e30.", "....."])
def test_malformed_tokens_are_refused(verifier: TokenVerifier, token: str) -> None:
    _refused(verifier, token)


def test_unreachable_jwks_is_a_dependency_error() -> None:
    offline = TokenVerifier(
        AuthSettings(
            issuer=ISSUER, audience="authenticated", jwt_secret=SECRET, jwks_url="http://127.0.0.1:9/jwks"
        )
    )
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    with pytest.raises(DependencyError) as caught:
        offline.verify(token)
    assert caught.value.code == "auth_unavailable"


# ------------------------------------------------------------------ the header
def test_bearer_token_is_taken_from_the_header() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer   abc.def.ghi  ") == "abc.def.ghi"


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b"]
)
def test_bad_authorization_headers_are_refused(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        bearer_token(header)
