"""Fixtures for the concurrency tests: a fresh emulator per test, checked for leaks after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from anthropic_rx.emulator import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A running emulator; afterwards no connection may be open and no request pending."""
    with Emulator() as emulator:
        yield emulator
        gc.collect()  # a stream left to the collector warns here, inside the test
        assert emulator.stats.wait_idle(timeout=10.0), emulator.stats.connections()
