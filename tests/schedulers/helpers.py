"""The harness the GUI tests share: one toolkit's scheduler, its thread and its loop pump."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from anthropic_rx.schedulers import GuiScheduler


def flush_qt_deletes() -> None:
    """Run Qt's pending ``deleteLater`` (a bare processEvents does not)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@dataclass
class Gui:
    """One toolkit under test: its scheduler, its thread, and a way to turn its loop."""

    name: str
    scheduler: GuiScheduler
    pump: Callable[[Callable[[], bool]], None]
    make: Callable[..., GuiScheduler]  # another scheduler on the same GUI
    reported: list[BaseException] = field(default_factory=list[BaseException])
    thread: int = field(default_factory=threading.get_ident)

    def report(
        self, _type: type[BaseException], exc: BaseException, _tb: TracebackType | None
    ) -> None:
        """Stand in for the toolkit's exception reporter: record what it was given."""
        self.reported.append(exc)

    def settle(self) -> None:
        """Let everything already posted run: post a marker and wait for it."""
        done = threading.Event()
        self.scheduler.call_soon(done.set)
        self.pump(done.is_set)

    def on_gui_thread(self) -> bool:
        return threading.get_ident() == self.thread
