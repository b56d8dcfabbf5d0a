"""The tests both chat windows must pass, written once against a toolkit `Driver`.

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

from _chat_common import DENIAL, demo_tools  # from examples/, which conftest.py puts on sys.path

import anthropic_rx as arx
from anthropic_rx.conversations import Conversation, Tool, TurnFinished
from anthropic_rx.emulator import Emulator
from anthropic_rx.events import Message, StreamEvent, TextBlock

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

    def make(
        self, client: arx.Client, request_options: dict[str, Any], tools: list[Tool] | None = None
    ) -> ChatApp: ...
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

    def approval_question(self, app: ChatApp) -> str | None:
        """The open approval dialog's question, or ``None`` when no dialog is open."""
        ...

    def answer_approval(self, app: ChatApp, approve: bool) -> None:
        """Press the dialog's Run (Yes) or Don't run (No) button."""
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


class Gate:
    """A tool latency the test controls: each call waits until `open` (never a sleep)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.waiting = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.waiting += 1
        assert self._event.wait(WAIT), "the test never opened the gate"

    def open(self) -> None:
        self._event.set()


def gated_tools() -> tuple[list[Tool], Gate]:
    gate = Gate()
    return demo_tools(latency=gate), gate


def record(app: ChatApp, method: str) -> list[Any]:
    """Record the arguments of each call the session makes to the window's *method*."""
    calls: list[Any] = []
    original = getattr(app, method)

    def recorder(argument: Any) -> None:
        calls.append(argument)
        original(argument)

    setattr(app, method, recorder)
    return calls


def ask(driver: Driver, app: ChatApp, prompt: str, *, use_tool: bool = False) -> Conversation:
    """Type *prompt*, tick or untick "use tools", press Send; return the conversation."""
    driver.type_prompt(app, prompt)
    driver.set_use_tool(app, use_tool)
    driver.click_send(app)
    conversation = app.session.conversation
    assert conversation is not None and app.session.busy, "Send did not start a run"
    assert driver.buttons(app) == (False, True)  # Stop enabled while it runs
    return conversation


def ask_to_delete_a_file(driver: Driver, client: arx.Client) -> tuple[ChatApp, Conversation]:
    """Ask for a call that needs approval; return once the window's dialog asks for it."""
    app = driver.make(client, emulator_headers(), demo_tools(latency=None))
    conversation = ask(driver, app, "Delete the file drafts/old.txt", use_tool=True)
    driver.pump_until(lambda: driver.approval_question(app) is not None)
    return app, conversation


def ask_for_a_reply_that_stalls(
    driver: Driver, client: arx.Client, after: int
) -> tuple[ChatApp, Conversation, arx.MessageStream]:
    """Ask for a reply that stops after *after* events, its connection left open (F08)."""
    app = driver.make(client, emulator_headers("F08", after=after))
    conversation = ask(driver, app, "Tell me about pelicans")
    return app, conversation, first_stream(conversation)


def wait_done(driver: Driver, app: ChatApp) -> None:
    driver.pump_until(lambda: not app.session.busy)
    assert driver.buttons(app) == (True, False)


def first_stream(conversation: Conversation) -> arx.MessageStream:
    """The first turn's stream (the conversation replays it)."""
    streams: list[arx.MessageStream] = []
    conversation.turns.subscribe(streams.append, lambda _: None).dispose()
    return streams[0]


def run_messages(conversation: Conversation, first_turn: int = 1) -> list[Message]:
    """The messages of the turns from *first_turn* on, as the conversation replays them."""
    events: list[Any] = []
    conversation.subscribe(events.append, lambda _: None).dispose()
    return [e.message for e in events if isinstance(e, TurnFinished) and e.turn >= first_turn]


def reply_of(messages: list[Message]) -> str:
    """The text the window shows for a run: each turn's text, a blank line between turns."""
    texts = ["".join(b.text for b in m.content if isinstance(b, TextBlock)) for m in messages]
    return "\n\n".join(t for t in texts if t)


def bodies(emu: Emulator) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in emu.stats.requests()]


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of a request's last user message."""
    content = body["messages"][-1]["content"]
    return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


def assert_callbacks_on_gui_thread(app: ChatApp) -> None:
    threads = app.session.callback_threads
    assert threads, "no callback ran"
    assert set(threads) == {threading.get_ident()}, threads
    assert app.scheduler.in_gui_thread()


# -- the tests --------------------------------------------------------------------------------


class ChatWindowTests:
    """The tests both chat windows pass, written once.

    A toolkit's test module subclasses this (``class TestTkChat(ChatWindowTests)``) beside
    its ``driver`` fixture, and says how a user closes its window.
    """

    def close(self, app: ChatApp) -> None:
        """Close *app*'s window as a user does (the window manager's close button)."""
        raise NotImplementedError

    def test_the_reply_streams_in_and_equals_the_final_text(
        self, driver: Driver, client: arx.Client
    ) -> None:
        app = driver.make(client, emulator_headers(tokens=80))
        pieces = record(app, "reply_text")
        conversation = ask(driver, app, "Tell me about pelicans")
        wait_done(driver, app)

        (message,) = run_messages(conversation)
        expected = reply_of([message])
        assert expected and app.shown_reply() == expected
        assert "".join(pieces) == expected
        assert len(pieces) >= 2  # it streamed: the first delta at once, the rest in later frames
        assert app.shown_status().startswith("Done · end_turn · ")
        assert app.shown_error() == ""
        assert app.shown_tool_input() == ""
        assert_callbacks_on_gui_thread(app)

    def test_parallel_tools_show_their_status_and_the_answer_follows(
        self, driver: Driver, client: arx.Client, emu: Emulator
    ) -> None:
        tools, gate = gated_tools()
        app = driver.make(client, emulator_headers(), tools)
        panes = record(app, "tool_inputs_changed")
        conversation = ask(driver, app, "What's the weather in Paris and in Rome?", use_tool=True)

        # Both calls run at once: both wait at the gate, and the pane says so.
        driver.pump_until(
            lambda: gate.waiting == 2 and app.shown_tool_input().count("running…") == 2
        )
        assert app.session.busy and driver.buttons(app) == (False, True)
        assert any("get_weather · streaming…" in p for p in panes)  # the input was seen forming
        gate.open()
        wait_done(driver, app)

        first, second = run_messages(conversation)
        assert first.stop_reason == "tool_use" and second.stop_reason == "end_turn"
        shown = app.shown_tool_input()
        assert shown.count("get_weather · done · ") == 2, shown
        assert "→ Paris: light rain, 14 °C" in shown
        assert "→ Rome: sunny, 22 °C" in shown
        assert app.shown_reply() == reply_of([first, second])  # turn 1's words, then the answer
        assert "Paris: light rain" in app.shown_reply()  # the answer uses the results
        assert app.shown_status().startswith("Done · end_turn · 2 turns · 2 tool calls · ")
        (results,) = [tool_results(b) for b in bodies(emu)[1:]]
        assert [r["content"].split(";")[0] for r in results] == [  # the model's order
            "Paris: light rain, 14 °C",
            "Rome: sunny, 22 °C",
        ]
        assert_callbacks_on_gui_thread(app)

    def test_an_approved_call_runs(self, driver: Driver, client: arx.Client, emu: Emulator) -> None:
        app, conversation = ask_to_delete_a_file(driver, client)
        question = driver.approval_question(app)
        assert question is not None and "delete_file" in question
        assert "delete_file · waiting for approval" in app.shown_tool_input()
        assert emu.stats.wait_for(lambda s: len(s.requests()) == 1, WAIT)  # nothing runs meanwhile

        driver.answer_approval(app, True)
        wait_done(driver, app)
        assert driver.approval_question(app) is None
        (result,) = tool_results(bodies(emu)[1])
        assert "is_error" not in result and str(result["content"]).startswith("Deleted ")
        assert "delete_file · done · " in app.shown_tool_input()
        assert app.shown_reply() == reply_of(run_messages(conversation))
        assert app.shown_status().startswith("Done · end_turn · 2 turns · 1 tool calls · ")
        assert_callbacks_on_gui_thread(app)

    def test_a_denied_call_is_told_to_the_model(
        self, driver: Driver, client: arx.Client, emu: Emulator
    ) -> None:
        app, conversation = ask_to_delete_a_file(driver, client)

        driver.answer_approval(app, False)
        wait_done(driver, app)
        (result,) = tool_results(bodies(emu)[1])  # the model's next turn saw the denial
        assert result["is_error"] is True and result["content"] == DENIAL
        assert "delete_file · denied" in app.shown_tool_input()
        reply = app.shown_reply()
        assert reply == reply_of(run_messages(conversation))
        assert DENIAL in reply  # the model's answer speaks of it
        assert app.shown_status().startswith("Done · end_turn · ")
        assert_callbacks_on_gui_thread(app)

    def test_stop_closes_the_connection(
        self, driver: Driver, client: arx.Client, emu: Emulator
    ) -> None:
        app, conversation, stream = ask_for_a_reply_that_stalls(driver, client, after=5)
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
        assert isinstance(conversation.error, arx.StreamAbortedError)
        assert app.shown_status().startswith("Stopped · connection closed")
        assert app.shown_error() == ""
        assert stream.snapshot is not None
        assert app.shown_reply() == stream.snapshot.text  # what had arrived stays on screen
        assert app.session.history == []  # a stopped exchange is not sent again
        assert_callbacks_on_gui_thread(app)

    def test_stop_while_a_dialog_asks_closes_it(
        self, driver: Driver, client: arx.Client, emu: Emulator
    ) -> None:
        app, conversation = ask_to_delete_a_file(driver, client)

        driver.click_stop(app)
        wait_done(driver, app)
        assert driver.approval_question(app) is None
        assert isinstance(conversation.error, arx.StreamAbortedError)
        assert app.shown_status().startswith("Stopped · connection closed")
        assert len(emu.stats.requests()) == 1  # the call never ran, nothing more was sent
        assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
        assert app.session.history == []

    def test_an_error_mid_stream_is_shown_in_the_window(
        self, driver: Driver, client: arx.Client
    ) -> None:
        app = driver.make(client, emulator_headers("F03", after=3))
        conversation = ask(driver, app, "Tell me about pelicans")
        wait_done(driver, app)

        error = conversation.error
        assert isinstance(error, arx.OverloadedError)
        assert app.shown_error().startswith(f"OverloadedError: {error}")
        assert app.shown_status() == "Failed"
        assert error.snapshot is not None
        assert app.shown_reply() == error.snapshot.text != ""  # the text before the error stays
        assert_callbacks_on_gui_thread(app)

    def test_the_next_prompt_continues_the_conversation(
        self, driver: Driver, client: arx.Client, emu: Emulator
    ) -> None:
        app = driver.make(client, emulator_headers())
        conversation = ask(driver, app, "Tell me about pelicans")
        wait_done(driver, app)
        (first,) = run_messages(conversation)
        again = ask(driver, app, "And about gulls?")
        assert again is conversation  # the same handle: send() continues it
        wait_done(driver, app)

        body = bodies(emu)[1]
        assert body["messages"] == [
            {"role": "user", "content": "Tell me about pelicans"},
            {"role": "assistant", "content": [{"type": "text", "text": reply_of([first])}]},
            {"role": "user", "content": [{"type": "text", "text": "And about gulls?"}]},
        ]
        (second,) = run_messages(conversation, first_turn=2)
        assert app.shown_reply() == reply_of([second])
        assert app.session.history == conversation.messages
        assert_callbacks_on_gui_thread(app)

    def test_closing_the_window_mid_stream_closes_the_connection(
        self, driver: Driver, client: arx.Client, emu: Emulator
    ) -> None:
        app, _, stream = ask_for_a_reply_that_stalls(driver, client, after=2)
        assert emu.wait_stalled(timeout=WAIT)
        callbacks = sum(app.session.callback_threads.values())

        self.close(app)
        assert emu.stats.wait_for(lambda s: s.connections_open == 0, WAIT)
        assert isinstance(stream.error, arx.StreamAbortedError)
        turns = iter(range(5))  # five turns of the loop: what was queued is dropped, not shown
        driver.pump_until(lambda: next(turns, None) is None)
        assert sum(app.session.callback_threads.values()) == callbacks
