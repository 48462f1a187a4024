"""The local stand-in for a Supabase project's API gateway (Kong): one origin, `SUPABASE_URL`.

    /rest/v1/*                      -> PostgREST (an `apikey` is required, as on Supabase)
    /auth/v1/.well-known/jwks.json  -> the project's public keys (none locally: HS256)
    /auth/v1/_local/jwks            -> replace those keys, `POST {"keys": [...]}` (local only: tests
                                       of asymmetric tokens publish their own public keys here)
    /functions/v1/avatar-chat       -> the local chatbot (devstack.bot), behind what a deployed
                                       Edge Function has: a JWT (verify_jwt) and the Standard
                                       Webhooks signature it checks itself; unsigned, stale or
                                       badly signed calls are refused (401)
    /functions/v1/_local/bot        -> change the local chatbot's behaviour (local only)
The `_local/*` endpoints want the service key (`apikey` or bearer) and a JSON body, so no web page
a developer visits can reach them (a cross-site form cannot send either).
Run: python -m devstack.gateway (settings from the environment, see `main`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

import httpx
import jwt
import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.bot import BotBehaviour, answer, sample_file

HOP_BY_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"}


def _bearer_or_apikey(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("apikey", "")


def _local_only(service_key: str, handler):
    """A `_local/*` endpoint: the service key, and JSON for a body (what no other page can send)."""

    async def guarded(request: Request) -> Response:
        if _bearer_or_apikey(request) != service_key:
            return JSONResponse({"error": "this local endpoint wants the service key"}, status_code=401)
        if (
            request.method == "POST"
            and request.headers.get("content-type", "").split(";")[0] != "application/json"
        ):
            return JSONResponse({"error": "the body must be application/json"}, status_code=415)
        return await handler(request)

    return guarded


def build_app(
    postgrest_url: str,
    api_keys: set[str],
    bot: BotBehaviour,
    *,
    service_key: str,
    jwt_secret: str,
    signing_secret: str,
) -> Starlette:
    verifier = Webhook(signing_secret)
    samples: dict[str, tuple[bytes, str]] = {}  # the stand-in's sample files, made once
    client = httpx.AsyncClient(
        base_url=postgrest_url, timeout=30.0, limits=httpx.Limits(max_keepalive_connections=50)
    )

    async def rest(request: Request) -> Response:
        key = request.headers.get("apikey") or request.query_params.get("apikey")
        if not key:
            return JSONResponse({"message": "No API key found in request"}, status_code=401)
        if key not in api_keys:
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | {"apikey"}}
        if "authorization" not in {k.lower() for k in headers}:
            headers["authorization"] = f"Bearer {key}"
        query = request.url.query.replace(f"apikey={key}", "").strip("&")
        path = "/" + request.path_params["path"]
        try:
            upstream = await client.request(
                request.method,
                path + (f"?{query}" if query else ""),
                headers=headers,
                content=await request.body(),
            )
        except httpx.TransportError:
            return JSONResponse({"message": "PostgREST is unreachable"}, status_code=503)
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        out_headers.pop("content-encoding", None)
        return Response(upstream.content, status_code=upstream.status_code, headers=out_headers)

    key_set: dict = {"keys": []}

    async def jwks(_: Request) -> Response:
        return JSONResponse(key_set)

    async def set_jwks(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "body must be JSON"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            return JSONResponse({"error": 'body must be {"keys": [...]}'}, status_code=400)
        key_set["keys"] = body["keys"]
        return JSONResponse(key_set)

    async def avatar_chat(request: Request) -> Response:
        bot.calls += 1
        bot.last_headers = dict(request.headers)
        try:  # Supabase's gateway: the function wants a JWT of the project (verify_jwt)
            jwt.decode(
                _bearer_or_apikey(request), jwt_secret, algorithms=["HS256"], options={"verify_aud": False}
            )
        except jwt.PyJWTError:
            return JSONResponse({"msg": "Invalid JWT"}, status_code=401)
        body = await request.body()
        try:  # the function itself: only wagate's signed, fresh calls
            verifier.verify(body, dict(request.headers), json_parse=False)
        except WebhookVerificationError as exc:
            bot.refused += 1
            return JSONResponse({"error": f"signature: {exc}"}, status_code=401)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body must be JSON"}, status_code=400)
        if bot.delay_ms:
            await asyncio.sleep(bot.delay_ms / 1000)
        result = answer(payload, bot, samples_url=str(request.url_for("avatar_chat_sample", name="x"))[:-1])
        if isinstance(result.body, str):
            return Response(result.body, status_code=result.status, media_type="text/html")
        return JSONResponse(result.body, status_code=result.status)

    async def avatar_chat_sample(request: Request) -> Response:
        found = samples.get(request.path_params["name"])
        if found is None:
            found = sample_file(request.path_params["name"])
            if found is None:
                return JSONResponse({"error": "no such sample"}, status_code=404)
            samples[request.path_params["name"]] = found
        return Response(found[0], media_type=found[1])

    async def bot_settings(request: Request) -> Response:
        if request.method == "POST":
            try:
                bot.update(json.loads(await request.body()))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {
                "delay_ms": bot.delay_ms,
                "failure_rate": bot.failure_rate,
                "mode": bot.mode,
                "calls": bot.calls,
                "refused": bot.refused,
                "last_headers": bot.last_headers,
            }
        )

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/rest/v1/{path:path}", rest, methods=methods),
            Route("/auth/v1/.well-known/jwks.json", jwks),
            Route("/auth/v1/_local/jwks", _local_only(service_key, set_jwks), methods=["POST"]),
            Route("/functions/v1/avatar-chat", avatar_chat, methods=["POST"]),
            Route(
                "/functions/v1/avatar-chat/samples/{name}",
                avatar_chat_sample,
                methods=["GET"],
                name="avatar_chat_sample",
            ),
            Route(
                "/functions/v1/_local/bot", _local_only(service_key, bot_settings), methods=["GET", "POST"]
            ),
            Route("/health", health),
        ],
        lifespan=_closing(client),
    )


def _closing(client: httpx.AsyncClient):
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        yield
        await client.aclose()

    return lifespan


def main() -> None:
    env = os.environ
    app = build_app(
        postgrest_url=env["GATEWAY_POSTGREST_URL"],
        api_keys={env["SUPABASE_ANON_KEY"], env["SUPABASE_SERVICE_ROLE_KEY"]},
        bot=BotBehaviour.from_env(),
        service_key=env["SUPABASE_SERVICE_ROLE_KEY"],
        jwt_secret=env["SUPABASE_JWT_SECRET"],
        signing_secret=env["AVATAR_CHAT_SIGNING_SECRET"],
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(env["GATEWAY_PORT"]),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
