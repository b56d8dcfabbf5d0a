"""`final_messages` and `final_texts`: one answer per stream of a merged, tagged stream.

The per-stream operators (`final_message`, `final_text`, …) read the events of one stream;
a merged stream (`stream_many`, `merge_tagged`) interleaves many, as ``Tagged(key, event)``.
These two keep one accumulator per key and emit each stream's answer, tagged, as soon as
that stream's ``message_stop`` arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import SingleAssignmentDisposable

from .._core import MessageAccumulator, MessageSnapshot
from .._exceptions import AnthropicRxError, NoTextError
from .._steps import Pipeline
from ..events import Message, TextBlock
from ._merge import StreamFailed, Tagged, note_key

__all__ = ["final_messages", "final_texts"]

_K = TypeVar("_K")


def _per_key(
    answer: Callable[[MessageSnapshot], Any], where: str
) -> Callable[[Observable[Tagged[Any, Any]]], Pipeline[Tagged[Any, Any]]]:
    def operator(source: Observable[Tagged[Any, Any]]) -> Pipeline[Tagged[Any, Any]]:
        def subscribe(
            observer: abc.ObserverBase[Tagged[Any, Any]],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            accumulators: dict[Any, MessageAccumulator] = {}
            upstream = SingleAssignmentDisposable()
            done = False

            def fail(error: Exception, key: Any, acc: MessageAccumulator | None) -> None:
                nonlocal done
                done = True
                if acc is not None and isinstance(error, AnthropicRxError):
                    error.with_snapshot(acc.snapshot)
                if key is not None:
                    note_key(error, key, where)
                observer.on_error(error)
                upstream.dispose()

            def on_next(item: object) -> None:
                if done:
                    return
                if not isinstance(item, Tagged):
                    fail(
                        TypeError(
                            f"{where} reads a merged stream of Tagged(key, event) items "
                            f"(stream_many, merge_tagged), got a {type(item).__name__}: "
                            f"{item!r}; for one stream use final_message() / final_text()"
                        ),
                        None,
                        None,
                    )
                    return
                tagged: Tagged[Any, Any] = item  # pyright: ignore[reportUnknownVariableType]
                key, value = tagged.key, tagged.value
                if isinstance(value, StreamFailed):  # isolate_errors=True: passed on as is
                    accumulators.pop(key, None)
                    observer.on_next(tagged)
                    return
                acc = accumulators.get(key)
                if acc is None:
                    acc = accumulators[key] = MessageAccumulator()
                try:
                    snapshot = acc.feed(value)
                    result = answer(snapshot) if acc.complete and snapshot is not None else None
                except Exception as exc:
                    fail(exc, key, acc)
                    return
                if result is not None:
                    del accumulators[key]  # done with it: a late event is the source's bug
                    observer.on_next(Tagged(key, result))

            def on_error(error: Exception) -> None:
                if not done:
                    observer.on_error(error)

            def on_completed() -> None:
                if done:
                    return
                for key, acc in accumulators.items():
                    if not acc.complete:
                        fail(acc.incomplete(), key, acc)
                        return
                observer.on_completed()

            upstream.disposable = source.subscribe(
                on_next, on_error, on_completed, scheduler=scheduler
            )
            return upstream

        return Pipeline(subscribe)

    return operator


def final_messages() -> Callable[
    [Observable[Tagged[_K, Any]]], Pipeline[Tagged[_K, Message | StreamFailed]]
]:
    """Emit each stream's whole `Message`, tagged, as soon as that stream ends.

    The per-key `final_message`, for a merged stream: ``stream_many(...)`` or
    ``merge_tagged(...)`` piped through it gives one ``Tagged(key, Message)`` per stream, in
    the order the streams finish, and completes when the merged stream does. With
    ``isolate_errors=True`` upstream, a failed stream's ``Tagged(key, StreamFailed(error))``
    is passed on as it came. (A per-stream operator such as ``final_message()`` fed tagged
    items fails with a `TypeError` naming this one.)

    Errors:
        The merged stream's error, unchanged. A stream whose events cannot be folded
        (`StreamProtocolError`, …), or that ends before ``message_stop`` without having
        failed (`IncompleteStreamError`), ends everything, with a note naming its key and
        its partial snapshot. `TypeError` for an item that is not a `Tagged`.

    Example:
        >>> answers = stream_many(client, questions).pipe(final_messages()).run()
        >>> for item in merge_tagged(recordings).pipe(final_messages(), ops.to_list()).run():
        ...     print(item.key, item.value.stop_reason)

    Marble:
        -a(S)-b(S)-a(t)-b(t)-b(X)-a(X)-|
        [        final_messages()       ]
        -----------------------B----A--|     B = Tagged("b", Message), A = Tagged("a", …)
    """
    return _per_key(MessageSnapshot.to_message, "final_messages()")


def _text(snapshot: MessageSnapshot) -> str:
    if not any(isinstance(block, TextBlock) for block in snapshot.content):
        raise NoTextError(
            "expected a text block for final_texts(), got "
            f"{[b.type for b in snapshot.content] or 'no content blocks'}",
            snapshot=snapshot,
        )
    return snapshot.text


def final_texts() -> Callable[
    [Observable[Tagged[_K, Any]]], Pipeline[Tagged[_K, str | StreamFailed]]
]:
    """Emit each stream's text, tagged, as soon as that stream ends.

    The per-key `final_text`, for a merged stream: one ``Tagged(key, text)`` per stream
    (every text block of its message joined with ``""``), in the order the streams finish.
    As in `final_messages`, ``Tagged(key, StreamFailed(error))`` items are passed on.

    Errors:
        As `final_messages`, and `NoTextError` (with a note naming its key) for a message
        without any text block, as ``final_text()`` does.

    Example:
        >>> for item in stream_many(client, questions).pipe(final_texts(), ops.to_list()).run():
        ...     print(item.key, item.value)
    """
    return _per_key(_text, "final_texts()")
