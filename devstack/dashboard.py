"""The dashboard's demo app on the local stack (`DASHBOARD_URL`, port 8080), signed in as a local user.

    /config.js  -> window.__WAGATE__ = {apiUrl, accessToken, chatbotId, userEmail}, made per request
                   with a fresh access token of the local demo user (created in auth.users if
                   missing); only that user's token, never the service key or the JWT secret;
                   only to this origin's own pages (`Sec-Fetch-Site: same-origin`, else 403)
    /*          -> dashboard/dist, read at request time, so a build made after the start is served;
                   while it is not built, 503 and a page saying what to run
Run: python -m devstack.dashboard (settings from the environment, see `main`).
"""

from __future__ import annotations

import html
import json
import logging
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from devstack.keys import user_token
from devstack.process import ProcessSpec
from devstack.users import ensure_user

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIST = REPO / "dashboard" / "dist"
DEMO_EMAIL = "demo@wagate.local"
# The chatbot the demo page manages; the same as the `vite dev` fallback (dashboard/public/config.js).
DEMO_CHATBOT_ID = "00000000-0000-4000-8000-000000000001"
TOKEN_TTL_S = 12 * 3600  # the page fetches a new one on every load
# A browser refuses to hand this response to another origin's page, whatever the request said.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
SAME_ORIGIN_ONLY = {"Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}

log = logging.getLogger("devstack.dashboard")


@dataclass(frozen=True)
class DemoUser:
    api_url: str
    supabase_url: str
    jwt_secret: str
    database_url: str
    email: str = DEMO_EMAIL
    chatbot_id: str = DEMO_CHATBOT_ID


def dist_dir(env: dict[str, str] | os._Environ = os.environ) -> Path:
    return Path(env.get("DASHBOARD_DIST") or DEFAULT_DIST)


def not_built_page(dist: Path) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wagate · dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The dashboard is not built yet</h1>
<p>Run <code>make dashboard</code> (or <code>cd dashboard &amp;&amp; npm ci &amp;&amp; npm run build</code>),
then reload this page. The local stack serves <code>{html.escape(str(dist))}</code> as soon as it
exists; no restart is needed.</p>
</body></html>
"""


class DistFiles:
    """dashboard/dist as it is on disk at each request; 503 and what to run while it is not built."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist
        self.files = StaticFiles(directory=dist, html=True, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.dist / "index.html").is_file():
            page = HTMLResponse(
                not_built_page(self.dist), status_code=503, headers={"Cache-Control": "no-store"}
            )
            await page(scope, receive, send)
            return

        async def revalidate_html(message: Message) -> None:
            # index.html names the hashed bundles of the current build: never served from a cache.
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        await self.files(scope, receive, revalidate_html)


def config_script(user: DemoUser, token: str) -> str:
    config = {
        "apiUrl": user.api_url,
        "accessToken": token,
        "chatbotId": user.chatbot_id,
        "userEmail": user.email,
    }
    return f"window.__WAGATE__ = {json.dumps(config)};\n"


def build_app(user: DemoUser, dist: Path) -> Starlette:
    def config_js(request: Request) -> Response:  # sync: Starlette runs it in its thread pool
        host = request.headers.get("host", "").rsplit(":", 1)[0]
        if request.headers.get("sec-fetch-site") != "same-origin" or host not in LOCAL_HOSTS:
            # (a page on a name rebound to 127.0.0.1 is "same-origin" with itself: the Host says so)
            # It holds a signed-in user's token: only the demo page itself may load it, never a
            # <script src> on another site (or another port: same-site is not same-origin).
            return PlainTextResponse(
                "// /config.js is served to this origin's own pages only\n",
                status_code=403,
                headers={"Cache-Control": "no-store", **SAME_ORIGIN_ONLY},
            )
        try:
            user_id = ensure_user(user.database_url, email=user.email)
        except Exception as exc:  # the database is down: say so instead of a page without a user
            log.error("cannot create the local user %s: %s", user.email, type(exc).__name__)
            return PlainTextResponse(
                "// the local database is unreachable: is the stack running? (make status)\n",
                status_code=503,
                headers={"Cache-Control": "no-store"},
            )
        token = user_token(user.supabase_url, user.jwt_secret, user_id, email=user.email, ttl_s=TOKEN_TTL_S)
        return Response(
            config_script(user, token),
            media_type="text/javascript",
            headers={"Cache-Control": "no-store", **SAME_ORIGIN_ONLY},
        )

    # Route order matters: the generated /config.js wins over dist/config.js (the `vite dev` fallback).
    return Starlette(routes=[Route("/config.js", config_js), Mount("/", app=DistFiles(dist))])


def process_spec(port: int, log_dir: Path, stack_env: dict[str, str]) -> ProcessSpec:
    """`python -m devstack.dashboard` for the stack whose settings are `stack_env` (with API_URL).
    It gets only what it needs to mint the demo user's token, not the service key."""
    needed = ("API_URL", "SUPABASE_URL", "SUPABASE_JWT_SECRET", "DATABASE_URL")
    env = {**os.environ, **{key: stack_env[key] for key in needed}}

    def listening() -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return ProcessSpec(
        name="dashboard",
        argv=[sys.executable, "-m", "devstack.dashboard"],
        log_path=log_dir / "dashboard.log",
        env={**env, "DASHBOARD_PORT": str(port), "PYTHONUNBUFFERED": "1"},
        ready=listening,
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="dashboard %(levelname)s %(message)s")
    env = os.environ
    user = DemoUser(
        api_url=env["API_URL"],
        supabase_url=env["SUPABASE_URL"],
        jwt_secret=env["SUPABASE_JWT_SECRET"],
        database_url=env["DATABASE_URL"],
    )
    dist = dist_dir(env)
    if not (dist / "index.html").is_file():
        log.warning("%s is not built yet: run `make dashboard`; it is served once it exists", dist)
    uvicorn.run(
        build_app(user, dist),
        host="127.0.0.1",
        port=int(env["DASHBOARD_PORT"]),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
