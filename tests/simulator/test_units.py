"""The simulator's pure parts, called directly."""

from __future__ import annotations

import base64

import pytest

from simulator.__main__ import config_from_args, parse_args
from simulator.accounts import AccountBook
from simulator.codes import (
    PAIRING_CODE_ALPHABET,
    new_login_ref,
    new_pairing_code,
    new_phone_message_id,
    normalize_pairing_code,
    normalize_phone,
)
from simulator.config import SimulatorConfig
from simulator.errors import InvalidRequest
from simulator.faults import Faults
from simulator.message_log import LoggedMessage, MessageLog
from simulator.outbox import DeviceOutbox
from simulator.qr import decode_qr_png, parse_login_qr, render_qr_png

KEY = base64.b64encode(bytes(range(32))).decode()


def test_identifiers_look_like_whatsapps() -> None:
    assert new_login_ref().startswith("2@") and new_login_ref() != new_login_ref()
    code = new_pairing_code()
    assert len(code) == 8 and set(code) <= set(PAIRING_CODE_ALPHABET)
    assert not set("0IOU") & set(PAIRING_CODE_ALPHABET)
    assert normalize_pairing_code(" abcd-efgh ") == "ABCDEFGH"
    message_id = new_phone_message_id()
    assert len(message_id) == 20 and message_id.startswith("3A") and message_id == message_id.upper()


@pytest.mark.parametrize(
    ("raw", "digits"),
    [("+1 555-0100", "15550100"), ("4915112345678@c.us", "4915112345678"), (15550100, "15550100"),
     ("0155501000", None), ("123", None), ("1" * 16, None), (True, None), (None, None)],
)  # fmt: skip
def test_phone_numbers_are_normalized(raw, digits) -> None:
    assert normalize_phone(raw) == digits


def test_login_qr_parsing_and_images() -> None:
    text = f"2@ref,{KEY},{KEY},{KEY},WEB"
    qr = parse_login_qr(text)
    assert (qr.ref, qr.platform, str(qr)) == ("2@ref", "WEB", text)
    for bad in ("", f"2@ref,{KEY},{KEY},{KEY}", f"x@ref,{KEY},{KEY},{KEY},WEB", f"2@ref,abc,{KEY},{KEY},WEB"):
        with pytest.raises(InvalidRequest):
            parse_login_qr(bad)
    png = render_qr_png(text)
    assert decode_qr_png(png) == text
    assert decode_qr_png(base64.b64encode(png).decode()) == text
    assert decode_qr_png("data:image/png;base64," + base64.b64encode(png).decode()) == text


def test_config_updates_are_validated() -> None:
    config = SimulatorConfig().updated({"ref_first_ms": "500", "ack_read_ms": -1})
    assert (config.ref_first_ms, config.ack_read_ms) == (500, -1)
    for bad in ({"nope": 1}, {"ref_count": 0}, {"sync_ms": True}, {"wa_version": ""}):
        with pytest.raises(ValueError):
            SimulatorConfig().updated(bad)


def test_cli_flags_map_to_settings() -> None:
    args = parse_args(
        ["--port", "0", "--ref-first-ms", "1500", "--ref-count", "2", "--wa-version", "2.3000.1"]
    )
    config = config_from_args(args)
    assert (args.port, config.ref_first_ms, config.ref_count, config.wa_version) == (0, 1500, 2, "2.3000.1")


def test_outbox_keeps_frames_until_confirmed() -> None:
    outbox = DeviceOutbox()
    first, second = outbox.push({"t": "msg", "n": 1}), outbox.push({"t": "msg", "n": 2})
    assert (first, second) == (1, 2)
    assert [f["seq"] for f in outbox.after(0)] == [1, 2]
    assert [f["n"] for f in outbox.confirm(1)] == [1]
    assert [f["seq"] for f in outbox.after(outbox.confirmed_seq)] == [2]
    assert outbox.confirm(7) and len(outbox) == 0 and outbox.confirmed_seq == 2


def test_acks_only_move_forward() -> None:
    log = MessageLog()
    log.add(LoggedMessage("m1", "1555", "4915", "hi"))
    assert log.advance_ack("m1", 2) and not log.advance_ack("m1", 1) and not log.advance_ack("m1", 2)
    assert log.advance_ack("m1", 3) and log.get("m1").ack == 3
    log.add(LoggedMessage("m2", "1555", "4915", "x"))
    assert log.advance_ack("m2", -1) and not log.advance_ack("m2", 3)
    assert [m.id for m in log.received_by("4915")] == ["m1", "m2"]


def test_devices_authenticate_with_their_secret_only() -> None:
    book = AccountBook()
    first, second = book.link("15550100", "Shop", "android"), book.link("15550100", "Shop", "android")
    assert (first.device_id, second.device_id, first.lid) == (1, 2, second.lid)
    assert book.authenticate(first.credentials()) is first
    forged = {**first.credentials(), "secret": base64.b64encode(bytes(32)).decode()}
    assert book.authenticate(forged) is None
    assert book.authenticate({"wid": "15550100@c.us", "secret": ""}) is None
    assert [d.device_id for d in book.unlink("15550100", 1)] == [1]
    assert book.authenticate(first.credentials()) is None and book.is_linked("15550100")


def test_faults_decide_reachability_and_what_pages_see() -> None:
    faults = Faults(
        dropped={"15550100"}, absent_numbers={"4915"}, renamed_modules={"A": "B"}, removed_modules={"C"}
    )
    assert faults.is_dropped("15550100") and not faults.is_dropped("15550101") and not faults.is_dropped(None)
    faults.dropped.add("*")
    assert faults.is_dropped(None) and faults.is_dropped("15550101")
    assert not faults.is_on_whatsapp("4915") and faults.is_on_whatsapp("4916")
    faults.late_globals = True
    assert faults.page_view() == {"removedModules": ["C"], "renamedModules": {"A": "B"}, "lateGlobals": True}
