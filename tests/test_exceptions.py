"""Every public error travels: pickle (to and from a worker process), copy and deepcopy.

Issue 10, item 9. The classes are walked from ``_exceptions.__all__``, so an error added
later is covered too (the test says how to teach it a new constructor argument).
"""

from __future__ import annotations

import copy
import inspect
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx import _exceptions  # pyright: ignore[reportPrivateUsage]
from anthropic_rx.emulator import Emulator
from tests import events_helpers as ev
from tests.client.helpers import KEY, client, params, run_sync, scenario


def _error_classes() -> list[type[arx.AnthropicRxError]]:
    found: list[type[arx.AnthropicRxError]] = []
    for name in _exceptions.__all__:
        obj = getattr(_exceptions, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, arx.AnthropicRxError), f"{name} is outside the tree"
            found.append(obj)
    return sorted(found, key=lambda cls: cls.__name__)


#: Every public error class, walked from the module (never listed by hand).
ERRORS = _error_classes()

#: A value for each required constructor argument, by name. A new error whose constructor
#: needs another one fails `make` with a message saying to add it here.
REQUIRED: dict[str, Any] = {
    "message": "expected something, got something else",
    "limit": 1024,
    "size": 4096,
    "event": "content_block_delta",
    "data": '{"type": "content_block_delta", "index": ',
    "index": 1,
    "partial_json": '{"path": "/',
    "status_code": 529,
}


def partial_snapshot() -> arx.MessageSnapshot:
    """A snapshot with a finished text block and a tool block still open mid-string."""
    acc = arx.MessageAccumulator()
    snapshot = None
    for raw in [
        ev.message_start(),
        *ev.text_block(0, "Let me look."),
        *ev.tool_call(1, "read", '{"path": "/etc/', 'hosts", "lines": [1, 2', "3"),
    ]:
        snapshot = acc.feed(ev.event(raw))
    assert snapshot is not None
    acc.feed(ev.event(ev.message_delta("max_tokens", output_tokens=7)))  # later: not in `snapshot`
    return snapshot


def make(cls: type[arx.AnthropicRxError]) -> arx.AnthropicRxError:
    """An instance of *cls* with every attribute set: snapshot, request id, attempts, a note."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in inspect.signature(cls).parameters.values():
        if parameter.default is not inspect.Parameter.empty or parameter.kind in (
            inspect.Parameter.VAR_KEYWORD,  # **context: snapshot, request_id, attempts
            inspect.Parameter.VAR_POSITIONAL,
        ):
            continue
        assert parameter.name in REQUIRED, (
            f"{cls.__name__}() needs {parameter.name!r}: add a value for it to REQUIRED"
        )
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = REQUIRED[parameter.name]
        else:
            args.append(REQUIRED[parameter.name])
    error = cls(*args, **kwargs)
    error.with_snapshot(partial_snapshot())
    error.with_request("req_011CSHoEeqs5C35K2UUqR7Fy", 3)
    error.add_note("retried 2 times")
    return error


def assert_same(made: BaseException, again: BaseException) -> None:
    """*again* is a faithful copy of *made*: type, message, every attribute, the snapshot."""
    assert type(again) is type(made)
    assert str(again) == str(made) and again.args == made.args
    assert getattr(again, "__notes__", None) == getattr(made, "__notes__", None)
    theirs, ours = dict(vars(again)), dict(vars(made))
    snapshot, expected = theirs.pop("snapshot", None), ours.pop("snapshot", None)
    assert theirs == ours
    for name in ("status_code", "request_id", "attempts", "message"):
        assert getattr(again, name, None) == getattr(made, name, None)
    if expected is None:
        assert snapshot is None
        return
    assert isinstance(snapshot, arx.MessageSnapshot)
    assert snapshot.to_message() == expected.to_message()
    assert (snapshot.complete, snapshot.text) == (expected.complete, expected.text)
    assert snapshot.input_of(1) == expected.input_of(1) == {"path": "/etc/hosts", "lines": [1]}
    assert snapshot.input_of(1, strings="complete") == expected.input_of(1, strings="complete")
    assert snapshot.stop_reason is None  # what it saw, not what came later


def test_the_walk_finds_every_error_of_the_tree() -> None:
    assert len(ERRORS) >= 30
    assert arx.AnthropicRxError in ERRORS and arx.OverloadedError in ERRORS


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_survives_pickle_with_its_type_attributes_and_snapshot(
    cls: type[arx.AnthropicRxError],
) -> None:
    made = make(cls)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert_same(made, pickle.loads(pickle.dumps(made, protocol)))


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_survives_copy_and_deepcopy(
    cls: type[arx.AnthropicRxError], copier: Callable[[Any], Any]
) -> None:
    made = make(cls)
    again = copier(made)
    assert again is not made
    assert_same(made, again)


def test_a_rate_limit_error_keeps_its_retry_after_and_headers() -> None:
    made = arx.RateLimitError(
        "rate limited",
        status_code=429,
        headers={"retry-after": "2", "anthropic-ratelimit-requests-remaining": "0"},
    )
    made.retry_after = 2.0
    again = pickle.loads(pickle.dumps(made))
    assert isinstance(again, arx.RateLimitError)
    assert again.retry_after == 2.0
    assert again.ratelimit == {"anthropic-ratelimit-requests-remaining": "0"}


def test_the_constructors_are_unchanged() -> None:
    """Pickling support did not change how errors are made (backward compatible)."""
    error = arx.EventTooLargeError(limit=8, size=9)
    assert (error.limit, error.size, error.snapshot) == (8, 9, None)
    status = arx.APIStatusError("no", status_code=400, request_id="req_1")
    assert (status.status_code, status.request_id, status.attempts) == (400, "req_1", 1)
    assert arx.ToolInputError("bad", index=2, partial_json="{").index == 2


# -- across processes ------------------------------------------------------------------------


def made_in_a_worker() -> list[arx.AnthropicRxError]:
    """Run in a worker process: every error, made there, sent back as the result."""
    return [make(cls) for cls in ERRORS]


def raise_in_a_worker(name: str) -> None:
    """Run in a worker process: raise error *name*, which the pool sends back."""
    raise make(getattr(arx, name))


def test_a_worker_process_sends_every_error_back_as_a_result_or_as_its_failure() -> None:
    # spawn: a fresh interpreter that imports this module, so nothing is shared by fork.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = pool.submit(made_in_a_worker).result(timeout=120)
        raised = pool.submit(raise_in_a_worker, "OverloadedError").exception(timeout=120)
    assert [type(error) for error in results] == ERRORS
    for made, again in zip((make(cls) for cls in ERRORS), results, strict=True):
        assert_same(made, again)
    assert isinstance(raised, arx.OverloadedError)
    assert_same(make(arx.OverloadedError), raised)


# -- never the key ---------------------------------------------------------------------------


def test_errors_from_real_requests_carry_no_key_through_pickle_and_copy(emu: Emulator) -> None:
    errors: list[Exception] = []
    with client(emu, max_retries=0) as c:
        for headers in (scenario("F03", after=3), scenario("F01", variant="long")):
            run = run_sync(c.messages.stream(**params(extra_headers=headers)))
            assert run.error is not None
            errors.append(run.error)
    mid_stream, rate_limited = errors
    assert isinstance(mid_stream, arx.OverloadedError) and mid_stream.snapshot is not None
    assert isinstance(rate_limited, arx.RateLimitError) and rate_limited.request_id
    for error in errors:
        assert KEY.encode() not in pickle.dumps(error)
        again = pickle.loads(pickle.dumps(error))
        assert_travelled(error, again)
        for copied in (copy.copy(error), copy.deepcopy(error)):
            assert_travelled(error, copied)
            assert KEY not in repr(vars(copied))
    assert emu.stats.wait_idle(10.0), emu.stats  # no connection left open


def assert_travelled(error: Exception, again: Exception) -> None:
    assert type(again) is type(error) and str(again) == str(error)
    assert isinstance(error, arx.APIStatusError) and isinstance(again, arx.APIStatusError)
    assert (again.status_code, again.request_id, again.attempts, again.error_type) == (
        error.status_code,
        error.request_id,
        error.attempts,
        error.error_type,
    )
    assert dict(again.headers) == dict(error.headers)
    if error.snapshot is None:
        assert again.snapshot is None
    else:
        assert again.snapshot is not None
        assert again.snapshot.to_message() == error.snapshot.to_message()
