"""The checks both chat windows must pass, written once against a toolkit `Driver`.

A driver builds the window and works it as a user would (type, tick, click) and pumps the
toolkit's event loop; every wait pumps until a condition holds, with a deadline, and
never sleeps on a guess. The test thread is the GUI thread, so "every callback ran on the
GUI thread" means: on this thread.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.events import Message, StreamEvent, ToolUseBlock
from anthropic_rx.operators import final_message, final_text

WAIT = 20.0  # seconds: a bound on every wait (a loaded 2-core machine), never a sleep
PACE = 300  # emulator tokens per second: a reply spans many frames, yet takes well under 1 s


class ChatApp(Protocol):
    """What the tests read from a window (both `TkChat` and `QtChat` have it)."""

    session: Any
    scheduler: Any

    def shown_reply(self) -> str: ...
    def shown_tool_input(self) -> str: ...
    def shown_status(self) -> str: ...
    def shown_error(self) -> str: ...


class Driver(Protocol):
    """Builds a window and works it like a user, for one toolkit."""

    def make(self, client: arx.Client, request_options: dict[str, Any]) -> ChatApp: ...
    def pump_until(self, condition: Callable[[], bool]) -> None:
        """Run the GUI's event loop until *condition* holds; fail the test after a deadline."""
        ...

    def type_prompt(self, app: ChatApp, text: str) -> None: ...
    def set_use_tool(self, app: ChatApp, on: bool) -> None: ...
    def click_send(self, app: ChatApp) -> None: ...
    def click_stop(self, app: ChatApp) -> None: ...
    def buttons(self, app: ChatApp) -> tuple[bool, bool]:
        """Whether (Send, Stop) are enabled."""
        ...


def emulator_headers(scenario: str | None = None, **options: Any) -> dict[str, Any]:
    """Request options choosing the emulator's pace, scenario and options, in a fresh conversation."""
    headers = {
        "x-emulator-pace": str(PACE),
        "x-emulator-options": json.dumps(options),
        "x-emulator-key": uuid.uuid4().hex,
    }
    if scenario is not None:
        headers["x-emulator-scenario"] = scenario
    return {"extra_headers": headers}


def record(app: ChatApp, method: str) -> list[Any]:
    """Record the arguments of each call the session makes to the window's *method*."""
    calls: list[Any] = []
    original = getattr(app, method)

    def recorder(argument: Any) -> None:
        calls.append(argument)
        original(argument)

    setattr(app, method, recorder)
    return calls


def ask(driver: Driver, app: ChatApp, prompt: str, *, use_tool: bool = False) -> arx.MessageStream:
    """Type *prompt*, tick or untick "use a tool", press Send; return the new request's stream."""
    before = app.session.stream
    driver.type_prompt(app, prompt)
    driver.set_use_tool(app, use_tool)
    driver.click_send(app)
    stream = app.session.stream
    assert stream is not None and stream is not before, "Send did not start a request"
    assert driver.buttons(app) == (False, True)  # Stop enabled while it streams
    return stream


def wait_done(driver: Driver, app: ChatApp) -> None:
    driver.pump_until(lambda: not app.session.busy)
    assert driver.buttons(app) == (True, False)


def assert_callbacks_on_gui_thread(app: ChatApp) -> None:
    threads = app.session.callback_threads
    assert threads, "no callback ran"
    assert set(threads) == {threading.get_ident()}, threads
    assert app.scheduler.in_gui_thread()


# -- the checks ------------------------------------------------------------------------------


def check_reply_streams_in_and_equals_the_final_text(driver: Driver, client: arx.Client) -> None:
    app = driver.make(client, emulator_headers(tokens=80))
    pieces = record(app, "reply_text")
    stream = ask(driver, app, "Tell me about pelicans")
    wait_done(driver, app)

    expected = stream.pipe(final_text()).run()  # the same request, replayed
    assert app.shown_reply() == expected
    assert "".join(pieces) == expected
    assert len(pieces) >= 2  # it streamed: the first delta at once, the rest in later frames
    assert app.shown_status().startswith("Done · end_turn · ")
    assert app.shown_error() == ""
    assert app.shown_tool_input() == ""
    assert_callbacks_on_gui_thread(app)


def check_tool_input_forms_live_and_ends_as_the_final_input(
    driver: Driver, client: arx.Client
) -> None:
    app = driver.make(client, emulator_headers())
    panes = record(app, "tool_inputs_changed")
    stream = ask(driver, app, "What's the weather in Paris?", use_tool=True)
    wait_done(driver, app)

    message: Message = stream.pipe(final_message()).run()
    (call,) = [b for b in message.content if isinstance(b, ToolUseBlock)]
    assert call.name == "get_weather" and call.input
    shown = app.shown_tool_input()
    assert shown == f"get_weather · complete\n{json.dumps(call.input, indent=2)}"
    assert any(p.startswith("get_weather · streaming…") for p in panes)  # seen while forming
    assert app.shown_reply() == stream.pipe(final_text()).run()  # the text before the call
    assert app.shown_status().startswith("Done · tool_use · ")
    assert_callbacks_on_gui_thread(app)


def check_stop_closes_the_connection(driver: Driver, client: arx.Client, emu: Emulator) -> None:
    app = driver.make(client, emulator_headers("F08", after=5))
    stream = ask(driver, app, "Tell me about pelicans")
    received: list[StreamEvent] = []
    stream.subscribe(received.append, lambda _: None)  # one more view of the request
    assert emu.wait_stalled(timeout=WAIT)
    (request,) = emu.stats.requests()
    # Everything the server wrote has arrived and is shown: nothing more comes until Stop.
    driver.pump_until(
        lambda: (
            len(received) == request.events_sent
            and stream.snapshot is not None
            and app.shown_reply() == stream.snapshot.text != ""
        )
    )
    assert emu.stats.connections_open == 1

    driver.click_stop(app)
    assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
    assert emu.stats.connections_closed == 1
    assert emu.stats.wait_for(lambda s: s.requests()[0].outcome == "disconnected", WAIT)
    wait_done(driver, app)
    assert isinstance(stream.error, arx.StreamAbortedError)
    assert app.shown_status().startswith("Stopped · connection closed")
    assert app.shown_error() == ""
    assert stream.snapshot is not None
    assert app.shown_reply() == stream.snapshot.text  # what had arrived stays on screen
    assert app.session.history == []  # a stopped exchange is not sent again
    assert_callbacks_on_gui_thread(app)


def check_an_error_mid_stream_is_shown_in_the_window(driver: Driver, client: arx.Client) -> None:
    app = driver.make(client, emulator_headers("F03", after=3))
    stream = ask(driver, app, "Tell me about pelicans")
    wait_done(driver, app)

    error = stream.error
    assert isinstance(error, arx.OverloadedError)
    assert app.shown_error().startswith(f"OverloadedError: {error}")
    assert app.shown_status() == "Failed"
    assert error.snapshot is not None
    assert app.shown_reply() == error.snapshot.text != ""  # the text before the error stays
    assert_callbacks_on_gui_thread(app)


def check_the_next_prompt_carries_the_conversation(
    driver: Driver, client: arx.Client, emu: Emulator
) -> None:
    app = driver.make(client, emulator_headers())
    first = ask(driver, app, "Tell me about pelicans")
    wait_done(driver, app)
    ask(driver, app, "And about gulls?")
    wait_done(driver, app)

    body = json.loads(emu.stats.requests()[1].body)
    assert body["messages"] == [
        {"role": "user", "content": "Tell me about pelicans"},
        {"role": "assistant", "content": first.pipe(final_text()).run()},
        {"role": "user", "content": "And about gulls?"},
    ]
    assert_callbacks_on_gui_thread(app)


def check_closing_the_window_mid_stream_closes_the_connection(
    driver: Driver, client: arx.Client, emu: Emulator, close: Callable[[ChatApp], None]
) -> None:
    app = driver.make(client, emulator_headers("F08", after=2))
    stream = ask(driver, app, "Tell me about pelicans")
    assert emu.wait_stalled(timeout=WAIT)
    callbacks = sum(app.session.callback_threads.values())

    close(app)
    assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
    assert isinstance(stream.error, arx.StreamAbortedError)
    turns = iter(range(5))
    driver.pump_until(lambda: next(turns, None) is None)  # what was queued is dropped, not shown
    assert sum(app.session.callback_threads.values()) == callbacks
