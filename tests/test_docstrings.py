"""Docstring examples run as doctests (STYLE.md §6), with the names a reader supplies.

Every ``>>>`` example in ``anthropic_rx`` is collected (one test per docstring) and run with
`doctest`, in a namespace holding the module's own globals, the public names of the
library (``arx``, the operators, ``anthropic_rx.testing``, ``anthropic_rx.concurrency``,
``ops``), and the names examples assume: ``HELLO`` (a small recording), ``client`` (on
the emulator), ``stream``, ``MODEL``, …. An example with no expected output passes when
it runs without an error.

An example that cannot run here (a window's mainloop, a notebook's widgets, a reader's
own data) is listed in `SKIP` with the reason, shown when it is skipped; a module listed in
`SKIP_MODULES` is skipped whole. A new example that needs a new name: add it to
`doctest_names`, or to `SKIP` with its reason.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import anthropic_rx

#: Docstrings whose examples are sketches, by name (a prefix covers its members): why.
_GUI = "needs a window of the reader's own (a Tk or Qt application and its scheduler)"
_TOOLS = "a sketch around the reader's own tools (get_weather, search, …)"
SKIP: dict[str, str] = {
    "anthropic_rx.Conversation": _TOOLS,
    "anthropic_rx.Tool": "a tool's definition (uses Literal without importing it)",
    "anthropic_rx.client._client._Messages.conversation": _TOOLS,
    "anthropic_rx.conversations._conversation.tool_called": _TOOLS,
    "anthropic_rx.MessageAccumulator": "events is a list of parsed events here",
    "anthropic_rx._blocking.collecting": "a sketch of an internal helper, with on_next of its own",
    "anthropic_rx._timed.play": "a sketch: clock and the actions are the caller's own",
    "anthropic_rx.concurrency._views.side_by_side": "ask is a dict of parameters there",
    "anthropic_rx.emulator._server.Emulator": "the official SDK's non-streaming call, shown whole",
    "anthropic_rx.notebook._plot.plot_timeline": "writes a picture into the folder",
    "anthropic_rx.operators._rate.coalesce_text": _GUI,
    "anthropic_rx.operators._rate.latest": _GUI,
    "anthropic_rx.operators._structured": "a reader's own pydantic model (Weather)",
    "anthropic_rx.schedulers.QtScheduler": _GUI,
    "anthropic_rx.schedulers.TkScheduler": _GUI,
    "anthropic_rx.schedulers._on_gui.on_gui": _GUI,
    "anthropic_rx.sources._sdk.from_sdk_stream": "the official SDK's client and its stream",
    "anthropic_rx.sources._sdk.from_sdk_message": "client is the official SDK's there",
    "anthropic_rx.sources._sdk.to_sdk_message": "message is a Message of the reader's own",
    "anthropic_rx.testing.ManualStream": _GUI,
    "anthropic_rx.testing.Run": "script is a StreamScript of the reader's own",
    "anthropic_rx._serial.terminate": "observer is the caller's own",
    "anthropic_rx._steps.exact_kinds": "a sketch of an internal helper, names unimported",
    "anthropic_rx.sources._replay.compact_replay": "acc and steps are a stream's own",
    "anthropic_rx.batches": "a batch run's sketch: run, requests and ids are the reader's own "
    "(tests/batches runs each against the emulator)",
    "anthropic_rx.client._batch_types.outcome_of": "result is a line of a batch's results",
    "anthropic_rx.client._batch_wire": "requests is the reader's own mapping",
}

#: Modules whose examples all need what a test cannot give: why.
SKIP_MODULES: dict[str, str] = {}


def _modules() -> list[str]:
    found = pkgutil.walk_packages(anthropic_rx.__path__, "anthropic_rx.")
    # A __main__ module is not imported: importing it runs the command line.
    return ["anthropic_rx", *(m.name for m in found if not m.name.endswith("__main__"))]


def _collect() -> list[tuple[str, doctest.DocTest]]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    # The facade loads its names on first use: load them all, so that the finder sees the
    # classes it shows (their docstrings are collected under ``anthropic_rx.<name>``).
    for name in anthropic_rx.__all__:
        getattr(anthropic_rx, name)
    found: dict[str, tuple[str, doctest.DocTest]] = {}
    for name in _modules():
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional extra that is not installed
            continue
        for test in finder.find(module, name):
            if test.examples and test.name not in found:
                found[test.name] = (name, test)
    return sorted(found.values(), key=lambda pair: pair[1].name)


DOCTESTS = _collect()
_ASYNC = re.compile(r"^(await|async (with|for)) |[=(] *await ", re.MULTILINE)


class _Checker(doctest.OutputChecker):
    """An example shown without output (``>>> stream.subscribe(print)``) need only run."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return not want or super().check_output(want, got, optionflags)


def _skip_reason(module: str, name: str) -> str | None:
    if module in SKIP_MODULES:
        return SKIP_MODULES[module]
    for prefix, reason in SKIP.items():
        if name == prefix or name.startswith(prefix + "."):
            return reason
    return None


#: Names that need the emulator: a test whose examples mention none of them runs without one.
_ONLINE = re.compile(
    r"\b(client|stream|streams|ask|emu|questions|sources|recordings|base_url|api_key)\b"
)


@pytest.fixture
def doctest_names(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """The names the examples assume; those on the emulator only for a test that uses them."""
    import httpx
    import reactivex
    from reactivex import operators as ops

    from anthropic_rx import concurrency, operators, testing

    monkeypatch.chdir(tmp_path)  # "hello.sse" in an example is this one
    hello = tmp_path / "hello.sse"
    hello.write_bytes(testing.StreamScript().text("Hel", "lo").sse())
    model = "claude-sonnet-4-5"
    msgs = [{"role": "user", "content": "Hello"}]
    params = {"model": model, "max_tokens": 256, "messages": msgs}
    names: dict[str, Any] = {}
    for module in (operators, concurrency, testing):
        names.update({n: getattr(module, n) for n in module.__all__})
    names.update(
        arx=anthropic_rx,
        ops=ops,
        reactivex=reactivex,
        httpx=httpx,
        HELLO=str(hello),
        PATH=str(hello),
        A=str(hello),
        B=str(hello),
        path=hello,
        MODEL=model,
        msgs=msgs,
        messages=msgs,
        params=params,
        ask_opus=params,
        ask_haiku=params,
        qs=["What is a river?", "Why is the sky blue?"],
        QUESTIONS={"intro": "Hello", "more": "Tell me more"},
        render=lambda *args: None,
        append=lambda *args: None,
        events=anthropic_rx.from_recording(hello),
        observable=anthropic_rx.from_recording(hello),
        merged=concurrency.merge_tagged({"a": anthropic_rx.from_recording(hello)}),
        items=[concurrency.Tagged("a", concurrency.StreamFailed(RuntimeError("boom")))],
        recordings={
            "a": anthropic_rx.from_recording(hello),
            "b": anthropic_rx.from_recording(hello),
        },
        sources={"a": anthropic_rx.from_recording(hello), "b": anthropic_rx.from_recording(hello)},
        questions={f"q{i}": params for i in range(3)},
    )
    test: doctest.DocTest = request.node.callspec.params["test"]
    if not any(_ONLINE.search(example.source) for example in test.examples):
        yield names
        return
    emu = request.getfixturevalue("emu")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-doctests-0123456789")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emu.base_url)
    with anthropic_rx.Client(base_url=emu.base_url) as client:

        def ask(model: str = model) -> anthropic_rx.MessageStream:
            return client.messages.stream(**{**params, "model": model})

        names.update(
            client=client,
            emu=emu,
            base_url=emu.base_url,
            api_key="sk-ant-doctests-0123456789",
            ask=ask,
            stream=ask(),  # cold: nothing is sent unless an example subscribes
            streams={"opus": ask(), "haiku": ask()},
        )
        yield names


@pytest.mark.parametrize(("module", "test"), DOCTESTS, ids=[test.name for _, test in DOCTESTS])
def test_docstring_examples_run(
    module: str, test: doctest.DocTest, doctest_names: dict[str, Any]
) -> None:
    reason = _skip_reason(module, test.name)
    if reason is not None:
        pytest.skip(f"{test.name}: {reason}")
    if any(_ASYNC.search(example.source) for example in test.examples):
        pytest.skip(f"{test.name}: top-level await: an example of code inside a coroutine")
    test.globs = {**test.globs, **doctest_names}
    runner = doctest.DocTestRunner(
        checker=_Checker(), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    where = f"{test.filename}:{test.lineno + 1 if test.lineno is not None else '?'}"
    assert runner.failures == 0, f"{test.name} ({where}):\n" + "".join(report)


def test_examples_are_found() -> None:
    assert len(DOCTESTS) > 50
