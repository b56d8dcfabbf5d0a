"""Type aliases for users and operators: `Operator` and the structural source types."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

from reactivex import Observable

__all__ = ["Operator"]

_TIn = TypeVar("_TIn")
_TOut = TypeVar("_TOut")

Operator: TypeAlias = Callable[[Observable[_TIn]], Observable[_TOut]]
"""A function from one Observable to another: what every factory in `operators` returns."""
