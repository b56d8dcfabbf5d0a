"""merge_tagged on plain Observables: tags, order, the bound, errors, disposal, serial delivery."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
import reactivex
from reactivex import Observable, abc
from reactivex.subject import Subject

import anthropic_rx as arx
from anthropic_rx.concurrency import StreamFailed, Tagged, merge_tagged

from .. import events_helpers as ev
from .helpers import WAIT, Recorder, by_key


class Probe:
    """A cold source whose subscription the test drives through a Subject."""

    def __init__(self) -> None:
        self.subject: Subject[Any] = Subject()
        self.subscribed = 0
        self.disposed = 0

    @property
    def observable(self) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            self.subscribed += 1
            inner = self.subject.subscribe(observer)

            def dispose() -> None:
                self.disposed += 1
                inner.dispose()

            return reactivex.disposable.Disposable(dispose)

        return Observable(subscribe)


def test_items_come_tagged_with_their_key_and_in_each_sources_order() -> None:
    sources = {"a": reactivex.of(1, 2, 3), "b": reactivex.of(10, 20), "c": reactivex.empty()}
    out: Recorder[Tagged[str, int]] = Recorder()
    merge_tagged(sources).subscribe(out)
    assert out.completed and out.error is None
    assert by_key(out.items) == {"a": [1, 2, 3], "b": [10, 20]}
    assert all(isinstance(item, Tagged) for item in out.items)


def test_tagged_is_a_frozen_value() -> None:
    item = Tagged("k", 1)
    assert item == Tagged("k", 1) and hash(item) == hash(Tagged("k", 1))
    with pytest.raises(AttributeError):
        item.key = "other"  # type: ignore[misc]
    assert repr(item) == "Tagged(key='k', value=1)"
    assert not hasattr(item, "__dict__")


def test_pairs_may_repeat_keys_and_are_read_once() -> None:
    pairs = iter([("x", reactivex.of(1)), ("x", reactivex.of(2))])
    merged = merge_tagged(pairs)
    first: Recorder[Tagged[str, int]] = Recorder()
    again: Recorder[Tagged[str, int]] = Recorder()
    merged.subscribe(first)
    merged.subscribe(again)  # cold: the same sources once more
    assert [i.value for i in first.items] == [i.value for i in again.items] == [1, 2]


def test_a_bound_subscribes_the_next_source_only_when_one_ends() -> None:
    probes = [Probe() for _ in range(3)]
    out: Recorder[Tagged[int, Any]] = Recorder()
    merge_tagged({i: p.observable for i, p in enumerate(probes)}, max_concurrent=2).subscribe(out)
    assert [p.subscribed for p in probes] == [1, 1, 0]
    probes[1].subject.on_next("b")
    probes[1].subject.on_completed()
    assert [p.subscribed for p in probes] == [1, 1, 1]
    probes[0].subject.on_completed()
    assert not out.completed
    probes[2].subject.on_next("c")
    probes[2].subject.on_completed()
    assert out.completed and [(i.key, i.value) for i in out.items] == [(1, "b"), (2, "c")]


def test_with_a_bound_of_one_recordings_play_one_after_the_other() -> None:
    hello = arx.from_bytes(ev.encode(ev.text_stream("Hel", "lo")))
    bye = arx.from_bytes(ev.encode(ev.text_stream("Bye")))
    out: Recorder[Tagged[str, arx.StreamEvent]] = Recorder()
    merge_tagged({"a": hello, "b": bye}, max_concurrent=1).subscribe(out)
    keys = [i.key for i in out.items]
    assert keys == ["a"] * 7 + ["b"] * 6 and out.completed


def test_many_synchronous_sources_in_a_row_do_not_grow_the_stack() -> None:
    sources = {i: reactivex.of(i) for i in range(3000)}
    out: Recorder[Tagged[int, int]] = Recorder()
    merge_tagged(sources, max_concurrent=1).subscribe(out)
    assert out.completed and [i.value for i in out.items] == list(range(3000))


def test_no_sources_complete_at_once() -> None:
    out: Recorder[Tagged[str, int]] = Recorder()
    merge_tagged({}).subscribe(out)
    assert out.completed and out.items == []


@pytest.mark.parametrize("bad", [0, -1])
def test_a_bound_below_one_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        merge_tagged({"a": reactivex.of(1)}, max_concurrent=bad)


def test_the_first_error_ends_everything_typed_and_naming_its_key() -> None:
    probes = {"a": Probe(), "b": Probe(), "c": Probe()}
    out: Recorder[Tagged[str, Any]] = Recorder()
    merge_tagged({k: p.observable for k, p in probes.items()}, max_concurrent=2).subscribe(out)
    probes["a"].subject.on_next(1)
    probes["b"].subject.on_next(2)
    error = arx.OverloadedError("overloaded", status_code=None)
    probes["b"].subject.on_error(error)
    assert out.error is error  # the same object: `except OverloadedError` still works
    assert "'b'" in "".join(error.__notes__)
    assert [(i.key, i.value) for i in out.items] == [("a", 1), ("b", 2)]  # nothing lost
    assert probes["a"].disposed == 1  # the other running source is disposed
    assert probes["c"].subscribed == 0  # and the pending one never starts
    probes["a"].subject.on_next(3)
    assert len(out.items) == 2


def test_isolated_errors_arrive_tagged_and_the_others_go_on() -> None:
    failing: Observable[int] = reactivex.concat(
        reactivex.of(1), reactivex.throw(arx.IncompleteStreamError("cut short"))
    )
    out: Recorder[Tagged[str, int | StreamFailed]] = Recorder()
    merge_tagged(
        {"bad": failing, "good": reactivex.of(7, 8)}, isolate_errors=True, max_concurrent=1
    ).subscribe(out)
    assert out.completed and out.error is None
    grouped = by_key(out.items)
    assert grouped["good"] == [7, 8]
    assert grouped["bad"][0] == 1
    failed = grouped["bad"][1]
    assert isinstance(failed, StreamFailed)
    assert isinstance(failed.error, arx.IncompleteStreamError)
    assert not getattr(failed.error, "__notes__", [])  # the key is in the item, not a note


def test_stream_failed_shows_the_snapshot_its_error_carries() -> None:
    events = arx.from_bytes(ev.encode(ev.text_stream("partial"))[:-40])  # cut before message_stop
    out: Recorder[Tagged[str, Any]] = Recorder()
    from anthropic_rx.operators import accumulate

    merge_tagged({"a": events.pipe(accumulate())}, isolate_errors=True).subscribe(out)
    failed = out.items[-1].value
    assert isinstance(failed, StreamFailed) and failed.snapshot is not None
    assert failed.snapshot.text == "partial"
    assert StreamFailed(ValueError("x")).snapshot is None


def test_disposing_disposes_every_running_source_and_starts_no_other() -> None:
    probes = [Probe() for _ in range(4)]
    out: Recorder[Tagged[int, Any]] = Recorder()
    subscription = merge_tagged(
        {i: p.observable for i, p in enumerate(probes)}, max_concurrent=3
    ).subscribe(out)
    subscription.dispose()
    assert [p.disposed for p in probes] == [1, 1, 1, 0]
    probes[0].subject.on_completed()
    assert probes[3].subscribed == 0 and not out.done.is_set()


def test_a_callback_that_raises_stops_the_merge_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    probes = [Probe(), Probe()]

    def explode(item: Tagged[int, Any]) -> None:
        raise RuntimeError("bug in the subscriber")

    merge_tagged({i: p.observable for i, p in enumerate(probes)}).subscribe(explode)
    with caplog.at_level(logging.ERROR, logger="anthropic_rx"):
        probes[0].subject.on_next("x")
    assert [p.disposed for p in probes] == [1, 1]
    assert "bug in the subscriber" in caplog.text


def test_items_from_many_threads_are_delivered_one_at_a_time() -> None:
    subjects: list[Subject[int]] = [Subject() for _ in range(8)]
    out: Recorder[Tagged[int, int]] = Recorder()
    merge_tagged(dict(enumerate(subjects))).subscribe(out)
    go = threading.Barrier(len(subjects))

    def produce(subject: Subject[int]) -> None:
        go.wait()
        for n in range(500):
            subject.on_next(n)
        subject.on_completed()

    threads = [threading.Thread(target=produce, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.wait()
    assert not out.overlapped
    assert by_key(out.items) == {i: list(range(500)) for i in range(8)}


def test_a_producer_never_waits_for_another_sources_slow_consumer() -> None:
    a: Subject[int] = Subject()
    b: Subject[int] = Subject()
    b_finished = threading.Event()
    waited: list[bool] = []
    threads: list[str] = []

    def produce_b() -> None:
        for n in range(3):
            b.on_next(n)  # queued for the busy consumer: returns at once
        b.on_completed()
        b_finished.set()

    producer = threading.Thread(target=produce_b, name="producer-b")

    class Slow(Recorder[Tagged[str, int]]):
        def on_next(self, item: Tagged[str, int]) -> None:
            self._enter()
            try:
                self.items.append(item)
                threads.append(threading.current_thread().name)
                if item == Tagged("a", 1):  # busy with a's item while b's thread produces
                    producer.start()
                    waited.append(b_finished.wait(WAIT))
            finally:
                self._leave()

    out = Slow()
    merge_tagged({"a": a, "b": b}).subscribe(out)
    first = threading.Thread(target=lambda: a.on_next(1), name="producer-a")
    first.start()
    first.join(2 * WAIT)
    producer.join(WAIT)
    assert waited == [True]  # b's producer finished while a's item was being handled
    assert not out.overlapped
    assert [(i.key, i.value) for i in out.items] == [("a", 1), ("b", 0), ("b", 1), ("b", 2)]
    assert threads == ["producer-a"] * 4  # b's items came on the thread that was delivering
    a.on_completed()
    assert out.completed
