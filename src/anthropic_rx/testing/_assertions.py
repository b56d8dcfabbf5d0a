"""Assertions on a `Run`: plain ``AssertionError``s that say what differs, where and when.

They need no test framework (pytest shows their messages as they are). Each message names
the first difference, the virtual time it happened at, how the run ended, and the
notifications around it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal, NoReturn, TypeAlias, TypeVar, overload

from ._clock import Record, Run, describe_end, short, text_of, timeline

__all__ = ["End", "assert_emitted", "assert_error", "assert_text"]

_E = TypeVar("_E", bound=BaseException)

End: TypeAlias = Literal["completed", "open", "any"] | type[BaseException]
"""How a run should end: ``"completed"``, ``"open"`` (not ended), ``"any"``, or failed with
an exception of this type."""


def assert_emitted(
    result: Run[Any],
    expected: Sequence[object],
    /,
    *,
    times: Sequence[float] | None = None,
    end: End = "completed",
    tolerance: float = 1e-4,
) -> None:
    """Assert that a run emitted exactly *expected* (compared with ``==``), and ended as *end*.

    Args:
        result: what `run` returned.
        expected: the values, in order.
        times: the virtual time of each value, in seconds, if they matter.
        end: how the run should end: ``"completed"`` (the default), ``"open"``, ``"any"``,
            or an exception type it should fail with.
        tolerance: how far (seconds) a time may be from *times*: virtual time is kept to
            the microsecond, so ``1 / 60`` is 0.016667.

    Raises:
        AssertionError: naming the first value (or time, or end) that differs, its virtual
            time, and the notifications around it.

    Example:
        >>> result = run(marbles("S-b-t-t-B-D-X|", {"t": ["Hel", "lo"]}).pipe(text_only()))
        >>> assert_emitted(result, ["Hel", "lo"], times=[0.4, 0.6])
    """
    records = result.records
    nexts = [i for i, r in enumerate(records) if r.kind == "next"]
    values = [records[i].value for i in nexts]
    for n, (want, got) in enumerate(zip(expected, values, strict=False)):
        if want != got:
            at = nexts[n]
            _fail(
                f"expected value #{n} to be {short(want)}, got {short(got)} "
                f"(at {records[at].time:g} s){_caret(want, got)}",
                result,
                at,
            )
    if len(values) > len(expected):
        at = nexts[len(expected)]
        _fail(
            f"expected {_count(len(expected))}, got {len(values)}: #{len(expected)} "
            f"{short(values[len(expected)])} (at {records[at].time:g} s) is one too many",
            result,
            at,
        )
    if len(values) < len(expected):
        _fail(
            f"expected {_count(len(expected))}, got {len(values)}: #{len(values)} "
            f"{short(expected[len(values)])} is missing; the run {describe_end(result)}",
            result,
            len(records) - 1 if records else None,
        )
    if times is not None:
        if len(times) != len(values):
            raise ValueError(f"expected one time per value ({len(values)}), got {len(times)}")
        for n, (want_time, at) in enumerate(zip(times, nexts, strict=True)):
            if not math.isclose(records[at].time, want_time, rel_tol=0, abs_tol=tolerance):
                _fail(
                    f"expected value #{n} {short(values[n])} at {want_time:g} s, "
                    f"got it at {records[at].time:g} s",
                    result,
                    at,
                )
    _check_end(result, end)


def assert_text(result: Run[Any], expected: str, /, *, end: End = "completed") -> None:
    """Assert that a run's text (`Run.text`) is *expected*, and that it ended as *end*.

    Strings are joined (``text_only``, ``coalesce_text``, ``final_text``), events give
    their text deltas, snapshots and messages their last text.

    Args:
        result: what `run` returned.
        expected: the whole text.
        end: how the run should end (as in `assert_emitted`).

    Raises:
        AssertionError: showing the first character that differs and, when the values
            are strings, the virtual time of the value that holds it.

    Example:
        >>> assert_text(run(StreamScript().text("Hel", "lo").observable().pipe(text_only())),
        ...             "Hello")
    """
    got = text_of(result.values)
    if got != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
            min(len(expected), len(got)),
        )
        where, mark = _holding(result, first)
        _fail(
            f"expected the text {short(expected)}, got {short(got)}\n"
            f"  first difference at character {first}{where}{_caret(expected, got)}",
            result,
            mark,
        )
    _check_end(result, end)


@overload
def assert_error(result: Run[Any], /, *, match: str | None = None) -> Exception: ...
@overload
def assert_error(result: Run[Any], expected: type[_E], /, *, match: str | None = None) -> _E: ...
def assert_error(
    result: Run[Any], expected: type[BaseException] = Exception, /, *, match: str | None = None
) -> BaseException:
    """Assert that a run failed with an *expected* error, and return the error.

    Args:
        result: what `run` returned.
        expected: the exception type (a subclass matches too).
        match: a regular expression that must be found (``re.search``) in ``str(error)``.

    Returns:
        The exception, for more checks (its ``.snapshot``, ``.mid_stream``, …).

    Raises:
        AssertionError: the run completed, did not end, or failed with something else.

    Example:
        >>> error = assert_error(run(marbles("S-b-t-|").pipe(text_only())),
        ...                      arx.IncompleteStreamError)
        >>> error.snapshot.text
        't'
    """
    error = result.error
    if error is None:
        _fail(
            f"expected the run to fail with {expected.__name__}, but it {describe_end(result)}",
            result,
            len(result.records) - 1 if result.records else None,
        )
    if not isinstance(error, expected):
        _fail(
            f"expected the run to fail with {expected.__name__}, got "
            f"{type(error).__name__}: {error}",
            result,
            _end_index(result.records),
        )
    if match is not None and not re.search(match, str(error)):
        _fail(
            f"expected the error message to match {match!r}, got {str(error)!r}",
            result,
            _end_index(result.records),
        )
    return error


def _check_end(result: Run[Any], end: End) -> None:
    if end == "any":
        return
    error = result.error
    mark = _end_index(result.records)
    if end == "completed":
        if not result.completed:
            _fail(f"expected the run to complete, but it {describe_end(result)}", result, mark)
    elif end == "open":
        if result.ended:
            _fail(f"expected the run not to end, but it {describe_end(result)}", result, mark)
    elif not isinstance(error, end):
        _fail(
            f"expected the run to fail with {end.__name__}, but it {describe_end(result)}",
            result,
            mark,
        )


def _count(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


def _end_index(records: tuple[Record, ...]) -> int | None:
    return next((i for i, r in enumerate(records) if r.kind != "next"), None)


def _holding(result: Run[Any], char: int) -> tuple[str, int | None]:
    """Where the value holding text character *char* was emitted (string values only)."""
    seen = 0
    for i, r in enumerate(result.records):
        if r.kind == "next" and isinstance(r.value, str):
            seen += len(r.value)
            if char < seen:
                return f", in the value emitted at {r.time:g} s", i
    return "", _end_index(result.records)


def _caret(expected: object, got: object) -> str:
    """For two short strings, both lined up with a ``^`` under their first difference."""
    if not (isinstance(expected, str) and isinstance(got, str)):
        return ""
    want, have = repr(expected), repr(got)
    if max(len(want), len(have)) > 100:
        return ""
    first = next(
        (i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b),
        min(len(want), len(have)),
    )
    return f"\n  expected: {want}\n  actual:   {have}\n            {' ' * first}^"


def _fail(message: str, result: Run[Any], mark: int | None) -> NoReturn:
    table = timeline(result.records) if mark is None else timeline(result.records, mark=mark)
    raise AssertionError(f"{message}\ntimeline:\n{table}")
