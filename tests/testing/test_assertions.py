"""assert_emitted, assert_text, assert_error: plain AssertionErrors that say what and when."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import reactivex

import anthropic_rx as arx
from anthropic_rx.operators import final_text, on_tool_input, text_only
from anthropic_rx.testing import (
    StreamScript,
    assert_emitted,
    assert_error,
    assert_text,
    marbles,
    run,
)

HELLO = marbles("S-b-t-t-B-D-X|", {"t": ["Hel", "lo"]})


def test_assert_emitted_passes_on_equal_values_times_and_completion() -> None:
    assert_emitted(run(HELLO.pipe(text_only())), ["Hel", "lo"], times=[0.4, 0.6])


def test_a_different_value_names_its_position_time_and_the_first_differing_character() -> None:
    result = run(HELLO.pipe(text_only()))
    with pytest.raises(AssertionError) as failure:
        assert_emitted(result, ["Hel", "low"])
    assert str(failure.value) == (
        "expected value #1 to be 'low', got 'lo' (at 0.6 s)\n"
        "  expected: 'low'\n"
        "  actual:   'lo'\n"
        "               ^\n"
        "timeline:\n"
        "      0.400000 s  next       'Hel'\n"
        "  >   0.600000 s  next       'lo'\n"
        "      1.300000 s  completed"
    )


def test_a_missing_value_says_how_the_run_ended() -> None:
    result = run(marbles("S-b-t-E|", {"t": "Hel"}).pipe(text_only()))
    message = r"expected 2 values, got 1: #1 'lo' is missing; the run failed at 0.6 s with OverloadedError"
    with pytest.raises(AssertionError, match=message):
        assert_emitted(result, ["Hel", "lo"])


def test_an_extra_value_is_named_with_its_time() -> None:
    with pytest.raises(
        AssertionError, match=r"expected 1 value, got 2: #1 'lo' \(at 0.6 s\) is one too many"
    ):
        assert_emitted(run(HELLO.pipe(text_only())), ["Hel"])


def test_a_late_value_names_both_times() -> None:
    with pytest.raises(AssertionError, match=r"expected value #1 'lo' at 0.5 s, got it at 0.6 s"):
        assert_emitted(run(HELLO.pipe(text_only())), ["Hel", "lo"], times=[0.4, 0.5])


def test_times_match_within_the_tolerance() -> None:
    assert_emitted(run(HELLO.pipe(text_only())), ["Hel", "lo"], times=[0.40005, 0.6])
    with pytest.raises(AssertionError, match=r"at 0\.401 s"):
        assert_emitted(run(HELLO.pipe(text_only())), ["Hel", "lo"], times=[0.401, 0.6])


def test_one_time_per_value_is_required() -> None:
    with pytest.raises(ValueError, match=r"one time per value \(2\), got 1"):
        assert_emitted(run(HELLO.pipe(text_only())), ["Hel", "lo"], times=[0.4])


def test_the_end_is_checked_too_by_default_completion() -> None:
    cut = run(marbles("S-b-t-t-|", {"t": ["Hel", "lo"]}).pipe(text_only()))
    with pytest.raises(
        AssertionError,
        match=r"expected the run to complete, but it failed at 0.8 s with IncompleteStreamError",
    ):
        assert_emitted(cut, ["Hel", "lo"])
    assert_emitted(cut, ["Hel", "lo"], end=arx.IncompleteStreamError)
    assert_emitted(cut, ["Hel", "lo"], end=arx.StreamError)  # a subclass matches
    assert_emitted(cut, ["Hel", "lo"], end="any")
    with pytest.raises(
        AssertionError,
        match=r"expected the run to fail with OverloadedError, but it failed at 0.8 s with IncompleteStreamError",
    ):
        assert_emitted(cut, ["Hel", "lo"], end=arx.OverloadedError)
    with pytest.raises(AssertionError, match="expected the run not to end, but it failed"):
        assert_emitted(cut, ["Hel", "lo"], end="open")
    with pytest.raises(
        AssertionError, match=r"expected the run to complete, but it did not end \(still open"
    ):
        assert_emitted(run(reactivex.never()), [])


def test_assert_text_shows_the_first_differing_character_and_the_value_holding_it() -> None:
    result = run(StreamScript().text("Hello, ", "wrld").observable(every=0.1).pipe(text_only()))
    with pytest.raises(AssertionError) as failure:
        assert_text(result, "Hello, world")
    assert str(failure.value).startswith(
        "expected the text 'Hello, world', got 'Hello, wrld'\n"
        "  first difference at character 8, in the value emitted at 0.3 s\n"
        "  expected: 'Hello, world'\n"
        "  actual:   'Hello, wrld'\n"
        "                     ^\n"
        "timeline:\n"
    )
    assert "  >   0.300000 s  next       'wrld'" in str(failure.value)


def test_assert_text_of_a_text_that_is_too_short() -> None:
    result = run(HELLO.pipe(final_text()))
    with pytest.raises(
        AssertionError,
        match=re.escape(
            "expected the text 'Hello!', got 'Hello'\n  first difference at character 5"
        ),
    ):
        assert_text(result, "Hello!")


def test_assert_text_checks_the_end_too() -> None:
    failed = run(marbles("S-b-t-E|", {"t": "Hel"}).pipe(text_only()))
    with pytest.raises(AssertionError, match="expected the run to complete"):
        assert_text(failed, "Hel")
    assert_text(failed, "Hel", end=arx.OverloadedError)


def test_assert_error_returns_the_error_for_more_checks() -> None:
    result = run(marbles("S-b-t-t-|", {"t": ["Hel", "lo"]}).pipe(on_tool_input()))
    error = assert_error(result, arx.IncompleteStreamError, match="ended after content_block_delta")
    assert error.snapshot is not None and error.snapshot.text == "Hello"


def test_assert_error_fails_when_the_run_completed_or_failed_otherwise() -> None:
    with pytest.raises(
        AssertionError, match=r"expected the run to fail with Exception, but it completed at 1.3 s"
    ):
        assert_error(run(HELLO.pipe(text_only())))
    overloaded = run(marbles("S-E|").pipe(text_only()))
    with pytest.raises(
        AssertionError, match="expected the run to fail with RateLimitError, got OverloadedError: "
    ):
        assert_error(overloaded, arx.RateLimitError)
    with pytest.raises(
        AssertionError,
        match=r"expected the error message to match 'rate', got 'overloaded_error: Overloaded \(event: error, mid-stream\)'",
    ):
        assert_error(overloaded, arx.OverloadedError, match="rate")


def test_a_long_run_shows_only_the_records_around_the_difference() -> None:
    result = run(reactivex.from_iterable(range(20)))
    with pytest.raises(AssertionError) as failure:
        assert_emitted(result, [*range(10), 99, *range(11, 20)])
    lines = str(failure.value).splitlines()
    assert lines[0] == "expected value #10 to be 99, got 10 (at 0 s)"
    assert lines[2] == "    … 7 earlier"
    assert lines[6] == "  >   0.000000 s  next       10"
    assert lines[-1] == "    … 7 later"


def test_the_helpers_import_no_test_framework() -> None:
    code = "import sys, anthropic_rx.testing; print('pytest' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
