"""Access tokens attacked the ways tokens are attacked in production, through the running API, and the
key set (JWKS) of asymmetric keys: fetched, cached, rotated.

Already covered elsewhere, not repeated here: through the API, no or malformed header, expired,
wrong signature, `alg: none`, wrong audience and issuer, `nbf` in the future, the anon and service
keys as bearer (tests/api/test_auth_api.py); in-process, every claim check and RS256/ES256 keys
served by a local JWKS (tests/api/test_auth_tokens.py).

The API here verifies RS256/ES256 tokens with the keys the local gateway serves at
`{SUPABASE_URL}/auth/v1/.well-known/jwks.json`; this module publishes its own keys there first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.e2e import wait_for
from tests.security.conftest import bearer, new_chatbot
from wagate.auth import TokenVerifier
from wagate.config import AuthSettings
from wagate.errors import DependencyError, Unauthorized

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RUN = uuid.uuid4().hex[:8]
RSA_KID, EC_KID, ATTACKER_KID = f"rsa-{RUN}", f"ec-{RUN}", f"attacker-{RUN}"


def public_jwk(private_key: Any, kid: str) -> dict[str, Any]:
    is_rsa = isinstance(private_key, rsa.RSAPrivateKey)
    algorithm = RSAAlgorithm if is_rsa else ECAlgorithm
    jwk = json.loads(algorithm.to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256" if is_rsa else "ES256", "use": "sig"}


def public_pem(private_key: Any) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes] | None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode())) if sign else ''}"


def hmac_with(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def claims_for(stack, user_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": f"{stack.supabase_url}/auth/v1",
        "aud": "authenticated",
        "role": "authenticated",
        "sub": user_id,
        "iat": now,
        "exp": now + 3600,
        **overrides,
    }
    return claims


class KeySetServer:
    """A JWKS endpoint on 127.0.0.1 whose keys a test changes, counting how often it is fetched."""

    def __init__(self) -> None:
        self.body: bytes = b'{"keys": []}'
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/auth/v1/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, *jwks: dict[str, Any]) -> None:
        self.body = json.dumps({"keys": list(jwks)}).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def key_server() -> Iterator[KeySetServer]:
    server = KeySetServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def published_keys(stack) -> Iterator[None]:
    """The project's public keys (RSA and EC) on the local gateway's JWKS, where the API fetches them."""
    url = f"{stack.supabase_url}/auth/v1/_local/jwks"
    keys = [public_jwk(RSA_KEY, RSA_KID), public_jwk(EC_KEY, EC_KID)]
    service = {"apikey": stack.env["SUPABASE_SERVICE_ROLE_KEY"]}
    assert httpx.post(url, json={"keys": keys}, headers=service, timeout=5).status_code == 200
    yield
    httpx.post(url, json={"keys": []}, headers=service, timeout=5)


@pytest.fixture
def api(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=15) as client:
        yield client


def sessions_of(stack, user_id: str) -> int:
    return stack.sql("select count(*) from public.whatsapp_web_sessions where user_id = %s", (user_id,))[0][0]


# ------------------------------------------------------------------ through the running API
def test_tokens_signed_with_the_projects_rsa_and_ec_keys_are_accepted(stack, api, published_keys) -> None:
    user_id, _ = stack.create_user()
    for key, algorithm, kid in ((RSA_KEY, "RS256", RSA_KID), (EC_KEY, "ES256", EC_KID)):
        token = jwt.encode(claims_for(stack, user_id), key, algorithm=algorithm, headers={"kid": kid})
        created = api.post("/api/sessions/create", json=new_chatbot(), headers=bearer(token))
        assert created.status_code == 201, (algorithm, created.text)
        listed = api.get("/api/sessions", headers=bearer(token)).json()["sessions"]
        assert created.json()["id"] in {session["id"] for session in listed}
    assert sessions_of(stack, user_id) == 2


class _Attacker:
    """A key set the attacker controls, for tokens that point the API at it (`jku`)."""

    def __init__(self) -> None:
        self.server = KeySetServer()
        self.server.serve(public_jwk(ATTACKER_KEY, ATTACKER_KID))


def forged_tokens(stack, victim_id: str, other_id: str, attacker: _Attacker) -> dict[str, str]:
    """Tokens claiming to be `victim_id` that no one but the project's keys could have issued."""
    claims = claims_for(stack, victim_id)
    genuine = stack.mint_token(victim_id)
    header, _, signature = genuine.split(".")
    stolen_identity = json.loads(base64.urlsafe_b64decode(genuine.split(".")[1] + "=="))
    stolen_identity["sub"] = other_id
    return {
        "iat in the future": stack.mint_token(victim_id, iat=int(time.time()) + 600),
        "tampered payload (another sub, the original signature)": (
            f"{header}.{b64(json.dumps(stolen_identity).encode())}.{signature}"
        ),
        "alg None": handmade({"alg": "None", "typ": "JWT"}, claims, None),
        "alg NONE with a signature": handmade({"alg": "NONE"}, claims, hmac_with(b"x")),
        "HS256 signed with the RSA public key (PEM)": handmade(
            {"alg": "HS256", "kid": RSA_KID}, claims, hmac_with(public_pem(RSA_KEY))
        ),
        "HS256 signed with the EC public key (PEM)": handmade(
            {"alg": "HS256", "kid": EC_KID}, claims, hmac_with(public_pem(EC_KEY))
        ),
        "HS256 signed with the RSA public key (JWK)": handmade(
            {"alg": "HS256", "kid": RSA_KID},
            claims,
            hmac_with(json.dumps(public_jwk(RSA_KEY, RSA_KID)).encode()),
        ),
        "RS256 by another key under the project's kid": jwt.encode(
            claims, ATTACKER_KEY, algorithm="RS256", headers={"kid": RSA_KID}
        ),
        "RS256 with an unknown kid": jwt.encode(claims, RSA_KEY, algorithm="RS256", headers={"kid": "nope"}),
        "ES256 naming the RSA key": jwt.encode(claims, EC_KEY, algorithm="ES256", headers={"kid": RSA_KID}),
        "RS256 pointing at the attacker's key set (jku)": jwt.encode(
            claims, ATTACKER_KEY, algorithm="RS256", headers={"kid": ATTACKER_KID, "jku": attacker.server.url}
        ),
        "RS256 carrying the attacker's key (jwk header)": jwt.encode(
            claims,
            ATTACKER_KEY,
            algorithm="RS256",
            headers={"kid": ATTACKER_KID, "jwk": public_jwk(ATTACKER_KEY, ATTACKER_KID)},
        ),
        "PS256 (an algorithm not accepted)": jwt.encode(
            claims, RSA_KEY, algorithm="PS256", headers={"kid": RSA_KID}
        ),
    }


def test_forged_tokens_are_401_and_write_nothing(stack, api, published_keys) -> None:
    victim_id, _ = stack.create_user()
    other_id, _ = stack.create_user()
    attacker = _Attacker()
    try:
        tokens = forged_tokens(stack, victim_id, other_id, attacker)
        for kind, token in tokens.items():
            listing = api.get("/api/sessions", headers=bearer(token))
            assert listing.status_code == 401, (kind, listing.text)
            assert listing.json()["error"]["code"] == "unauthorized", kind
            created = api.post("/api/sessions/create", json=new_chatbot(), headers=bearer(token))
            assert (created.status_code, created.json()["error"]["code"]) == (401, "unauthorized"), kind
        assert attacker.server.fetches == 0, "a token's jku made the API fetch keys from elsewhere"
    finally:
        attacker.server.close()
    assert sessions_of(stack, victim_id) == sessions_of(stack, other_id) == 0
    # the genuine token of the same user works: the refusals above were the tokens' alone
    assert api.get("/api/sessions", headers=bearer(stack.mint_token(victim_id))).status_code == 200


def test_a_deleted_users_token_stops_working(stack, api) -> None:
    user_id, token = stack.create_user()
    session = api.post("/api/sessions/create", json=new_chatbot(), headers=bearer(token)).json()
    stack.sql("delete from auth.users where id = %s", (user_id,))
    before = stack.sql("select count(*) from public.whatsapp_web_sessions")
    attempts = [
        api.get("/api/sessions", headers=bearer(token)),
        api.get(f"/api/sessions/{session['id']}", headers=bearer(token)),
        api.post("/api/sessions/create", json=new_chatbot(), headers=bearer(token)),
        api.post(
            "/api/messages/send",
            json={"session_id": session["id"], "to": "15551234567", "text": "hi"},
            headers=bearer(token),
        ),
    ]
    for response in attempts:
        assert response.status_code == 401, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
    assert stack.sql("select count(*) from public.whatsapp_web_sessions") == before
    assert sessions_of(stack, user_id) == 0


# ------------------------------------------------------------------ the key set, in-process over real HTTP
def verifier_for(server: KeySetServer, *, cooldown_s: float = 30.0) -> TokenVerifier:
    settings = AuthSettings(
        issuer="https://project.supabase.co/auth/v1",
        audience="authenticated",
        jwt_secret=None,
        jwks_url=server.url,
    )
    return TokenVerifier(settings, jwks_refresh_cooldown_s=cooldown_s)


def signed(key: Any, kid: str) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://project.supabase.co/auth/v1",
        "aud": "authenticated",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
    }
    algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def refused(verifier: TokenVerifier, token: str) -> bool:
    try:
        verifier.verify(token)
    except Unauthorized:
        return True
    return False


def test_the_key_set_is_fetched_once_and_cached(key_server: KeySetServer) -> None:
    key_server.serve(public_jwk(RSA_KEY, "k-rsa"), public_jwk(EC_KEY, "k-ec"))
    verifier = verifier_for(key_server)
    for _ in range(5):
        verifier.verify(signed(RSA_KEY, "k-rsa"))
        verifier.verify(signed(EC_KEY, "k-ec"))
    assert key_server.fetches == 1


def test_key_rotation_new_key_fetched_old_key_refused_unknown_kids_do_not_flood(
    key_server: KeySetServer,
) -> None:
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_server.serve(public_jwk(RSA_KEY, "old"))
    verifier = verifier_for(key_server, cooldown_s=2.0)
    assert not refused(verifier, signed(RSA_KEY, "old"))
    assert key_server.fetches == 1

    key_server.serve(public_jwk(new_key, "new"))  # rotated: the old key is revoked
    # A kid the cached set lacks fetches the set again, but not more than once per cooldown.
    wait_for(lambda: not refused(verifier, signed(new_key, "new")), 20, what="the rotated key to be fetched")
    assert key_server.fetches == 2
    assert refused(verifier, signed(RSA_KEY, "old")), "a key removed from the set must stop verifying"
    for _ in range(20):
        assert refused(verifier, signed(ATTACKER_KEY, uuid.uuid4().hex))
    assert key_server.fetches == 2, "made-up kids must not make every request fetch the key set"
    assert not refused(verifier, signed(new_key, "new"))


def test_an_empty_key_set_refuses_asymmetric_tokens(key_server: KeySetServer) -> None:
    # the local stack's default, and a project without asymmetric keys: 401, never a crash
    assert refused(verifier_for(key_server), signed(RSA_KEY, "k-rsa"))


def test_a_key_set_that_is_not_json_is_a_dependency_error(key_server: KeySetServer) -> None:
    key_server.body = b"<html>502 Bad Gateway</html>"
    with pytest.raises(DependencyError) as caught:
        verifier_for(key_server).verify(signed(RSA_KEY, "k-rsa"))
    assert caught.value.code == "auth_unavailable"
