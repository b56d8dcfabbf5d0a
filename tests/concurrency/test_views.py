"""side_by_side and first_to_finish on recordings and hand-driven streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
import reactivex
from reactivex import Observable
from reactivex.abc import DisposableBase
from reactivex.disposable import Disposable
from reactivex.subject import Subject

import anthropic_rx as arx
from anthropic_rx.concurrency import StreamFailed, Tagged, first_to_finish, side_by_side
from anthropic_rx.operators import final_message

from .. import events_helpers as ev
from .helpers import Recorder


def recording(*pieces: str) -> Observable[arx.StreamEvent]:
    return arx.from_bytes(ev.encode(ev.text_stream(*pieces)))


def events(*pieces: str) -> list[arx.StreamEvent]:
    return [ev.event(obj) for obj in ev.text_stream(*pieces)]


def texts(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: v.text if isinstance(v, arx.MessageSnapshot) else "failed" for k, v in mapping.items()
    }


def test_side_by_side_shows_a_stream_before_the_others_start_and_keeps_the_key_order() -> None:
    a: Subject[arx.StreamEvent] = Subject()
    b: Subject[arx.StreamEvent] = Subject()
    out: Recorder[Mapping[str, arx.MessageSnapshot]] = Recorder()
    side_by_side({"a": a, "b": b}).subscribe(out)
    script_a, script_b = events("A1", "A2"), events("B1")
    for e in script_b[:3]:
        b.on_next(e)
    assert texts(out.items[-1]) == {"b": "B1"}  # "a" has nothing yet: it is left out
    for e in script_a:
        a.on_next(e)
    assert list(out.items[-1]) == ["a", "b"]  # the order of the sources, not of arrival
    for e in script_b[3:]:
        b.on_next(e)
    a.on_completed()
    b.on_completed()
    assert out.completed
    last = out.items[-1]
    assert texts(last) == {"a": "A1A2", "b": "B1"} and all(s.complete for s in last.values())


def test_side_by_side_mappings_are_read_only_and_stay_as_emitted() -> None:
    out: Recorder[Mapping[str, arx.MessageSnapshot]] = Recorder()
    side_by_side({"a": recording("x", "y"), "b": recording("z")}).subscribe(out)
    first = out.items[0]
    with pytest.raises(TypeError):
        first["a"] = out.items[-1]["a"]  # type: ignore[index]
    assert texts(first) == {"a": ""}  # as it was, though later ones hold more
    assert [texts(m).get("a") for m in out.items].count("xy") >= 1


def test_side_by_side_ends_with_the_first_error_naming_its_key() -> None:
    cut = arx.from_bytes(ev.encode(ev.text_stream("half"))[:-40])
    out: Recorder[Mapping[str, arx.MessageSnapshot]] = Recorder()
    side_by_side({"ok": recording("fine"), "cut": cut}).subscribe(out)
    assert isinstance(out.error, arx.IncompleteStreamError)
    assert "'cut'" in "".join(out.error.__notes__)
    assert out.error.snapshot is not None and out.error.snapshot.text == "half"


def test_side_by_side_with_isolated_errors_shows_the_failure_in_place() -> None:
    cut = arx.from_bytes(ev.encode(ev.text_stream("half"))[:-40])
    out: Recorder[Mapping[str, arx.MessageSnapshot | StreamFailed]] = Recorder()
    side_by_side({"cut": cut, "ok": recording("fine")}, isolate_errors=True).subscribe(out)
    assert out.completed
    last = out.items[-1]
    failed = last["cut"]
    assert isinstance(failed, StreamFailed) and failed.snapshot is not None
    assert failed.snapshot.text == "half"
    ok = last["ok"]
    assert isinstance(ok, arx.MessageSnapshot) and ok.text == "fine"


def test_first_to_finish_emits_the_winner_and_disposes_the_others() -> None:
    slow: Subject[arx.StreamEvent] = Subject()
    fast: Subject[arx.StreamEvent] = Subject()
    out: Recorder[Tagged[str, arx.Message]] = Recorder()
    first_to_finish({"slow": slow, "fast": fast}).subscribe(out)
    script = events("win")
    slow.on_next(script[0])
    for e in script:
        fast.on_next(e)
    assert out.completed and len(out.items) == 1
    winner = out.items[0]
    assert winner.key == "fast" and winner.value.content[0].text == "win"  # type: ignore[union-attr]
    assert winner.value == recording("win").pipe(final_message()).run()
    assert not slow.observers and not fast.observers


@pytest.mark.anyio
async def test_awaiting_first_to_finish_gives_the_winner() -> None:
    winner = await first_to_finish({"a": recording("one"), "b": recording("two")})
    assert winner.key == "a"


def test_first_to_finish_ends_with_the_first_error_by_default() -> None:
    out: Recorder[Tagged[str, arx.Message]] = Recorder()
    boom = arx.OverloadedError("overloaded", status_code=None)
    first_to_finish({"bad": reactivex.throw(boom), "good": recording("x")}).subscribe(out)
    assert out.error is boom and out.items == []


def test_with_isolated_errors_failures_drop_out_of_the_race() -> None:
    boom = arx.OverloadedError("overloaded", status_code=None)
    out: Recorder[Tagged[str, arx.Message | StreamFailed]] = Recorder()
    first_to_finish(
        {"bad": reactivex.throw(boom), "good": recording("x"), "late": recording("y")},
        isolate_errors=True,
    ).subscribe(out)
    assert out.completed
    assert [i.key for i in out.items] == ["bad", "good"]
    failed, won = out.items[0].value, out.items[1].value
    assert isinstance(failed, StreamFailed) and failed.error is boom
    assert isinstance(won, arx.Message)


def test_when_every_stream_fails_the_isolated_race_completes_without_a_winner() -> None:
    errors = [arx.OverloadedError("overloaded", status_code=None) for _ in range(2)]
    out: Recorder[Tagged[int, arx.Message | StreamFailed]] = Recorder()
    first_to_finish(
        {i: reactivex.throw(e) for i, e in enumerate(errors)}, isolate_errors=True
    ).subscribe(out)
    assert out.completed
    assert [i.value for i in out.items] == [StreamFailed(e) for e in errors]


def test_first_to_finish_starts_no_loser_once_a_finished_stream_has_won() -> None:
    # A MessageStream that has ended replays at subscribe time, so it wins inside the
    # subscribe call: the race is over there, and no other source may start after it.
    finished = arx.from_response(httpx.Response(200, content=ev.encode(ev.text_stream("cached"))))
    assert finished.pipe(final_message()).run().content[0].text == "cached"  # type: ignore[union-attr]
    subscribed: list[str] = []

    def never_started(key: str) -> Observable[arx.StreamEvent]:
        def subscribe(observer: Any, scheduler: Any = None) -> DisposableBase:
            subscribed.append(key)  # for a request: sent, only to be aborted at once
            return Disposable()

        return Observable(subscribe)

    for bound in (None, 1):
        subscribed.clear()
        out: Recorder[Tagged[str, arx.Message]] = Recorder()
        sources = {"cached": finished, "b": never_started("b"), "c": never_started("c")}
        first_to_finish(sources, max_concurrent=bound).subscribe(out)
        assert out.completed and [i.key for i in out.items] == ["cached"]
        assert subscribed == [], bound
