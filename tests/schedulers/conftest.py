"""GUI fixtures: Tk on a private Xvfb display, Qt on its offscreen platform, one harness for both.

`gui` runs a test three times: on Tk with the pipe wake-up, on Tk polling, and on Qt. Each
gives a fresh scheduler, a pump that turns the event loop until a condition holds (bounded
by a deadline, never a sleep), and the exceptions the toolkit was asked to report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from anthropic_rx.schedulers import GuiScheduler, QtScheduler, TkScheduler

from ..gui_support import pump_qt_until, pump_tk_until
from .helpers import Gui, flush_qt_deletes

if TYPE_CHECKING:
    import tkinter

    from PySide6.QtWidgets import QApplication

# Before PySide6 is imported anywhere: no display server needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def qt_app() -> QApplication:
    """The process's one QApplication (Qt allows no second one)."""
    pytest.importorskip("PySide6", reason="PySide6 is not installed (pip install anthropic-rx[qt])")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return app if isinstance(app, QApplication) else QApplication([])


@pytest.fixture(params=["tk-pipe", "tk-poll", "qt"])
def gui(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Generator[Gui]:
    """Each toolkit in turn, with a fresh scheduler disposed after the test."""
    kind: str = request.param
    made: list[GuiScheduler] = []
    if kind.startswith("tk"):
        root: tkinter.Tk = request.getfixturevalue("tk_root")
        wakeup: Any = kind.removeprefix("tk-")

        def make_tk(**options: Any) -> GuiScheduler:
            made.append(TkScheduler(root, wakeup=wakeup, **options))
            return made[-1]

        harness = Gui(kind, make_tk(), lambda cond: pump_tk_until(root, cond), make_tk)
        monkeypatch.setattr(root, "report_callback_exception", harness.report)
    else:
        app: QApplication = request.getfixturevalue("qt_app")

        def make_qt(*args: Any) -> GuiScheduler:
            made.append(QtScheduler(*args))
            return made[-1]

        harness = Gui(kind, make_qt(), lambda cond: pump_qt_until(app, cond), make_qt)
        monkeypatch.setattr(sys, "excepthook", harness.report)
    yield harness
    for scheduler in made:
        scheduler.dispose()
    if kind == "qt":
        flush_qt_deletes()
