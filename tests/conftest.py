"""Fixtures shared by every suite: the real local stack (Postgres, PostgREST behind the gateway,
moto's server, the API via `chalice local`), started once per test session on free ports."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.testing import StackHandle


@pytest.fixture(scope="session")
def stack() -> Iterator[StackHandle]:
    # Not under pytest's tmp dir: pytest resets its folder to 0700, and Postgres runs as its own
    # system user when the tests run as root.
    state_dir = Path(tempfile.mkdtemp(prefix="wagate-stack-"))
    handle = StackHandle(state_dir)
    try:
        handle.start()
        yield handle
    finally:
        handle.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def tmp_state() -> Iterator[Path]:
    """A state directory for a stack of the test's own (see `stack` for why not tmp_path)."""
    state_dir = Path(tempfile.mkdtemp(prefix="wagate-state-"))
    yield state_dir
    shutil.rmtree(state_dir, ignore_errors=True)
