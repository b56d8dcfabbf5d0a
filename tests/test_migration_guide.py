"""The README's "Coming from the official SDK": every snippet of ours, run on the emulator.

Each snippet is the README's code exactly (`/work/notes/README-parity.md` is made from
`GUIDE` below): it runs given a `client` (an `arx.Client` on the emulator) and a `MODEL`;
the async one also needs ``ANTHROPIC_API_KEY`` set (any value on the emulator), and the GUI
one a Tk `root`. The SDK's snippets, beside them in the README, are run too where they need
nothing but the emulator, so the two columns are known to do the same.
"""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stdout
from typing import Any

import anthropic
import httpx2
import pytest

import anthropic_rx as arx
from anthropic_rx.emulator import Emulator
from anthropic_rx.operators import final_text

from .client.helpers import KEY, WAIT

MODEL = "claude-emulated"
#: The first line of the SDK's blocks in the README: a README runner skips those.
SDK_MARK = "# the official SDK (client = anthropic.Anthropic()): for comparison"

#: task -> (the SDK's code, ours). Ours runs in `run_ours`; the SDK's in `run_theirs`.
GUIDE: dict[str, tuple[str, str]] = {
    "Print the text as it streams": (
        """\
with client.messages.stream(
    model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)
""",
        """\
# needs: client, MODEL
import anthropic_rx as arx
from anthropic_rx.operators import text_only

stream = client.messages.stream(
    model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
)
for text in arx.to_iterable(stream.pipe(text_only())):  # or .subscribe(print)
    print(text, end="", flush=True)
""",
    ),
    "Get the final message": (
        """\
with client.messages.stream(
    model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
) as stream:
    message = stream.get_final_message()
print(message.content[0].text, message.usage.output_tokens)
""",
        """\
# needs: client, MODEL
from anthropic_rx.operators import final_message

stream = client.messages.stream(
    model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
)
message = stream.pipe(final_message()).run()  # or: await stream.pipe(final_message())
print(message.content[0].text, message.usage.output_tokens, stream.info.request_id)
# Not streaming? client.messages.create(...) returns the same Message, with .info
""",
    ),
    "Read a tool's input as it forms": (
        """\
tools = [{"name": "get_weather", "description": "The weather in a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
with client.messages.stream(
    model=MODEL, max_tokens=256, tools=tools,
    messages=[{"role": "user", "content": "Weather in Paris?"}],
) as stream:
    for event in stream:
        if event.type == "input_json":
            print(event.snapshot)
""",
        """\
# needs: client, MODEL
from anthropic_rx.operators import on_tool_input

tools = [{"name": "get_weather", "description": "The weather in a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
stream = client.messages.stream(
    model=MODEL, max_tokens=256, tools=tools,
    messages=[{"role": "user", "content": "Weather in Paris?"}],
)
stream.pipe(on_tool_input("get_weather")).subscribe(lambda update: print(update.snapshot))
stream.wait()
# Code that loops over the SDK's events moves over as is:
# for event in arx.to_iterable(stream.pipe(sdk_events())): ... (text, input_json, ...)
""",
    ),
    "Iterate with async for": (
        """\
import asyncio

async def main():
    async with anthropic.AsyncAnthropic() as aclient:
        async with aclient.messages.stream(
            model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
        ) as stream:
            async for text in stream.text_stream:
                print(text, end="", flush=True)

asyncio.run(main())
""",
        """\
# needs: client, MODEL, and ANTHROPIC_API_KEY set (AsyncClient reads it, as the SDK does)
import asyncio
import anthropic_rx as arx
from anthropic_rx.operators import text_only

async def main():
    async with arx.AsyncClient(base_url=client.base_url) as aclient:  # asyncio or trio
        stream = aclient.messages.stream(
            model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
        )
        async for text in arx.to_async_iterable(stream.pipe(text_only())):
            print(text, end="", flush=True)

asyncio.run(main())
""",
    ),
    "Handle an error in the middle of the stream": (
        """\
try:
    with client.messages.stream(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}],
        extra_headers={"x-emulator-scenario": "F03"},  # the emulator: overloaded mid-stream
    ) as stream:
        stream.until_done()
except anthropic.APIStatusError as error:  # status_code 200, the text so far is lost
    print(type(error).__name__, error.status_code)
""",
        """\
# needs: client, MODEL
import anthropic_rx as arx
from anthropic_rx.operators import final_message

stream = client.messages.stream(
    model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}],
    extra_headers={"x-emulator-scenario": "F03"},  # the emulator: overloaded mid-stream
)
try:
    stream.pipe(final_message()).run()
except arx.OverloadedError as error:  # the class error.type names; retryable
    print("overloaded after:", error.snapshot.text, error.request_id)
""",
    ),
    "Stop a stream": (
        """\
with client.messages.stream(
    model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": "Hello"}]
) as stream:
    for text in stream.text_stream:
        break  # leaving the block closes the response
""",
        """\
# needs: client, MODEL
import anthropic_rx as arx
from anthropic_rx.operators import text_only

stream = client.messages.stream(
    model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": "Hello"}]
)
for text in arx.to_iterable(stream.pipe(text_only())):
    break  # leaving the loop disposes: the connection closes
# Or, from any thread, at any time: stream.abort()
# (disposing the last subscription does the same)
stream.wait()
""",
    ),
    "Many requests at once": (
        """\
from concurrent.futures import ThreadPoolExecutor

def ask(question):
    return client.messages.create(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": question}]
    )

with ThreadPoolExecutor(max_workers=4) as pool:
    answers = list(pool.map(ask, ["Hello", "Bonjour", "Hallo"]))
""",
        """\
# needs: client, MODEL
from reactivex import operators as ops
from anthropic_rx.concurrency import stream_many

questions = {
    q: {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": q}]}
    for q in ["Hello", "Bonjour", "Hallo"]
}
events = stream_many(client, questions, max_concurrent=4)  # Tagged(question, event)
texts = events.pipe(
    ops.filter(lambda item: item.value.type == "content_block_delta"),
    ops.filter(lambda item: item.value.delta.type == "text_delta"),
    ops.to_list(),
).run()
answers = {q: "".join(t.value.delta.text for t in texts if t.key == q) for q in questions}
""",
    ),
    "Show the text in a GUI": (
        """\
import threading

def worker():
    with client.messages.stream(
        model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        for text in stream.text_stream:  # never touch a widget from here:
            root.after(0, lambda t=text: label.config(text=label.cget("text") + t))

threading.Thread(target=worker, daemon=True).start()
""",
        """\
# needs: client, MODEL, root (the app's tkinter.Tk; its mainloop shows the text)
import tkinter
from anthropic_rx.operators import coalesce_text
from anthropic_rx.schedulers import TkScheduler, on_gui

label = tkinter.Label(root, text="")
sched = TkScheduler(root)
stream = client.messages.stream(
    model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "Hello"}]
)
stream.pipe(coalesce_text(scheduler=sched), on_gui(sched)).subscribe(
    lambda text: label.config(text=label.cget("text") + text)  # on the Tk thread
)
""",
    ),
}

NEEDS_NOTHING_ELSE = [name for name in GUIDE if name != "Show the text in a GUI"]


def run_ours(code: str, emu: Emulator, **names: Any) -> tuple[dict[str, Any], str]:
    out = io.StringIO()
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client, redirect_stdout(out):
        namespace: dict[str, Any] = {"client": client, "MODEL": MODEL, **names}
        exec(compile(code, "<README>", "exec"), namespace)
    return namespace, out.getvalue()


def run_theirs(code: str, emu: Emulator) -> tuple[dict[str, Any], str]:
    out = io.StringIO()
    client = anthropic.Anthropic(
        api_key=KEY, base_url=emu.base_url, max_retries=0, http_client=httpx2.Client()
    )
    with client, redirect_stdout(out):
        namespace: dict[str, Any] = {"client": client, "MODEL": MODEL, "anthropic": anthropic}
        exec(compile(code, "<README: SDK>", "exec"), namespace)
    return namespace, out.getvalue()


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # never used: base_url=


@pytest.mark.parametrize("task", NEEDS_NOTHING_ELSE)
def test_our_snippet_runs_on_the_emulator(task: str, emu: Emulator, api_key: None) -> None:
    run_ours(GUIDE[task][1], emu)
    assert emu.stats.requests()  # it did talk to the API


@pytest.mark.parametrize(
    "task",
    [
        "Print the text as it streams",
        "Read a tool's input as it forms",
        "Handle an error in the middle of the stream",
    ],
)
def test_the_sdks_snippet_prints_what_ours_prints(task: str, emu: Emulator, api_key: None) -> None:
    _, theirs = run_theirs(GUIDE[task][0], emu)
    _, ours = run_ours(GUIDE[task][1], emu)
    if task == "Handle an error in the middle of the stream":
        assert theirs.startswith("APIStatusError 200") and ours.startswith("overloaded after:")
    elif task == "Read a tool's input as it forms":
        # Ours shows a string as it grows ({'city': 'Pari'}); the SDK leaves it out till whole.
        assert ours.splitlines()[-1] == theirs.splitlines()[-1] == "{'city': 'Paris'}"
    else:
        assert ours == theirs and ours


def test_the_final_message_is_the_sdks(emu: Emulator) -> None:
    theirs, _ = run_theirs(GUIDE["Get the final message"][0], emu)
    ours, printed = run_ours(GUIDE["Get the final message"][1], emu)
    assert ours["message"].content[0].text == theirs["message"].content[0].text
    assert ours["stream"].info.request_id in printed


def test_async_iteration_prints_the_text(emu: Emulator, api_key: None) -> None:
    _, printed = run_ours(GUIDE["Iterate with async for"][1], emu)
    (record,) = emu.stats.requests()
    assert printed and record.stream


def test_stopping_closes_the_request_early(emu: Emulator) -> None:
    namespace, _ = run_ours(GUIDE["Stop a stream"][1], emu)
    assert namespace["stream"].info.attempts == 1
    assert emu.stats.wait_idle(timeout=WAIT)


def test_many_requests_give_one_answer_each(emu: Emulator) -> None:
    theirs, _ = run_theirs(GUIDE["Many requests at once"][0], emu)
    ours, _ = run_ours(GUIDE["Many requests at once"][1], emu)
    assert set(ours["answers"]) == {"Hello", "Bonjour", "Hallo"}
    assert all(ours["answers"].values()) and len(theirs["answers"]) == 3


def test_the_gui_snippet_shows_the_whole_text_on_the_tk_thread(emu: Emulator, tk_root: Any) -> None:
    with arx.Client(api_key=KEY, base_url=emu.base_url) as client:
        namespace: dict[str, Any] = {"client": client, "MODEL": MODEL, "root": tk_root}
        exec(compile(GUIDE["Show the text in a GUI"][1], "<README>", "exec"), namespace)
        stream, label = namespace["stream"], namespace["label"]
        expected = stream.pipe(final_text()).run()
        deadline = time.monotonic() + WAIT
        while label.cget("text") != expected and time.monotonic() < deadline:
            tk_root.update()  # what the app's mainloop does
        assert label.cget("text") == expected
        label.destroy()


def test_the_guide_in_the_notes_is_made_from_these_snippets() -> None:
    # The README section is generated from GUIDE (tests/test_migration_guide.py --guide).
    assert all(ours.startswith("# needs: client, MODEL") for _, ours in GUIDE.values())
    assert json.dumps(GUIDE)  # plain strings only


def guide_markdown() -> str:
    """The README section's side-by-side blocks, from `GUIDE`.

    The SDK's blocks start with `SDK_MARK`, so a runner of the README's blocks can skip them
    (they need an ``anthropic.Anthropic`` client).
    """
    parts: list[str] = []
    for task, (theirs, ours) in GUIDE.items():
        parts.append(
            f"### {task}\n\nThe SDK:\n\n```python\n{SDK_MARK}\n{theirs}```\n\n"
            f"anthropic_rx:\n\n```python\n{ours}```\n"
        )
    return "\n".join(parts)


if __name__ == "__main__":  # python -m tests.test_migration_guide > blocks.md
    print(guide_markdown())
