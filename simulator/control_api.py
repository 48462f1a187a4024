"""The control API: the phone and the customers, faults and settings, as JSON over HTTP.

Each handler decodes, calls one simulator function, encodes. Errors are `{"error": {"code", "message"}}`
with the status of their class (see `simulator.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.codes import normalize_phone
from simulator.core import Simulator
from simulator.errors import InvalidRequest, NotFound, SimulatorError
from simulator.faults import Faults

Handler = Callable[[Request], Awaitable[Response]]
MEDIA_FAULT_MODES = ("none", "expired", "error")


def control_routes(sim: Simulator) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "ok": True,
                "version": sim.config.wa_version,
                "pages": len(sim.world.sessions),
                "devices": len(sim.world.accounts.all()),
            }
        )

    async def get_config(request: Request) -> JSONResponse:
        return JSONResponse(sim.config.to_json())

    async def set_config(request: Request) -> JSONResponse:
        return JSONResponse(sim.configure(await _body(request)).to_json())

    async def reset(request: Request) -> JSONResponse:
        await sim.reset()
        return JSONResponse({"ok": True})

    async def scan(request: Request) -> JSONResponse:
        body = await _body(request)
        linked = await sim.linking.scan(
            body.get("qr"),
            body.get("phone"),
            body.get("name"),
            body.get("platform"),
            passkey=body.get("passkey", False),
        )
        return JSONResponse(linked)

    async def pair(request: Request) -> JSONResponse:
        body = await _body(request)
        linked = await sim.linking.pair(
            body.get("code"), body.get("phone"), body.get("name"), body.get("platform")
        )
        return JSONResponse(linked)

    async def unlink(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse({"unlinked": await sim.linking.unlink(body.get("phone"), body.get("device_id"))})

    async def devices(request: Request) -> JSONResponse:
        return JSONResponse(
            [
                {
                    "phone": device.phone,
                    "device_id": device.device_id,
                    "wid": device.wid,
                    "push_name": device.push_name,
                    "platform": device.platform,
                    "online": bool(sim.world.sessions_of(device)),
                    "linked_at": device.linked_at,
                    "pending": len(device.outbox),
                }
                for device in sim.world.accounts.all()
            ]
        )

    async def send_message(request: Request) -> JSONResponse:
        body = await _body(request)
        message = sim.traffic.customer_sends(
            body.get("from"),
            body.get("to"),
            body.get("text"),
            body.get("name"),
            addressing=body.get("addressing", "pn"),
            phone_visible=body.get("phone_visible", True),
            type=body.get("type", "chat"),
            caption=body.get("caption"),
            ciphertext_ms=body.get("ciphertext_ms"),
            ephemeral_s=body.get("ephemeral_s"),
            media=body.get("media"),
            location=body.get("location"),
            vcard=body.get("vcard"),
        )
        return JSONResponse(message.to_json(), status_code=201)

    async def edit_message(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse(sim.traffic.customer_edits(body.get("id"), body.get("text")).to_json())

    async def revoke_message(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse(sim.traffic.customer_revokes(body.get("id")).to_json())

    async def passkey(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse(await sim.linking.confirm_passkey(body.get("phone")))

    async def list_messages(request: Request) -> JSONResponse:
        number = request.query_params.get("number")
        if number is None:
            return JSONResponse([m.to_json() for m in sim.world.log.all()])
        digits = _query_number(number)
        return JSONResponse([m.to_json() for m in sim.world.log.received_by(digits)])

    async def message_media(request: Request) -> Response:
        message = sim.world.log.get(request.path_params["message_id"])
        if message is None or message.media is None:
            raise NotFound("no_media", "no media message has this id")
        return Response(message.media.data, media_type=message.media.mime)

    async def read(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse({"read": sim.traffic.customer_reads(body.get("number"), body.get("from"))})

    async def presence(request: Request) -> JSONResponse:
        return JSONResponse(sim.traffic.presence_towards(request.query_params.get("number")))

    async def faults(request: Request) -> JSONResponse:
        return JSONResponse(sim.faults.to_json())

    async def drop(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse({"closed": await sim.linking.drop(body.get("phone")), **sim.faults.to_json()})

    async def restore(request: Request) -> JSONResponse:
        sim.linking.restore((await _body(request)).get("phone"))
        return JSONResponse(sim.faults.to_json())

    async def conflict(request: Request) -> JSONResponse:
        return JSONResponse({"pages": await sim.linking.conflict((await _body(request)).get("phone"))})

    async def module(request: Request) -> JSONResponse:
        body = await _body(request)
        name, rename_to = body.get("name"), body.get("rename_to")
        if not isinstance(name, str) or not name:
            raise InvalidRequest("invalid_module", "name must be a module name, e.g. WAWebSendMsgChatAction")
        if rename_to is None:
            sim.faults.removed_modules.add(name)
        elif isinstance(rename_to, str) and rename_to and rename_to != name:
            sim.faults.renamed_modules[name] = rename_to
        else:
            raise InvalidRequest("invalid_module", "rename_to must be a different module name")
        return JSONResponse(sim.faults.to_json())

    async def duplicate(request: Request) -> JSONResponse:
        sim.faults.duplicate_adds = bool((await _body(request)).get("enabled", True))
        return JSONResponse(sim.faults.to_json())

    async def delay(request: Request) -> JSONResponse:
        ms = (await _body(request)).get("ms")
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise InvalidRequest("invalid_delay", "ms must be a non-negative integer")
        sim.faults.delivery_delay_ms = ms
        return JSONResponse(sim.faults.to_json())

    async def stall(request: Request) -> JSONResponse:
        sim.faults.stall_loads = await _enabled(request, "invalid_stall")
        return JSONResponse(sim.faults.to_json())

    async def late_globals(request: Request) -> JSONResponse:
        sim.faults.late_globals = await _enabled(request, "invalid_late_globals")
        return JSONResponse(sim.faults.to_json())

    async def refs_exhausted(request: Request) -> JSONResponse:
        return JSONResponse({"pages": await sim.linking.exhaust_refs()})

    async def absent(request: Request) -> JSONResponse:
        body = await _body(request)
        numbers = body.get("numbers")
        if not isinstance(numbers, list) or not numbers:
            raise InvalidRequest("invalid_numbers", "numbers must be a non-empty list of phone numbers")
        digits = [_query_number(str(number)) for number in numbers]
        if body.get("absent", True):
            sim.faults.absent_numbers.update(digits)
        else:
            sim.faults.absent_numbers.difference_update(digits)
        return JSONResponse(sim.faults.to_json())

    async def media_fault(request: Request) -> JSONResponse:
        body = await _body(request)
        mode, numbers = body.get("mode"), body.get("numbers", [])
        if mode not in MEDIA_FAULT_MODES:
            raise InvalidRequest("invalid_media_fault", 'mode must be "expired", "error" or "none"')
        if not isinstance(numbers, list):
            raise InvalidRequest("invalid_numbers", "numbers must be a list of phone numbers")
        sim.faults.media_numbers = {_query_number(str(number)) for number in numbers}
        sim.faults.media_mode = mode
        return JSONResponse(sim.faults.to_json())

    async def clear_faults(request: Request) -> JSONResponse:
        sim.linking.restore(None)
        sim.world.faults = Faults()
        return JSONResponse(sim.faults.to_json())

    routes: list[tuple[str, Handler, str]] = [
        ("/control/health", health, "GET"),
        ("/control/config", get_config, "GET"),
        ("/control/config", set_config, "POST"),
        ("/control/reset", reset, "POST"),
        ("/control/scan", scan, "POST"),
        ("/control/pair", pair, "POST"),
        ("/control/unlink", unlink, "POST"),
        ("/control/devices", devices, "GET"),
        ("/control/messages", send_message, "POST"),
        ("/control/messages", list_messages, "GET"),
        ("/control/messages/edit", edit_message, "POST"),
        ("/control/messages/revoke", revoke_message, "POST"),
        ("/control/passkey", passkey, "POST"),
        ("/control/read", read, "POST"),
        ("/control/presence", presence, "GET"),
        ("/control/faults", faults, "GET"),
        ("/control/faults/drop", drop, "POST"),
        ("/control/faults/restore", restore, "POST"),
        ("/control/faults/conflict", conflict, "POST"),
        ("/control/faults/module", module, "POST"),
        ("/control/faults/duplicate", duplicate, "POST"),
        ("/control/faults/delay", delay, "POST"),
        ("/control/faults/stall", stall, "POST"),
        ("/control/faults/late_globals", late_globals, "POST"),
        ("/control/faults/refs_exhausted", refs_exhausted, "POST"),
        ("/control/faults/absent", absent, "POST"),
        ("/control/faults/media", media_fault, "POST"),
        ("/control/faults/clear", clear_faults, "POST"),
        ("/control/media/{message_id}", message_media, "GET"),
    ]
    return [Route(path, _translating_errors(handler), methods=[method]) for path, handler, method in routes]


def error_response(exc: SimulatorError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=exc.status)


def _translating_errors(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except SimulatorError as exc:
            return error_response(exc)

    return wrapped


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidRequest("invalid_json", "the body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("invalid_json", "the body must be a JSON object")
    return body


async def _enabled(request: Request, code: str) -> bool:
    """A fault switch's `{"enabled": true|false}` (true when left out)."""
    enabled = (await _body(request)).get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidRequest(code, "enabled must be true or false")
    return enabled


def _query_number(value: str) -> str:
    digits = normalize_phone(value)
    if digits is None:
        raise InvalidRequest("invalid_number", f"{value!r} is not a phone number (7-15 digits)")
    return digits
