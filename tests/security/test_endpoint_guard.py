"""The endpoint guard (wagate/endpoints.py): every URL a tenant chooses is checked when it is set and
again when it is called, on the address actually connected to; what a tenant reads back about a
failure never says which internal address or port answered (issue: SSRF through bot_endpoint)."""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
import pytest

from devstack.chatbots import RecordingEndpoint
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for
from wagate.endpoints import EndpointFailure, EndpointNotAllowed, GuardedClients, check_endpoint

# Every form the attack of the issue used, and a few more: loopback, metadata, IPv6, encodings.
INTERNAL = [
    "https://127.0.0.1:8443/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://169.254.170.2/v2/credentials",
    "https://[::1]/",
    "https://localhost/",
    "https://2130706433/",
    "https://0x7f.1/",
    "https://0177.0.0.1/",
    "https://[fd00:ec2::254]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/",  # full-width "localhost"
    "https://10.0.0.5/",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://100.64.0.1/",
    "https://100.100.100.200/",
    "https://224.0.0.1/",
    "https://0.0.0.0/",
    "https://[fe80::1]/",
    "https://internal.wagate-test.invalid/",
]
METADATA = [
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/",
    "https://100.100.100.200/",
    "https://[::ffff:169.254.169.254]/",
    "http://169.254.170.2/v2/credentials",
    "https://[fe80::1]/",
    "https://[fd20:ce::254]/computeMetadata/v1/",  # GCP's metadata over IPv6
    "http://[fd00:ec2::23]/v1/credentials",  # EKS Pod Identity
]


@pytest.mark.parametrize("url", INTERNAL)
def test_the_production_guard_refuses_every_internal_form(url: str) -> None:
    with pytest.raises(EndpointNotAllowed) as refused:
        check_endpoint(url, allow_private=False)
    assert refused.value.code == "endpoint_not_allowed" and refused.value.message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://example.com/hook", "https://"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("https://8.8.8.8:22/hook", "port 22"),
    ],
)
def test_what_a_tenant_can_fix_is_said_plainly(url: str, words: str) -> None:
    with pytest.raises(EndpointNotAllowed) as refused:
        check_endpoint(url, allow_private=False)
    assert words in refused.value.message


def test_a_public_address_passes_and_a_name_resolving_inward_does_not() -> None:
    assert check_endpoint("https://8.8.8.8/hook", allow_private=False)

    def resolver(address: str):  # a public-looking name whose DNS answers with a private address
        def answer(host, port, *args, **kwargs):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        return answer

    assert check_endpoint("https://bot.example.com/", allow_private=False, resolver=resolver("93.184.215.14"))
    for inward in ("10.1.2.3", "127.0.0.1", "169.254.169.254"):
        with pytest.raises(EndpointNotAllowed) as refused:
            check_endpoint("https://bot.example.com/", allow_private=False, resolver=resolver(inward))
        assert inward not in refused.value.message  # the kind of address, not the address


@pytest.mark.parametrize("url", METADATA)
def test_a_trusted_network_still_never_reaches_metadata_or_link_local(url: str) -> None:
    with pytest.raises(EndpointNotAllowed):
        check_endpoint(url, allow_private=True)


def test_a_trusted_network_reaches_its_own_private_addresses() -> None:
    for url in ("http://127.0.0.1:8080/", "https://10.0.0.5/", "https://localhost:9/", "http://[::1]:80/"):
        assert check_endpoint(url, allow_private=True) == url


async def test_the_guard_checks_again_when_it_calls_and_sends_nothing_inward() -> None:
    """At call time, on real connections: a loopback endpoint (whatever the stored URL says) gets
    no byte from a production guard; the same endpoint is reached on a trusted network."""
    with RecordingEndpoint() as endpoint:
        production = GuardedClients(allow_private=False)
        trusted = GuardedClients(allow_private=True)
        try:
            for url in (endpoint.url, endpoint.url.replace("127.0.0.1", "localhost")):
                with pytest.raises(EndpointFailure) as refused:
                    await production.post("a", url, content=b"{}", headers={}, deadline_s=5, max_bytes=1000)
                assert refused.value.code == "not_allowed"
                assert str(endpoint.server.server_address[1]) not in refused.value.message
            assert endpoint.calls == []
            answer = await trusted.post(
                "a", endpoint.url, content=b"{}", headers={}, deadline_s=5, max_bytes=1000
            )
            assert answer.status == 200 and len(endpoint.calls) == 1
        finally:
            await production.aclose()
            await trusted.aclose()


async def test_redirects_are_refused_not_followed() -> None:
    from http.server import BaseHTTPRequestHandler

    from devstack.chatbots import LoopbackServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = LoopbackServer(("127.0.0.1", 0), Redirect)
    loop = asyncio.get_running_loop()
    serving = loop.run_in_executor(None, server.serve_forever)
    clients = GuardedClients(allow_private=True)
    try:
        with pytest.raises(EndpointFailure) as refused:
            await clients.post(
                "a",
                f"http://127.0.0.1:{server.server_address[1]}/",
                content=b"{}",
                headers={},
                deadline_s=5,
                max_bytes=1000,
            )
        assert refused.value.code == "redirect"
    finally:
        await clients.aclose()
        server.shutdown()
        await serving
        server.server_close()


def test_the_api_refuses_internal_endpoints_and_writes_nothing(stack) -> None:
    """The API with the production guard (`WAGATE_ALLOW_PRIVATE_ENDPOINTS=0`): each form is a
    400 `endpoint_not_allowed` with the reason, and no session, chatbot or secret is written."""
    api_url, api = stack.start_api(WAGATE_ALLOW_PRIVATE_ENDPOINTS="0")
    user_id, token = stack.create_user()
    try:
        with httpx.Client(
            base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=15
        ) as client:
            for url in INTERNAL:
                chatbot_id = str(uuid.uuid4())
                response = client.post(
                    "/api/sessions/create", json={"chatbot_id": chatbot_id, "bot_endpoint": url}
                )
                assert response.status_code == 400, (url, response.text)
                assert response.json()["error"]["code"] == "endpoint_not_allowed", url
                assert response.json()["error"]["message"], url  # says why
    finally:
        stack.apis.stop(api)
    assert stack.sql("select count(*) from public.whatsapp_web_sessions where user_id = %s", (user_id,)) == [
        (0,)
    ]
    assert stack.sql("select count(*) from public.wagate_chatbots where user_id = %s", (user_id,)) == [(0,)]


def test_a_stored_endpoint_leading_inward_is_refused_at_call_time_without_detail(
    stack, simulator: Simulator, runners, user: ApiUser
) -> None:
    """An endpoint that passed when it was set but leads to a refused address when called (its DNS
    changed; here the row is changed under the API): the message fails with the code, and the
    error names no address; a closed port on the trusted network is 'could not be reached',
    not which port refused."""
    with RecordingEndpoint() as endpoint:
        created = user.create_session(bot_endpoint=endpoint.url)
        phone = fresh_number("4930")
        session = user.connect(created, simulator, phone)
    closed_port = endpoint.server.server_address[1]  # closed now
    cases = {
        "https://169.254.169.254/latest/meta-data/iam/": "endpoint_not_allowed",
        f"http://127.0.0.1:{closed_port}/chatbot": "chatbot_unreachable",
    }
    for stored, code in cases.items():
        stack.sql(
            "update public.whatsapp_web_sessions set bot_endpoint = %s where id = %s", (stored, session["id"])
        )
        assert user.http.post(f"/api/sessions/{session['id']}/restart").status_code == 202
        user.wait_status(session["id"], "connected", timeout_s=60)
        customer = fresh_number("4917")
        simulator.send(customer, phone, f"case {code}")
        failed = wait_for(
            lambda c=customer: [
                m for m in user.messages(session["id"]) if m["from_number"] == c and m["status"] == "failed"
            ],
            timeout_s=60,
            what=f"the message to fail with {code}",
        )[0]
        assert failed["error_code"] == code, failed
        for detail in ("169.254", str(closed_port), "127.0.0.1", "ConnectError", "Errno"):
            assert detail not in failed["error"], failed["error"]
