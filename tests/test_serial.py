"""`SerialQueue`: many producers, one deliverer at a time, in order, never a nested drain."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anthropic_rx._serial import EMPTY, SerialQueue, leave_on_dispose, terminate

WAIT = 15.0  # seconds: a bound on every wait, never a sleep


def drain_into(queue: SerialQueue[Any], out: list[Any]) -> None:
    while (item := queue.take()) is not EMPTY:
        out.append(item)


def test_the_first_put_starts_the_drain_and_the_others_join_it() -> None:
    queue: SerialQueue[int] = SerialQueue()
    assert queue.put(1) is True
    assert queue.put(2) is False and queue.put(3) is False  # the running drain has them
    out: list[int] = []
    drain_into(queue, out)
    assert out == [1, 2, 3]
    assert queue.put(4) is True  # the drain ended: the next producer starts one


def test_a_callback_that_puts_gets_no_nested_drain_and_its_item_comes_after() -> None:
    queue: SerialQueue[str] = SerialQueue()
    delivered: list[str] = []
    depth = 0
    deepest = 0

    def push(item: str) -> None:
        nonlocal depth, deepest
        if not queue.put(item):
            return
        while (next_ := queue.take()) is not EMPTY:
            depth += 1
            deepest = max(deepest, depth)
            delivered.append(next_)
            if next_ == "a":
                push("a-reply")  # re-entrant: queued, delivered by this very loop
            depth -= 1

    push("a")
    push("b")
    assert delivered == ["a", "a-reply", "b"] and deepest == 1


def test_a_last_item_seals_the_queue_and_finished_says_when_it_is_out() -> None:
    queue: SerialQueue[str] = SerialQueue()
    assert queue.put("x") is True
    assert queue.put("end", last=True) is False
    assert queue.put("after the end") is False
    assert queue.take() == "x" and not queue.finished
    assert queue.take() == "end" and queue.finished
    assert queue.take() is EMPTY
    assert queue.put("still refused") is False and queue.pending() == 0


def test_close_drops_what_waits_and_refuses_the_rest() -> None:
    queue: SerialQueue[int] = SerialQueue()
    queue.put(1)
    queue.put(2)
    queue.close()
    queue.close()  # idempotent
    assert queue.closed and queue.take() is EMPTY
    assert queue.put(3) is False and queue.pending() == 0
    assert queue.rest() is False


def test_rest_ends_a_turn_and_keeps_the_drain_only_while_items_wait() -> None:
    queue: SerialQueue[int] = SerialQueue()
    queue.put(1)
    queue.put(2)
    budget = queue.pending()
    assert budget == 2
    assert queue.take() == 1
    assert queue.rest() is True  # 2 waits: the drain goes on next turn
    assert queue.put(3) is False  # still busy: no second drain is started
    assert [queue.take(), queue.take()] == [2, 3]
    assert queue.rest() is False
    assert queue.put(4) is True


def test_an_owner_changes_its_state_and_the_queue_under_one_lock() -> None:
    lock = threading.Lock()
    queue: SerialQueue[int] = SerialQueue(lock)
    assert queue.lock is lock
    with lock:
        assert queue.put_locked(1) is True
        queue.close_locked()
    assert queue.take() is EMPTY and queue.closed


@given(
    st.lists(st.tuples(st.sampled_from(["put", "last", "take", "rest", "close"]), st.integers()))
)
def test_it_behaves_as_a_simple_model_for_any_sequence_of_calls(
    calls: list[tuple[str, int]],
) -> None:
    queue: SerialQueue[int] = SerialQueue()
    items: deque[int] = deque()
    busy = sealed = closed = False
    for call, value in calls:
        if call in ("put", "last"):
            accepted = not (closed or sealed)
            starts = accepted and not busy
            assert queue.put(value, last=call == "last") is starts
            if accepted:
                items.append(value)
                sealed = call == "last"
                busy = True
        elif call == "take":
            got = queue.take()
            if closed or not items:
                assert got is EMPTY
                busy = False
            else:
                assert got == items.popleft()
        elif call == "rest":
            busy = bool(items) and not closed
            assert queue.rest() is busy
        else:
            queue.close()
            closed = True
            items.clear()
        assert queue.pending() == len(items)
        assert queue.finished is (sealed and not items)


@pytest.mark.parametrize("producers", [2, 8])
def test_many_threads_deliver_every_item_once_in_each_producer_s_order_one_at_a_time(
    producers: int,
) -> None:
    queue: SerialQueue[tuple[int, int]] = SerialQueue()
    per_producer = 2000
    delivered: list[tuple[int, int]] = []
    active = 0
    most_active = 0
    start = threading.Barrier(producers)

    def deliver(item: tuple[int, int]) -> None:
        nonlocal active, most_active
        active += 1  # only ever one deliverer: no lock needed, and none is held here
        most_active = max(most_active, active)
        assert not queue.lock.locked()
        delivered.append(item)
        active -= 1

    def produce(who: int) -> None:
        start.wait(WAIT)
        for n in range(per_producer):
            if queue.put((who, n)):
                while (item := queue.take()) is not EMPTY:
                    deliver(item)

    threads = [threading.Thread(target=produce, args=(who,)) for who in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
    assert most_active == 1
    assert len(delivered) == producers * per_producer
    for who in range(producers):
        assert [n for w, n in delivered if w == who] == list(range(per_producer))
    assert queue.put((0, -1)) is True  # nothing is left running


def test_terminate_sends_the_end_once_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    ends: list[Any] = []

    class Observer:
        def on_next(self, value: Any) -> None:  # pragma: no cover - never called
            raise AssertionError(value)

        def on_error(self, error: Exception) -> None:
            ends.append(error)
            raise RuntimeError("a callback that raises")

        def on_completed(self) -> None:
            ends.append("completed")

    boom = ValueError("boom")
    terminate(Observer(), None)  # type: ignore[arg-type]
    terminate(Observer(), boom)  # type: ignore[arg-type]
    assert ends == ["completed", boom]
    assert "terminal callback raised" in caplog.text


class _Subscriber:
    disposed = False


def test_leaving_takes_the_subscriber_out_and_tells_only_when_none_is_left() -> None:
    lock, subscribers = threading.Lock(), [_Subscriber(), _Subscriber()]
    first, second = subscribers
    told: list[str] = []
    leave_first = leave_on_dispose(lock, subscribers, first, lambda: told.append("none left"))
    leave_first.dispose()
    assert first.disposed and subscribers == [second] and told == []  # one is still there
    leave_first.dispose()  # twice: harmless
    leave_on_dispose(lock, subscribers, second, lambda: told.append("none left")).dispose()
    assert second.disposed and subscribers == [] and told == ["none left"]
