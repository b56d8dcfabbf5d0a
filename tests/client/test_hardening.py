"""Issue 10, the client's side: no hang before the headers, no key in a traceback, a proxy or
a bad key, bounded memory by default, and bad input refused before anything is sent.

Where the emulator cannot make the condition, a raw server on 127.0.0.1 (`RawServer`) writes
the bytes by hand; every assertion waits for a condition with a generous bound.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import math
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from types import FrameType, TracebackType
from typing import Any, cast

import anyio
import pytest

import anthropic_rx as arx
from anthropic_rx.client._config import Secret
from anthropic_rx.emulator import Emulator

from .helpers import (
    KEY,
    ON_EACH_CLIENT,
    WAIT,
    Run,
    async_client,
    client,
    fault_run,
    params,
    run_async,
    run_sync,
    scenario,
)

# -- a server that writes bytes by hand --------------------------------------------------------

Handler = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """Accept connections on 127.0.0.1 and give each to *handler* on a thread of its own."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        self.notes: dict[str, Any] = {}
        self.changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self.changed:
                self.accepted += 1
                self.changed.notify_all()
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self._handler(conn, self)

    def note(self, **notes: Any) -> None:
        with self.changed:
            self.notes.update(notes)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[RawServer], bool], timeout: float = WAIT) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def close(self) -> None:
        self._listener.close()
        for thread in self._threads:
            thread.join(WAIT)


@pytest.fixture
def raw() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def make(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def read_request(conn: socket.socket) -> bytes:
    """Read one request's head and its ``content-length`` body; b"" if the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        body += chunk
    return head


def peer_closed(conn: socket.socket, within: float) -> bool:
    """Wait up to *within* seconds for the peer to close; True if it did."""
    conn.settimeout(within)
    try:
        return conn.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


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


# -- item 4: no traceback frame holds the key --------------------------------------------------


def _holds_key(value: object, key: str, depth: int, seen: set[int]) -> bool:
    """Whether *value* holds *key* (str or bytes) within *depth* levels, a `Secret` aside."""
    if isinstance(value, str):
        return key in value
    if isinstance(value, (bytes, bytearray)):
        return key.encode() in value
    if depth == 0 or id(value) in seen or isinstance(value, (Secret, type, FrameType)):
        return False
    seen.add(id(value))
    if isinstance(value, dict):
        items: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(cast("Iterable[object]", value))
    else:
        items = list(getattr(value, "__dict__", {}).values())
        for cls in type(value).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if isinstance(slot, str) and hasattr(value, slot):
                    items.append(getattr(value, slot))
        if dataclasses.is_dataclass(value):
            items += [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    return any(_holds_key(item, key, depth - 1, seen) for item in items)


def frames_holding_key(error: BaseException, key: str = KEY) -> list[str]:
    """Every ``frame:local`` on the tracebacks of *error* and its causes that holds *key*."""
    found: list[str] = []
    errors: list[BaseException] = [error]
    seen_errors: set[int] = set()
    while errors:
        exc = errors.pop()
        if id(exc) in seen_errors:
            continue
        seen_errors.add(id(exc))
        errors += [e for e in (exc.__cause__, exc.__context__) if e is not None]
        tb: TracebackType | None = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            for name, value in frame.f_locals.items():
                if key in repr(value) or _holds_key(value, key, 6, set()):
                    found.append(f"{frame.f_code.co_qualname}:{name}")
            tb = tb.tb_next
    return found


ERROR_SCENARIOS: list[tuple[str, dict[str, Any], dict[str, Any], type[Exception]]] = [
    ("F07", {}, {"idle_timeout": 0.3}, arx.StreamIdleTimeoutError),
    ("F08", {"after": 2}, {"idle_timeout": 0.3}, arx.StreamIdleTimeoutError),
    ("F21", {}, {}, arx.APIStatusError),
    ("F22", {}, {}, arx.APIStatusError),
    ("F03", {}, {}, arx.APIStatusError),
    ("F05", {}, {}, arx.APIConnectionError),
    ("F06", {"variant": "end"}, {}, arx.IncompleteStreamError),
    ("F11", {}, {}, arx.AnthropicRxError),
    ("F20", {"variant": "html"}, {}, arx.APIResponseValidationError),
]


@pytest.mark.anyio
@ON_EACH_CLIENT
@pytest.mark.parametrize(
    ("code", "options", "settings", "error_class"),
    ERROR_SCENARIOS,
    ids=[s[0] for s in ERROR_SCENARIOS],
)
async def test_no_traceback_frame_of_a_stream_error_holds_the_key(
    emu: Emulator,
    kind: str,
    code: str,
    options: dict[str, Any],
    settings: dict[str, Any],
    error_class: type[Exception],
) -> None:
    headers = scenario(code, **options)
    run, _ = await fault_run(kind, emu, headers, max_retries=0, **settings)
    assert isinstance(run.error, error_class), run.error
    assert frames_holding_key(run.error) == []


def test_no_traceback_frame_of_a_connection_or_create_error_holds_the_key(emu: Emulator) -> None:
    with arx.Client(api_key=KEY, base_url=emu.refused_url, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
        with pytest.raises(arx.APIConnectionError) as refused:
            c.messages.create(**params())
    assert isinstance(run.error, arx.APIConnectionError)
    assert frames_holding_key(run.error) == []
    assert frames_holding_key(refused.value) == []
    with client(emu, max_retries=0) as c, pytest.raises(arx.APIStatusError) as status:
        c.messages.create(**params(extra_headers=scenario("F21")))
    assert frames_holding_key(status.value) == []


@pytest.mark.anyio
async def test_no_traceback_frame_of_an_async_connection_error_holds_the_key(
    emu: Emulator,
) -> None:
    async with arx.AsyncClient(api_key=KEY, base_url=emu.refused_url, max_retries=0) as c:
        run = await run_async(c.messages.stream(**params()))
        with pytest.raises(arx.APIConnectionError) as refused:
            await c.messages.create(**params())
    assert isinstance(run.error, arx.APIConnectionError)
    assert frames_holding_key(run.error) == []
    assert frames_holding_key(refused.value) == []


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


def fake_proxy(conn: socket.socket, server: RawServer) -> None:
    server.note(contacted=True, request=read_request(conn))


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_plain_http_to_loopback_never_goes_through_a_proxy(
    emu: Emulator,
    raw: Callable[[Handler], RawServer],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    proxy = raw(fake_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, proxy.url)
    with client(emu, max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert run.completed, run.error
    assert proxy.accepted == 0 and "contacted" not in proxy.notes


@pytest.mark.anyio
async def test_plain_http_from_the_async_client_never_goes_through_a_proxy(
    emu: Emulator, raw: Callable[[Handler], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = raw(fake_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    async with async_client(emu, max_retries=0) as c:
        run = await run_async(c.messages.stream(**params()))
    assert run.completed, run.error
    assert proxy.accepted == 0


def test_https_keeps_the_proxy_variables_and_the_proxy_sees_only_connect(
    raw: Callable[[Handler], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = raw(fake_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with arx.Client(api_key=KEY, base_url="https://127.0.0.1:9", max_retries=0) as c:
        run = run_sync(c.messages.stream(**params()))
    assert isinstance(run.error, arx.APIConnectionError)  # the fake proxy tunnels nothing
    assert proxy.wait_for(lambda s: "request" in s.notes)
    request: bytes = proxy.notes["request"]
    assert request.startswith(b"CONNECT 127.0.0.1:9 ")  # a TLS tunnel: the key goes inside
    assert KEY.encode() not in request and b"x-api-key" not in request.lower()


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
