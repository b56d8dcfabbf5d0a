"""on_gui(): every notification on the GUI thread, in order, batched, and nothing after dispose."""

# pyright: reportPrivateUsage=false
# (these tests look at the wake-up channel and the registrations, private on purpose)

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import reactivex
from reactivex import Observable, abc
from reactivex.scheduler import ImmediateScheduler
from reactivex.subject import Subject

import anthropic_rx as arx
from anthropic_rx._steps import Pipeline
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import coalesce_text, final_text
from anthropic_rx.schedulers import on_gui

from .helpers import Gui


class Seen:
    """What a subscriber received, each with whether it came on the GUI thread."""

    def __init__(self, gui: Gui) -> None:
        self.gui = gui
        self.values: list[Any] = []
        self.error: Exception | None = None
        self.completed = False
        self.threads: list[bool] = []
        self.ended = threading.Event()

    def on_next(self, value: Any) -> None:
        self.values.append(value)
        self.threads.append(self.gui.on_gui_thread())

    def on_error(self, error: Exception) -> None:
        self.error = error
        self.threads.append(self.gui.on_gui_thread())
        self.ended.set()

    def on_completed(self) -> None:
        self.completed = True
        self.threads.append(self.gui.on_gui_thread())
        self.ended.set()

    def subscribe(self, source: Observable[Any]) -> abc.DisposableBase:
        return source.subscribe(self.on_next, self.on_error, self.on_completed)


def on_worker(target: Callable[[], object]) -> None:
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()


def count_schedules(gui: Gui) -> list[int]:
    """Count the actions scheduled on the GUI scheduler from now on."""
    count = [0]
    schedule = gui.scheduler.schedule

    def counting(action: Any, state: Any = None) -> abc.DisposableBase:
        count[0] += 1
        return schedule(action, state)

    vars(gui.scheduler)["schedule"] = counting  # an instance attribute shadows the method
    return count


def test_values_then_completion_arrive_on_the_gui_thread_in_one_batch(gui: Gui) -> None:
    subject: Subject[int] = Subject()
    seen = Seen(gui)
    seen.subscribe(subject.pipe(on_gui(gui.scheduler)))
    schedules = count_schedules(gui)

    def produce() -> None:
        for i in range(500):
            subject.on_next(i)
        subject.on_completed()

    on_worker(produce)
    assert seen.values == []  # nothing until the GUI loop turns
    gui.pump(seen.ended.is_set)

    assert seen.values == list(range(500))
    assert seen.completed
    assert all(seen.threads)
    assert schedules[0] == 1  # one drain for the whole burst


def test_an_error_arrives_after_every_value_before_it(gui: Gui) -> None:
    subject: Subject[int] = Subject()
    seen = Seen(gui)
    seen.subscribe(subject.pipe(on_gui(gui.scheduler)))
    boom = RuntimeError("boom")

    def produce() -> None:
        subject.on_next(1)
        subject.on_next(2)
        subject.on_error(boom)
        subject.on_next(3)  # after the end: ignored

    on_worker(produce)
    gui.pump(seen.ended.is_set)
    assert seen.values == [1, 2]
    assert seen.error is boom
    assert all(seen.threads)


def test_values_from_several_threads_keep_each_threads_order(gui: Gui) -> None:
    subject: Subject[tuple[int, int]] = Subject()
    seen = Seen(gui)
    seen.subscribe(subject.pipe(on_gui(gui.scheduler)))
    lock = threading.Lock()  # Rx wants notifications serialized, not from one thread

    def produce(worker: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(250):
                with lock:
                    subject.on_next((worker, i))

        return run

    threads = [threading.Thread(target=produce(w)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gui.pump(lambda: len(seen.values) == 1000)
    for worker in range(4):
        assert [i for w, i in seen.values if w == worker] == list(range(250))
    assert all(seen.threads)


def test_disposing_in_the_middle_of_a_batch_stops_delivery_and_the_upstream(gui: Gui) -> None:
    subject: Subject[int] = Subject()
    got: list[int] = []
    holder: list[abc.DisposableBase] = []

    def on_next(value: int) -> None:
        got.append(value)
        if value == 3:
            holder[0].dispose()

    holder.append(subject.pipe(on_gui(gui.scheduler)).subscribe(on_next))

    def produce() -> None:
        for i in range(10):
            subject.on_next(i)
        subject.on_completed()

    on_worker(produce)
    gui.settle()
    assert got == [0, 1, 2, 3]
    assert not subject.observers


def test_disposing_from_a_worker_drops_what_is_queued(gui: Gui) -> None:
    subject: Subject[int] = Subject()
    seen = Seen(gui)
    subscription = seen.subscribe(subject.pipe(on_gui(gui.scheduler)))

    def produce_then_dispose() -> None:
        subject.on_next(1)
        subscription.dispose()
        subject.on_next(2)

    on_worker(produce_then_dispose)
    gui.settle()
    assert seen.values == []
    assert not subject.observers


def test_disposing_the_scheduler_disposes_the_upstream(gui: Gui) -> None:
    subject: Subject[int] = Subject()
    seen = Seen(gui)
    seen.subscribe(subject.pipe(on_gui(gui.scheduler)))
    assert subject.observers
    on_worker(gui.scheduler.dispose)
    assert not subject.observers
    assert seen.values == []
    assert not seen.ended.is_set()


def test_a_subscriber_that_raises_is_reported_and_delivery_stops(gui: Gui) -> None:
    subject: Subject[int] = Subject()
    got: list[int] = []
    boom = ValueError("bad handler")

    def on_next(value: int) -> None:
        got.append(value)
        if value == 1:
            raise boom

    subject.pipe(on_gui(gui.scheduler)).subscribe(on_next)

    def produce() -> None:
        for i in range(5):
            subject.on_next(i)

    on_worker(produce)
    gui.pump(lambda: bool(gui.reported))
    gui.settle()
    assert got == [0, 1]
    assert gui.reported == [boom]
    assert not subject.observers


def test_a_finite_source_ends_and_unregisters_from_the_scheduler(gui: Gui) -> None:
    seen = Seen(gui)
    seen.subscribe(reactivex.of(1, 2, 3).pipe(on_gui(gui.scheduler)))
    gui.pump(seen.ended.is_set)
    assert seen.values == [1, 2, 3]
    assert not gui.scheduler._on_dispose


def test_it_returns_a_pipeline_that_can_be_awaited() -> None:
    assert isinstance(reactivex.of(1).pipe(on_gui(ImmediateScheduler())), Pipeline)


def test_any_reactivex_scheduler_works_even_inline() -> None:
    got: list[int] = []
    reactivex.of(1, 2, 3).pipe(on_gui(ImmediateScheduler())).subscribe(got.append)
    assert got == [1, 2, 3]


def test_a_streamed_reply_reaches_the_gui_per_frame_and_whole(gui: Gui) -> None:
    """The GUI recipe end to end: a real request, text per frame, two views of one stream."""
    with Emulator() as emu:
        with arx.Client(api_key="sk-test", base_url=emu.base_url) as client:
            stream = client.messages.stream(
                model="claude-emulated",
                max_tokens=200,
                messages=[{"role": "user", "content": "Tell me about pelicans"}],
            )
            pieces = Seen(gui)
            whole = Seen(gui)
            pieces.subscribe(
                stream.pipe(coalesce_text(1 / 60, scheduler=gui.scheduler), on_gui(gui.scheduler))
            )
            whole.subscribe(stream.pipe(final_text(), on_gui(gui.scheduler)))
            # Each view learns of the end in turn: wait for both.
            gui.pump(lambda: pieces.ended.is_set() and whole.ended.is_set())
        assert emu.stats.wait_idle(timeout=10.0), emu.stats.connections()

    assert pieces.error is None and whole.error is None
    assert "".join(pieces.values) == whole.values[0]
    assert whole.values[0]
    assert all(pieces.threads) and all(whole.threads)


def test_subscribing_on_a_disposed_scheduler_does_not_start_the_source(gui: Gui) -> None:
    started: list[bool] = []

    def start(_: abc.SchedulerBase) -> Observable[int]:
        started.append(True)
        return reactivex.of(1)

    source = reactivex.defer(start)
    gui.scheduler.dispose()
    source.pipe(on_gui(gui.scheduler)).subscribe()
    assert started == []


def test_a_nested_event_loop_in_a_callback_loses_nothing_and_keeps_the_order(gui: Gui) -> None:
    """A modal dialog in ``on_next`` turns the event loop inside a delivery: values that
    arrive meanwhile wait for the callback to return, and none of the batch is dropped."""
    subject: Subject[int] = Subject()
    seen = Seen(gui)
    nested: list[bool] = []

    def on_next(value: int) -> None:
        seen.on_next(value)
        if value == 1:
            # While "the dialog" is open, the stream goes on and ends.
            on_worker(lambda: (subject.on_next(3), subject.on_completed()))
            gui.settle()  # a nested event loop, as a modal dialog runs
            nested.append(seen.completed)

    subject.pipe(on_gui(gui.scheduler)).subscribe(on_next, seen.on_error, seen.on_completed)
    on_worker(lambda: (subject.on_next(1), subject.on_next(2)))
    gui.pump(seen.ended.is_set)

    assert seen.values == [1, 2, 3]
    assert nested == [False]  # nothing was delivered inside the callback
    assert seen.completed and all(seen.threads)
