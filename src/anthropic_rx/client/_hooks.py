"""Process-wide hooks told of every stream and conversation a client makes.

Tracing (`anthropic_rx.tracing`) uses them: with none added, a request pays one truth test.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["ClientHook", "add_client_hook", "notify_hooks", "remove_client_hook"]

_log = logging.getLogger("anthropic_rx.client")
_T = TypeVar("_T")

ClientHook = Callable[[object], None]
"""Called with each new `MessageStream` (before it starts) or `Conversation` a client makes."""

_lock = threading.Lock()
_hooks: tuple[ClientHook, ...] = ()


def add_client_hook(hook: ClientHook) -> None:
    """Call ``hook(made)`` with every `MessageStream` and `Conversation` any client makes.

    It runs on the thread that calls ``stream()`` / ``conversation()``, before anything is
    sent; it must be quick, and an exception from it is logged, never raised.

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
