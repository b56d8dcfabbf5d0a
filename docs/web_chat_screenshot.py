"""Regenerate the README's picture of the web chat: docs/web_chat.png.

Run from anywhere, with the project's environment (and Debian's ``chromium``)::

    .venv/bin/python docs/web_chat_screenshot.py

It serves ``examples/web_chat`` on 127.0.0.1 against the built-in emulator (never the real
API), opens the page in headless Chromium over the DevTools protocol, asks a question that
makes the model answer and call a tool, waits for the end, and saves a PNG of the page.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "examples" / "web_chat")]

import uvicorn  # noqa: E402
from chromium_cdp import Browser, find_chromium  # noqa: E402
from web_chat import create_app  # noqa: E402

import anthropic_rx as arx  # noqa: E402
from anthropic_rx.emulator import Emulator  # noqa: E402

OUT = ROOT / "docs" / "web_chat.png"
PROMPT = "What's the weather in Paris? Tell me about pelicans too."


def main() -> None:
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium: apt-get install chromium (see .ci/system-deps)")
    with Emulator(pace=200) as emu, arx.Client(api_key="emulated", base_url=emu.base_url) as client:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(client), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            with Browser(chromium, width=1100, height=560) as browser:
                browser.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/")
                browser.evaluate(f"window.chat.send({PROMPT!r})")
                browser.wait_for("window.chat.status.startsWith('done')", timeout=60)
                browser.screenshot(OUT)
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
