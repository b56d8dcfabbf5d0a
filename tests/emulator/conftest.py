"""Fixtures for the emulator's tests: a fresh emulator per test, checked for leaks after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anthropic_rx.emulator import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A running emulator; afterwards no connection may be open and no request pending."""
    with Emulator() as emulator:
        yield emulator
        assert emulator.stats.wait_idle(timeout=5.0), emulator.stats.connections()
