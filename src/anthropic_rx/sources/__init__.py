"""Layer 4: sources, the factories that turn bytes and responses into Observables of events."""

from __future__ import annotations

from ._bytes import from_bytes as from_bytes

__all__ = ["from_bytes"]
