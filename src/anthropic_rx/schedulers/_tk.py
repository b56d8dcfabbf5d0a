"""`TkScheduler`: deliver work on the Tk main thread, posted from any thread.

No worker ever calls Tk. On Unix the wake-up is one byte written to a pipe that the Tcl
event loop watches (``createfilehandler``): ``os.write`` is safe from any thread, needs no
threaded Tcl and no running ``mainloop`` (the byte waits in the pipe until the loop runs),
and costs nothing while idle. Where Tcl cannot watch a pipe (Windows), the scheduler polls
its queue with ``after`` every *poll_interval* seconds instead, for as long as it lives.
"""

from __future__ import annotations

import contextlib
import os
import sys
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Literal, final

from ._base import GuiScheduler, milliseconds

if TYPE_CHECKING:
    import tkinter

__all__ = ["TkScheduler"]

Wakeup = Literal["auto", "pipe", "poll"]


@final
class TkScheduler(GuiScheduler):
    """A reactivex scheduler running its work on the Tk main thread; post from any thread.

    Make it on the thread that runs Tk (the one that made the ``tkinter.Tk()``), before or
    after ``mainloop()`` starts. Everything else, `schedule`, `schedule_relative`,
    `schedule_absolute`, `schedule_periodic` and `dispose`, is safe from any thread: work
    posted from a worker is queued and runs on the Tk thread in order, once the event loop
    turns. Timed work uses ``after``. When *widget* is destroyed the scheduler disposes
    itself, dropping what is still queued (through a ``<Destroy>`` binding added with
    ``add="+"``: a later ``widget.bind("<Destroy>", f)`` without ``add`` replaces it, and then
    call `dispose` yourself). The scheduler holds *widget* weakly: keep your own reference.

    The constructor's arguments: ``help(TkScheduler.__init__)``.

    Example:
        >>> root = tkinter.Tk()
        >>> sched = TkScheduler(root)
        >>> stream.pipe(coalesce_text(scheduler=sched), on_gui(sched)).subscribe(append)
        >>> root.mainloop()
    """

    def __init__(
        self, widget: tkinter.Misc, /, *, wakeup: Wakeup = "auto", poll_interval: float = 0.01
    ) -> None:
        """Make a scheduler for *widget*'s Tk interpreter, on the thread that runs Tk.

        Args:
            widget: the ``tkinter.Tk`` root, or any widget of it.
            wakeup: how a worker wakes the Tk thread. ``"pipe"``: a pipe watched by the Tcl
                event loop (Unix; no cost while idle). ``"poll"``: an ``after`` timer checking
                the queue every *poll_interval* seconds while the scheduler lives. ``"auto"``
                (default): ``"pipe"`` where Tcl supports it, else ``"poll"``.
            poll_interval: the period of ``"poll"``, in seconds (default 0.01).

        Raises:
            ValueError: *wakeup* is not one of the three, or is ``"pipe"`` where Tcl cannot
                watch a pipe; or *poll_interval* is not positive.

        Example:
            >>> sched = TkScheduler(root)  # root = tkinter.Tk(), on this thread
        """
        import tkinter

        if wakeup not in ("auto", "pipe", "poll"):
            raise ValueError(f'expected wakeup="auto", "pipe" or "poll", got {wakeup!r}')
        can_pipe = os.name == "posix" and hasattr(widget.tk, "createfilehandler")
        if wakeup == "auto":
            wakeup = "pipe" if can_pipe else "poll"
        if wakeup == "pipe" and not can_pipe:
            raise ValueError(
                f'wakeup="pipe" needs Tcl file handlers, which {sys.platform} lacks; '
                'use wakeup="poll"'
            )
        if not poll_interval > 0:
            raise ValueError(f"expected a positive poll_interval, got {poll_interval!r}")
        super().__init__()
        self._tkinter = tkinter
        # Only a weak reference: a Tk interpreter must be freed on its own thread, and a
        # worker may hold the last reference to this scheduler (research: Tcl aborts with
        # "Tcl_AsyncDelete: async handler deleted by the wrong thread").
        self._widget_ref = weakref.ref(widget)
        self._mode: Literal["pipe", "poll"] = wakeup
        self._poll_ms = max(1, milliseconds(poll_interval))
        self._poll_id: str | None = None
        self._read_fd = self._write_fd = -1

        me: weakref.ref[TkScheduler] = weakref.ref(self)  # Tk's callbacks must not keep us alive

        if wakeup == "pipe":
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)

            def readable(fd: int, mask: int) -> None:
                scheduler = me()
                if scheduler is not None:
                    scheduler._on_readable()

            widget.tk.createfilehandler(self._read_fd, tkinter.READABLE, readable)
        else:
            self._poll_id = widget.after(self._poll_ms, self._poller(me))

        path = str(widget)

        def destroyed(event: tkinter.Event[tkinter.Misc]) -> None:
            scheduler = me()
            # Bindings on a root also see the <Destroy> of every child: only ours counts.
            if scheduler is not None and str(event.widget) == path:
                scheduler.dispose()

        # Never unbound: before Python 3.13, unbind(seq, funcid) drops the user's bindings
        # too. The handler holds only a weak reference, and dies with the widget.
        widget.bind("<Destroy>", destroyed, add="+")

    @property
    def wakeup(self) -> Literal["pipe", "poll"]:
        """How workers wake the Tk thread: ``"pipe"`` or ``"poll"`` (see the constructor)."""
        return self._mode

    def _on_readable(self) -> None:
        """Tcl saw a wake-up byte in the pipe: empty it and run the queue (Tk thread)."""
        with contextlib.suppress(OSError), self._lock:
            while self._read_fd >= 0 and os.read(self._read_fd, 4096):
                pass
        self._drain()

    def _poller(self, me: weakref.ref[TkScheduler]) -> Callable[[], None]:
        def poll() -> None:
            scheduler = me()
            if scheduler is None:
                return
            # The next poll is armed first: an action that turns the event loop (a modal
            # dialog) must not stop the polling while it runs. Closing cancels it.
            widget = scheduler._widget_ref()
            if not scheduler._closed and widget is not None:
                scheduler._poll_id = widget.after(scheduler._poll_ms, poll)
            with scheduler._lock:
                busy = bool(scheduler._queue) or scheduler._awake
            if busy or scheduler.is_disposed:
                scheduler._drain()  # once disposed, this releases the Tk resources

        return poll

    def _wake(self) -> None:
        if self._write_fd >= 0:
            with contextlib.suppress(BlockingIOError):  # a full pipe will wake it anyway
                os.write(self._write_fd, b"\0")
        # "poll" mode: the poller sees the queue at its next tick.

    def _arm(self, seconds: float, callback: Callable[[], None]) -> object:
        widget = self._widget_ref()
        if widget is None:
            raise RuntimeError("the Tk widget of this TkScheduler is gone")
        return widget.after(milliseconds(seconds), callback)

    def _disarm_handle(self, handle: object) -> None:
        widget = self._widget_ref()
        if widget is not None:
            with contextlib.suppress(self._tkinter.TclError):
                widget.after_cancel(str(handle))

    def _report(self, exc: Exception) -> None:
        # The root's report_callback_exception is what Tk calls for its own callbacks, and
        # what applications override to show errors.
        report: Callable[[type[BaseException], BaseException, TracebackType | None], object]
        report = sys.excepthook
        widget = self._widget_ref()
        with contextlib.suppress(Exception):
            if widget is not None:
                report = widget.nametowidget(".").report_callback_exception
        report(type(exc), exc, exc.__traceback__)

    def _close(self) -> None:
        widget = self._widget_ref()
        if widget is not None:
            with contextlib.suppress(self._tkinter.TclError):
                if self._poll_id is not None:
                    widget.after_cancel(self._poll_id)
                if self._read_fd >= 0:
                    widget.tk.deletefilehandler(self._read_fd)
        self._poll_id = None
        if self._read_fd >= 0:
            with self._lock:  # a worker writes under this lock: never to a reused fd
                os.close(self._read_fd)
                os.close(self._write_fd)
                self._read_fd = self._write_fd = -1


TkScheduler.__module__ = "anthropic_rx.schedulers"
