"""Clients of the emulator, made the one way every test package makes them.

``client(emu)`` and ``async_client(emu)`` send with the test key `KEY`, a key shaped like a
real one, so that a test can look for it in reprs, logs, errors and tracebacks; the
``client`` fixture (tests/conftest.py) is the sync one, closed after its test.
"""

from __future__ import annotations

from typing import Any

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

KEY = "sk-ant-api03-SECRET-do-not-leak-0123456789abcdef"


def client(emu: Emulator, **options: Any) -> arx.Client:
    """A client of *emu* made with *options*."""
    return arx.Client(api_key=KEY, base_url=emu.base_url, **options)


def async_client(emu: Emulator, **options: Any) -> arx.AsyncClient:
    """An async client of *emu* made with *options*."""
    return arx.AsyncClient(api_key=KEY, base_url=emu.base_url, **options)
