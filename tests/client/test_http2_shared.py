"""An HTTP/2 client (``http_client=``) multiplexes streams on one socket: aborting one stream
must never shut that socket down under the others."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import h2.config  # the test extra has it (httpx's http2 needs it)
import h2.connection
import h2.events
import httpx

import anthropic_rx as arx

from .helpers import KEY, WAIT, Run, params
from .raw_server import RawServer


def h2c(
    release: threading.Event, finished: threading.Event
) -> Callable[[socket.socket, RawServer], None]:
    """Answer every stream's headers at once; the second stream's body once *release* is
    set; hang up once *finished* is."""

    def serve(conn: socket.socket, server: RawServer) -> None:
        h2conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        streams: list[int] = []
        conn.settimeout(0.05)
        while not finished.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                data = None
            except OSError:
                server.note(closed=True)
                return
            if data == b"":
                server.note(closed=True)
                return
            for event in h2conn.receive_data(data) if data else []:
                if isinstance(event, h2.events.RequestReceived):
                    streams.append(event.stream_id)
                    h2conn.send_headers(
                        event.stream_id,
                        [(":status", "200"), ("content-type", "text/event-stream")],
                    )
                    server.note(streams=len(streams))
                elif isinstance(event, h2.events.StreamReset):
                    server.note(reset=event.stream_id)
            if release.is_set() and len(streams) == 2 and "sent" not in server.notes:
                # httpcore's sync HTTP/2 reads for all streams under one lock: a ping wakes
                # the aborted stream's reader, which then leaves, so it cannot starve B.
                h2conn.send_data(streams[0], PING)
                h2conn.send_data(streams[1], SSE, end_stream=True)
                server.note(sent=True)
            conn.sendall(h2conn.data_to_send())

    return serve


PING = b'event: ping\ndata: {"type":"ping"}\n\n'
SSE = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":'
    b'"message","role":"assistant","model":"m","content":[],"stop_reason":null,'
    b'"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",'
    b'"stop_sequence":null},"usage":{"output_tokens":1}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def test_aborting_one_http2_stream_leaves_its_siblings_on_the_connection(
    raw: Callable[..., RawServer],
) -> None:
    release, finished = threading.Event(), threading.Event()
    server = raw(h2c(release, finished))
    http = httpx.Client(http1=False, http2=True)
    try:
        with arx.Client(api_key=KEY, base_url=server.url, max_retries=0, http_client=http) as c:
            first, second = Run(), Run()
            one = c.messages.stream(**params())
            one.subscribe(first.on_next, first.on_error, first.on_completed)
            assert server.wait_for(lambda s: s.notes.get("streams") == 1)
            two = c.messages.stream(**params())
            two.subscribe(second.on_next, second.on_error, second.on_completed)
            assert server.wait_for(lambda s: s.notes.get("streams") == 2)
            one.abort()
            release.set()
            assert server.wait_for(lambda s: "sent" in s.notes or "closed" in s.notes)
            assert two.wait(WAIT)
            assert second.completed, second.error
            assert server.accepted == 1  # both streams on the one connection
            assert isinstance(first.error, arx.StreamAbortedError)
    finally:
        finished.set()  # the aborted stream's reader ends when the server hangs up
        http.close()
