"""Fixtures for the example apps' tests: the examples on ``sys.path``, an emulator, a client.

``examples/`` is not a package (its scripts run as ``python examples/tk_chat.py``), so the
tests import its modules by putting the folder on ``sys.path``, as running a script does.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A running emulator; afterwards no connection may be open and no request pending."""
    with Emulator() as emulator:
        yield emulator
        gc.collect()  # a stream left to the collector warns here, inside the test
        assert emulator.stats.wait_idle(timeout=10.0), emulator.stats.connections()


@pytest.fixture
def client(emu: Emulator) -> Iterator[arx.Client]:
    """A client of *emu*, closed after the test (before the emulator's leak check)."""
    with arx.Client(api_key="sk-ant-test-examples", base_url=emu.base_url) as c:
        yield c
