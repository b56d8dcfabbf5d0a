"""The sync client's urllib3 transport reads a chunked body straight from its socket.

`_Chunked` decodes the HTTP/1.1 chunked framing sans-I/O (any split of the bytes, chunk
extensions, trailers, malformed sizes); over a raw server the body arrives in odd pieces,
the connection goes back to the pool only when the body was read to its end, and never when
bytes follow it.
"""

from __future__ import annotations

import random
import socket
import ssl
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest
from urllib3.exceptions import ProtocolError

import anthropic_rx as arx
from anthropic_rx.client._urllib3 import SyncUrllib3Transport, _Body, _Chunked, raw_pieces

from .. import events_helpers as ev
from .helpers import KEY, params, run_sync
from .raw_server import Handler, RawServer, read_request


def chunked(payloads: list[bytes], *, extension: bool = False, trailer: bool = False) -> bytes:
    ext = b";name=value" if extension else b""
    body = b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext, p) for p in payloads)
    return body + b"0\r\n" + (b"x-trailer: 1\r\n" if trailer else b"") + b"\r\n"


@pytest.mark.parametrize("seed", range(20))
def test_any_split_of_a_chunked_body_gives_back_its_payload(seed: int) -> None:
    rng = random.Random(seed)
    payloads = [rng.randbytes(rng.randrange(1, 300)) for _ in range(rng.randrange(0, 6))]
    wire = chunked(payloads, extension=seed % 2 == 0, trailer=seed % 3 == 0)
    decoder, out, pos = _Chunked(), list[bytes](), 0
    while pos < len(wire):
        assert not decoder.done
        step = rng.randrange(1, 40) if seed % 4 else len(wire)
        out.append(decoder.feed(wire[pos : pos + step]))
        pos += step
    assert decoder.done and not decoder.extra
    assert b"".join(out) == b"".join(payloads)


def test_one_whole_chunk_is_its_payload() -> None:
    decoder = _Chunked()
    assert decoder.feed(b"5\r\nhello\r\n") == b"hello"
    assert decoder.feed(b"0\r\n\r\n") == b"" and decoder.done


@pytest.mark.parametrize(
    "wire",
    [b"zz\r\n", b"3\r\nabcd\r\n", b"-1\r\n", b"+3\r\nabc\r\n", b"1" * 70_000],
    ids=["not-hex", "too-long", "negative", "signed", "endless-line"],
)
def test_a_malformed_chunk_is_a_protocol_error(wire: bytes) -> None:
    with pytest.raises(ProtocolError):
        _Chunked().feed(wire)


def test_bytes_after_the_last_chunk_are_noted() -> None:
    decoder = _Chunked()
    assert decoder.feed(b"2\r\nhi\r\n0\r\n\r\nHTTP/1.1") == b"hi"
    assert decoder.done and decoder.extra


def body_writer(tail: bytes = b"", *, pieces: int = 7) -> Handler:
    """Answer every request on a connection with a text stream, in *pieces*-byte writes."""

    def handle(conn: socket.socket, server: Any) -> None:
        body = chunked([ev.encode([e]) for e in ev.text_stream("Hello, world")], trailer=True)
        head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        wire = head + body + tail  # the tail in the same write as the body's end, so that
        first = len(head) + pieces  # it arrives with it (some body comes with the headers)
        while read_request(conn):
            conn.sendall(wire[:first])
            for i in range(first, len(wire), pieces):
                conn.sendall(wire[i : i + pieces] if i + 2 * pieces < len(wire) else wire[i:])
                if i + 2 * pieces >= len(wire):
                    break
            server.note(answered=server.notes.get("answered", 0) + 1)

    return handle


def test_a_body_in_odd_pieces_streams_whole_and_its_connection_is_reused(
    raw: Callable[[Handler], RawServer],
) -> None:
    server = raw(body_writer())
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0, transport="urllib3") as c:
        runs = [run_sync(c.messages.stream(**params())) for _ in range(2)]
    for run in runs:
        assert run.completed and run.error is None
        assert run.events[-1].type == "message_stop"
    assert server.accepted == 1  # read to its end: back to the pool, sent on again


def test_bytes_after_the_body_keep_the_stream_but_not_the_connection(
    raw: Callable[[Handler], RawServer],
) -> None:
    server = raw(body_writer(b"HTTP/1.1 200 OK\r\n", pieces=4096))
    with arx.Client(api_key=KEY, base_url=server.url, max_retries=0, transport="urllib3") as c:
        runs = [run_sync(c.messages.stream(**params())) for _ in range(2)]
    assert all(run.completed and run.error is None for run in runs)
    assert server.accepted == 2  # the first connection was closed, not pooled


@pytest.mark.parametrize(
    ("method", "status"), [("HEAD", b"200 OK"), ("GET", b"204 No Content"), ("GET", b"304 No")]
)
def test_an_answer_without_a_body_ends_at_once_whatever_its_transfer_encoding(
    raw: Callable[[Handler], RawServer], method: str, status: bytes
) -> None:
    def handle(conn: socket.socket, server: RawServer) -> None:
        while read_request(conn):
            conn.sendall(b"HTTP/1.1 " + status + b"\r\ntransfer-encoding: chunked\r\n\r\n")

    server = raw(handle)
    # A read timeout far beyond the test's patience: waiting for a body would fail it.
    transport = SyncUrllib3Transport(httpx.Limits())
    with httpx.Client(transport=transport, timeout=httpx.Timeout(5.0, read=600.0)) as http:
        for _ in range(2):
            with http.stream(method, server.url) as response:
                assert b"".join(raw_pieces(response)) == b""
    assert server.accepted == 1  # and the connection served the second request


def test_an_ssl_error_in_the_body_is_a_broken_read_not_a_failed_connect() -> None:
    class Breaking:
        chunked = False

        def read1(self, amount: int, decode_content: bool) -> bytes:
            raise ssl.SSLError(1, "[SSL: BAD_RECORD_MAC] bad record mac")

    request = httpx.Request("POST", "https://api.example/v1/messages")
    with pytest.raises(httpx.ReadError) as caught:
        list(_Body(cast(Any, Breaking()), request))
    assert caught.value.request is request
