"""Helpers for GUI tests: a private X display (Xvfb) for Tk, and event-loop pumps with deadlines.

`xvfb_display()` starts ``Xvfb`` on a free display number (``-displayfd`` tells it), points
``DISPLAY`` at it and stops it afterwards. Qt needs none of this: set
``QT_QPA_PLATFORM=offscreen`` before importing it.

Keep one ``tkinter.Tk`` for the whole session (or ``gc.collect()`` on the main thread after
dropping each): a Tk root is cyclic garbage, and when the collector happens to free it on a
worker thread, Tcl aborts the process ("Tcl_AsyncDelete: async handler deleted by the wrong
thread").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import tkinter

    from PySide6.QtCore import QCoreApplication

__all__ = [
    "DEADLINE",
    "XvfbUnavailable",
    "pump_qt_until",
    "pump_tk_until",
    "xvfb_display",
    "xvfb_or_skip",
]

#: How long a GUI test waits for a condition before failing (generous: a loaded 2-core box).
DEADLINE = 20.0


class XvfbUnavailable(RuntimeError):
    """Xvfb is not installed, or did not start."""


@contextlib.contextmanager
def xvfb_display(*, timeout: float = DEADLINE) -> Generator[str]:
    """Run a private Xvfb server and set ``DISPLAY`` to it for the duration.

    Args:
        timeout: how long to wait for Xvfb to report its display number.

    Yields:
        The display name, like ``":3"``.

    Raises:
        XvfbUnavailable: ``Xvfb`` is not on PATH or did not start in time.

    Example:
        >>> with xvfb_display() as display:
        ...     root = tkinter.Tk()
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise XvfbUnavailable("Xvfb is not installed (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    # Xvfb runs under a small shell that kills it when its stdin (a pipe from us) closes: at
    # the end of the block, and also when this process dies without running it (a crash or
    # a kill), which would otherwise leave the server running forever.
    command = [xvfb, "-displayfd", str(write_fd), "-nolisten", "tcp", "-screen", "0", "1024x768x24"]
    process = subprocess.Popen(
        ["sh", "-c", _GUARD, "xvfb-guard", str(write_fd), *command],
        pass_fds=(write_fd,),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = _read_display_number(read_fd, timeout)
        display = f":{number}"
        previous = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = display
        try:
            yield display
        finally:
            if previous is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = previous
    finally:
        os.close(read_fd)
        assert process.stdin is not None
        process.stdin.close()  # the guard kills Xvfb and waits for it
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# $1 is the -displayfd descriptor, which the shell closes so that only Xvfb holds it (its
# exit then ends our read at once); the rest is the Xvfb command. A background command's
# stdin is /dev/null, so only `read` watches ours.
_GUARD = 'fd=$1; shift; "$@" & pid=$!; eval "exec $fd>&-"; read _; kill "$pid"; wait "$pid"'


def _read_display_number(fd: int, timeout: float) -> int:
    # Xvfb writes "N\n" to the -displayfd descriptor once it accepts connections.
    import selectors

    data = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise XvfbUnavailable(f"Xvfb did not report a display within {timeout} s")
            chunk = os.read(fd, 64)
            if not chunk:
                raise XvfbUnavailable("Xvfb exited before reporting a display")
            data += chunk
    return int(data)


def xvfb_or_skip() -> contextlib.AbstractContextManager[str]:
    """Return `xvfb_display()`, or skip the calling test when Xvfb is not installed."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (CI installs it via .ci/system-deps)")
    return xvfb_display()


def pump_tk_until(
    root: tkinter.Misc, condition: Callable[[], bool], *, timeout: float = DEADLINE
) -> None:
    """Run Tk's event loop until *condition()* holds; fail the test after *timeout* seconds.

    Each turn blocks until an event arrives; a 20 ms heartbeat bounds the wait, so the
    condition is checked at least that often however quiet the loop is.
    """
    deadline = time.monotonic() + timeout
    beat = [""]

    def heartbeat() -> None:
        beat[0] = root.after(20, heartbeat)

    heartbeat()
    try:
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"condition not met within {timeout} s")
            root.tk.dooneevent(0)
    finally:
        root.after_cancel(beat[0])


def pump_qt_until(
    app: QCoreApplication, condition: Callable[[], bool], *, timeout: float = DEADLINE
) -> None:
    """Run Qt's event loop until *condition()* holds; fail the test after *timeout* seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    heartbeat = QTimer()
    heartbeat.start(20)  # WaitForMoreEvents returns at least this often
    try:
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"condition not met within {timeout} s")
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        heartbeat.stop()
