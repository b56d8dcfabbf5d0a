"""`Timeline`: rows from recordings and live streams, waiting, and the plot."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest
import reactivex
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.notebook import CONTENT_KINDS, KINDS, Timeline, TimelineRow
from anthropic_rx.operators import final_message
from tests.conftest import read_recording

from .. import events_helpers as ev


def ticking() -> itertools.count[float]:
    """A clock that advances one second per reading: rows get predictable times."""
    return itertools.count(100.0)


def test_rows_of_a_recording_follow_its_events() -> None:
    data = read_recording("otel-text-then-two-tools-sonnet35.sse")
    events = arx.from_bytes(data).pipe(ops.to_list()).run()
    clock = ticking()
    timeline = Timeline(clock=lambda: next(clock))

    message = arx.from_bytes(data).pipe(timeline.record("sonnet"), final_message()).run()

    rows = timeline.to_rows()
    assert rows[0].kind == "request"
    assert rows[-1].kind == "completed"
    assert [r.event for r in rows[1:-1]] == [e.type for e in events]
    assert [r.seq for r in rows] == list(range(len(events) + 2))
    assert [r.seconds for r in rows] == [float(i) for i in range(len(rows))]
    assert {r.label for r in rows} == {"sonnet"}
    assert {r.kind for r in rows} <= set(KINDS)
    kinds = [r.kind for r in rows]
    assert "text" in kinds and "tool_input" in kinds and "ping" in kinds
    # Characters of content: exactly the text and the tool input's JSON text.
    text_chars = sum(r.chars for r in rows if r.kind == "text")
    assert text_chars == len("".join(b.text for b in message.content if b.type == "text"))
    first_content = next(r for r in rows if r.kind in CONTENT_KINDS)
    assert timeline.first_token("sonnet") == first_content.seconds - rows[0].seconds
    assert timeline.labels() == ["sonnet"]
    assert timeline.active == 0


def test_each_label_gets_its_rows_and_time_runs_from_the_first_request() -> None:
    clock = ticking()
    timeline = Timeline(clock=lambda: next(clock))
    a = arx.from_bytes(ev.encode(ev.text_stream("Hello", " there")))
    b = arx.from_bytes(ev.encode(ev.text_stream("Hi")))

    a.pipe(timeline.record("a")).subscribe()
    b.pipe(timeline.record("b")).subscribe()

    rows = timeline.to_rows()
    assert rows[0] == TimelineRow("a", 0, "request", "", 0.0, 0)
    assert timeline.labels() == ["a", "b"]
    assert [r.chars for r in rows if r.label == "a" and r.kind == "text"] == [5, 6]
    b_rows = [r for r in rows if r.label == "b"]
    assert b_rows[0].kind == "request" and b_rows[0].seq == 0
    assert b_rows[0].seconds > rows[0].seconds
    assert timeline.first_token("b") == 3.0  # request, message_start, block_start, text
    assert timeline.first_token("nobody") is None


def test_a_failed_stream_ends_with_a_failed_row_and_the_error_passes_on() -> None:
    timeline = Timeline()
    cut = ev.encode(ev.text_stream("Hel", "lo")[:4])  # no message_stop: incomplete
    errors: list[Exception] = []

    arx.from_bytes(cut).pipe(timeline.record("cut"), final_message()).subscribe(
        on_error=errors.append
    )

    assert len(errors) == 1 and isinstance(errors[0], arx.IncompleteStreamError)
    # record() sees the source's own end (it completed); the error comes from final_message.
    assert timeline.to_rows()[-1].kind == "completed"

    failing: reactivex.Observable[arx.StreamEvent] = reactivex.throw(ValueError("boom"))
    failing.pipe(timeline.record("boom")).subscribe(on_error=errors.append)
    last = timeline.to_rows()[-1]
    assert (last.label, last.kind, last.event) == ("boom", "failed", "ValueError")
    assert isinstance(errors[-1], ValueError)


def test_disposing_early_ends_the_stream_with_a_disposed_row_once() -> None:
    timeline = Timeline()
    pending: reactivex.Observable[arx.StreamEvent] = reactivex.never()
    subscription = pending.pipe(timeline.record("slow")).subscribe()
    assert timeline.active == 1

    subscription.dispose()
    subscription.dispose()

    assert [r.kind for r in timeline.to_rows()] == ["request", "disposed"]
    assert timeline.active == 0
    timeline.wait(timeout=0)


def test_wait_blocks_until_every_recorded_stream_ended() -> None:
    timeline = Timeline()
    timeline.wait(timeout=0)  # nothing recorded: nothing to wait for
    subject: reactivex.subject.Subject[arx.StreamEvent] = reactivex.subject.Subject()
    subject.pipe(timeline.record("s")).subscribe()

    with pytest.raises(TimeoutError):
        timeline.wait(timeout=0.01)
    ender = threading.Thread(target=subject.on_completed)
    ender.start()
    timeline.wait(timeout=10)
    ender.join()
    assert timeline.to_rows()[-1].kind == "completed"


def test_awaiting_a_timeline_waits_for_streams_read_on_other_threads() -> None:
    """The sync client reads on its own thread; ``await timeline`` wakes on the loop."""
    with Emulator(pace=400) as emu:
        with arx.Client(api_key="sk-test", base_url=emu.base_url) as client:

            def ask(model: str) -> arx.MessageStream:
                return client.messages.stream(
                    model=model, max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
                )

            async def main() -> Timeline:
                timeline = Timeline()
                for model in ("claude-a", "claude-b", "claude-c"):
                    ask(model).pipe(timeline.record(model)).subscribe()
                await timeline
                return timeline

            timeline = asyncio.run(main())
        assert emu.stats.wait_idle(timeout=5)

    rows = timeline.to_rows()
    assert timeline.labels() == ["claude-a", "claude-b", "claude-c"]
    assert [r.kind for r in rows if r.kind in ("completed", "failed", "disposed")] == [
        "completed"
    ] * 3
    for label in timeline.labels():
        own = [r for r in rows if r.label == label]
        assert [r.seq for r in own] == list(range(len(own)))  # serial per stream
        assert own[1].kind == "message_start" and own[-2].kind == "message_stop"
        assert all(a.seconds <= b.seconds for a, b in itertools.pairwise(own))
        first = timeline.first_token(label)
        assert first is not None and first > 0


def test_plot_draws_one_row_per_stream_with_its_label() -> None:
    clock = ticking()
    timeline = Timeline(clock=lambda: next(clock))
    tool = [
        ev.message_start(),
        ev.block_start(0, type="tool_use", id="toolu_1", name="get_weather", input={}),
        ev.input_json(0, '{"city": '),
        ev.input_json(0, '"Paris"}'),
        ev.stop(0),
        ev.message_delta("tool_use"),
        {"type": "message_stop"},
    ]
    arx.from_bytes(ev.encode(ev.text_stream("Hello", " world"))).pipe(
        timeline.record("text")
    ).subscribe()
    arx.from_bytes(ev.encode(tool)).pipe(timeline.record("tool")).subscribe()
    failing: reactivex.Observable[arx.StreamEvent] = reactivex.throw(ValueError("x"))
    failing.pipe(timeline.record("broken")).subscribe(on_error=lambda _: None)

    figure = timeline.plot(title="three streams")

    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["broken", "tool", "text"]
    assert ax.get_title(loc="left") == "three streams"
    legend = figure.legends[0]
    labels = {t.get_text() for t in legend.get_texts()}
    assert {"text delta", "tool input delta", "message_stop", "failed", "first token"} <= labels
    annotations = [c.get_text() for c in ax.texts]
    assert "first token 3.00 s" in annotations  # text: request, start, block start, delta
    png = figure_png(figure)
    assert png.startswith(b"\x89PNG")


def test_plot_draws_on_given_axes_and_an_empty_timeline() -> None:
    figure = Figure()
    ax: Axes = figure.add_subplot()
    assert Timeline().plot(ax=ax, title=None) is figure
    assert ax.get_yticklabels() == [] or [t.get_text() for t in ax.get_yticklabels()] == []
    assert figure_png(figure).startswith(b"\x89PNG")


def figure_png(figure: Figure) -> bytes:
    """Render *figure* with Agg, as a notebook or ``savefig`` would."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_kind_of_names_every_delta_type() -> None:
    from anthropic_rx.notebook._timeline import kind_of

    def delta_event(**delta: object) -> arx.StreamEvent:
        return arx.parse_event(
            arx.ServerSentEvent(
                event="content_block_delta",
                data=__import__("json").dumps(
                    {"type": "content_block_delta", "index": 0, "delta": delta}
                ),
            )
        )

    assert kind_of(delta_event(type="text_delta", text="abc")) == ("text", 3)
    assert kind_of(delta_event(type="thinking_delta", thinking="hm")) == ("thinking", 2)
    assert kind_of(delta_event(type="input_json_delta", partial_json="{}")) == ("tool_input", 2)
    assert kind_of(delta_event(type="signature_delta", signature="sig")) == ("signature", 0)
    assert kind_of(delta_event(type="future_delta", x=1)) == ("delta", 0)
