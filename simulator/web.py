"""The HTTP side: the page at `/`, its scripts, its QR image, its WebSocket, and the control API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from simulator.cdn import cdn_routes
from simulator.control_api import control_routes
from simulator.core import Simulator
from simulator.qr import render_qr_png

STATIC_DIR = Path(__file__).parent / "static"
PAGE_SOCKET_PATH = "/ws/chat"
NO_STORE = {"Cache-Control": "no-store"}
STALL_LIMIT_S = 300.0


def create_app(sim: Simulator) -> Starlette:
    page_template = (STATIC_DIR / "index.html").read_text()

    async def page(request: Request) -> HTMLResponse:
        waited = 0.0
        while sim.faults.stall_loads and waited < STALL_LIMIT_S:  # the fault: WhatsApp Web hangs
            await asyncio.sleep(0.1)
            waited += 0.1
        boot = {**sim.page_boot(), "socketPath": PAGE_SOCKET_PATH}
        boot_json = json.dumps(boot).replace("<", "\\u003c")
        return HTMLResponse(page_template.replace("__BOOT_JSON__", boot_json), headers=NO_STORE)

    async def qr_png(request: Request) -> Response:
        text = request.query_params.get("text", "")
        if not text:
            return Response(status_code=400)
        return Response(render_qr_png(text), media_type="image/png", headers=NO_STORE)

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    async def page_socket(websocket: WebSocket) -> None:
        await sim.serve_page(websocket)

    routes = [
        Route("/", page),
        Route("/qr.png", qr_png),
        Route("/favicon.ico", no_icon),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        WebSocketRoute(PAGE_SOCKET_PATH, page_socket),
        *control_routes(sim),
        *cdn_routes(sim),
    ]
    app = Starlette(routes=routes)
    app.state.simulator = sim
    return app
