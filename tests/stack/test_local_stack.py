"""The local stack itself: what `make dev` / `make up` promise a newcomer and the other suites."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from devstack.process import pid_alive
from devstack.stack import StackPaths, read_env_file
from devstack.testing import StackHandle
from supabase import create_client

CONTRACT_KEYS = {
    "API_URL",
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_JWT_SECRET",
    "DATABASE_URL",
    "AWS_ENDPOINT_URL",
    "WAGATE_START_QUEUE_URL",
    "WAGATE_START_DLQ_URL",
    "WAGATE_RUNNER_QUEUE_PREFIX",
    "WAGATE_CHECKPOINT_BUCKET",
    "DASHBOARD_URL",
}


def test_stack_env_names_every_service(stack: StackHandle) -> None:
    assert CONTRACT_KEYS <= set(stack.env)
    for key in ("API_URL", "SUPABASE_URL", "AWS_ENDPOINT_URL", "DASHBOARD_URL"):
        assert stack.env[key].startswith("http://127.0.0.1:")
    assert "@127.0.0.1:" in stack.env["DATABASE_URL"]
    mode = stack.paths.env_file.stat().st_mode & 0o777
    assert mode == 0o600, "stack.env holds keys: only its owner may read it"


def test_supabase_py_reaches_postgrest_through_the_gateway(stack: StackHandle) -> None:
    user_id, _ = stack.create_user()
    service = create_client(stack.supabase_url, stack.env["SUPABASE_SERVICE_ROLE_KEY"])
    chatbot_id = "4b0c7c1e-8d1f-4c53-9b39-3a0c1f7d2e11"
    service.table("whatsapp_web_sessions").insert(
        {"user_id": user_id, "chatbot_id": chatbot_id, "session_id": f"stack-test-{user_id}"}
    ).execute()
    rows = service.table("whatsapp_web_sessions").select("*").eq("user_id", user_id).execute().data
    assert [(r["session_id"], r["status"], r["epoch"]) for r in rows] == [
        (f"stack-test-{user_id}", "pending", 0)
    ]


def test_gateway_requires_an_api_key_like_supabase(stack: StackHandle) -> None:
    url = f"{stack.supabase_url}/rest/v1/whatsapp_web_sessions"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"apikey": "not-a-key"}).status_code == 401
    assert httpx.get(url, headers={"apikey": stack.env["SUPABASE_SERVICE_ROLE_KEY"]}).status_code == 200


def test_user_tokens_look_like_supabase_auth(stack: StackHandle) -> None:
    import jwt

    user_id, token = stack.create_user()
    claims = jwt.decode(
        token, stack.env["SUPABASE_JWT_SECRET"], algorithms=["HS256"], audience="authenticated"
    )
    assert claims["iss"] == f"{stack.supabase_url}/auth/v1"
    assert claims["sub"] == user_id
    assert claims["role"] == "authenticated"
    assert claims["exp"] > time.time()
    # PostgREST accepts it and applies the authenticated role: auth.uid() is the user.
    stack.sql(
        "insert into whatsapp_web_sessions (user_id, chatbot_id, session_id)"
        " values (%s, gen_random_uuid(), %s)",
        (user_id, f"token-test-{user_id}"),
    )
    response = httpx.get(
        f"{stack.supabase_url}/rest/v1/whatsapp_web_sessions?select=session_id",
        headers={"apikey": stack.env["SUPABASE_ANON_KEY"], "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json() == [{"session_id": f"token-test-{user_id}"}]


def test_token_command_mints_a_token_for_a_local_user(stack: StackHandle) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "--state-dir",
            str(stack.paths.state_dir),
            "token",
            "--email",
            "newcomer@wagate.local",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    minted = json.loads(result.stdout)
    rows = stack.sql("select id::text from auth.users where email = 'newcomer@wagate.local'")
    assert rows == [(minted["user_id"],)]
    sessions = httpx.get(
        f"{stack.api_url}/api/sessions", headers={"Authorization": f"Bearer {minted['access_token']}"}
    )
    assert sessions.status_code == 200


def test_queues_and_bucket_exist_on_moto(stack: StackHandle) -> None:
    urls = stack.sqs().list_queues()["QueueUrls"]
    assert stack.env["WAGATE_START_QUEUE_URL"] in urls
    assert stack.env["WAGATE_START_DLQ_URL"] in urls
    attributes = stack.sqs().get_queue_attributes(
        QueueUrl=stack.env["WAGATE_START_QUEUE_URL"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert "wagate-local-start-dlq" in attributes["RedrivePolicy"]
    buckets = [b["Name"] for b in stack.s3().list_buckets()["Buckets"]]
    assert stack.env["WAGATE_CHECKPOINT_BUCKET"] in buckets


@pytest.mark.slow
def test_up_keeps_data_between_runs_and_down_stops_everything(tmp_state) -> None:
    """`make up`, `make down`, `make up` again: yesterday's rows are still there."""
    state = tmp_state
    cli = [sys.executable, "-m", "devstack", "--state-dir", str(state)]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    subprocess.run([*cli, "up", "--ports", "auto"], check=True, env=env, timeout=180)
    paths = StackPaths(state)
    try:
        first = read_env_file(paths.env_file)
        pid = paths.running_pid()
        assert pid is not None
        # One runner by default (RUNNERS=1), with its pid file where scripts look for it.
        runner_pids = list(paths.run_dir.glob("runner-*.pid"))
        assert len(runner_pids) == 1
        assert pid_alive(int(runner_pids[0].read_text()))
        # Starting again is idempotent: it reports the running stack.
        again = subprocess.run(
            [*cli, "up", "--ports", "auto"], check=True, env=env, capture_output=True, text=True
        )
        assert "already running" in again.stdout
        handle = StackHandle(state)
        handle.env = first
        user_id, _ = handle.create_user()
    finally:
        subprocess.run([*cli, "down"], check=True, env=env, timeout=90)
    assert not paths.env_file.exists()
    assert paths.running_pid() is None
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{first['SUPABASE_URL']}/health", timeout=2)

    subprocess.run([*cli, "up", "--ports", "auto"], check=True, env=env, timeout=180)
    try:
        handle = StackHandle(state)
        handle.env = read_env_file(paths.env_file)
        assert handle.sql("select count(*) from auth.users where id = %s", (user_id,)) == [(1,)]
        # Keys were generated once and kept: a token minted before still verifies.
        assert handle.env["SUPABASE_JWT_SECRET"] == first["SUPABASE_JWT_SECRET"]
    finally:
        subprocess.run([*cli, "down"], check=True, env=env, timeout=90)


def test_a_part_that_does_not_start_is_named(tmp_state) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["POSTGREST_BIN"] = "/bin/false"
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "--state-dir", str(tmp_state), "run", "--ports", "auto"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "postgrest did not start" in result.stderr
    # Nothing is left running: the Postgres it had started was stopped again.
    assert StackPaths(tmp_state).running_pid() is None
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_state)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""
