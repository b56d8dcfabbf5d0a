"""Process-wide hooks told of every stream, conversation and call a client makes.

Tracing (`anthropic_rx.tracing`) uses them: with none added, a request pays one truth test.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar, final

from ._info import StreamInfo

__all__ = [
    "Call",
    "CallWatcher",
    "ClientHook",
    "add_client_hook",
    "async_watched",
    "notify_hooks",
    "remove_client_hook",
    "sync_watched",
]

_log = logging.getLogger("anthropic_rx.client")
_T = TypeVar("_T")

ClientHook = Callable[[object], None]
"""Called with each new `MessageStream` (before it starts), `Conversation` or `Call`."""

_lock = threading.Lock()
_hooks: tuple[ClientHook, ...] = ()


def add_client_hook(hook: ClientHook) -> None:
    """Call ``hook(made)`` with every `MessageStream`, `Conversation` and `Call` of any client.

    It runs on the thread (or task) that calls ``stream()``, ``conversation()``, ``create()``
    or ``count_tokens()``, before anything is sent; it must be quick, and an exception from
    it is logged, never raised.

    Example:
        >>> def show(made: object) -> None: print(type(made).__name__)
        >>> add_client_hook(show)
        >>> stream = client.messages.stream(**params)
        MessageStream
        >>> remove_client_hook(show)
    """
    global _hooks
    with _lock:
        _hooks = (*_hooks, hook)


def remove_client_hook(hook: ClientHook) -> None:
    """Stop calling *hook* (nothing if it was not added)."""
    global _hooks
    with _lock:
        _hooks = tuple(h for h in _hooks if h != hook)  # bound methods are equal, not identical


def notify_hooks(made: _T) -> _T:
    """Tell every hook of *made*; return it. Called by the client."""
    for hook in _hooks:
        try:
            hook(made)
        except Exception:  # a watcher's bug must not fail the request
            _log.exception("anthropic_rx: a client hook raised")
    return made


class CallWatcher(Protocol):
    """What `Call.watch` takes: told once, when the call ends."""

    def on_end(self, result: object, error: Exception | None) -> None:
        """*result* is the `Message` or `MessageTokensCount` (None on *error*)."""


@final
class Call:
    """A non-streaming request (``create()``, ``count_tokens()``, ``with_raw_response``),
    told to the hooks before it is sent; a hook that wants its end calls `watch`.

    Attributes:
        operation: ``"chat"`` (a Message) or ``"count_tokens"``.
        params: the call's keyword arguments (the key is never among them).
        info: the request's `StreamInfo` (url, attempts, request ids).

    Example:
        >>> class Show:
        ...     def on_end(self, result: object, error: Exception | None) -> None:
        ...         print(type(result).__name__, error)
        >>> def hook(made: object) -> None:
        ...     if isinstance(made, Call): made.watch(Show())
        >>> add_client_hook(hook)
        >>> message = client.messages.create(**params)
        Message None
        >>> remove_client_hook(hook)
    """

    __slots__ = ("_watchers", "info", "operation", "params")

    def __init__(self, operation: str, params: Mapping[str, Any], info: StreamInfo) -> None:
        self.operation = operation
        self.params = params
        self.info = info
        self._watchers: list[CallWatcher] = []

    def watch(self, watcher: CallWatcher) -> None:
        """Tell *watcher* (``on_end(result, error)``) when the call ends."""
        self._watchers.append(watcher)

    @property
    def watched(self) -> bool:
        """Whether a watcher was added."""
        return bool(self._watchers)

    def end(self, result: object, error: Exception | None) -> None:
        """Tell the watchers; an exception from one is logged, never raised."""
        for watcher in self._watchers:
            try:
                watcher.on_end(result, error)
            except Exception:
                _log.exception("anthropic_rx: a call watcher raised")


_R = TypeVar("_R")


def _begin(operation: str, params: Mapping[str, Any], info: StreamInfo) -> Call | None:
    call = notify_hooks(Call(operation, params, info))
    return call if call.watched else None


def _parsed(result: object) -> object:
    parse = getattr(result, "parse", None)  # a RawResponse: its model
    return parse() if callable(parse) else result


def sync_watched(
    operation: str, params: Mapping[str, Any], info: StreamInfo, run: Callable[[], _R]
) -> _R:
    """``run()``, told to the hooks as a `Call` (one truth test when there are none)."""
    call = _begin(operation, params, info) if _hooks else None
    if call is None:
        return run()
    try:
        result = run()
    except Exception as exc:
        call.end(None, exc)
        raise
    call.end(_parsed(result), None)
    return result


async def async_watched(
    operation: str, params: Mapping[str, Any], info: StreamInfo, run: Callable[[], Awaitable[_R]]
) -> _R:
    """The async twin of `sync_watched`."""
    call = _begin(operation, params, info) if _hooks else None
    if call is None:
        return await run()
    try:
        result = await run()
    except Exception as exc:
        call.end(None, exc)
        raise
    call.end(_parsed(result), None)
    return result
