"""A client that cannot be made says why, and no frame of its error holds the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import anthropic_rx as arx

from .helpers import KEY
from .test_hardening import frames_holding_key

MAKERS: dict[str, Callable[[], Any]] = {
    "a bad base_url": lambda: arx.Client(base_url="https://api.anthropic.com/v1"),
    "a bad option": lambda: arx.AsyncClient(idle_timeout=float("nan")),
    "a bad key": lambda: arx.Client(api_key=_bad_key()),
    "with_options": lambda: _with_options(lambda: {"base_url": "http://example.com"}),
    "with a bad key": lambda: _with_options(lambda: {"api_key": _bad_key()}),
}


def _with_options(options: Callable[[], dict[str, Any]]) -> None:
    with arx.Client() as good:
        good.with_options(**options())  # no frame of the test holds the options


def _bad_key() -> str:
    import os

    return os.environ["ANTHROPIC_API_KEY"] + "\n"  # a secret mounted with its newline


@pytest.mark.parametrize("make", MAKERS.values(), ids=list(MAKERS))
def test_no_frame_of_a_client_construction_error_holds_the_key(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[], Any]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)  # the key from the environment: no caller holds it
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    error = _error_of(make)  # its traceback starts here, not in this frame's monkeypatch
    assert isinstance(error, ValueError)
    assert frames_holding_key(error) == []
    assert KEY[5:-5] not in f"{error}{error!r}"


def _error_of(make: Callable[[], Any]) -> BaseException | None:
    try:
        make()
    except BaseException as exc:
        return exc
    return None
