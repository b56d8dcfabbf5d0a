"""`QtScheduler`: deliver work on the Qt GUI thread, posted from any thread.

reactivex's ``QtScheduler`` starts a ``QTimer`` in the calling thread, which from a worker
(a plain ``threading.Thread`` has no Qt event loop) never fires: the work is dropped without
a word (ReactiveX/RxPY#233, #551; research/reactive-anchors.md §1.7). Here a worker only
calls ``QCoreApplication.postEvent`` to a private ``QObject`` living on the GUI thread,
which Qt documents as thread-safe; the GUI thread then runs the queue. Timers are started
by that object on the GUI thread.

The binding is imported on first use, not with this module: the one the application
imported already, else PySide6. PySide6 is what the tests run; PyQt6 was checked by hand;
PySide2 and PyQt5 are picked up the same way but untested.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, final

from ._base import GuiScheduler, milliseconds

if TYPE_CHECKING:
    from PySide6 import QtCore

__all__ = ["QtScheduler"]

_BINDINGS = ("PySide6", "PyQt6", "PySide2", "PyQt5")
_receiver_classes: dict[str, type[Any]] = {}
_classes_lock = threading.Lock()


def _qtcore() -> ModuleType:
    """Return the QtCore module of the binding in use (the one already imported, else PySide6)."""
    for name in _BINDINGS:
        module = sys.modules.get(f"{name}.QtCore")
        if module is not None:
            return module
    try:
        from PySide6 import QtCore
    except ImportError as exc:
        raise ImportError(
            "QtScheduler needs a Qt binding: `pip install anthropic-rx[qt]` (PySide6)"
        ) from exc
    return QtCore


def _receiver_class(qtcore: ModuleType) -> type[_ReceiverLike]:
    """Make (once per binding) the QObject subclass that wakes and times on the GUI thread."""
    with _classes_lock:
        cls = _receiver_classes.get(qtcore.__name__)
        if cls is None:
            cls = _define_receiver(qtcore)
            _receiver_classes[qtcore.__name__] = cls
        return cls


class _ReceiverLike(Protocol):
    """The receiver's interface, for type checkers (the real class derives from QObject)."""

    def __init__(self, on_wake: Callable[[], None], parent: QtCore.QObject) -> None: ...
    def post_wake(self) -> None: ...
    def on_destroyed(self, callback: Callable[[], None]) -> None: ...
    def arm(self, msec: int, callback: Callable[[], None]) -> int: ...
    def disarm(self, timer_id: int) -> None: ...
    def disarm_all(self) -> None: ...
    def deleteLater(self) -> None: ...  # Qt's name


def _define_receiver(qt: ModuleType) -> type[_ReceiverLike]:
    if TYPE_CHECKING:
        from PySide6 import QtCore as core
    else:
        core = qt
    wake_type = core.QEvent.Type.User  # a private object: no other custom event reaches it
    precise = core.Qt.TimerType.PreciseTimer

    class Receiver(core.QObject):
        """Lives on the GUI thread: turns posted events into drains and timer ids into calls."""

        def __init__(self, on_wake: Callable[[], None], parent: QtCore.QObject) -> None:
            super().__init__(parent)  # owned by Qt: never deleted from a worker's GC
            self._on_wake = on_wake
            self._timers: dict[int, Callable[[], None]] = {}

        def on_destroyed(self, callback: Callable[[], None]) -> None:
            self.destroyed.connect(lambda *_: callback())  # pyright: ignore[reportUnknownLambdaType,reportUnknownArgumentType]

        def post_wake(self) -> None:  # any thread
            # postEvent is thread-safe and takes ownership of the event.
            core.QCoreApplication.postEvent(self, core.QEvent(wake_type))

        def customEvent(self, event: QtCore.QEvent) -> None:  # Qt's name
            if event.type() == wake_type:
                self._on_wake()

        def arm(self, msec: int, callback: Callable[[], None]) -> int:
            timer_id = self.startTimer(msec, precise)
            self._timers[timer_id] = callback
            return timer_id

        def disarm(self, timer_id: int) -> None:
            if self._timers.pop(timer_id, None) is not None:
                self.killTimer(timer_id)

        def disarm_all(self) -> None:
            for timer_id in list(self._timers):
                self.disarm(timer_id)

        def timerEvent(self, event: QtCore.QTimerEvent) -> None:  # Qt's name
            timer_id = int(event.timerId())
            callback = self._timers.pop(timer_id, None)
            if callback is None:
                return
            self.killTimer(timer_id)  # Qt timers repeat: ours are one-shot
            callback()

    return Receiver


@final
class QtScheduler(GuiScheduler):
    """A reactivex scheduler running its work on the Qt GUI thread; post from any thread.

    Make it on the GUI thread, once the ``QApplication`` (or ``QCoreApplication``) exists,
    before or after ``exec()`` starts. Everything else, `schedule`, `schedule_relative`,
    `schedule_absolute`, `schedule_periodic` and `dispose`, is safe from any thread
    (``threading.Thread`` workers included, not only ``QThread``): work is queued and runs on
    the GUI thread in order, once the event loop turns. Timed work uses Qt's precise timers.

    The constructor's arguments: ``help(QtScheduler.__init__)``.

    Example:
        >>> app = QApplication([])
        >>> window = ChatWindow()
        >>> sched = QtScheduler(window)
        >>> stream.pipe(coalesce_text(scheduler=sched), on_gui(sched)).subscribe(append)
        >>> app.exec()
    """

    def __init__(self, parent: QtCore.QObject | None = None, /) -> None:
        """Make a scheduler for the Qt GUI thread, on that thread, once the application exists.

        Args:
            parent: a ``QObject`` (a window, say) whose lifetime bounds the scheduler's: when it
                is destroyed, the scheduler disposes itself. Default: the application.

        Raises:
            RuntimeError: no ``QCoreApplication`` exists yet, or this is not the GUI thread.
            ImportError: no Qt binding is installed.

        Example:
            >>> sched = QtScheduler(window)  # after app = QApplication([]), on its thread
        """
        qtcore = _qtcore()
        if TYPE_CHECKING:
            core = QtCore
        else:
            core = qtcore
        app = core.QCoreApplication.instance()
        if app is None:
            raise RuntimeError("QtScheduler needs a QApplication: create it first")
        if core.QThread.currentThread() is not app.thread():
            raise RuntimeError(
                "make the QtScheduler on the GUI thread (the one that made the QApplication)"
            )
        super().__init__()
        self._gone = False  # the receiver's C++ object was destroyed
        me = weakref.ref(self)  # the receiver outlives us in Qt's tree: no strong reference

        def woken() -> None:
            scheduler = me()
            if scheduler is not None:
                scheduler._drain()

        def destroyed() -> None:
            scheduler = me()
            if scheduler is not None:
                scheduler._gone = True
                scheduler.dispose()

        receiver = _receiver_class(qtcore)(woken, parent if parent is not None else app)
        receiver.on_destroyed(destroyed)
        self._receiver = receiver

    def _wake(self) -> None:
        if not self._gone:
            self._receiver.post_wake()

    def _arm(self, seconds: float, callback: Callable[[], None]) -> object:
        return self._receiver.arm(milliseconds(seconds), callback)

    def _disarm_handle(self, handle: object) -> None:
        if not self._gone and isinstance(handle, int):
            self._receiver.disarm(handle)

    def _report(self, exc: Exception) -> None:
        # What PySide6 and PyQt do with an exception escaping a slot.
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def _close(self) -> None:
        if not self._gone:
            self._gone = True
            self._receiver.disarm_all()
            self._receiver.deleteLater()


QtScheduler.__module__ = "anthropic_rx.schedulers"
