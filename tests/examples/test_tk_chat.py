"""The Tk chat window (examples/tk_chat.py), driven under Xvfb like a user would."""

from __future__ import annotations

import shutil
import tkinter as tk
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator

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

    def make(self, client: arx.Client, request_options: dict[str, Any]) -> Any:
        return tk_chat.TkChat(self.root, client, "claude-emulated", request_options=request_options)

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


@pytest.fixture
def driver(tk_root: tk.Tk, client: arx.Client) -> Iterator[TkDriver]:
    # A window of the session's one Tk root (tests/conftest.py says why not a Tk per test).
    window = tk.Toplevel(tk_root)
    try:
        yield TkDriver(window)
    finally:
        window.destroy()  # the window's scheduler disposes itself; the client aborts the rest


def test_the_reply_streams_in_and_equals_the_final_text(
    driver: TkDriver, client: arx.Client
) -> None:
    checks.check_reply_streams_in_and_equals_the_final_text(driver, client)


def test_the_tool_input_forms_live_and_ends_as_the_final_input(
    driver: TkDriver, client: arx.Client
) -> None:
    checks.check_tool_input_forms_live_and_ends_as_the_final_input(driver, client)


def test_stop_closes_the_connection(driver: TkDriver, client: arx.Client, emu: Emulator) -> None:
    checks.check_stop_closes_the_connection(driver, client, emu)


def test_an_error_mid_stream_is_shown_in_the_window(driver: TkDriver, client: arx.Client) -> None:
    checks.check_an_error_mid_stream_is_shown_in_the_window(driver, client)


def test_the_next_prompt_carries_the_conversation(
    driver: TkDriver, client: arx.Client, emu: Emulator
) -> None:
    checks.check_the_next_prompt_carries_the_conversation(driver, client, emu)


def test_closing_the_window_mid_stream_closes_the_connection(
    driver: TkDriver, client: arx.Client, emu: Emulator
) -> None:
    def close(app: Any) -> None:
        app.close()
        app.frame.destroy()

    checks.check_closing_the_window_mid_stream_closes_the_connection(driver, client, emu, close)
