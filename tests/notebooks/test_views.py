"""`live` and `compare`: state, rendering, waiting, and what reaches the notebook's display."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import IPython
import IPython.display
import pytest
import reactivex
import reactivex.operators
from reactivex.subject import Subject

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.notebook import Comparison, LiveView, Timeline, compare, live
from anthropic_rx.operators import final_message
from tests.conftest import ROOT, read_recording
from tests.sources.fakes import FakeResponse

from .. import events_helpers as ev

THINKING = [
    ev.message_start(),
    *ev.thinking_block(0, "Hmm <b>", signature=None),
    *ev.text_block(1, "It is <prime> & odd"),
    *ev.message_end(),
]


def recorded(name: str) -> tuple[reactivex.Observable[arx.StreamEvent], arx.Message]:
    data = read_recording(name)
    return arx.from_bytes(data), arx.from_bytes(data).pipe(final_message()).run()


# -- state and rendering, no display -------------------------------------------------------


def test_a_view_of_a_recording_ends_with_its_final_message_and_text() -> None:
    source, message = recorded("otel-text-then-two-tools-sonnet35.sse")

    view = live(source, display=False)

    assert view.done and view.error is None
    assert view.wait(timeout=0) == message
    final_text = "".join(b.text for b in message.content if b.type == "text")
    assert view.text == final_text
    text = view.to_text()
    assert text.splitlines()[0].startswith("── claude-3-5-sonnet-20240620 · tool_use · ")
    assert final_text in text
    assert '[tool get_weather] {"location": "San Francisco, CA", "unit": "celsius"}' in text
    html = view.to_html()
    assert "▍" not in html  # no cursor once the stream has ended
    assert '<code style="font-size:12px">get_time</code>' in html
    assert view.first_token is not None and view.elapsed >= view.first_token
    assert str(view) == text
    assert "ended" in repr(view)


def test_a_view_shows_tool_input_as_it_forms() -> None:
    subject: Subject[arx.StreamEvent] = Subject()
    view = live(subject, title="weather", display=False)
    names_only = live(subject, display=False, tool_input=False)
    assert view.to_text().startswith("── weather · waiting · ")
    assert view.snapshot is None

    for e in [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="get_weather", input={}),
        ev.input_json(0, '{"city": "Par'),
    ]:
        subject.on_next(ev.event(e))

    assert not view.done
    header, body = view.to_text().splitlines()
    assert header.startswith("── weather · streaming · first token ")
    assert body == '[tool get_weather] {"city": "Par"}'  # the unfinished string so far
    assert names_only.to_text().splitlines()[1] == "[tool get_weather]"
    assert "▍" in view.to_html()
    subject.on_next(ev.event(ev.input_json(0, 'is"}')))
    assert view.to_text().splitlines()[1] == '[tool get_weather] {"city": "Paris"}'


def test_thinking_is_shown_or_hidden_and_html_is_escaped() -> None:
    source = arx.from_bytes(ev.encode(THINKING))

    shown = live(source, display=False)
    hidden = live(source, display=False, thinking=False)

    assert shown.text == hidden.text == "It is <prime> & odd"
    assert "[thinking] Hmm <b>" in shown.to_text()
    assert "thinking" not in hidden.to_text().split("\n", 1)[1]
    html = shown.to_html()
    assert "Hmm &lt;b&gt;" in html and "It is &lt;prime&gt; &amp; odd" in html
    assert "<prime>" not in html


def test_a_failed_stream_shows_its_error_and_wait_raises_it() -> None:
    cut = arx.from_bytes(ev.encode(ev.text_stream("Hel", "lo")[:4]))

    view = live(cut, display=False)

    assert view.done and isinstance(view.error, arx.IncompleteStreamError)
    assert view.text == "Hello"  # what arrived stays on screen
    assert view.message is None
    with pytest.raises(arx.IncompleteStreamError):
        view.wait()
    assert "[error] IncompleteStreamError: " in view.to_text()
    assert "IncompleteStreamError after" in view.to_html()


def test_disposing_a_view_ends_it_with_stream_aborted() -> None:
    subject: Subject[arx.StreamEvent] = Subject()
    view = live(subject, display=False)
    with pytest.raises(TimeoutError):
        view.wait(timeout=0.01)

    view.dispose()

    assert view.done and isinstance(view.error, arx.StreamAbortedError)
    assert not subject.observers  # unsubscribed
    with pytest.raises(arx.StreamAbortedError):
        view.wait(timeout=0)


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive interval"):
        live(reactivex.never(), interval=0, display=False)


@pytest.mark.anyio
async def test_awaiting_a_view_returns_its_message_when_it_ends_on_another_thread() -> None:
    data = ev.encode(ev.text_stream("Hello", " world"))
    subject: Subject[arx.StreamEvent] = Subject()
    view = live(subject, display=False)

    def feed() -> None:
        arx.from_bytes(data).subscribe(subject)

    feeder = threading.Thread(target=feed)
    feeder.start()
    message = await view
    feeder.join()

    assert message.content[0].type == "text" and view.text == "Hello world"


@pytest.mark.anyio
async def test_wait_refuses_to_block_the_loop_that_runs_the_stream_and_await_works() -> None:
    body = ev.encode(ev.text_stream("Hel", "lo"))

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    stream = arx.from_async_bytes(chunks())  # read by a task of this thread's loop
    view = live(stream, display=False)
    with pytest.raises(RuntimeError, match=r"would block for ever: .*await instead"):
        view.wait(timeout=1)  # would block the loop the stream needs, for ever
    board = compare({"a": arx.from_async_bytes(chunks())}, display=False)
    with pytest.raises(RuntimeError, match=r"would block for ever: .*await instead"):
        board.wait(timeout=1)
    assert (await view).content[0].type == "text" and view.text == "Hello"
    assert view.wait() == view.message  # once it has ended, wait() returns at once
    assert list(await board) == ["a"]


@pytest.mark.anyio
async def test_wait_refuses_for_a_piped_stream_and_a_timeline_too() -> None:
    """Issue 10 item 1: not only a bare MessageStream: whatever the view's or timeline's
    subscription reached is asked, so a stream behind an operator is refused as well."""
    body = ev.encode(ev.text_stream("Hel", "lo"))

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    stream = arx.from_async_bytes(chunks())
    view = live(stream.pipe(reactivex.operators.filter(lambda _: True)), display=False)
    with pytest.raises(RuntimeError, match=r"would block for ever: .*await instead"):
        view.wait(timeout=1)
    timeline = Timeline()
    stream.pipe(timeline.record("a")).subscribe()
    with pytest.raises(RuntimeError, match=r"would block for ever: .*await instead"):
        timeline.wait(timeout=1)
    assert (await view).content[0].type == "text"
    await timeline
    timeline.wait(timeout=0)  # every recorded stream ended: returns at once
    assert timeline.active == 0


def test_wait_in_a_callback_of_the_stream_on_its_reader_thread_is_refused() -> None:
    """Issue 10 item 1: the view follows the stream whose reader thread would wait."""
    gate = threading.Event()

    class Gated(FakeResponse):
        def iter_bytes(self) -> Iterator[bytes]:
            gate.wait(10)  # until both subscribers are there: they then run on the reader
            yield from super().iter_bytes()

    stream = arx.from_response(Gated([ev.encode(ev.text_stream("Hel", "lo"))]))
    view = live(stream, display=False)
    refused: list[str] = []

    def on_next(_: arx.StreamEvent) -> None:
        if not refused:
            try:
                view.wait(timeout=5)
            except RuntimeError as error:
                refused.append(str(error))

    stream.subscribe(on_next)
    gate.set()
    assert view.wait(timeout=10).stop_reason == "end_turn"
    assert len(refused) == 1 and "own callbacks" in refused[0]


def test_a_view_of_a_client_stream_waits_for_the_reader_thread() -> None:
    with Emulator(pace=500) as emu:
        with arx.Client(api_key="sk-test", base_url=emu.base_url) as client:
            stream = client.messages.stream(
                model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
            )
            view = live(stream, display=False)
            message = view.wait(timeout=30)
            assert message == stream.pipe(final_message()).run()  # replayed: one request
            assert view.text == message.content[0].text  # type: ignore[union-attr]
            assert len(emu.stats.requests()) == 1
        assert emu.stats.wait_idle(timeout=5)


def test_compare_shows_streams_side_by_side_then_a_table() -> None:
    a, message_a = recorded("llm-text-short.sse")
    b, message_b = recorded("otel-text-haiku3-70-deltas.sse")
    broken = arx.from_bytes(ev.encode(ev.text_stream("Hel", "lo")[:4]))

    board = compare({"short": a, "haiku": b, "broken": broken}, display=False)

    assert isinstance(board, Comparison) and board.done
    assert list(board) == ["short", "haiku", "broken"] and len(board) == 3
    assert (
        isinstance(board["haiku"], LiveView)
        and board["haiku"].text == b.pipe(final_message()).run().content[0].text
    )  # type: ignore[union-attr]
    assert board.wait(timeout=0) == {"short": message_a, "haiku": message_b}
    assert list(board.errors) == ["broken"]
    text = board.to_text()
    table = text.split("\n\n")[-1].splitlines()
    assert table[0].split() == [
        "stream",
        "model",
        "first",
        "token",
        "total",
        "output",
        "tokens",
        "tokens/s",
        "stop",
        "reason",
    ]
    assert table[1].startswith("short ") and "end_turn" in table[1]
    assert table[3].startswith("broken") and table[3].endswith("IncompleteStreamError")
    html = board.to_html()
    assert "grid-template-columns" in html and "<table" in html and "<th" in html
    assert repr(board) == "<Comparison of 'short', 'haiku', 'broken': ended>"


def test_compare_of_nothing_is_done_at_once() -> None:
    board = compare({}, display=False)
    assert board.done and board.wait(timeout=0) == {} and board.to_text() == ""


# -- what reaches the notebook --------------------------------------------------------------


@dataclass
class FakeHandle:
    """IPython's DisplayHandle, recording updates."""

    display_id: str
    updates: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, obj: dict[str, str], *, raw: bool = False) -> None:
        assert raw
        with self.lock:
            self.updates.append(obj)


@dataclass
class FakeKernelShell:
    """The parts of ipykernel's shell a view reads: a kernel, and the execution count."""

    execution_count: int = 1
    kernel: object = field(default_factory=object)
    shown: list[tuple[dict[str, str], str | None]] = field(default_factory=list)
    handles: list[FakeHandle] = field(default_factory=list)

    def display(self, obj: dict[str, str], *, raw: bool = False, display_id: Any = None) -> Any:
        assert raw
        self.shown.append((obj, None if display_id is True else display_id))
        if display_id is True:
            handle = FakeHandle(f"id-{len(self.handles)}")
            self.handles.append(handle)
            return handle
        return None


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> FakeKernelShell:
    """Pretend to run in a Jupyter kernel: views display through *shell*."""
    shell = FakeKernelShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(IPython.display, "display", shell.display)
    return shell


def test_a_live_view_paints_at_once_then_its_final_state_last(kernel: FakeKernelShell) -> None:
    with Emulator(pace=0) as emu, arx.Client(api_key="sk-test", base_url=emu.base_url) as client:
        stream = client.messages.stream(
            model="claude-test", max_tokens=256, messages=[{"role": "user", "content": "Hi"}]
        )
        # A long interval: only the first change paints before the end; then the final.
        view = live(stream, title="t", interval=30)
        message = view.wait(timeout=30)

    (handle,) = kernel.handles
    first, _ = kernel.shown[0]
    assert first["text/plain"] == "── t · waiting · 0.00 s"
    assert len(handle.updates) == 2
    final = handle.updates[-1]
    assert final == {"text/plain": view.to_text(), "text/html": view.to_html()}
    assert message.content[0].text in final["text/plain"]  # type: ignore[union-attr]
    assert "end_turn" in final["text/plain"].splitlines()[0]


def test_showing_a_view_again_adds_an_output_bound_to_it_once_per_cell(
    kernel: FakeKernelShell,
) -> None:
    subject: Subject[arx.StreamEvent] = Subject()
    view = live(subject)
    view._ipython_display_()  # the cell's value, displayed after live() showed it
    assert len(kernel.shown) == 1

    kernel.execution_count += 1
    view._ipython_display_()  # display(view) in a later cell
    assert [display_id for _, display_id in kernel.shown] == [None, "id-0"]

    for e in ev.text_stream("Hi"):
        subject.on_next(ev.event(e))
    subject.on_completed()
    assert view.wait(timeout=5).content[0].text == "Hi"  # type: ignore[union-attr]
    assert kernel.handles[0].updates[-1]["text/plain"] == view.to_text()


def test_a_view_made_with_display_false_shows_when_displayed(kernel: FakeKernelShell) -> None:
    view = live(arx.from_bytes(ev.encode(ev.text_stream("Hello"))), display=False)
    assert kernel.shown == []

    view._ipython_display_()

    ((shown, _),) = kernel.shown
    assert shown["text/plain"] == view.to_text() and "Hello" in shown["text/plain"]


def test_a_comparison_paints_its_final_table(kernel: FakeKernelShell) -> None:
    subjects: dict[str, Subject[arx.StreamEvent]] = {"a": Subject(), "b": Subject()}

    board = compare(subjects, interval=30)
    for name, subject in subjects.items():
        for e in ev.text_stream(f"answer {name}"):
            subject.on_next(ev.event(e))
        subject.on_completed()

    assert board.wait(timeout=5).keys() == {"a", "b"}
    final = kernel.handles[0].updates[-1]
    assert final["text/plain"] == board.to_text()
    assert "tokens/s" in final["text/plain"] and "<table" in final["text/html"]


def test_outside_a_kernel_live_shows_nothing_and_display_shows_the_state_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[object] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    monkeypatch.setattr(IPython.display, "display", lambda obj, **_: shown.append(obj))

    view = live(arx.from_bytes(ev.encode(ev.text_stream("Hello"))))
    assert shown == []
    view._ipython_display_()
    assert shown == [{"text/plain": view.to_text(), "text/html": view.to_html()}]


def test_missing_extras_name_the_notebook_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", None)
    with pytest.raises(ImportError, match=r"pip install 'anthropic-rx\[notebook\]'"):
        live(reactivex.never())

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"Timeline.plot needs matplotlib: .*\[notebook\]"):
        Timeline().plot()


def test_recording_and_views_need_neither_ipython_nor_matplotlib() -> None:
    """Only showing and drawing need the extra: the module imports and records without it."""
    code = """
import sys
sys.modules.update({"IPython": None, "matplotlib": None})
import anthropic_rx as arx
from anthropic_rx.notebook import Timeline, live
from tests.events_helpers import encode, text_stream

timeline = Timeline()
view = live(arx.from_bytes(encode(text_stream("Hi"))).pipe(timeline.record("a")), display=False)
assert view.wait(timeout=5).content[0].text == "Hi" and len(timeline.to_rows()) == 8
for attempt in (lambda: live(arx.from_bytes(b"")), timeline.plot):
    try:
        attempt()
    except ImportError as exc:
        assert "pip install 'anthropic-rx[notebook]'" in str(exc), exc
    else:
        raise AssertionError("expected an ImportError")
"""
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
