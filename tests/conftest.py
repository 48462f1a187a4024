"""Fixtures shared by every suite: the real local stack (Postgres, PostgREST behind the gateway,
moto's server, the API via `chalice local`), started once per test session on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.testing import StackHandle


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    handle = StackHandle(tmp_path_factory.mktemp("stack")).start()
    try:
        yield handle
    finally:
        handle.stop()
