"""The control API's contract and its errors (no browser)."""

from __future__ import annotations

import httpx
import pytest

from simulator.testing import SimulatorControl, SimulatorControlError, SimulatorProcess


async def test_health_and_config_roundtrip(control) -> None:
    health = await control.health()
    assert health["ok"] is True and health["version"].startswith("2.3000.")
    config = await control.configure(ref_first_ms=1234, ack_read_ms=-1)
    assert (config["ref_first_ms"], config["ack_read_ms"]) == (1234, -1)
    assert (await control.get_config())["ref_first_ms"] == 1234
    await control.reset()
    assert (await control.get_config())["ref_first_ms"] == 30_000  # back to the process's settings


@pytest.mark.parametrize(
    "settings",
    [
        {"no_such_setting": 1},
        {"ref_count": 0},
        {"ref_first_ms": -1},
        {"ref_next_ms": "soon"},
        {"wa_version": "3.0"},
    ],
)
async def test_bad_config_is_refused(control, settings) -> None:
    with pytest.raises(SimulatorControlError) as refused:
        await control.configure(**settings)
    assert (refused.value.status, refused.value.code) == (400, "invalid_config")


async def test_messages_need_a_linked_recipient_and_real_numbers(control) -> None:
    with pytest.raises(SimulatorControlError) as not_linked:
        await control.send_message("4915100008001", "15550008001", "hello")
    assert (not_linked.value.status, not_linked.value.code) == (404, "not_linked")
    with pytest.raises(SimulatorControlError) as bad_number:
        await control.send_message("abc", "15550008001", "hello")
    assert (bad_number.value.status, bad_number.value.code) == (400, "invalid_number")
    with pytest.raises(SimulatorControlError) as bad_query:
        await control.received("12")
    assert bad_query.value.code == "invalid_number"
    assert await control.received("4915100008001") == []


async def test_unknown_targets_are_404(control) -> None:
    for call, code in [
        (control.unlink("15550008001"), "not_linked"),
        (control.pair("ABCD-EFGH", "15550008001"), "unknown_code"),
        (control.conflict("15550008001"), "not_online"),
    ]:
        with pytest.raises(SimulatorControlError) as missing:
            await call
        assert (missing.value.status, missing.value.code) == (404, code)


async def test_bodies_must_be_json_objects(simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        not_json = await http.post(
            "/control/scan", content=b"{nope", headers={"content-type": "application/json"}
        )
        a_list = await http.post("/control/messages", json=["from", "to"])
        bad_delay = await http.post("/control/faults/delay", json={"ms": -5})
        bad_module = await http.post(
            "/control/faults/module", json={"name": "WAWebCmd", "rename_to": "WAWebCmd"}
        )
    assert [r.status_code for r in (not_json, a_list, bad_delay, bad_module)] == [400, 400, 400, 400]
    assert not_json.json() == {"error": {"code": "invalid_json", "message": "the body is not valid JSON"}}
    assert bad_delay.json()["error"]["code"] == "invalid_delay"


def test_the_process_helper_runs_its_own_simulator_with_cli_settings() -> None:
    with SimulatorProcess(ref_first_ms=4321, ref_count=2) as process:
        assert isinstance(process.control, SimulatorControl)
        config = process.control.get_config()
        assert (config["ref_first_ms"], config["ref_count"]) == (4321, 2)
        assert process.control.health()["pages"] == 0
        url = process.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "control/health", timeout=1)


def test_a_bad_cli_setting_fails_the_start() -> None:
    with pytest.raises(RuntimeError, match="ref_count must be at least 1"):
        SimulatorProcess(ref_count=0).start()


async def test_the_process_helper_works_from_async_code() -> None:
    async with SimulatorProcess(ack_read_ms=-1) as process:
        assert (await process.acontrol.get_config())["ack_read_ms"] == -1
        with pytest.raises(SimulatorControlError) as refused:
            await process.acontrol.scan("nope", "15550008002")
        assert (refused.value.status, refused.value.code) == (400, "invalid_qr")
