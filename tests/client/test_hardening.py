"""Issue 10, the client's side: no hang before the headers, a proxy or a bad key, bounded
memory by default, and bad input refused before anything is sent (no key in a traceback:
test_key_frames.py).

Where the emulator cannot make the condition, a raw server on 127.0.0.1 (`RawServer`) writes
the bytes by hand; every assertion waits for a condition with a generous bound.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import socket
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import anyio
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

from .helpers import (
    KEY,
    WAIT,
    Run,
    async_client,
    client,
    params,
    run_async,
    run_sync,
)
from .raw_server import (
    HTTPS_URL,
    Handler,
    RawServer,
    assert_the_proxy_saw_only_connect,
    peer_closed,
    proxy_by_env,
    read_request,
)

STATUS_LINE = b"HTTP/1.1 200 OK\r\n"
#: Seconds between two bytes of the status line: slow enough that a 0.5 s deadline lands
#: well before half the line (about 4 s) even on a busy machine.
TRICKLE = 0.5


def trickle(conn: socket.socket, server: RawServer) -> None:
    """Read the request, then write the status line one byte every TRICKLE s, noting each."""
    if not read_request(conn):
        return
    for sent, byte in enumerate(STATUS_LINE, start=1):
        conn.sendall(bytes([byte]))
        server.note(sent=sent)
        if peer_closed(conn, TRICKLE):
            server.note(closed_after=sent)
            return
    server.note(finished=True)  # the client waited for the whole status line: the bug
    peer_closed(conn, WAIT)


MESSAGE_JSON = (
    b'{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],'
    b'"stop_reason":"end_turn","stop_sequence":null,'
    b'"usage":{"input_tokens":1,"output_tokens":1}}'
)


def answer_then_trickle(conn: socket.socket, server: RawServer) -> None:
    """Answer a first request whole (the connection goes back to the pool), then trickle."""
    if not read_request(conn):
        return
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(MESSAGE_JSON), MESSAGE_JSON)
    )
    server.note(answered=True)
    trickle(conn, server)


# -- item 3: the sync client before the response headers ---------------------------------------

HALF = len(STATUS_LINE) // 2


@pytest.mark.parametrize("handler", [trickle, answer_then_trickle], ids=["new", "pooled"])
def test_the_deadline_acts_before_the_headers_and_closes_the_connection(
    raw: Callable[[Handler], RawServer], handler: Handler
) -> None:
    server = raw(handler)
    with arx.Client(api_key=KEY, base_url=server.url, deadline=0.5, max_retries=0) as c:
        if handler is answer_then_trickle:
            c.messages.create(**params())  # the stream then reuses the pooled connection
        run = run_sync(c.messages.stream(**params()))
    assert isinstance(run.error, arx.DeadlineExceededError), run.error
    # 0.5 s is about 2 bytes of the trickle: closed well before half the status line.
    assert server.wait_for(lambda s: "closed_after" in s.notes or "finished" in s.notes)
    assert server.notes.get("closed_after", 99) < HALF, server.notes


@pytest.mark.parametrize("handler", [trickle, answer_then_trickle], ids=["new", "pooled"])
def test_abort_acts_before_the_headers_and_closes_the_connection(
    raw: Callable[[Handler], RawServer], handler: Handler
) -> None:
    server = raw(handler)
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0) as c:
        if handler is answer_then_trickle:
            c.messages.create(**params())
        stream = c.messages.stream(**params())
        run = Run()
        stream.subscribe(run.on_next, run.on_error, run.on_completed)
        assert server.wait_for(lambda s: s.notes.get("sent", 0) >= 2)
        stream.abort()
        assert server.wait_for(lambda s: "closed_after" in s.notes or "finished" in s.notes)
    assert server.notes.get("closed_after", 99) < HALF, server.notes
    assert isinstance(run.error, arx.StreamAbortedError)


@pytest.mark.anyio
async def test_the_async_deadline_acts_before_the_headers_too(
    raw: Callable[[Handler], RawServer],
) -> None:
    server = raw(trickle)
    async with arx.AsyncClient(api_key=KEY, base_url=server.url, deadline=0.5) as c:
        run = await run_async(c.messages.stream(**params()))
    assert isinstance(run.error, arx.DeadlineExceededError), run.error
    assert server.wait_for(lambda s: "closed_after" in s.notes or "finished" in s.notes)
    assert server.notes.get("closed_after", 99) < HALF, server.notes


# -- item 5: a key that cannot be a header value -----------------------------------------------

BAD_KEYS = {
    "newline": KEY[:20] + "\n" + KEY[20:],
    "trailing newline": KEY + "\n",
    "control": KEY[:20] + "\x00" + KEY[20:],
    "tab": KEY[:20] + "\t" + KEY[20:],
    "space": KEY[:20] + " " + KEY[20:],
    "non-ASCII": KEY[:20] + "é" + KEY[20:],
}


@pytest.mark.parametrize("bad", BAD_KEYS.values(), ids=list(BAD_KEYS))
def test_a_key_that_cannot_be_a_header_is_refused_showing_only_its_mask(bad: str) -> None:
    with pytest.raises(ValueError, match="api_key") as info:
        arx.Client(api_key=bad)
    text = f"{info.value}\n{info.value!r}"
    assert KEY[5:-5] not in text and bad not in text
    assert KEY[:3] in text  # the masked form names the key
    with arx.Client(api_key=KEY) as good, pytest.raises(ValueError, match="api_key") as again:
        good.with_options(api_key=bad)
    assert KEY[5:-5] not in str(again.value)


# -- item 6: plain http never through a proxy --------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_plain_http_to_loopback_never_goes_through_a_proxy(
    emu: Emulator,
    raw: Callable[[Handler], RawServer],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    proxy = proxy_by_env(raw, monkeypatch, variable)
    with client(emu, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert run.completed, run.error
    assert proxy.accepted == 0 and "contacted" not in proxy.notes


@pytest.mark.anyio
async def test_plain_http_from_the_async_client_never_goes_through_a_proxy(
    emu: Emulator, raw: Callable[[Handler], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = proxy_by_env(raw, monkeypatch, "HTTP_PROXY", "ALL_PROXY")
    async with async_client(emu, max_retries=0) as c:
        run = await run_async(c.messages.stream(**params()))
    assert run.completed, run.error
    assert proxy.accepted == 0


def test_https_keeps_the_proxy_variables_and_the_proxy_sees_only_connect(
    raw: Callable[[Handler], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = proxy_by_env(raw, monkeypatch, "HTTPS_PROXY")
    with arx.Client(api_key=KEY, base_url=HTTPS_URL, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert_the_proxy_saw_only_connect(run, proxy)


# -- item 7: bounded memory by default ---------------------------------------------------------

MiB = 1024 * 1024
BOMB_SIZE = 256 * MiB


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """250 KiB or so of gzip that inflates to 256 MiB: one ``data:`` line that never ends."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(b"event: content_block_delta\ndata: ")]
    block = b"a" * MiB
    parts += [packer.compress(block) for _ in range(BOMB_SIZE // MiB)]
    parts.append(packer.flush())
    return b"".join(parts)


def serve_gzip(
    body: bytes, encoding: bytes = b"gzip", kind: bytes = b"text/event-stream"
) -> Handler:
    def handler(conn: socket.socket, server: RawServer) -> None:
        if not read_request(conn):
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: %s\r\ncontent-encoding: %s\r\n"
            b"content-length: %d\r\n\r\n" % (kind, encoding, len(body))
        )
        with contextlib.suppress(OSError):
            conn.sendall(body)
        peer_closed(conn, WAIT)

    return handler


def test_a_gzip_bomb_fails_early_with_a_typed_error_in_bounded_memory(
    raw: Callable[[Handler], RawServer], gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 300 * 1024
    server = raw(serve_gzip(gzip_bomb))
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0) as c:
        tracemalloc.start()
        try:
            run = run_sync(c.messages.stream(**params()))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(run.error, arx.EventTooLargeError), run.error
    assert run.error.limit == 32 * MiB  # the default
    assert peak < 64 * MiB, f"peak {peak / MiB:.0f} MiB"


@pytest.mark.anyio
async def test_an_async_gzip_bomb_fails_early_with_a_typed_error(
    raw: Callable[[Handler], RawServer], gzip_bomb: bytes
) -> None:
    server = raw(serve_gzip(gzip_bomb))
    async with arx.AsyncClient(api_key=KEY, base_url=server.url, max_retries=0) as c:
        tracemalloc.start()
        try:
            run = await run_async(c.messages.stream(**params()))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(run.error, arx.EventTooLargeError), run.error
    assert peak < 64 * MiB, f"peak {peak / MiB:.0f} MiB"


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODINGS: dict[str, tuple[bytes, Callable[[bytes], bytes]]] = {
    "gzip": (b"gzip", gzip.compress),
    "x-gzip": (b"x-gzip", gzip.compress),
    "deflate (zlib)": (b"deflate", zlib.compress),
    "deflate (raw)": (b"deflate", _raw_deflate),
    "identity": (b"identity", bytes),
}


@pytest.mark.parametrize(("encoding", "pack"), ENCODINGS.values(), ids=list(ENCODINGS))
def test_a_compressed_stream_or_answer_is_read_whole(
    emu: Emulator,
    raw: Callable[[Handler], RawServer],
    encoding: bytes,
    pack: Callable[[bytes], bytes],
) -> None:
    with client(emu) as c:
        normal = run_sync(c.messages.stream(**params()))
    raw_sse = b"".join(
        b"event: %s\ndata: %s\n\n" % (e.type.encode(), e.model_dump_json().encode())
        for e in normal.events
    )
    server = raw(serve_gzip(pack(raw_sse), encoding))
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert run.completed, run.error
    assert run.dumps() == normal.dumps()
    server = raw(serve_gzip(pack(MESSAGE_JSON), encoding, b"application/json"))
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0) as c:
        assert c.messages.create(**params()).id == "msg_1"


def test_an_encoding_not_asked_for_is_a_typed_error(raw: Callable[[Handler], RawServer]) -> None:
    server = raw(serve_gzip(b"\x00\x01", b"br"))
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert isinstance(run.error, arx.APIResponseValidationError), run.error
    assert "'br'" in str(run.error)


def test_a_bad_gzip_body_is_a_connection_error(raw: Callable[[Handler], RawServer]) -> None:
    server = raw(serve_gzip(b"not gzip at all"))
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert isinstance(run.error, arx.APIConnectionError), run.error


# -- item 10: bad input refused before anything is sent ----------------------------------------

BAD_OPTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "idle inf": ({"idle_timeout": math.inf}, "idle_timeout"),
    "idle nan": ({"idle_timeout": math.nan}, "idle_timeout"),
    "connect negative": ({"connect_timeout": -1.0}, "connect_timeout"),
    "content nan": ({"content_timeout": math.nan}, "content_timeout"),
    "deadline inf": ({"deadline": math.inf}, "deadline"),
    "create inf": ({"create_timeout": math.inf}, "create_timeout"),
    "event bytes 0": ({"max_event_bytes": 0}, "max_event_bytes"),
    "event bytes negative": ({"max_event_bytes": -5}, "max_event_bytes"),
    "empty base_url": ({"base_url": ""}, "base_url"),
    "space in host": ({"base_url": "https://api.anth ropic.com"}, "base_url"),
    "port 99999": ({"base_url": "https://api.anthropic.com:99999"}, "base_url"),
    "no scheme": ({"base_url": "api.anthropic.com"}, "base_url"),
    "bad port": ({"base_url": "https://api.anthropic.com:abc"}, "base_url"),
    "no host": ({"base_url": "https://"}, "base_url"),
    "ends in /v1": ({"base_url": "https://api.anthropic.com/v1"}, "added for you"),
    "ends in /v1/": ({"base_url": "https://api.anthropic.com/v1/"}, "added for you"),
    "ends in /v1/messages": ({"base_url": "https://api.anthropic.com/v1/messages"}, "added"),
    "CRLF default header": ({"default_headers": {"x-note": "a\r\nx-evil: 1"}}, "x-note"),
    "LF default header": ({"default_headers": {"x-note": "a\nb"}}, "x-note"),
    "bad header name": ({"default_headers": {"x note": "a"}}, "x note"),
}


@pytest.mark.parametrize(("options", "named"), BAD_OPTIONS.values(), ids=list(BAD_OPTIONS))
def test_a_bad_option_is_a_value_error_naming_it_when_the_client_is_made(
    options: dict[str, Any], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(ValueError, match=named):
        arx.Client(api_key=KEY, **options)
    with pytest.raises(ValueError, match=named):
        arx.AsyncClient(api_key=KEY, **options)


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": math.nan},
        {"extra_body": {"top_p": math.inf}},
        {"metadata": {"weight": -math.inf}},
        {"extra_headers": {"x-note": "a\r\nx-evil: 1"}},
        {"extra_headers": {"x-note": "a\rb"}},
    ],
    ids=["nan", "inf", "-inf", "CRLF header", "CR header"],
)
def test_bad_request_input_is_a_value_error_at_stream_before_any_connection(
    emu: Emulator, changes: dict[str, Any]
) -> None:
    name = next(iter(changes.get("extra_headers", changes.get("extra_body", changes))))
    with client(emu) as c:
        with pytest.raises(ValueError, match=name):
            c.messages.stream(**params(**changes))
        with pytest.raises(ValueError, match=name):
            c.messages.create(**params(**changes))
    assert emu.stats.connections_opened == 0


def test_a_bad_value_names_nan_or_infinity(emu: Emulator) -> None:
    with client(emu) as c, pytest.raises(ValueError, match=r"NaN|infinity"):
        c.messages.stream(**params(temperature=math.nan))


@pytest.mark.anyio
async def test_bad_request_input_is_a_value_error_at_async_stream(emu: Emulator) -> None:
    async with async_client(emu) as c:
        with pytest.raises(ValueError, match="x-note"):
            c.messages.stream(**params(extra_headers={"x-note": "a\nb"}))
        with pytest.raises(ValueError, match="temperature"):
            await c.messages.create(**params(temperature=math.inf))
    await anyio.sleep(0)
    assert emu.stats.connections_opened == 0


def test_the_empty_base_url_is_not_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="base_url"):
        arx.Client(api_key=KEY, base_url="")
