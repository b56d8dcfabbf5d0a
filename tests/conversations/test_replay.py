"""The conversation's replay: serial delivery, late subscribers, folded segments."""

from __future__ import annotations

from typing import Any

from anthropic_rx.conversations._replay import Replay, Segment


def numbers(offset: int, count: int) -> Segment:
    return Segment(count, lambda: list(range(offset, offset + count)))


def test_late_subscribers_get_everything_and_the_end() -> None:
    replay: Replay[int] = Replay()
    early: list[Any] = []
    replay.observable.subscribe(early.append, on_completed=lambda: early.append("|"))
    for i in range(3):
        replay.push(i)
    replay.end()
    late: list[Any] = []
    replay.observable.subscribe(late.append, on_completed=lambda: late.append("|"))
    assert early == late == [0, 1, 2, "|"]
    assert replay.push(9) == -1


def test_folded_runs_rebuild_equal_values_in_place() -> None:
    replay: Replay[Any] = Replay()
    for value in ["start", 0, 1, "tool", 2, 3, "end"]:
        replay.push(value)
    offsets: list[tuple[int, int]] = []

    def segment(offset: int, count: int) -> Segment:
        offsets.append((offset, count))
        return numbers(offset, count)

    replay.fold(1, lambda v: isinstance(v, int), segment)
    assert offsets == [(0, 2), (2, 2)]
    assert list(replay.values()) == ["start", 0, 1, "tool", 2, 3, "end"]
    late: list[Any] = []
    replay.observable.subscribe(late.append)
    assert late == ["start", 0, 1, "tool", 2, 3, "end"]
    assert replay.push("after") == 5  # seven values, kept as five entries


def test_a_subscriber_half_way_through_a_run_keeps_its_place() -> None:
    replay: Replay[Any] = Replay()
    got: list[Any] = []

    def on_next(value: Any) -> None:
        got.append(value)
        if value == 0:  # delivered alone; the rest arrives while it is busy, then folds
            replay.push(1)
            replay.push(2)
            replay.fold(0, lambda v: isinstance(v, int), numbers)
            replay.push("next")

    replay.observable.subscribe(on_next)
    replay.push(0)
    assert got == [0, 1, 2, "next"]


def test_a_subscriber_whose_callback_raises_is_dropped_alone() -> None:
    replay: Replay[int] = Replay()
    errors: list[Exception] = []
    good: list[int] = []

    def bad(value: int) -> None:
        raise ValueError(value)

    replay.observable.subscribe(bad, errors.append)
    replay.observable.subscribe(good.append)
    replay.push(1)
    replay.push(2)
    assert [str(e) for e in errors] == ["1"]
    assert good == [1, 2]
