"""Run a pipeline synchronously and collect what it sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from reactivex import Observable

_T = TypeVar("_T")


@dataclass
class Recorded(Generic[_T]):
    values: list[_T] = field(default_factory=list)
    error: Exception | None = None
    completed: bool = False


def record(observable: Observable[_T]) -> Recorded[_T]:
    """Subscribe, and collect the values and the terminal signal (sources here are synchronous)."""
    out: Recorded[_T] = Recorded()

    def on_error(exc: Exception) -> None:
        out.error = exc

    def on_completed() -> None:
        out.completed = True

    observable.subscribe(out.values.append, on_error, on_completed)
    return out


def objs_of(*items: Any) -> list[Any]:
    return list(items)
