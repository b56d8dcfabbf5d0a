"""The Tk chat window (examples/tk_chat.py), driven under Xvfb like a user would."""

from __future__ import annotations

import shutil
import tkinter as tk
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import anthropic_rx as arx

from . import chat_checks as checks

if shutil.which("Xvfb") is None:
    pytest.skip(
        "the Tk window tests need Xvfb (Debian package xvfb; .ci/system-deps installs it)",
        allow_module_level=True,
    )

import tk_chat  # from examples/, which conftest.py puts on sys.path

from ..gui_support import pump_tk_until


class TkDriver:
    """Works a `TkChat` as a user would, pumping Tk's event loop on this (the Tk) thread."""

    def __init__(self, root: tk.Misc) -> None:
        self.root = root

    def make(self, client: arx.Client, request_options: dict[str, Any], tools: Any = None) -> Any:
        return tk_chat.TkChat(
            self.root, client, "claude-emulated", request_options=request_options, tools=tools
        )

    def pump_until(self, condition: Callable[[], bool]) -> None:
        pump_tk_until(self.root, condition, timeout=checks.WAIT)

    def type_prompt(self, app: Any, text: str) -> None:
        app.prompt.delete(0, "end")
        app.prompt.insert(0, text)

    def set_use_tool(self, app: Any, on: bool) -> None:
        if app.use_tool.get() != on:
            app.tool_check.invoke()

    def click_send(self, app: Any) -> None:
        app.send_button.invoke()

    def click_stop(self, app: Any) -> None:
        app.stop_button.invoke()

    def buttons(self, app: Any) -> tuple[bool, bool]:
        return (
            bool(app.send_button.instate(["!disabled"])),
            bool(app.stop_button.instate(["!disabled"])),
        )

    def approval_question(self, app: Any) -> str | None:
        dialog = app.approval_dialog
        if dialog is None:
            return None
        assert dialog.window.winfo_exists()
        return str(dialog.question.cget("text"))

    def answer_approval(self, app: Any, approve: bool) -> None:
        dialog = app.approval_dialog
        (dialog.run_button if approve else dialog.deny_button).invoke()
        assert not dialog.window.winfo_exists()


@pytest.fixture
def driver(tk_root: tk.Tk, client: arx.Client) -> Iterator[TkDriver]:
    # A window of the session's one Tk root (tests/conftest.py says why not a Tk per test).
    window = tk.Toplevel(tk_root)
    try:
        yield TkDriver(window)
    finally:
        window.destroy()  # the window's scheduler disposes itself; the client aborts the rest


class TestTkChat(checks.ChatWindowTests):
    """Every chat-window test (chat_checks.py), on the Tk window."""

    def close(self, app: Any) -> None:
        app.close()
        app.frame.destroy()
