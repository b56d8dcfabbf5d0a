"""A Qt chat window over the tool-use loop: replies stream, tools run and ask first, Stop aborts.

Needs PySide6 (``pip install anthropic-rx[qt]``). Run it::

    python examples/qt_chat.py                 # the built-in emulator, no key needed
    ANTHROPIC_API_KEY=sk-ant-… python examples/qt_chat.py   # the real API
    python examples/qt_chat.py --pace 5        # a slow emulator, to watch it stream (and Stop)
    python examples/qt_chat.py --scenario F03  # every answer fails mid-stream: see the error

Tick "use tools" and ask "What's the weather in Paris and Rome?": both lookups run at once,
the Tools pane shows each one running, then done with its duration and result, and the
answer streams after them. Ask "Delete the file drafts/old.txt": a dialog asks first; say
No and the model is told so.

Everything reactive is in `_chat_common.ChatSession`: one `Conversation` (the library's
tool-use loop) continued by each prompt, its views delivered on the Qt GUI thread by a
`QtScheduler`. This file only draws: `QtChat` is the window, and `main` runs it (or, with
``--screenshot PATH``, plays a canned conversation and saves a PNG of the window; with
``QT_QPA_PLATFORM=offscreen`` no display is needed).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from _chat_common import (
    ChatSession,
    endpoint,
    parse_arguments,
    play_script,
)
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

import anthropic_rx as arx
from anthropic_rx.conversations import Tool
from anthropic_rx.schedulers import QtScheduler

__all__ = ["QtChat", "main"]

_USER_COLOUR = "#1d4ed8"
_CLAUDE_COLOUR = "#b45309"
_ERROR_COLOUR = "#b91c1c"


def _label_format(colour: str) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class QtChat(QWidget):
    """A chat window: transcript, tool pane, prompt, Send and Stop, error area, status line.

    Made on the Qt GUI thread, after the ``QApplication``; it needs no ``exec()`` to be built,
    so tests drive it with ``QApplication.processEvents()``. The widgets are attributes, so
    tests can press buttons and read what is shown.

    Args:
        client: where requests go; the caller owns it and closes it.
        model: the model to ask.
        parent: the parent widget, if any.
        max_tokens: each turn's limit.
        request_options: more parameters of every request (see `ChatSession`).
        tools: the tools "use tools" offers (`_chat_common.demo_tools` by default).

    Attributes:
        approval_dialog: the open approval dialog (a window-modal `QMessageBox` with Yes
            and No), if any; it never blocks: its answer comes through a signal.

    Example:
        >>> app = QApplication([])
        >>> with arx.Client() as client:
        ...     chat = QtChat(client, "claude-sonnet-4-5")
        ...     chat.show()
        ...     app.exec()
    """

    def __init__(
        self,
        client: arx.Client,
        model: str,
        parent: QWidget | None = None,
        *,
        max_tokens: int = 1024,
        request_options: Mapping[str, Any] | None = None,
        tools: Sequence[Tool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.approval_dialog: QMessageBox | None = None
        # Bound to this window: destroying it (with the window that holds it, say, which
        # sends no closeEvent to an embedded widget) disposes the scheduler, and closes
        # the session (below), which aborts the conversation.
        self.scheduler = QtScheduler(self)
        self.session = ChatSession(
            client,
            model,
            self.scheduler,
            self,
            max_tokens=max_tokens,
            request_options=request_options,
            tools=tools,
        )
        # The conversation runs on its own (tools, approvals): end it with the window.
        self.destroyed.connect(self.session.close)
        self._reply_start = -1
        self._user_format = _label_format(_USER_COLOUR)
        self._claude_format = _label_format(_CLAUDE_COLOUR)
        self._build()
        self.busy_changed(False)
        self.status_changed(f"Ready · {model}")

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        conversation = QGroupBox("Conversation")
        self.transcript = QPlainTextEdit(readOnly=True)
        self.transcript.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        QVBoxLayout(conversation).addWidget(self.transcript)
        splitter.addWidget(conversation)

        tools = QGroupBox("Tools")
        self.tool_pane = QPlainTextEdit(readOnly=True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSize(max(self.font().pointSize() - 1, 8))
        self.tool_pane.setFont(mono)
        self.tool_pane.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        QVBoxLayout(tools).addWidget(self.tool_pane)
        splitter.addWidget(tools)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, stretch=1)

        self.error_label = QLabel(wordWrap=True)
        self.error_label.setStyleSheet(f"color: {_ERROR_COLOUR}; font-weight: bold;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        bar = QHBoxLayout()
        self.prompt = QLineEdit(placeholderText="Ask something…")
        self.prompt.returnPressed.connect(self._send_clicked)
        self.tool_check = QCheckBox("use tools")
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self._send_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.session.stop)
        bar.addWidget(self.prompt, stretch=1)
        bar.addWidget(self.tool_check)
        bar.addWidget(self.send_button)
        bar.addWidget(self.stop_button)
        layout.addLayout(bar)

        self.status = QLabel()
        self.status.setStyleSheet("color: #555555;")
        layout.addWidget(self.status)
        self.prompt.setFocus()

    def _send_clicked(self) -> None:
        if self.session.send(self.prompt.text(), use_tool=self.tool_check.isChecked()) is not None:
            self.prompt.clear()

    def close_session(self) -> None:
        """Abort any run and stop the scheduler; the window's close does it too."""
        self.session.close()
        self.approval_closed()
        self.scheduler.dispose()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Abort the reply (closing its connection) when the window closes."""
        self.close_session()
        super().closeEvent(event)

    # -- what is shown (for tests and the screenshot) ---------------------------------------

    def shown_reply(self) -> str:
        """The text of the last reply, as the transcript shows it."""
        if self._reply_start < 0:
            return ""
        cursor = QTextCursor(self.transcript.document())
        cursor.setPosition(self._reply_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")  # Qt's paragraph separator

    def shown_tool_input(self) -> str:
        """The tool pane's text."""
        return self.tool_pane.toPlainText()

    def shown_status(self) -> str:
        """The status line."""
        return self.status.text()

    def shown_error(self) -> str:
        """The error area's text ("" when there is no error)."""
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    # -- ChatView: called by the session, on the GUI thread ---------------------------------

    def _end_cursor(self) -> QTextCursor:
        cursor = QTextCursor(self.transcript.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def _scroll_to_end(self) -> None:
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    def reply_started(self, prompt: str) -> None:
        """Show the prompt, then an empty reply whose start position is kept."""
        cursor = self._end_cursor()
        plain = QTextCharFormat()
        if not self.transcript.document().isEmpty():
            cursor.insertText("\n\n", plain)
        cursor.insertText("You\n", self._user_format)
        cursor.insertText(prompt + "\n\n", plain)
        cursor.insertText("Claude\n", self._claude_format)
        cursor.setCharFormat(plain)
        self._reply_start = cursor.position()
        self._scroll_to_end()

    def reply_text(self, text: str) -> None:
        """Append a piece of the reply (one per frame at most)."""
        self._end_cursor().insertText(text, QTextCharFormat())
        self._scroll_to_end()

    def tool_inputs_changed(self, text: str) -> None:
        """Show the tool calls: input so far, status, duration, result."""
        self.tool_pane.setPlainText(text)

    def approval_requested(self, title: str, question: str, answer: Callable[[bool], None]) -> None:
        """Open a window-modal question (``open()``, not ``exec()``: nothing blocks)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def finished(result: int) -> None:
            if self.approval_dialog is box:
                self.approval_dialog = None
                answer(result == QMessageBox.StandardButton.Yes.value)

        box.finished.connect(finished)
        self.approval_dialog = box
        box.open()

    def approval_closed(self) -> None:
        """Take away the approval dialog (the run was stopped)."""
        box, self.approval_dialog = self.approval_dialog, None
        if box is not None:
            box.close()
            box.deleteLater()

    def status_changed(self, text: str) -> None:
        """Replace the status line."""
        self.status.setText(text)

    def error_changed(self, text: str) -> None:
        """Show an error ("" hides the area)."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def busy_changed(self, busy: bool) -> None:
        """Allow Stop while a reply streams, Send otherwise."""
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)


def _play_script(chat: QtChat, emulated: bool, path: str) -> None:
    """Play `SCREENSHOT_SCRIPT`, then save the window to *path* and quit."""

    def finish() -> None:
        chat.grab().save(path)
        chat.close()
        QApplication.quit()

    play_script(
        chat.session,
        emulated=emulated,
        later=lambda step: QTimer.singleShot(50, step),
        show_use_tool=chat.tool_check.setChecked,
        finish=finish,
    )


def main(argv: list[str] | None = None) -> int:
    """Open the window on the emulator (or the real API when a key is set) and run it."""
    args = parse_arguments("A Qt chat window over anthropic_rx.", argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    font = QApplication.font()
    font.setPointSize(max(font.pointSize(), 11))  # Qt's default 9 pt is small for reading
    QApplication.setFont(font)
    with endpoint(pace=args.pace, scenario=args.scenario) as ep:
        chat = QtChat(ep.client, args.model, max_tokens=args.max_tokens)
        chat.setWindowTitle(f"anthropic_rx · Qt chat · {ep.where}")
        chat.resize(900, 520)
        chat.show()
        if args.screenshot:
            _play_script(chat, ep.emulated, args.screenshot)
        try:
            return app.exec()
        finally:
            chat.close_session()


if __name__ == "__main__":
    sys.exit(main())
