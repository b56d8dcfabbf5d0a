"""ManualStream: push one event at a time and look at a UI between pushes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from reactivex import Observable, abc
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.events import ContentBlockStartEvent, StreamEvent
from anthropic_rx.operators import (
    accumulate,
    coalesce_text,
    final_message,
    on_tool_input,
    text_only,
)
from anthropic_rx.testing import ManualStream, StreamScript, VirtualClock


class AnswerView:
    """A user's GUI code, as a test sees it: a label that follows the text, and a Stop button."""

    def __init__(
        self, events: Observable[StreamEvent], scheduler: abc.SchedulerBase | None = None
    ) -> None:
        self.label = ""
        self.status = "streaming"
        self._subscription = events.pipe(coalesce_text(1 / 60, scheduler=scheduler)).subscribe(
            self._append, self._failed, self._done
        )

    def _append(self, piece: str) -> None:
        self.label += piece

    def _failed(self, error: Exception) -> None:
        self.status = f"error: {type(error).__name__}"

    def _done(self) -> None:
        self.status = "done"

    def stop(self) -> None:
        self._subscription.dispose()


def bad_view(on: str | None = None) -> Callable[[StreamEvent], None]:
    """A subscriber's callback with a bug: it raises on events of type *on* (or on every one)."""

    def show(event: StreamEvent) -> None:
        if on is None or event.type == on:
            raise ValueError("bad view")

    return show


def test_after_the_first_delta_the_label_shows_it_and_the_next_frame_shows_more() -> None:
    clock = VirtualClock()
    stream = ManualStream()
    view = AnswerView(stream, clock)
    stream.text("Hel")
    assert view.label == "Hel"
    stream.text("lo")
    assert view.label == "Hel"  # the same frame: held back
    clock.advance(1 / 60)
    assert view.label == "Hello"
    stream.text(", world")
    stream.finish()
    assert (view.label, view.status) == ("Hello, world", "done")


def test_the_stop_button_aborts_the_stream_and_later_deltas_are_ignored() -> None:
    stream = ManualStream()
    view = AnswerView(stream)
    stream.text("Hel")
    view.stop()
    assert stream.aborted and stream.done
    assert stream.subscriber_count == 0
    assert isinstance(stream.error, arx.StreamAbortedError)
    stream.text("lo")  # the model would go on writing: nobody reads it
    assert view.label == "Hel"


def test_an_overload_mid_stream_reaches_the_view_as_the_typed_error() -> None:
    stream = ManualStream()
    view = AnswerView(stream)
    stream.text("Hel")
    stream.error_event("overloaded_error")
    assert (view.label, view.status) == ("Hel", "error: OverloadedError")
    assert isinstance(stream.error, arx.OverloadedError) and stream.error.mid_stream


def test_a_stream_cut_short_ends_in_incomplete_stream_error_with_the_snapshot() -> None:
    stream = ManualStream()
    errors: list[Exception] = []
    stream.pipe(text_only()).subscribe(on_error=errors.append)
    stream.text("Hel")
    stream.end()
    [error] = errors
    assert isinstance(error, arx.IncompleteStreamError)
    assert error.snapshot is not None and error.snapshot.text == "Hel"


def test_a_broken_connection_is_sent_as_it_is() -> None:
    stream = ManualStream()
    errors: list[Exception] = []
    stream.subscribe(on_error=errors.append)
    broken = arx.APIConnectionError("reset by peer", mid_stream=True)
    stream.text("a")
    stream.fail(broken)
    assert errors == [broken]
    assert broken.snapshot is not None and broken.snapshot.text == "a"


def test_the_helpers_send_the_events_a_real_stream_has_around_each_delta() -> None:
    stream = ManualStream()
    stream.thinking("Hmm")
    stream.text("Hi")
    stream.tool_use("get_weather", {"city": "Paris"}, chunks=2)
    stream.finish()
    assert [e.type for e in stream.events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    message = stream.pipe(final_message()).run()  # late: the whole stream is replayed
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    assert message.stop_reason == "tool_use"


def test_tool_input_fragments_show_the_partial_input_between_pushes() -> None:
    stream = ManualStream()
    updates: list[object] = []
    stream.pipe(on_tool_input(), ops.map(lambda u: u.snapshot)).subscribe(updates.append)
    stream.tool_input('{"city": "Pa', name="get_weather")
    assert updates == [{"city": "Pa"}]
    stream.tool_input('ris"}', name="get_weather")
    assert updates[-1] == {"city": "Paris"}
    stream.tool_input("{}", name="other")  # another tool: a new block
    starts = [e for e in stream.events if isinstance(e, ContentBlockStartEvent)]
    assert [(e.index, getattr(e.content_block, "name", None)) for e in starts] == [
        (0, "get_weather"),
        (1, "other"),
    ]


def test_a_late_subscriber_gets_everything_so_far_then_the_rest() -> None:
    stream = ManualStream()
    stream.text("Hel")
    texts: list[str] = []
    stream.pipe(text_only()).subscribe(texts.append)
    assert texts == ["Hel"]
    stream.text("lo")
    assert texts == ["Hel", "lo"]
    assert stream.snapshot is not None and stream.snapshot.text == "Hello"


def test_any_event_can_be_pushed_as_json_or_typed() -> None:
    stream = ManualStream()
    snapshots: list[arx.MessageSnapshot] = []
    stream.pipe(accumulate()).subscribe(snapshots.append)
    stream.push(*StreamScript().text("Hi").events()[:-2])
    stream.push(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 3},
        }
    )
    stream.push(arx.PingEvent())
    stream.finish()  # the message_delta is there: finish adds another, as a user's push would
    assert snapshots[-1].text == "Hi" and snapshots[-1].complete


def test_an_event_that_breaks_the_protocol_ends_the_stream_with_the_typed_error() -> None:
    stream = ManualStream()
    errors: list[Exception] = []
    stream.subscribe(on_error=errors.append)
    stream.push({"type": "content_block_stop", "index": 0})
    [error] = errors
    assert isinstance(error, arx.StreamProtocolError)
    assert stream.error is error and stream.events == ()


def test_pushing_after_the_stream_ended_is_a_mistake_in_the_test() -> None:
    stream = ManualStream()
    stream.text("a")
    stream.finish()
    with pytest.raises(
        RuntimeError, match="expected no more events after the stream's end, got ping"
    ):
        stream.ping()


def test_a_callback_that_raises_fails_at_the_push_that_caused_it() -> None:
    stream = ManualStream()

    def show(piece: str) -> None:
        raise ValueError(f"cannot show {piece}")

    stream.pipe(text_only()).subscribe(show)
    with pytest.raises(ValueError, match="cannot show Hel"):
        stream.text("Hel")


def test_the_other_subscribers_get_the_event_before_a_callback_error_is_raised() -> None:
    stream = ManualStream()
    seen: list[str] = []

    show = bad_view(on="content_block_delta")

    stream.subscribe(show)
    stream.pipe(text_only()).subscribe(seen.append)
    with pytest.raises(ValueError, match="bad view"):
        stream.text("a")
    stream.text("b")  # the failed subscriber is dropped; the stream goes on
    assert seen == ["a", "b"]


def test_a_late_subscriber_whose_callback_raises_fails_at_subscribe() -> None:
    stream = ManualStream()
    stream.text("a")

    show = bad_view()

    with pytest.raises(ValueError, match="bad view"):
        stream.subscribe(show)


def test_a_manual_stream_reprs_its_state() -> None:
    stream = ManualStream(model="claude-x")
    stream.text("a")
    assert repr(stream) == "<ManualStream 3 events, open>"
    stream.abort()
    assert repr(stream) == "<ManualStream 3 events, aborted>"


def test_an_error_nobody_handles_is_raised_by_the_push_after_every_subscriber_had_it() -> None:
    stream = ManualStream()
    handled: list[Exception] = []
    stream.subscribe(lambda _: None)  # no on_error: reactivex's default raises it
    stream.subscribe(on_error=handled.append)
    with pytest.raises(arx.OverloadedError):
        stream.error_event()
    assert [type(e) for e in handled] == [arx.OverloadedError]


def test_a_dropped_subscriber_no_longer_counts_so_the_last_one_leaving_aborts() -> None:
    """As a MessageStream: a subscriber whose callback failed is gone, not still attached."""
    stream = ManualStream()

    show = bad_view(on="content_block_delta")

    stream.subscribe(show, on_error=lambda _: None)
    texts: list[str] = []
    healthy = stream.pipe(text_only()).subscribe(texts.append)
    with pytest.raises(ValueError, match="bad view"):
        stream.text("a")
    assert stream.subscriber_count == 1

    healthy.dispose()

    assert stream.aborted and isinstance(stream.error, arx.StreamAbortedError)
    assert texts == ["a"]


def test_a_late_subscriber_whose_replay_fails_is_not_kept() -> None:
    stream = ManualStream()
    stream.text("a")

    show = bad_view()

    with pytest.raises(ValueError, match="bad view"):
        stream.subscribe(show)
    assert stream.subscriber_count == 0


# -- a MessageStream ---------------------------------------------------------------------


def test_a_manual_stream_is_a_message_stream_with_wait_and_start() -> None:
    stream = ManualStream()
    assert isinstance(stream, arx.MessageStream)
    assert stream.start() is stream
    assert not stream.wait(0)
    stream.text("Hi")
    stream.finish()
    assert stream.wait(0) and stream.done and stream.error is None
    assert stream.pipe(final_message()).run().content[0].model_dump()["text"] == "Hi"


def test_code_written_for_a_message_stream_takes_a_manual_one() -> None:
    def answer(stream: arx.MessageStream) -> list[str]:
        texts: list[str] = []
        stream.pipe(text_only()).subscribe(texts.append)
        return texts

    stream = ManualStream()
    texts = answer(stream)
    stream.text("Hel")
    assert texts == ["Hel"]


def test_every_pipeline_reads_the_stream_s_one_accumulator() -> None:
    stream = ManualStream()
    snapshots: list[arx.MessageSnapshot] = []
    stream.pipe(accumulate()).subscribe(snapshots.append)
    stream.text("Hi")
    assert snapshots[-1] is stream.snapshot  # the stream's own fold, not a second one


def test_a_failing_callback_gets_the_error_as_its_on_error_and_the_push_raises_it() -> None:
    """Changed: as from any MessageStream, the subscriber is told; the test is told too."""
    stream = ManualStream()
    told: list[Exception] = []

    show = bad_view(on="content_block_delta")

    stream.subscribe(show, on_error=told.append)
    with pytest.raises(ValueError, match="bad view") as raised:
        stream.text("a")
    assert told == [raised.value]


def test_when_the_only_subscriber_fails_the_stream_is_aborted_as_a_message_stream_is() -> None:
    """Changed: the failed subscriber leaves, and the last one leaving aborts the stream."""
    stream = ManualStream()

    show = bad_view()

    stream.subscribe(show, on_error=lambda _: None)
    with pytest.raises(ValueError, match="bad view"):
        stream.text("a")
    assert stream.aborted and isinstance(stream.error, arx.StreamAbortedError)
    stream.text("b")  # ignored, as after any abort


def test_a_push_from_a_callback_is_delivered_after_the_event_being_delivered() -> None:
    """Changed: pushes are serialised, as a MessageStream's events are (never nested)."""
    stream = ManualStream()
    seen: list[str] = []

    def show(event: StreamEvent) -> None:
        seen.append(event.type)
        if event.type == "message_start":
            stream.ping()  # queued: the start reaches every subscriber first
            seen.append("pushed")

    stream.subscribe(show)
    stream.push(*StreamScript().events()[:1])
    assert seen == ["message_start", "pushed", "ping"]


def test_wait_returns_once_another_thread_has_finished_the_stream() -> None:
    import threading

    stream = ManualStream()
    stream.text("Hi")
    pusher = threading.Thread(target=stream.finish)
    pusher.start()
    assert stream.wait(30)
    pusher.join(30)
    assert stream.snapshot is not None and stream.snapshot.complete


def test_an_error_raised_by_a_callback_inside_a_nested_push_is_raised_by_the_outer_one() -> None:
    stream = ManualStream()

    def show(event: StreamEvent) -> None:
        if event.type == "message_start":
            stream.ping()
        elif event.type == "ping":
            raise ValueError("bad ping")

    stream.subscribe(show, on_error=lambda _: None)
    with pytest.raises(ValueError, match="bad ping"):
        stream.push(*StreamScript().events()[:1])


def test_in_a_pipeline_a_callback_error_its_on_error_handles_is_not_raised() -> None:
    """Operators hand their subscriber's exception to its on_error: the pipeline's business."""
    stream = ManualStream()
    told: list[Exception] = []

    def show(piece: str) -> None:
        raise ValueError("bad view")

    stream.pipe(text_only()).subscribe(show, on_error=told.append)
    stream.text("a")
    assert [str(e) for e in told] == ["bad view"]
