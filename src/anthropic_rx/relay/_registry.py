"""`RelayRegistry`: relays by key, with a time to live and a bound on their number."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, final

from reactivex import Observable

from ._relay import ASGIReceive, ASGISend, Relay

__all__ = ["RelayRegistry"]


@final
class RelayRegistry:
    """Relays by key (a chat id, a request id…): where a reconnecting tab finds its stream.

    A relay stays while its stream runs, and for *ttl* seconds after it ended: that long a
    reload or a reconnect still gets the whole answer and its end; then it is forgotten
    (a tab asking for it gets ``404``). At most *max_streams* relays are kept: beyond that
    the least recently used finished one goes first and, if none has finished, the least
    recently used running one is aborted. Memory is thus bounded by *max_streams* times the
    wire size of an answer (`Relay.nbytes`, about 150 bytes an event), plus each running
    stream's own replay until it ends.

    The registry is itself an ASGI app that serves ``GET …/{key}`` (the last path
    segment) from the relay of that key.

    Args:
        ttl: seconds a finished stream stays resumable.
        max_streams: the most relays kept at once.
        clock: the monotonic clock (tests pass a fake one).

    Example:
        >>> relays = RelayRegistry(ttl=600)
        >>> relay = relays.open("chat-1", client.messages.stream(**params))
        >>> relays.get("chat-1") is relay
        True
    """

    def __init__(
        self,
        *,
        ttl: float = 300.0,
        max_streams: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0:
            raise ValueError(f"ttl must be >= 0 seconds, got {ttl}")
        if max_streams < 1:
            raise ValueError(f"max_streams must be >= 1, got {max_streams}")
        self._ttl = ttl
        self._max = max_streams
        self._clock = clock
        self._lock = threading.Lock()
        self._relays: OrderedDict[Hashable, Relay] = OrderedDict()  # least recently used first
        self._ended: dict[Hashable, float] = {}

    def __len__(self) -> int:
        return len(self._relays)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, Hashable) and self.get(key) is not None

    def __repr__(self) -> str:
        return f"<RelayRegistry relays={len(self._relays)} ttl={self._ttl} max={self._max}>"

    @property
    def nbytes(self) -> int:
        """The bytes all relays keep (`Relay.nbytes` summed)."""
        with self._lock:
            relays = list(self._relays.values())
        return sum(relay.nbytes for relay in relays)

    def open(self, key: Hashable, source: Observable[Any], **options: Any) -> Relay:
        """Relay *source* under *key* (options as `Relay`'s); return the relay.

        Raises:
            KeyError: *key* already has a relay.
        """
        with self._lock:
            self._expire()
            if key in self._relays:
                raise KeyError(f"{key!r} is already relayed")
        relay = Relay(source, **options)
        evicted: list[Relay] = []
        with self._lock:
            self._relays[key] = relay
            while len(self._relays) > self._max:
                evicted.append(self._evict_one())
        relay.on_end(lambda: self._note_end(key, relay))
        for old in evicted:
            old.abort()
        return relay

    def get(self, key: Hashable) -> Relay | None:
        """The relay of *key*, or ``None`` (never opened, expired or evicted)."""
        with self._lock:
            self._expire()
            relay = self._relays.get(key)
            if relay is not None:
                self._relays.move_to_end(key)
            return relay

    def remove(self, key: Hashable) -> Relay | None:
        """Forget *key* now (its relay is not aborted); return its relay, if any."""
        with self._lock:
            self._ended.pop(key, None)
            return self._relays.pop(key, None)

    def _note_end(self, key: Hashable, relay: Relay) -> None:
        with self._lock:
            if self._relays.get(key) is relay:
                self._ended[key] = self._clock()

    def _expire(self) -> None:
        if not self._ended:
            return
        limit = self._clock() - self._ttl
        for key in [k for k, at in self._ended.items() if at <= limit]:
            del self._ended[key]
            self._relays.pop(key, None)

    def _evict_one(self) -> Relay:
        for key in self._relays:
            if key in self._ended:
                del self._ended[key]
                return self._relays.pop(key)
        return self._relays.popitem(last=False)[1]

    async def __call__(
        self, scope: Mapping[str, Any], receive: ASGIReceive, send: ASGISend
    ) -> None:
        """Serve ``GET …/{key}`` from the relay of that key (``404`` if there is none)."""
        path: str = scope.get("path", "")
        relay = self.get(path.rstrip("/").rpartition("/")[2])
        if relay is None:
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": b"no such stream\n"})
            return
        await relay(scope, receive, send)
