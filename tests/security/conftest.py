"""Fixtures of the security suite, on the shared stack, simulator and runners (tests/conftest.py).

`linked` is one session of one user, linked through the simulator once for the whole suite; tests
that need a live WhatsApp session share it. `exposed` collects what this suite sent that must never
appear in a log (tokens, QR strings, message texts); tests/security/test_secrets.py checks it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from devstack.testing import StackHandle
from tests.e2e import ApiUser, Simulator, fresh_number


@dataclass(frozen=True)
class Linked:
    user: ApiUser
    token: str
    session: dict
    phone: str  # the business's WhatsApp number
    qr: str  # the QR string that linked it


@pytest.fixture(scope="session")
def exposed() -> set[str]:
    return set()


@pytest.fixture(scope="session")
def linked(stack: StackHandle, simulator: Simulator, runners: list, exposed: set[str]) -> Linked:
    owner = ApiUser(stack)
    token = owner.http.headers["Authorization"].removeprefix("Bearer ")
    created = owner.create_session()
    owner.wait_status(created["id"], "qr_ready")
    qr = owner.qr_string(created["id"])
    phone = fresh_number("4930")
    simulator.scan(qr, phone)
    session = owner.wait_status(created["id"], "connected")
    exposed.update({token, qr})
    return Linked(owner, token, session, phone, qr)


@pytest.fixture(scope="session")
def rest(stack: StackHandle) -> Iterator[httpx.Client]:
    """PostgREST as a browser reaches it: `{SUPABASE_URL}/rest/v1`."""
    with httpx.Client(base_url=f"{stack.supabase_url}/rest/v1", timeout=10) as client:
        yield client


def as_user(stack: StackHandle, token: str) -> dict[str, str]:
    """What supabase-js sends for a signed-in user: the anon key as apikey, the user's token as bearer."""
    return {
        "apikey": stack.env["SUPABASE_ANON_KEY"],
        "Authorization": f"Bearer {token}",
        "Prefer": "return=representation",
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_chatbot() -> dict[str, str]:
    return {"chatbot_id": str(uuid.uuid4())}
