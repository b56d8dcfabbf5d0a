"""The Qt chat window (examples/qt_chat.py), driven offscreen like a user would."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

from ..gui_support import pump_qt_until
from . import chat_checks as checks

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt loads: no display needed
pytest.importorskip("PySide6.QtWidgets", reason="the Qt window tests need the qt extra")

import qt_chat  # from examples/, which conftest.py puts on sys.path
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox


class QtDriver:
    """Works a `QtChat` as a user would, pumping Qt's event loop on this (the GUI) thread."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.windows: list[Any] = []

    def make(self, client: arx.Client, request_options: dict[str, Any], tools: Any = None) -> Any:
        window = qt_chat.QtChat(
            client, "claude-emulated", request_options=request_options, tools=tools
        )
        window.show()
        self.windows.append(window)
        return window

    def pump_until(self, condition: Callable[[], bool]) -> None:
        pump_qt_until(self.app, condition, timeout=checks.WAIT)

    def type_prompt(self, app: Any, text: str) -> None:
        app.prompt.setText(text)

    def set_use_tool(self, app: Any, on: bool) -> None:
        if app.tool_check.isChecked() != on:
            app.tool_check.click()

    def click_send(self, app: Any) -> None:
        app.send_button.click()  # does nothing while the button is disabled, as for a user

    def click_stop(self, app: Any) -> None:
        app.stop_button.click()

    def buttons(self, app: Any) -> tuple[bool, bool]:
        return app.send_button.isEnabled(), app.stop_button.isEnabled()

    def approval_question(self, app: Any) -> str | None:
        box = app.approval_dialog
        if box is None:
            return None
        assert box.isVisible() and box.isModal()
        return str(box.text())

    def answer_approval(self, app: Any, approve: bool) -> None:
        box = app.approval_dialog
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        box.button(yes if approve else no).click()
        assert not box.isVisible()


@pytest.fixture(scope="module")
def qapp() -> QApplication:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    return app


@pytest.fixture
def driver(qapp: QApplication, client: arx.Client) -> Iterator[QtDriver]:
    driver = QtDriver(qapp)
    yield driver
    for window in driver.windows:
        window.close()
        window.deleteLater()
    QTest.qWait(1)


class TestQtChat(checks.ChatWindowTests):
    """Every chat-window test (chat_checks.py), on the Qt window."""

    def close(self, app: Any) -> None:
        app.close()  # as the window manager's close button does: closeEvent aborts


def test_destroying_the_window_that_holds_the_chat_closes_the_connection(
    qapp: QApplication, client: arx.Client, emu: Emulator
) -> None:
    """Embedded in another window, the chat gets no closeEvent: its destruction must stop it."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QWidget

    outer = QWidget()
    driver = QtDriver(qapp)
    chat: Any = qt_chat.QtChat(
        client, "claude-emulated", outer, request_options=checks.emulator_headers("F08", after=2)
    )
    outer.show()
    conversation = checks.ask(driver, chat, "Tell me about pelicans")
    assert emu.wait_stalled(timeout=checks.WAIT)

    outer.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert chat.scheduler.is_disposed
    assert emu.stats.wait_for(lambda s: s.connections_open == 0, checks.WAIT)
    assert isinstance(conversation.error, arx.StreamAbortedError)
