"""`Painter`: keeps a notebook output current, from any thread, at most once per interval.

Updates go through IPython display handles (``display(..., display_id=True)`` and
``handle.update``), which ipykernel sends from any thread; the kernel tags them with the
cell that is running, so a cell waiting on a view (``view.wait()`` or ``await view``) keeps
receiving them, and so does a headless run (nbclient) that records that cell's outputs.
Paints are rate-limited with `latest` (the first at once, then one per interval, never
dropping the last), serialised by a lock, and `Painter.finish` paints the final state
last: no paint from a timer thread can land after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from reactivex import abc
from reactivex.subject import Subject

from ..operators import latest
from ._deps import require

__all__ = ["Bundle", "Painter"]

Bundle = dict[str, str]
"""A MIME bundle: ``{"text/plain": …, "text/html": …}``."""

_log = logging.getLogger("anthropic_rx")


def _kernel_shell() -> Any:
    """The running IPython shell if it talks to a Jupyter kernel (a notebook), else None."""
    ipython: Any = require("IPython", "anthropic_rx.notebook's live views")
    shell = ipython.get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


class Painter:
    """Shows what *render* returns in the notebook and repaints it when told of changes.

    Nothing is shown until `show`; before that, `changed` costs nothing.
    """

    def __init__(self, render: Callable[[], Bundle], interval: float) -> None:
        self._render = render
        self._interval = interval
        self._lock = threading.RLock()
        self._handle: Any = None  # IPython's DisplayHandle, once shown in a kernel
        self._shown_at: int | None = None  # the execution count of the cell that showed it
        self._final = False
        self._ticks: Subject[None] = Subject()
        self._throttle: abc.DisposableBase | None = None

    def show(self, *, auto: bool = False) -> None:
        """Show the current rendering as a new output that keeps updating.

        ``auto`` is for a helper showing its own result: it shows nothing outside a kernel.
        Asked again in the same cell (the cell's value displayed after the helper showed
        it), it adds nothing, so ``live(stream)`` as a cell's last line shows one view.
        """
        display: Any = require("IPython.display", "anthropic_rx.notebook's live views")
        shell = _kernel_shell()
        if shell is None:
            if not auto:  # IPython in a terminal, or a script: show what there is, once
                display.display(self._render(), raw=True)
            return
        with self._lock:
            count = int(shell.execution_count)
            if self._handle is not None and self._shown_at == count:
                return
            bundle = self._render()
            if self._handle is None:
                self._handle = display.display(bundle, raw=True, display_id=True)
            else:
                display.display(bundle, raw=True, display_id=self._handle.display_id)
            self._shown_at = count
            if self._throttle is None and not self._final:
                self._throttle = self._ticks.pipe(latest(self._interval)).subscribe(
                    lambda _: self.paint(), self._log_error
                )

    def changed(self) -> None:
        """Note that the state changed: a repaint follows within one interval."""
        if self._throttle is not None:
            self._ticks.on_next(None)

    def paint(self, *, final: bool = False) -> None:
        """Repaint every shown output now; after a ``final`` paint, nothing repaints."""
        with self._lock:
            if self._final:
                return
            if final:
                self._final = True
                if self._throttle is not None:
                    self._throttle.dispose()
            if self._handle is None:
                return
            try:
                self._handle.update(self._render(), raw=True)
            except Exception:  # a broken view must not break the stream that feeds it
                _log.exception("anthropic_rx.notebook: could not update a view")

    def finish(self) -> None:
        """Paint the final state; later changes are not painted."""
        self.paint(final=True)

    @staticmethod
    def _log_error(error: Exception) -> None:
        _log.error("anthropic_rx.notebook: a view stopped updating", exc_info=error)
