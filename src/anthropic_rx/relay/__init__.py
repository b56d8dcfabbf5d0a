"""Relay streams to browsers as Server-Sent Events: fan-out, resumable, bounded.

A web service holds the API key, streams from the API, and relays to its pages. `Relay`
serves one upstream stream to any number of tabs (``text/event-stream``, read by the
browser's ``EventSource``), every event with an ``id``; a tab that reconnects with
``Last-Event-ID`` gets exactly what it missed, then the live events, with no second upstream
request (DESIGN.md decision 12). `RelayRegistry` finds relays by key and bounds how long and
how many are kept. Both are plain ASGI apps: any ASGI server, and Starlette or FastAPI
without either being a dependency (return the relay from an endpoint).

Example:
    >>> from anthropic_rx.relay import RelayRegistry
    >>> relays = RelayRegistry(ttl=300)
    >>> relays.open("chat-1", client.messages.stream(**params))   # in the POST handler
    >>> relays.get("chat-1")                                      # the GET handler returns it
"""

from __future__ import annotations

from ._registry import RelayRegistry as RelayRegistry
from ._relay import ASGIReceive as ASGIReceive
from ._relay import ASGISend as ASGISend
from ._relay import Encoder as Encoder
from ._relay import Relay as Relay
from ._relay import encode_item as encode_item

__all__ = ["ASGIReceive", "ASGISend", "Encoder", "Relay", "RelayRegistry", "encode_item"]
