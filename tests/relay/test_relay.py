"""The relay over real sockets: uvicorn on 127.0.0.1 serves it, httpx tabs read it."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import pytest
import reactivex
from reactivex.subject import Subject

import anthropic_rx as arx
from anthropic_rx._sse import ServerSentEvent
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_message, text_only
from anthropic_rx.relay import Relay, RelayRegistry, encode_item

from ..client.helpers import params, scenario
from .support import Tab, serve, wait_until

MODEL_PARAMS = params(max_tokens=200)


def raw_body(events: list[ServerSentEvent]) -> bytes:
    """The relayed API events as an API body again (ids and the relay's end left out)."""
    return b"".join(ServerSentEvent(e.event, e.data).encode() for e in events if e.event != "end")


def test_one_request_many_tabs_same_events(emu: Emulator, client: arx.Client) -> None:
    stream = client.messages.stream(**MODEL_PARAMS)
    relay = Relay(stream)
    with serve(relay) as url:
        tabs = [Tab(url) for _ in range(3)]
        threads = [threading.Thread(target=tab.read) for tab in tabs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    message = stream.pipe(final_message()).run()
    first = tabs[0].events
    assert [e.id for e in first] == [str(i) for i in range(len(first))]
    assert first[-1].event == "end" and json.loads(first[-1].data) == {"ok": True}
    assert all(tab.events == first for tab in tabs)
    # The API's events, as it sent them: they make the same message again.
    assert arx.from_bytes(raw_body(first)).pipe(final_message()).run() == message
    assert len(emu.stats.requests()) == 1
    assert relay.done and relay.tabs == 0


def test_reconnect_gets_exactly_what_it_missed(emu: Emulator, client: arx.Client) -> None:
    stream = client.messages.stream(
        **MODEL_PARAMS, extra_headers=scenario("F08", after=4, gate="g")
    )
    relay = Relay(stream, retry_ms=50)
    with serve(relay) as url:
        tab = Tab(url)
        first = tab.read(until=lambda e: e.event == "content_block_delta")  # killed mid-answer
        assert first and first[-1].id == str(len(first) - 1)
        second = tab.read(until=lambda e: int(e.id or 0) >= 5)  # resumes with Last-Event-ID
        assert second[0].id == str(len(first))
        assert emu.wait_stalled()
        emu.release("g")
        tab.read()  # the rest and the end
        whole = Tab(url).read()  # a tab after the end: everything, once
    assert tab.events == whole
    assert whole[-1].event == "end"
    assert len(emu.stats.requests()) == 1  # no second upstream request
    with serve(relay) as url:
        done = Tab(url, last_event_id=whole[-1].id)
        assert done.read() == [] and done.status == 204  # EventSource stops here
        rest = Tab(url, last_event_id=whole[-3].id).read()
        assert rest == whole[-2:]


def test_shape_pipeline_and_query_parameter(emu: Emulator, client: arx.Client) -> None:
    stream = client.messages.stream(**MODEL_PARAMS)
    relay = Relay(stream, shape=lambda s: s.pipe(text_only()), retry_ms=None)
    with serve(relay) as url:
        events = Tab(url).read()
        later = Tab(f"{url}?last_event_id=1").read()
    text = stream.pipe(arx.operators.final_text()).run()
    assert "".join(json.loads(e.data) for e in events[:-1]) == text
    assert {e.event for e in events[:-1]} == {"message"}
    assert later == events[2:]


def test_stop_aborts_upstream_and_tells_every_tab(emu: Emulator, client: arx.Client) -> None:
    stream = client.messages.stream(
        **MODEL_PARAMS, extra_headers=scenario("F08", after=2, gate="never")
    )
    relay = Relay(stream)
    with serve(relay) as url:
        tab = Tab(url)
        reader = threading.Thread(target=tab.read)
        reader.start()
        assert emu.wait_stalled()
        assert wait_until(lambda: relay.tabs == 1)
        relay.abort()
        reader.join(20)
    end = json.loads(tab.events[-1].data)
    assert end["ok"] is False and end["error"]["type"] == "StreamAbortedError"
    assert emu.stats.wait_idle(10.0)  # the upstream connection is closed
    relay.abort()  # twice is nothing


@pytest.mark.parametrize("grace", [0.0, 0.05])
def test_last_tab_leaving_can_abort_upstream(
    emu: Emulator, client: arx.Client, grace: float
) -> None:
    stream = client.messages.stream(
        **MODEL_PARAMS, extra_headers=scenario("F08", after=2, gate="never")
    )
    relay = Relay(stream, abort_when_abandoned=grace)
    with serve(relay) as url:
        Tab(url).read(until=lambda e: e.event == "content_block_delta")
        assert wait_until(lambda: relay.done)
    assert isinstance(relay.error, arx.StreamAbortedError)
    assert emu.stats.wait_idle(10.0)


def test_keeps_streaming_when_abandoned_by_default(emu: Emulator, client: arx.Client) -> None:
    stream = client.messages.stream(**MODEL_PARAMS, extra_headers=scenario("F08", after=2))
    relay = Relay(stream)
    with serve(relay) as url:
        Tab(url).read(until=lambda e: e.event == "content_block_delta")
        assert emu.wait_stalled()
        emu.release()
        assert wait_until(lambda: relay.done)
        assert relay.error is None
        assert Tab(url).read()[-1].data == '{"ok":true}'


def test_a_tab_that_stops_reading_is_dropped_and_slows_no_one() -> None:
    source: Subject[Any] = Subject()
    relay = Relay(source, stall_timeout=0.3, chunk_bytes=16384, keepalive=0.1)
    with serve(relay) as url:
        port = int(url.rsplit(":", 1)[1])
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", port))
        stuck.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")  # and never reads
        assert wait_until(lambda: relay.tabs == 1)
        good = Tab(url)
        reader = threading.Thread(target=good.read)
        reader.start()
        assert wait_until(lambda: relay.tabs == 2)
        big = "x" * 100_000
        sent = 0
        while relay.dropped == 0 and sent < 400:
            source.on_next({"type": "chunk", "n": sent, "pad": big})
            sent += 1
            # Paced by the good tab: it has each chunk before the next is sent, so its writes
            # never wait, however busy the machine; only the stuck tab's writes stall.
            assert wait_until(lambda n=sent: len(good.events) == n), "the good tab fell behind"
            wait_until(lambda: relay.dropped > 0, 0.02)  # a pace, not a bound: the loop retries
        assert relay.dropped == 1 and relay.tabs == 1
        source.on_completed()
        reader.join(30)
        stuck.close()
    assert [json.loads(e.data)["n"] for e in good.events[:-1]] == list(range(sent))


def test_keepalive_comments_when_idle() -> None:
    source: Subject[Any] = Subject()
    relay = Relay(source, keepalive=0.05)
    with serve(relay) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            seen = b""
            while seen.count(b": \n\n") < 2:
                seen += sock.recv(4096)
        source.on_next("hi")
        source.on_completed()
        assert Tab(url).read()[0].data == '"hi"'


def test_requests_it_refuses(emu: Emulator) -> None:
    relay = Relay(reactivex.of({"type": "a"}, ("b", "raw")))
    registry = RelayRegistry()
    registry.open("k", reactivex.of(1))
    with serve(relay) as url, serve(registry) as reg:
        import httpx

        assert httpx.post(url).status_code == 405
        bad = httpx.get(url, headers={"Last-Event-ID": "x1"})
        assert bad.status_code == 400 and "event number" in bad.text
        assert httpx.get(url, headers={"Last-Event-ID": "9"}).status_code == 400
        assert httpx.head(url).status_code == 200
        assert httpx.get(f"{reg}/streams/nope").status_code == 404
        events = Tab(f"{reg}/streams/k").read()
    assert [(e.event, e.data) for e in events] == [("message", "1"), ("end", '{"ok":true}')]
    assert relay.events == 3 and relay.nbytes > 0


def test_encode_item_gives_the_json_the_api_sent() -> None:
    sent = (
        '{"type":"message_start","message":{"id":"m","type":"message","role":"assistant",'
        '"model":"x","content":[],"stop_reason":null,"stop_sequence":null,'
        '"usage":{"input_tokens":1,"output_tokens":1},"future_field":{"a":[1]}}}'
    )
    event = arx.parse_event(ServerSentEvent("message_start", sent))
    assert encode_item(event) == ("message_start", sent)


def test_encode_item_shapes() -> None:
    assert encode_item(arx.parse_event(ServerSentEvent("ping", '{"type":"ping"}'))) == (
        "ping",
        '{"type":"ping"}',
    )
    assert encode_item(ServerSentEvent("x", "y")) == ("x", "y")
    assert encode_item({"text": "é"}) == ("message", '{"text":"é"}')
    assert encode_item(("a", "b")) == ("a", "b")
    assert encode_item((1, 2)) == ("message", "[1,2]")
    assert encode_item(arx.events.Usage(input_tokens=1, output_tokens=2))[0] == "Usage"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="abort_when_abandoned"):
        Relay(reactivex.empty(), abort_when_abandoned=-1)
    with pytest.raises(ValueError, match="keepalive"):
        Relay(reactivex.empty(), keepalive=0)
    with pytest.raises(ValueError, match="chunk_bytes"):
        Relay(reactivex.empty(), chunk_bytes=0)
    with pytest.raises(ValueError, match="ttl"):
        RelayRegistry(ttl=-1)
    with pytest.raises(ValueError, match="max_streams"):
        RelayRegistry(max_streams=0)


def test_registry_ttl_and_lru() -> None:
    now = [0.0]
    registry = RelayRegistry(ttl=10, max_streams=2, clock=lambda: now[0])
    done = registry.open("done", reactivex.of(1))
    running: Subject[Any] = Subject()
    live = registry.open("live", running)
    assert registry.get("done") is done and "live" in registry and 3 not in registry
    with pytest.raises(KeyError):
        registry.open("live", reactivex.empty())
    now[0] = 10.0
    assert registry.get("done") is None  # expired ttl seconds after its end
    assert len(registry) == 1
    other: Subject[Any] = Subject()
    registry.open("other", other)
    registry.open("third", reactivex.of(2))  # over the bound: the running LRU one is aborted
    assert registry.get("live") is None and live.done
    assert isinstance(live.error, arx.StreamAbortedError)
    registry.open("fourth", reactivex.of(3))  # a finished one goes first
    assert registry.get("third") is None and registry.get("other") is not None
    assert registry.remove("other") is not None and registry.remove("other") is None
    assert registry.nbytes > 0 and "relays=1" in repr(registry)


def test_on_end_after_the_end_runs_at_once() -> None:
    relay = Relay(reactivex.throw(ValueError("boom")))
    calls: list[int] = []
    relay.on_end(lambda: calls.append(1))
    assert calls == [1] and isinstance(relay.error, ValueError)
