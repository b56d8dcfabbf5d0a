"""What only `QtScheduler` does: the event loop, its thread checks, and its parent's life."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import TYPE_CHECKING

from anthropic_rx.schedulers import QtScheduler

from ..gui_support import DEADLINE
from .helpers import flush_qt_deletes, post_from_two_workers

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def test_exec_runs_work_posted_from_workers_before_it_started(qt_app: QApplication) -> None:
    from PySide6.QtCore import QTimer

    sched = QtScheduler()
    ran = post_from_two_workers(sched, 202, qt_app.quit)
    watchdog = QTimer()
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(qt_app.quit)
    watchdog.start(int(DEADLINE * 1000))
    try:
        qt_app.exec()
    finally:
        watchdog.stop()
        sched.dispose()
        flush_qt_deletes()

    assert len(ran) == 202, "the watchdog stopped the loop first"
    assert all(on_gui for _, on_gui in ran)


def test_destroying_its_parent_disposes_the_scheduler(qt_app: QApplication) -> None:
    from PySide6.QtCore import QObject

    parent = QObject()
    sched = QtScheduler(parent)
    ran: list[str] = []
    worker = threading.Thread(target=lambda: sched.call_soon(ran.append, "dropped"))
    worker.start()
    worker.join()
    parent.deleteLater()
    flush_qt_deletes()
    assert sched.is_disposed
    worker = threading.Thread(target=lambda: sched.call_soon(ran.append, "dropped too"))
    worker.start()
    worker.join()
    qt_app.processEvents()
    assert ran == []


def test_it_must_be_made_on_the_gui_thread(qt_app: QApplication) -> None:
    errors: list[BaseException] = []

    def make() -> None:
        try:
            QtScheduler()
        except RuntimeError as exc:
            errors.append(exc)

    worker = threading.Thread(target=make)
    worker.start()
    worker.join()
    assert len(errors) == 1
    assert "GUI thread" in str(errors[0])


def test_it_needs_an_application_first() -> None:
    code = (
        "from anthropic_rx.schedulers import QtScheduler\n"
        "try:\n"
        "    QtScheduler()\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=DEADLINE, check=True
    )
    assert "needs a QApplication" in out.stdout
