"""The web chat (examples/web_chat/) in Debian's headless Chromium, over the DevTools protocol:
the page's EventSource reads the relay; what it shows is the answer, reconnects lose and
duplicate nothing, Stop closes the upstream connection."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.events import TextBlock, ToolUseBlock
from anthropic_rx.operators import final_message

from ..client.helpers import scenario
from ..relay.support import serve

pytest.importorskip("starlette")
pytest.importorskip("websockets")

WEB_CHAT = Path(__file__).resolve().parents[2] / "examples" / "web_chat"
if str(WEB_CHAT) not in sys.path:
    sys.path.insert(0, str(WEB_CHAT))

import chromium_cdp  # noqa: E402
import web_chat  # noqa: E402

CHROMIUM = chromium_cdp.find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium (.ci/system-deps installs it)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[chromium_cdp.Browser]:
    assert CHROMIUM is not None
    with chromium_cdp.Browser(CHROMIUM) as b:
        yield b


def run_page(browser: chromium_cdp.Browser, url: str) -> None:
    browser.goto(url)
    browser.evaluate("window.chat.send('Weather in Paris? And pelicans.')")


@contextmanager
def a_stalled_answer(
    client: arx.Client, emu: Emulator, browser: chromium_cdp.Browser, gate: str
) -> Iterator[tuple[Any, str]]:
    """Yield ``(app, url)`` once the page has asked, and the answer has stalled upstream
    (until *gate* is released) with its first part shown."""
    options = {"extra_headers": scenario("F08", after=6, gate=gate)}
    app = web_chat.create_app(client, request_options=options)
    with serve(app) as url:
        run_page(browser, url)
        assert emu.wait_stalled(timeout=20)
        browser.wait_for("window.chat.text.length > 0")
        yield app, url


def assert_shows_the_answer(state: dict[str, Any], app: object) -> arx.Message:
    """The page's text is the answer's, from events numbered with no gap and no repeat."""
    (stream,) = app.state.streams.values()  # type: ignore[attr-defined]
    message: arx.Message = stream.pipe(final_message()).run()
    assert state["text"] == "".join(b.text for b in message.content if isinstance(b, TextBlock))
    assert state["ids"] == list(range(len(state["ids"])))
    return message


def test_the_page_shows_the_answer_and_the_tool_input(
    client: arx.Client, browser: chromium_cdp.Browser
) -> None:
    app = web_chat.create_app(client)
    with serve(app) as url:
        run_page(browser, url)
        status = browser.wait_for("window.chat.status.startsWith('done') && window.chat.status")
        state = browser.evaluate("({text: chat.text, tools: chat.tools, ids: chat.ids})")
    assert status == "done (tool_use)"
    message = assert_shows_the_answer(state, app)
    (tool,) = [b for b in message.content if isinstance(b, ToolUseBlock)]
    shown = next(iter(state["tools"].values()))
    assert shown["name"] == tool.name
    assert json.loads(shown["json"]) == tool.input


def test_reconnect_mid_answer_loses_and_duplicates_nothing(
    client: arx.Client, emu: Emulator, browser: chromium_cdp.Browser
) -> None:
    with a_stalled_answer(client, emu, browser, "mid") as (app, _):
        before = browser.evaluate("window.chat.ids.length")
        browser.evaluate("window.chat.reconnect(); window.chat.reconnect(); true")  # twice
        browser.wait_for("window.chat.connections === 3")
        emu.release("mid")
        browser.wait_for("window.chat.status.startsWith('done')")
        state = browser.evaluate("({text: chat.text, ids: chat.ids})")
    assert before > 0
    assert_shows_the_answer(state, app)
    assert len(emu.stats.requests()) == 1


def test_stop_closes_the_upstream_connection(
    client: arx.Client, emu: Emulator, browser: chromium_cdp.Browser
) -> None:
    with a_stalled_answer(client, emu, browser, "never"):
        assert emu.stats.connections_open == 1
        browser.evaluate("document.getElementById('stop').click(); true")
        assert browser.wait_for("window.chat.status")
        browser.wait_for("window.chat.status === 'stopped'")
        assert emu.stats.wait_idle(10.0)
        assert emu.stats.connections_open == 0


def test_the_browser_resumes_by_itself_when_the_server_goes_away(
    client: arx.Client, emu: Emulator, browser: chromium_cdp.Browser
) -> None:
    with a_stalled_answer(client, emu, browser, "restart") as (app, url):
        pass  # then the server goes away, and the page's connection with it
    # EventSource retries on its own, with the Last-Event-ID header, and finds the service
    # back on the same port.
    with serve(app, port=int(url.rsplit(":", 1)[1])):
        emu.release("restart")
        browser.wait_for("window.chat.status.startsWith('done')")
        state = browser.evaluate("({text: chat.text, ids: chat.ids, n: chat.connections})")
    assert_shows_the_answer(state, app)
    assert state["n"] == 1  # the browser's own reconnect, not the page's
    assert len(emu.stats.requests()) == 1
