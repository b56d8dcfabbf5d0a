"""`Client` and `AsyncClient`: ``client.messages.stream(**params)`` gives a `MessageStream`.

Small on purpose: the settings live in `_config`, the request body in `_params`, retries in
`_retry`, the error boundary in `_http`, and one request's life in `_sync` / `_async`. A
client holds an httpx client (its own, or one passed in, which it never closes), its
settings, and weak references to its running streams, so `close` can abort them.
"""

from __future__ import annotations

import contextlib
import traceback
import weakref
from collections.abc import Callable, Generator, Mapping, Sequence
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Self,
    TypedDict,
    TypeVar,
    Unpack,
    cast,
    final,
)

import httpx

from ..events import Message, MessageTokensCount
from ..sources import AsyncSource, MessageStream, SyncSource
from ._async import AsyncRequestSource, async_create
from ._batches import AsyncBatches, Batches
from ._config import Settings
from ._extras import (
    RawResponse,
    async_call_json,
    count_request,
    sync_call_json,
    with_info,
)
from ._hooks import notify_hooks
from ._http import lean_cookies
from ._info import StreamInfo
from ._params import (
    ConversationParams,
    CountTokensParams,
    MessageParams,
    RequestParts,
    build_request,
)
from ._sync import SyncRequestSource, sync_create
from ._transport import TransportName

if TYPE_CHECKING:  # layer 7 builds on this one: imported when first used, never at load
    from ..conversations import Conversation, Tool

__all__ = ["AsyncClient", "AsyncMessages", "Client", "ClientOptions", "Messages"]


class ClientOptions(TypedDict, total=False):
    """The options of `Client`, `AsyncClient` and their ``with_options()``."""

    api_key: str | None  # None: ANTHROPIC_API_KEY (with_options: unchanged)
    base_url: str | None  # None: ANTHROPIC_BASE_URL, else the API (with_options: unchanged)
    max_retries: int
    max_retry_wait: float
    connect_timeout: float
    idle_timeout: float
    content_timeout: float | None
    deadline: float | None
    create_timeout: float
    default_headers: Mapping[str, str]
    allow_insecure_http: bool
    max_event_bytes: int | None
    transport: TransportName  # the HTTP layer; fixed when the client is made


_FROM_ENV = frozenset({"api_key", "base_url"})


@contextlib.contextmanager
def _key_kept_out(options: Mapping[str, Any]) -> Generator[None, None, None]:
    """Let no frame of a bad option's error hold the raw key (issue 10 item 4).

    The key may come from ``ANTHROPIC_API_KEY`` and a caller's expression, so the caller's
    frames need not hold it; ours did (the options, the key read from the environment),
    and error reports that show locals would print it. The frames below are cleared and
    the key is taken out of the *options* of the frame making the client.
    """
    try:
        yield
    except (TypeError, ValueError) as exc:
        cast("dict[str, Any]", options).pop("api_key", None)
        traceback.clear_frames(exc.__traceback__)
        raise


def _settings(options: ClientOptions) -> Settings:
    """Settings from a client's keyword arguments (the defaults are `Settings`' own)."""
    rest: dict[str, Any] = dict(options)
    api_key: str | None = rest.pop("api_key", None)
    base_url: str | None = rest.pop("base_url", None)
    return Settings.from_arguments(api_key, base_url, **rest)


_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
#: How a client makes the source of one streaming request (`SyncRequestSource`, …).
_Source = Callable[[_H, Settings, RequestParts, StreamInfo], SyncSource | AsyncSource]


#: One non-streaming call, checked and built: what `sync_create` and its kin take.
_Request = tuple[_H, Settings, RequestParts, StreamInfo]


class _State(Generic[_H]):
    """A client's insides, shared with its ``messages``: settings, connections, streams.

    Every call of either client is checked and built here (`stream`, `request`,
    `conversation`); the sync and async classes below only send and wait.
    """

    def __init__(
        self, settings: Settings, http: _H, source: _Source[_H], *, root: _State[_H] | None = None
    ) -> None:
        self.settings = settings
        self.http: _H = http
        self.source: _Source[_H] = source
        self.root: _State[_H] = root or self  # the owner of `http`, for `with_options()` copies
        self.closed = False
        # Weak: a stream nobody holds must not live on for the client's sake.
        self.streams: weakref.WeakSet[MessageStream] = weakref.WeakSet()
        self.conversations: weakref.WeakSet[Conversation] = weakref.WeakSet()

    def begin(
        self, params: Mapping[str, object], *, stream: bool | None
    ) -> tuple[RequestParts, StreamInfo]:
        """Check the client is open, build the request (not when *stream* is None)."""
        if self.closed or self.root.closed:
            raise RuntimeError("this client is closed")
        url, kind = str(self.settings.url), params.get("output_format")
        parts = RequestParts(body=b"", headers={}, query={})
        if stream is not None:
            parts = build_request(params, stream=stream)
        return parts, StreamInfo(url, output_format=kind, params=params)

    def stream(self, params: Mapping[str, object]) -> MessageStream:
        """The `MessageStream` of one streaming request (``messages.stream()``)."""
        parts, info = self.begin(params, stream=True)
        source = self.source(self.http, self.settings, parts, info)
        return self.track(MessageStream(source, info=info))

    def request(self, params: Mapping[str, object], *, count: bool = False) -> _Request[_H]:
        """A ``create()`` call, or (*count*) a ``count_tokens()`` one."""
        if not count:
            return (self.http, self.settings, *self.begin(params, stream=False))
        _, info = self.begin(params, stream=None)  # params: for .info and the hooks
        return self.http, self.settings, count_request(params, str(self.settings.url)), info

    def conversation(
        self, open_turn: Callable[..., MessageStream], params: Mapping[str, Any], **options: Any
    ) -> Conversation:
        """The `Conversation` of ``messages.conversation()``; *options* are its own."""
        from ..conversations import Conversation

        self.begin(params, stream=True)  # bad ones fail before sending
        conversation = Conversation(
            open_turn, params, secret=self.settings.api_key.reveal, **options
        )
        self.conversations.add(conversation)
        self.root.conversations.add(conversation)
        return notify_hooks(conversation)

    def track(self, stream: MessageStream) -> MessageStream:
        self.streams.add(stream)
        self.root.streams.add(stream)  # closing the owner aborts its copies' streams too
        return notify_hooks(stream)

    def changed(self, options: ClientOptions) -> _State[_H]:
        changes = {k: v for k, v in options.items() if v is not None or k not in _FROM_ENV}
        return _State(self.settings.replace(**changes), self.http, self.source, root=self.root)

    def abort_streams(self) -> None:
        self.closed = True
        for conversation in list(self.conversations):
            conversation.abort()  # its tools are cancelled too, and no next turn starts
        for stream in list(self.streams):
            stream.abort()


class _Messages(Generic[_H]):
    """What `Messages` and `AsyncMessages` share: ``stream()`` and ``conversation()``."""

    _is_async: ClassVar[bool] = False

    def __init__(self, state: _State[_H]) -> None:
        self._state: _State[_H] = state

    def stream(self, **params: Unpack[MessageParams]) -> MessageStream:
        """Make a `MessageStream` for one streaming request (see each client's)."""
        return self._state.stream(params)

    def conversation(
        self,
        *,
        tools: Sequence[Tool | Mapping[str, Any]] = (),
        max_turns: int | None = None,
        stop_when: Callable[[Conversation], bool] | None = None,
        prepare_turn: Callable[[int, dict[str, Any]], Mapping[str, Any]] | None = None,
        max_concurrent_tools: int | None = None,
        tool_timeout: float | None = None,
        start_tools_early: bool = False,
        **params: Unpack[ConversationParams],
    ) -> Conversation:
        """Make a `Conversation`: the tool-use loop, one `MessageStream` per turn.

        Nothing is sent until it starts (first subscription, ``start()``, ``wait()``,
        ``final_message()``). With a `Client`, sync tool functions run on worker threads,
        async ones on a private event-loop thread. With an `AsyncClient`, call it inside
        the loop (asyncio or trio): async tool functions run on the loop, sync ones on
        worker threads, and ``await conversation`` gives the last message.

        Args:
            tools: `Tool`s (``@tool`` functions, `Tool.from_schema`) that the loop runs,
                and plain tool dicts (server tools) that go to the API untouched.
            max_turns: the most requests per run (per `Conversation.send`); the tools of
                the last turn still run, so the history stays valid.
            stop_when: called with the conversation after each turn's tool results are in;
                ``True`` stops it (``stop_reason="stop_when"``).
            prepare_turn: called with the turn number and the request's parameters before
                each request; returns the parameters to send (another model, other
                headers, fewer tools for one turn). The history is not changed by it.
            max_concurrent_tools: the most tool calls running at once (default: no bound).
                It counts the calls the conversation waits for: one that times out stops
                counting at once, though a sync function's thread runs on (threads cannot
                be killed), so hung tools never stall the conversation but may, for a
                while, keep more threads busy than the bound.
            tool_timeout: seconds a tool call may take, unless its `Tool` says otherwise.
            start_tools_early: run each call at its block's ``content_block_stop`` instead
                of at the turn's end. If the stream then fails, running calls are
                cancelled (a sync function's thread runs on, its result dropped) and no
                result is sent.
            **params: the API's fields, as for `stream` (``messages`` is the history).

        Raises:
            TypeError: a required parameter is missing, an unknown one was given, or a
                tool is not a `Tool` or a dict.
            RuntimeError: (an `AsyncClient`) no asyncio or trio loop is running in this
                thread.

        Example:
            >>> conversation = client.messages.conversation(
            ...     model=MODEL, max_tokens=1024, tools=[get_weather],
            ...     messages=[{"role": "user", "content": "Weather in Paris?"}],
            ... )
            >>> print(conversation.final_message().content[-1].text)

            With an `AsyncClient`:

            >>> async with arx.AsyncClient() as client:
            ...     conversation = client.messages.conversation(
            ...         model=MODEL, max_tokens=1024, tools=[get_weather], messages=msgs
            ...     )
            ...     message = await conversation
        """
        return self._state.conversation(
            self.stream,
            params,
            tools=tools,
            max_turns=max_turns,
            stop_when=stop_when,
            prepare_turn=prepare_turn,
            max_concurrent_tools=max_concurrent_tools,
            tool_timeout=tool_timeout,
            start_tools_early=start_tools_early,
            is_async=self._is_async,
        )


def _repr(kind: str, settings: Settings) -> str:
    return (
        f"<{kind} base_url={settings.base_url!r} api_key={str(settings.api_key)!r} "
        f"max_retries={settings.max_retries}>"
    )


@final
class Messages(_Messages[httpx.Client]):
    """``client.messages``: streaming and non-streaming requests to ``/v1/messages``."""

    def __init__(self, state: _State[httpx.Client]) -> None:
        super().__init__(state)
        self.batches = Batches(state.http, state.settings)  # the Message Batches API

    def stream(self, **params: Unpack[MessageParams]) -> MessageStream:
        """Make a `MessageStream` for one streaming request; nothing is sent until it starts.

        The request is sent at the stream's first subscription (or `MessageStream.start`)
        and read on a background thread; every later subscriber shares it and gets the
        events so far replayed. To send the request again, make a new stream:
        ``reactivex.defer(lambda _: client.messages.stream(**params))``.

        Args:
            **params: the API's fields (`MessageParams`): ``model``, ``messages`` and
                ``max_tokens`` are required; ``extra_headers``, ``extra_query`` and
                ``extra_body`` add to the request.

        Returns:
            The stream; its ``.info`` is a `StreamInfo`.

        Raises:
            TypeError: a required parameter is missing, or an unknown one was given.
            ValueError: a number is NaN or infinite (JSON has neither), or an
                ``extra_headers`` value holds CR, LF or another character a header may not;
                raised here, before any connection, and never retried.

        Example:
            >>> with arx.Client() as client:
            ...     stream = client.messages.stream(model=MODEL, max_tokens=256, messages=msgs)
            ...     stream.pipe(text_only()).subscribe(print)
            ...     message = stream.pipe(final_message()).run()   # the same request
        """
        return self._state.stream(params)

    def create(self, **params: Unpack[MessageParams]) -> Message:
        """Send a non-streaming request and return the whole `Message` (retries included).

        The message's ``.info`` is the request's `StreamInfo`, as a stream's is.

        Raises:
            APIError: the request failed; see `Client` for what is retried.

        Example:
            >>> message = client.messages.create(model=MODEL, max_tokens=64, messages=msgs)
            >>> message.info.request_id, message.info.ratelimit
        """
        http, settings, parts, info = self._state.request(params)
        return with_info(sync_create(http, settings, parts, info), info)

    def count_tokens(self, **params: Unpack[CountTokensParams]) -> MessageTokensCount:
        """Count the input tokens of a request (``POST /v1/messages/count_tokens``).

        Takes what ``create()`` takes, but ``max_tokens``; retries as ``create()`` does.

        Example:
            >>> client.messages.count_tokens(model=MODEL, messages=msgs)
            MessageTokensCount(input_tokens=...)
        """
        return self.with_raw_response.count_tokens(**params).parse()

    @property
    def with_raw_response(self) -> MessagesWithRawResponse:
        """The same calls, returning the `RawResponse` (status, headers, body) first.

        Example:
            >>> raw = client.messages.with_raw_response.create(**params)
            >>> raw.headers["request-id"], raw.parse().content
        """
        return MessagesWithRawResponse(self._state)


@final
class MessagesWithRawResponse:
    """``client.messages.with_raw_response``: calls that return a `RawResponse`."""

    def __init__(self, state: _State[httpx.Client]) -> None:
        self._state = state

    def create(self, **params: Unpack[MessageParams]) -> RawResponse[Message]:
        """``create()``, returning the final response; ``.parse()`` is the `Message`."""
        return sync_call_json(*self._state.request(params), Message)

    def count_tokens(self, **params: Unpack[CountTokensParams]) -> RawResponse[MessageTokensCount]:
        """``count_tokens()``, returning the final response."""
        return sync_call_json(*self._state.request(params, count=True), MessageTokensCount)


@final
class AsyncMessagesWithRawResponse:
    """``async_client.messages.with_raw_response``: the async twin."""

    def __init__(self, state: _State[httpx.AsyncClient]) -> None:
        self._state = state

    async def create(self, **params: Unpack[MessageParams]) -> RawResponse[Message]:
        """``create()``, returning the final response; ``.parse()`` is the `Message`."""
        return await async_call_json(*self._state.request(params), Message)

    async def count_tokens(
        self, **params: Unpack[CountTokensParams]
    ) -> RawResponse[MessageTokensCount]:
        """``count_tokens()``, returning the final response."""
        request = self._state.request(params, count=True)
        return await async_call_json(*request, MessageTokensCount)


@final
class AsyncMessages(_Messages[httpx.AsyncClient]):
    """``async_client.messages``: the async twin of `Messages`."""

    _is_async = True

    def __init__(self, state: _State[httpx.AsyncClient]) -> None:
        super().__init__(state)
        self.batches = AsyncBatches(state.http, state.settings)  # the Message Batches API

    def stream(self, **params: Unpack[MessageParams]) -> MessageStream:
        """Make a `MessageStream` read by a task on the running loop (asyncio or trio).

        Call it inside the loop; nothing is sent until the stream starts. Disposing its last
        subscriber, or ``abort()``, cancels the task and closes the connection. Parameters
        and sharing are as in `Messages.stream`.

        Raises:
            RuntimeError: no asyncio or trio loop is running in this thread.

        Example:
            >>> async with arx.AsyncClient() as client:
            ...     stream = client.messages.stream(model=MODEL, max_tokens=256, messages=m)
            ...     async for text in arx.to_async_iterable(stream.pipe(text_only())):
            ...         print(text, end="")
        """
        return self._state.stream(params)

    async def create(self, **params: Unpack[MessageParams]) -> Message:
        """Send a non-streaming request and return the whole `Message` (retries included).

        The message's ``.info`` is the request's `StreamInfo`, as a stream's is.
        """
        http, settings, parts, info = self._state.request(params)
        return with_info(await async_create(http, settings, parts, info), info)

    async def count_tokens(self, **params: Unpack[CountTokensParams]) -> MessageTokensCount:
        """Count the input tokens of a request, as `Messages.count_tokens`."""
        raw = await self.with_raw_response.count_tokens(**params)
        return raw.parse()

    @property
    def with_raw_response(self) -> AsyncMessagesWithRawResponse:
        """The same calls, returning the `RawResponse` first (as `Messages.with_raw_response`)."""
        return AsyncMessagesWithRawResponse(self._state)


class _Client(Generic[_H]):
    """What `Client` and `AsyncClient` share: their settings, connections and repr."""

    _state: _State[_H]
    _owns_http: bool

    def _open(
        self,
        options: ClientOptions,
        http_client: _H | None,
        new_http: Callable[..., _H],
        transport: type[Any],
        source: _Source[_H],
    ) -> _State[_H]:
        """Set up from the arguments: *new_http* makes a pool when none is passed in."""
        with _key_kept_out(options):
            settings = _settings(options)
        http = http_client or new_http(
            timeout=settings.http_timeout(),
            limits=settings.http_limits(),
            mounts=settings.http_mounts(transport),
        )
        if http_client is None:
            lean_cookies(http)
        self._state = _State(settings, http, source)
        self._owns_http = http_client is None
        return self._state

    def _changed(self, options: ClientOptions) -> Self:
        """A copy with *options* changed, on the same connections (``with_options()``)."""
        changed = object.__new__(type(self))
        with _key_kept_out(options):
            changed._state = self._state.changed(options)
        changed._owns_http = False
        return changed

    @property
    def base_url(self) -> str:
        """The base URL requests go to."""
        return self._state.settings.base_url

    @property
    def http_client(self) -> _H:
        """The httpx client requests go through."""
        return self._state.http

    def __repr__(self) -> str:
        name = type(self).__name__
        state = getattr(self, "_state", None)  # None: __init__ failed (a bad option)
        return _repr(name, state.settings) if state is not None else f"<{name} (not made)>"


@final
class Client(_Client[httpx.Client]):
    """A synchronous client of the Messages API: thread-safe; each stream reads on a thread.

    Args:
        api_key: the API key; default ``ANTHROPIC_API_KEY``. Sent only as ``x-api-key``,
            never shown by a repr, a log line, an error or a traceback's local variables.
            Visible ASCII only: a newline, a control character, a space or a non-ASCII
            character is a `ValueError` that shows the key masked (``sk-…wxyz``).
        base_url: default ``ANTHROPIC_BASE_URL``, else ``https://api.anthropic.com``;
            without ``/v1`` (the path is added for you). An empty or malformed one is a
            `ValueError`. Plain http is refused unless the host is loopback
            (``allow_insecure_http=True`` overrides), and never goes through a proxy;
            https honours ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` as httpx does (the
            proxy relays the TLS tunnel and never sees the key). Redirects are never
            followed: a 3xx is an `APIStatusError`.
        http_client: the httpx client to send with; ``close()`` leaves it open. Its own
            proxy settings then apply, plain http included.
        max_retries: retries after the first attempt (default 2). Only before any content
            event went downstream, for 408, 409, 429, 5xx, 529, ``x-should-retry: true``, an
            ``event: error`` before content, connection failures and timeouts.
        max_retry_wait: the longest ``retry-after`` honoured, in seconds (default 60); a
            longer one, or a spend-limit 429, fails at once with `RateLimitError`.
        connect_timeout: seconds to connect (default 5), then `APITimeoutError`. Every
            timeout is a positive, finite number (``None`` where none is allowed).
        idle_timeout: seconds without a byte, pings included, before
            `StreamIdleTimeoutError` (default 60; the official SDK waits 600).
        content_timeout: seconds without a content event, pings not counted, before
            `ContentTimeoutError` (default: none).
        deadline: seconds for the whole request, retries and waits included, before
            `DeadlineExceededError` (default: none). It, and ``abort()``, act before the
            response headers too: the connection is shut at once.
        create_timeout: seconds ``messages.create()`` waits for its answer (default 600, as
            the SDK): a non-streaming answer sends no byte until it is whole.
        default_headers: headers added to every request (no CR, LF or control character).
        allow_insecure_http: allow plain http to a host that is not loopback.
        max_event_bytes: the most one event may take before `EventTooLargeError`
            (default 32 MiB, ten times the largest real event; ``None``: no limit). A gzip
            or deflate body is inflated in 64 KiB pieces, so a compressed bomb stops there
            too, and so does the body of ``messages.create()``.
        transport: the HTTP layer: ``"auto"`` (default: with the ``fast`` extra, aiohttp
            for `AsyncClient` on asyncio and urllib3 for `Client`; else httpx),
            ``"aiohttp"`` (async only), ``"httpx"``, or ``"urllib3"`` (sync only). Fixed
            when the client is made (a ``ValueError`` in ``with_options()``).

    Raises:
        ValueError: no API key, a key that cannot be a header, an invalid option (a
            timeout that is not positive and finite, ``max_event_bytes < 1``), a malformed
            or empty base_url or one ending in ``/v1``, a header with CR or LF, or plain
            http off loopback. Each names the argument.
        TypeError: an option of the wrong type.

    Example:
        >>> with arx.Client() as client:
        ...     message = client.messages.stream(
        ...         model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hi"}]
        ...     ).pipe(final_message()).run()
    """

    def __init__(
        self, *, http_client: httpx.Client | None = None, **options: Unpack[ClientOptions]
    ) -> None:
        state = self._open(
            options, http_client, httpx.Client, httpx.HTTPTransport, SyncRequestSource
        )
        self.messages = Messages(state)

    def with_options(self, **options: Unpack[ClientOptions]) -> Client:
        """Return a client with some options changed that shares this one's connections.

        Example:
            >>> quick = client.with_options(deadline=30, max_retries=0)
        """
        changed = self._changed(options)
        changed.messages = Messages(changed._state)
        return changed

    def close(self) -> None:
        """Abort this client's running streams and conversations; close its connections.

        Connections passed in (``http_client=``) stay open.
        """
        self._state.abort_streams()
        if self._owns_http:
            self._state.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@final
class AsyncClient(_Client[httpx.AsyncClient]):
    """An asynchronous client of the Messages API, on asyncio or trio (through anyio).

    Streams run as tasks on the loop running when ``messages.stream()`` is called. The
    arguments are those of `Client`, with ``http_client`` an ``httpx.AsyncClient``.

    Example:
        >>> async with arx.AsyncClient() as client:
        ...     stream = client.messages.stream(model=MODEL, max_tokens=256, messages=msgs)
        ...     message = await stream.pipe(final_message())
    """

    def __init__(
        self, *, http_client: httpx.AsyncClient | None = None, **options: Unpack[ClientOptions]
    ) -> None:
        state = self._open(
            options, http_client, httpx.AsyncClient, httpx.AsyncHTTPTransport, AsyncRequestSource
        )
        self.messages = AsyncMessages(state)

    def with_options(self, **options: Unpack[ClientOptions]) -> AsyncClient:
        """Return a client with some options changed that shares this one's connections."""
        changed = self._changed(options)
        changed.messages = AsyncMessages(changed._state)
        return changed

    async def aclose(self) -> None:
        """Abort this client's running streams and conversations; close its connections.

        Connections passed in (``http_client=``) stay open.
        """
        self._state.abort_streams()
        if self._owns_http:
            await self._state.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
