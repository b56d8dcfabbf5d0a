"""Fixtures for the example apps' tests: the examples on ``sys.path``, and a client.

``examples/`` is not a package (its scripts run as ``python examples/tk_chat.py``), so the
tests import its modules by putting the folder on ``sys.path``, as running a script does.
"""

from __future__ import annotations

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
def client(emu: Emulator) -> Iterator[arx.Client]:
    """A client of *emu*, closed after the test (before the emulator's leak check)."""
    with arx.Client(api_key="sk-ant-test-examples", base_url=emu.base_url) as c:
        yield c
