"""Authentication at the API's edge, through `chalice local`: every kind of bad token is a 401."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

ROUTES = [
    ("GET", "/api/sessions"),
    ("POST", "/api/sessions/create"),
    ("POST", "/api/messages/send"),
]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bad_tokens(stack, user_id: str) -> dict[str, str]:
    now = int(time.time())
    good_claims = jwt.decode(stack.mint_token(user_id), options={"verify_signature": False})
    return {
        "expired": stack.mint_token(user_id, exp=now - 120, iat=now - 3720),
        "wrong signature": jwt.encode(good_claims, "not-the-project-secret-" * 3, algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good_claims)}.",
        "wrong audience": stack.mint_token(user_id, aud="anon"),
        "wrong issuer": stack.mint_token(user_id, iss="https://other.supabase.co/auth/v1"),
        "not yet valid": stack.mint_token(user_id, nbf=now + 600),
        "anon key": stack.env["SUPABASE_ANON_KEY"],
        "service key": stack.env["SUPABASE_SERVICE_ROLE_KEY"],
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize("kind", ["missing", "not bearer"])
def test_missing_or_malformed_header_is_401(api, kind: str) -> None:
    headers = {} if kind == "missing" else {"Authorization": "Basic dXNlcjpwYXNz"}
    for method, path in ROUTES:
        response = api.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_every_bad_token_is_401_and_writes_nothing(stack, api, user) -> None:
    before = stack.sql("select count(*) from public.whatsapp_web_sessions")
    for kind, token in bad_tokens(stack, user.id).items():
        headers = {"Authorization": f"Bearer {token}"}
        listing = api.get("/api/sessions", headers=headers)
        assert listing.status_code == 401, kind
        assert listing.json()["error"]["code"] == "unauthorized", kind
        create = api.post("/api/sessions/create", json={"chatbot_id": user.id}, headers=headers)
        assert create.status_code == 401, kind
    assert stack.sql("select count(*) from public.whatsapp_web_sessions") == before


def test_the_good_token_of_the_same_user_works(api, user) -> None:
    assert api.get("/api/sessions", headers=user.headers).status_code == 200


def test_health_and_openapi_need_no_token(api) -> None:
    health = api.get("/api/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    assert api.get("/api/openapi.json").json()["openapi"].startswith("3.")
