"""The HTTP boundary in-process (Chalice's test client, no stack): auth on every route but the
public ones, Chalice's own errors in wagate's shape, CORS, and the error -> status table."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from chalice.test import Client

from wagate import errors

SECRET = "in-process-secret-for-the-http-boundary-tests-0123456789abcdef"
SUPABASE_URL = "http://127.0.0.1:9"  # nothing listens: a request reaching the store fails


@pytest.fixture
def client(chalice_app, monkeypatch):
    from chalicelib import deps

    env = {
        "SUPABASE_URL": SUPABASE_URL,
        "SUPABASE_SERVICE_ROLE_KEY": "service-role",
        "SUPABASE_JWT_SECRET": SECRET,
        "WAGATE_START_QUEUE_URL": "http://127.0.0.1:9/000000000000/start",
        "WAGATE_CHECKPOINT_BUCKET": "checkpoints",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "WAGATE_HTTP_TIMEOUT_S": "2",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("WAGATE_SECRET_ARN", raising=False)
    deps.reset()
    with Client(chalice_app) as test_client:
        yield test_client
    deps.reset()


def token() -> str:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "iss": f"{SUPABASE_URL}/auth/v1",
        "exp": now + 600,
        "role": "authenticated",
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {token()}", "Content-Type": "application/json"}


def concrete(path: str) -> str:
    return path.replace("{id}", str(uuid.uuid4()))


def test_every_route_but_the_public_ones_needs_a_token(client, chalice_app) -> None:
    public = {"/api/health", "/api/openapi.json"}
    for path, methods in chalice_app.routes.items():
        for method in methods:
            if path in public or method == "OPTIONS":  # CORS preflights answer without a token
                continue
            response = client.http.request(method, concrete(path), body=b"{}", headers={})
            if path.startswith("/api/admin/"):  # hidden: as if the route did not exist
                assert response.status_code == 404, (method, path)
                assert response.json_body["error"]["code"] == "not_found"
                continue
            assert response.status_code == 401, (method, path)
            assert response.json_body["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_content_type_is_415_in_wagate_shape(client) -> None:
    headers = {**bearer(), "Content-Type": "text/plain"}
    response = client.http.post("/api/sessions/create", body=b"{}", headers=headers)
    assert response.status_code == 415
    assert response.json_body["error"]["code"] == "unsupported_media_type"


def test_wrong_method_is_405_in_wagate_shape(client) -> None:
    response = client.http.get("/api/sessions/create", headers=bearer())
    assert response.status_code == 405
    assert response.json_body["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{nope", 400, "invalid_json"),
        (b"[]", 400, "invalid_body"),
        (json.dumps({"chatbot_id": "x"}).encode(), 400, "invalid_field"),
        (b" " * (1024 * 1024 + 1), 413, "payload_too_large"),
    ],
)
def test_bad_bodies_never_reach_the_store(client, body: bytes, status: int, code: str) -> None:
    response = client.http.post("/api/sessions/create", body=body, headers=bearer())
    assert (response.status_code, response.json_body["error"]["code"]) == (status, code)


def test_an_unreachable_store_is_503_without_details(client) -> None:
    body = json.dumps({"chatbot_id": str(uuid.uuid4())}).encode()
    response = client.http.post("/api/sessions/create", body=body, headers=bearer())
    assert response.status_code == 503
    assert response.json_body["error"]["code"] == "database_unavailable"
    assert "127.0.0.1" not in response.json_body["error"]["message"]
    assert response.headers["Retry-After"]


def test_health_names_what_is_down(client) -> None:
    response = client.http.get("/api/health")
    assert response.status_code == 503
    assert response.json_body["checks"] == {"database": "unavailable", "queue": "unavailable"}
    assert response.json_body["error"]["code"] == "dependency_unavailable"


def test_missing_settings_are_a_500_config_error(client, monkeypatch) -> None:
    from chalicelib import deps

    monkeypatch.delenv("WAGATE_START_QUEUE_URL")
    deps.reset()
    response = client.http.get("/api/health")
    assert response.status_code == 500
    assert response.json_body["error"]["code"] == "config_error"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidInput("x"), 400),
        (errors.PayloadTooLarge("x"), 413),
        (errors.Unauthorized("x"), 401),
        (errors.NotFound("x"), 404),
        (errors.Gone("x"), 410),
        (errors.Conflict("x"), 409),
        (errors.RateLimited("x", retry_after_s=3), 429),
        (errors.StoreError("x"), 503),
        (errors.QueueError("x"), 503),
        (errors.ConfigError("x"), 500),
        (errors.WagateError("x"), 500),
    ],
)
def test_error_to_status_table(chalice_app, error: errors.WagateError, status: int) -> None:
    from chalicelib.errors import error_response

    response = error_response(error)
    assert response.status_code == status
    assert response.body["error"]["code"] == error.code
    if status == 429:
        assert response.headers["Retry-After"] == "3"
