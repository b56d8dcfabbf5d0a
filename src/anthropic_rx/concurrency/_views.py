"""Views of several streams at once: `side_by_side` snapshots and `first_to_finish`.

Both fold each source on its own (``accumulate()`` / ``final_message()``, which on a
`MessageStream` share the stream's one accumulator) and then merge with `merge_tagged`, so
a stream that ends early is that stream's `IncompleteStreamError`, tagged like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, TypeVar, overload

from reactivex import Observable, Observer, abc
from reactivex.disposable import Disposable

from .._core import MessageSnapshot
from .._steps import Pipeline
from ..events import Message, StreamEvent
from ..operators import accumulate, final_message
from ._merge import Merge, StreamFailed, Tagged, check_max_concurrent, merged

__all__ = ["first_to_finish", "side_by_side"]

_K = TypeVar("_K")


@overload
def side_by_side(
    sources: Mapping[_K, Observable[StreamEvent]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: Literal[False] = False,
) -> Observable[Mapping[_K, MessageSnapshot]]: ...


@overload
def side_by_side(
    sources: Mapping[_K, Observable[StreamEvent]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: bool,
) -> Observable[Mapping[_K, MessageSnapshot | StreamFailed]]: ...


def side_by_side(
    sources: Mapping[_K, Observable[StreamEvent]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: bool = False,
) -> Observable[Mapping[_K, Any]]:
    """Emit the latest snapshot of every stream, side by side, whenever one of them changes.

    In the manner of ``combine_latest`` over each source's `accumulate` snapshots, with one
    difference: it does not wait for every stream to have a snapshot. A stream appears in
    the mapping from its first snapshot on (so the first answer shows before the last
    request has even started), and keys keep the order of *sources*, whatever order the
    streams started in. Each mapping is immutable, as are the snapshots in it, so keeping
    every one (``ops.to_list()``, a GUI queue) is safe; making one costs O(number of
    streams). The last mapping holds every stream's complete snapshot.

    Errors are as in `merge_tagged`: the first one ends everything, unless
    ``isolate_errors=True``, where a failed stream's entry becomes its `StreamFailed`
    (whose ``.snapshot`` is what it had received) and the others go on.

    Args:
        sources: the event streams by key (`MessageStream`s, recordings, any Observable).
        max_concurrent: how many sources may be subscribed at once (``None``: all).
        isolate_errors: show a failed stream as `StreamFailed` instead of ending.

    Returns:
        An Observable of read-only mappings from key to `MessageSnapshot`.

    Example:
        >>> streams = {m: client.messages.stream(model=m, **ask) for m in ("opus", "haiku")}
        >>> side_by_side(streams).subscribe(
        ...     lambda snaps: print(" | ".join(f"{k}: {len(s.text)}" for k, s in snaps.items()))
        ... )
    """
    check_max_concurrent(max_concurrent)
    order = list(sources)
    folded = merged(
        lambda: [(key, sources[key].pipe(accumulate())) for key in order],
        max_concurrent=max_concurrent,
        isolate_errors=isolate_errors,
        where="side_by_side",
    )

    def subscribe(
        observer: abc.ObserverBase[Mapping[_K, Any]], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        latest: dict[_K, Any] = {}

        def on_next(item: Tagged[_K, Any]) -> None:
            latest[item.key] = item.value  # items come one at a time: no lock needed
            observer.on_next(MappingProxyType({k: latest[k] for k in order if k in latest}))

        return folded.subscribe(
            on_next, observer.on_error, observer.on_completed, scheduler=scheduler
        )

    return Pipeline(subscribe)


@overload
def first_to_finish(
    sources: Mapping[_K, Observable[StreamEvent]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: Literal[False] = False,
) -> Observable[Tagged[_K, Message]]: ...


@overload
def first_to_finish(
    sources: Mapping[_K, Observable[StreamEvent]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: bool,
) -> Observable[Tagged[_K, Message | StreamFailed]]: ...


def first_to_finish(
    sources: Mapping[_K, Observable[StreamEvent]],
    /,
    *,
    max_concurrent: int | None = None,
    isolate_errors: bool = False,
) -> Observable[Tagged[_K, Any]]:
    """Emit the first stream's final `Message`, tagged, and dispose every other stream.

    The streams race; the first to reach ``message_stop`` wins: its message goes out as
    ``Tagged(key, message)``, then the Observable completes and disposes the others, which
    for `MessageStream`s aborts them and closes their connections. Useful to hedge one
    question across models or regions.

    The first error ends the race by default (as in `merge_tagged`). With
    ``isolate_errors=True`` a failed stream drops out: its `StreamFailed` is emitted and
    the race goes on; if every stream fails, it completes after the last failure, with no
    message.

    Args:
        sources: the event streams by key.
        max_concurrent: how many sources may be subscribed at once (``None``: all).
        isolate_errors: let the race go on when a stream fails.

    Returns:
        An Observable of one ``Tagged(key, message)`` (or of failures then the winner);
        ``await`` it for the winner.

    Example:
        >>> winner = await first_to_finish({"east": east_stream, "west": west_stream})
        >>> print(winner.key, winner.value.content)
    """
    check_max_concurrent(max_concurrent)
    order = list(sources)

    def subscribe(
        observer: abc.ObserverBase[Tagged[_K, Any]], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        won = False  # the merge delivers one item at a time: no lock needed

        def on_next(item: Tagged[_K, Any]) -> None:
            nonlocal won
            if won:
                return
            won = isinstance(item.value, Message)
            observer.on_next(item)
            if won:
                merge.dispose()  # the losers: abort them before telling anyone it is over
                observer.on_completed()

        def on_completed() -> None:
            if not won:
                observer.on_completed()

        # Held before it starts: a source that replays (a finished MessageStream) can win
        # inside start(), and the merge must then subscribe no other source.
        merge: Merge[_K, Message] = Merge(
            Observer(on_next, observer.on_error, on_completed),
            [(key, sources[key].pipe(final_message())) for key in order],
            max_concurrent=max_concurrent,
            isolate_errors=isolate_errors,
            where="first_to_finish",
            scheduler=scheduler,
        )
        merge.start()
        return Disposable(merge.dispose)

    return Pipeline(subscribe)
