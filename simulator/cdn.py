"""The media CDN (WhatsApp's `mmg.whatsapp.net`), on the simulator's own origin: pages download
encrypted blobs from `GET /mms<directPath>` and upload them to `POST /mms/upload/<media type>`.

The media fault (`POST /control/faults/media`) answers downloads of the blobs it hits with 404
(`expired`: the blob is gone from the CDN until the sender's phone re-uploads it) or 503 (`error`).
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.core import Simulator
from simulator.media import KEY_INFO, MAX_MEDIA_BYTES, Blob, b64, new_direct_path

FAULT_STATUS = {"expired": 404, "error": 503}
NO_STORE = {"Cache-Control": "no-store"}


def cdn_routes(sim: Simulator) -> list[Route]:
    async def download(request: Request) -> Response:
        blob = sim.world.media.get("/" + request.path_params["path"])
        if blob is None:
            return Response(status_code=404, headers=NO_STORE)
        failure = sim.faults.media_failure(blob.numbers)
        if failure is not None:
            return Response(status_code=FAULT_STATUS[failure], headers=NO_STORE)
        return Response(blob.data, media_type="application/octet-stream", headers=NO_STORE)

    async def upload(request: Request) -> Response:
        media_type = request.path_params["media_type"]
        data = await request.body()
        if media_type not in KEY_INFO or not data or len(data) > MAX_MEDIA_BYTES + 64:
            return JSONResponse({"error": {"code": "invalid_upload", "message": "bad type or size"}}, 400)
        direct_path = new_direct_path()
        sim.world.media.put(direct_path, Blob(data, media_type))
        base = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(
            {
                "url": f"{base}/mms{direct_path}",
                "direct_path": direct_path,
                "handle": None,
                "enc_filehash": b64(hashlib.sha256(data).digest()),
            }
        )

    return [
        Route("/mms/upload/{media_type}", upload, methods=["POST"]),
        Route("/mms/{path:path}", download, methods=["GET"]),
    ]
