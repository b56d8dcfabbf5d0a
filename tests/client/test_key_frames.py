"""No frame of a traceback holds the API key: the key's one home is the client's `Secret`.

White-box by design, so this is where ``anthropic_rx.client._config.Secret`` is imported: the
key lives in a `Secret` (DESIGN.md decision 10), which no public name gives (nothing outside
the client may hold or name it). Walking a traceback's locals finds the key inside that home
whenever a frame holds the client; to tell "held by its home" from "leaked", the walk must
name the home, and `test_the_key_has_one_home_that_never_shows_itself` checks that home.
Issue 10, item 4 (stream, connection and create errors), and a client that cannot be made.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Iterable
from types import FrameType, TracebackType
from typing import Any, cast

import pytest

import anthropic_rx as arx
from anthropic_rx.client._config import Secret
from anthropic_rx.emulator import Emulator

from .helpers import KEY, ON_EACH_CLIENT, client, fault_run, params, run_async, run_sync, scenario


def test_the_key_has_one_home_that_never_shows_itself() -> None:
    secret = Secret(KEY)
    assert KEY not in repr(secret) and KEY not in str(secret)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    assert secret.reveal() == KEY


def _holds_key(value: object, key: str, depth: int, seen: set[int]) -> bool:
    """Whether *value* holds *key* (str or bytes) within *depth* levels, a `Secret` aside."""
    if isinstance(value, str):
        return key in value
    if isinstance(value, (bytes, bytearray)):
        return key.encode() in value
    if depth == 0 or id(value) in seen or isinstance(value, (Secret, type, FrameType)):
        return False
    seen.add(id(value))
    if isinstance(value, dict):
        items: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(cast("Iterable[object]", value))
    else:
        items = list(getattr(value, "__dict__", {}).values())
        for cls in type(value).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if isinstance(slot, str) and hasattr(value, slot):
                    items.append(getattr(value, slot))
        if dataclasses.is_dataclass(value):
            items += [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    return any(_holds_key(item, key, depth - 1, seen) for item in items)


def frames_holding_key(error: BaseException, key: str = KEY) -> list[str]:
    """Every ``frame:local`` on the tracebacks of *error* and its causes that holds *key*."""
    found: list[str] = []
    errors: list[BaseException] = [error]
    seen_errors: set[int] = set()
    while errors:
        exc = errors.pop()
        if id(exc) in seen_errors:
            continue
        seen_errors.add(id(exc))
        errors += [e for e in (exc.__cause__, exc.__context__) if e is not None]
        tb: TracebackType | None = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            for name, value in frame.f_locals.items():
                if key in repr(value) or _holds_key(value, key, 6, set()):
                    found.append(f"{frame.f_code.co_qualname}:{name}")
            tb = tb.tb_next
    return found


ERROR_SCENARIOS: list[tuple[str, dict[str, Any], dict[str, Any], type[Exception]]] = [
    ("F07", {}, {"idle_timeout": 0.3}, arx.StreamIdleTimeoutError),
    ("F08", {"after": 2}, {"idle_timeout": 0.3}, arx.StreamIdleTimeoutError),
    ("F21", {}, {}, arx.APIStatusError),
    ("F22", {}, {}, arx.APIStatusError),
    ("F03", {}, {}, arx.APIStatusError),
    ("F05", {}, {}, arx.APIConnectionError),
    ("F06", {"variant": "end"}, {}, arx.IncompleteStreamError),
    ("F11", {}, {}, arx.AnthropicRxError),
    ("F20", {"variant": "html"}, {}, arx.APIResponseValidationError),
]


@pytest.mark.anyio
@ON_EACH_CLIENT
@pytest.mark.parametrize(
    ("code", "options", "settings", "error_class"),
    ERROR_SCENARIOS,
    ids=[s[0] for s in ERROR_SCENARIOS],
)
async def test_no_traceback_frame_of_a_stream_error_holds_the_key(
    emu: Emulator,
    kind: str,
    code: str,
    options: dict[str, Any],
    settings: dict[str, Any],
    error_class: type[Exception],
) -> None:
    headers = scenario(code, **options)
    run, _ = await fault_run(kind, emu, headers, max_retries=0, **settings)
    assert isinstance(run.error, error_class), run.error
    assert frames_holding_key(run.error) == []


def test_no_traceback_frame_of_a_connection_or_create_error_holds_the_key(emu: Emulator) -> None:
    with arx.Client(api_key=KEY, base_url=emu.refused_url, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
        with pytest.raises(arx.APIConnectionError) as refused:
            c.messages.create(**params())
    assert isinstance(run.error, arx.APIConnectionError)
    assert frames_holding_key(run.error) == []
    assert frames_holding_key(refused.value) == []
    with client(emu, max_retries=0) as c, pytest.raises(arx.APIStatusError) as status:
        c.messages.create(**params(extra_headers=scenario("F21")))
    assert frames_holding_key(status.value) == []


@pytest.mark.anyio
async def test_no_traceback_frame_of_an_async_connection_error_holds_the_key(
    emu: Emulator,
) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.refused_url, max_retries=0) as c:
        run = await run_async(c.messages.stream(**params()))
        with pytest.raises(arx.APIConnectionError) as refused:
            await c.messages.create(**params())
    assert isinstance(run.error, arx.APIConnectionError)
    assert frames_holding_key(run.error) == []
    assert frames_holding_key(refused.value) == []


# -- a client that cannot be made ------------------------------------------------------------

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
