"""`arx.to_iterable` (a blocking iterator over any Observable) and ``for x in observable``."""

from __future__ import annotations

import asyncio
import gc

import pytest
from reactivex import operators as ops

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_text, text_only
from anthropic_rx.testing import ManualStream
from tests.client.helpers import WAIT, async_client, client, params, scenario
from tests.events_helpers import encode, text_stream


def test_to_iterable_gives_every_value_in_order_and_the_same_text_as_the_stream(
    emu: Emulator,
) -> None:
    with client(emu) as c:
        stream = c.messages.stream(**params())
        pieces = list(arx.to_iterable(stream.pipe(text_only())))
        assert "".join(pieces) == stream.pipe(final_text()).run()
    assert len(pieces) > 1
    assert len(emu.stats.requests()) == 1


def test_leaving_the_loop_early_closes_the_request(emu: Emulator) -> None:
    headers = scenario("F18", interval=30)  # a slow stream that would go on for long
    with client(emu) as c:
        stream = c.messages.stream(**params(extra_headers=headers, max_tokens=4096))
        for _ in arx.to_iterable(stream.pipe(text_only())):
            break
        gc.collect()
        assert stream.wait(WAIT)  # ended: aborted, not read to the end
    assert emu.stats.wait_idle(timeout=WAIT)


def test_with_block_closes_at_once_and_a_closed_iterator_ends() -> None:
    source = ManualStream()
    with arx.to_iterable(source) as items:
        source.push({"type": "ping"})
        assert next(items).type == "ping"
    assert source.subscriber_count == 0
    assert list(items) == []


def test_an_error_is_raised_from_the_loop_after_the_values_before_it() -> None:
    data = encode(text_stream("a", "b"))[:-30]  # cut before message_stop
    items = arx.to_iterable(arx.from_bytes(data).pipe(text_only()))
    assert (next(items), next(items)) == ("a", "b")
    with pytest.raises(arx.IncompleteStreamError):
        next(items)
    assert list(items) == []


def test_a_timeout_per_value_is_a_timeout_error_and_disposes() -> None:
    source = ManualStream()
    items = arx.to_iterable(source, timeout=0.01)
    with pytest.raises(TimeoutError):
        next(items)
    assert source.subscriber_count == 0


def test_to_iterable_refuses_on_the_loop_that_reads_an_async_stream(emu: Emulator) -> None:
    async def main() -> str:
        async with async_client(emu) as c:
            stream = c.messages.stream(**params())
            with pytest.raises(RuntimeError, match=r"to_iterable\(\) would block for ever"):
                next(arx.to_iterable(stream.pipe(text_only())))
            return await stream.pipe(final_text())

    assert asyncio.run(main())


def test_to_iterable_works_on_a_plain_reactivex_observable() -> None:
    import reactivex as rx

    assert list(arx.to_iterable(rx.of(1, 2, 3).pipe(ops.map(lambda x: x * 2)))) == [2, 4, 6]


def test_for_over_our_observables_is_a_type_error_pointing_to_to_iterable(emu: Emulator) -> None:
    data = encode(text_stream("hi"))
    with client(emu) as c:
        observables = [
            arx.from_bytes(data),
            arx.from_bytes(data).pipe(text_only()),
            c.messages.stream(**params()),
            c.messages.conversation(**params()),
            ManualStream(),
        ]
        for observable in observables:
            with pytest.raises(TypeError, match=r"arx\.to_iterable"):
                for _ in observable:  # type: ignore[attr-defined]
                    pass
            with pytest.raises(TypeError, match="not an iterable"):
                list(observable)  # type: ignore[call-overload]
    assert emu.stats.requests() == []  # nothing was started
