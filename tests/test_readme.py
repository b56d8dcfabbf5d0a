"""The README's code runs: every ```python block of README.md is executed here.

Each block runs on its own, as a reader would paste it, with ``import anthropic_rx as arx``
done and the names a reader must supply given by `READER_NAMES` (``client`` on the
emulator, ``MODEL``, ``emu``, ``response``, …), made only when the block uses them.
``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` point at the emulator, so ``arx.Client()``
works as written; the working directory is the checkout, so ``../shared/corpus`` is the
corpus. Functions named ``test_*`` that a block defines are called. A block with top-level
``await`` runs on asyncio.

A block meant as a fragment is marked just before its fence with
``<!-- fragment: why -->`` (or a first line ``# fragment: why``) and is skipped, the reason
shown. A block that needs a new name: add a factory to `READER_NAMES`, or mark it.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT
from .readme_blocks import CodeBlock, python_blocks

README = ROOT / "README.md"
KEY = "sk-ant-readme-tests-0123456789abcdef"


@dataclass
class Reader:
    """What the factories may use: the emulator, and a stack that closes what they open."""

    emu: Any
    stack: ExitStack


def _client(reader: Reader) -> Any:
    import anthropic_rx as arx

    return reader.stack.enter_context(arx.Client(api_key=KEY, base_url=reader.emu.base_url))


def _response(reader: Reader) -> Any:
    """An httpx streaming response from the emulator, as a reader's program would make."""
    import httpx

    http = reader.stack.enter_context(httpx.Client())
    request = http.build_request(
        "POST",
        f"{reader.emu.base_url}/v1/messages",
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        json={
            "model": "claude-sonnet-4-5",
            "max_tokens": 256,
            "stream": True,
            "messages": [{"role": "user", "content": "Hello"}],
        },
    )
    response = http.send(request, stream=True)
    reader.stack.callback(response.close)
    return response


def _ask(reader: Reader) -> Any:
    client = _client(reader)
    return lambda model: client.messages.stream(model=model, max_tokens=256, messages=_MESSAGES)


def _streams(reader: Reader) -> Any:
    ask = _ask(reader)
    return {
        name: ask(model)
        for name, model in (("sonnet", "claude-sonnet-4-5"), ("haiku", "claude-haiku-4-5"))
    }


_MESSAGES = [{"role": "user", "content": "Hello"}]

#: The names a reader must supply, by name: each made only for a block that uses it.
READER_NAMES: dict[str, Callable[[Reader], Any]] = {
    "emu": lambda reader: reader.emu,
    "client": _client,
    "response": _response,
    "MODEL": lambda _: "claude-sonnet-4-5",
    "MODEL_A": lambda _: "claude-sonnet-4-5",
    "MODEL_B": lambda _: "claude-haiku-4-5",
    "messages": lambda _: list(_MESSAGES),
    "msgs": lambda _: list(_MESSAGES),
    "qs": lambda _: ["What is a river?", "Why is the sky blue?", "Name a prime number."],
    "render": lambda _: lambda *args: None,
    "ask": _ask,
    "streams": _streams,
}

BLOCKS = python_blocks(README)


def _names_used(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _where_it_failed(block: CodeBlock, error: BaseException) -> str:
    """The README line of the innermost frame in the block, and the block, numbered."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(README)]
    line = frames[-1].lineno if frames else block.line
    if isinstance(error, SyntaxError) and error.lineno:
        line = error.lineno
    hint = ""
    if isinstance(error, NameError):
        hint = (
            f"\n(a name the reader supplies? add it to READER_NAMES in {Path(__file__).name}, "
            "or mark the block with <!-- fragment: why --> just before its fence)"
        )
    return (
        f"README.md:{line}: {type(error).__name__}: {error}{hint}\n"
        f"in the block at {block.where}:\n{block.numbered()}"
    )


def _close_clients(namespace: dict[str, Any]) -> None:
    """Close the HTTP clients a block made and left open, as its program's exit would."""
    for value in namespace.values():
        module = type(value).__module__.split(".")[0]
        close = getattr(value, "close", None)
        if module in ("anthropic", "httpx", "httpx2") and callable(close):
            close()


@pytest.fixture
def reader(emu: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reader]:
    """The reader's surroundings: the emulator as the API, the checkout as the folder."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emu.base_url)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(ROOT)
    with ExitStack() as stack:
        yield Reader(emu, stack)


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5, [b.where for b in BLOCKS]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.where for b in BLOCKS])
def test_readme_block_runs(block: CodeBlock, reader: Reader) -> None:
    if block.fragment is not None:
        pytest.skip(f"{block.where} is a fragment: {block.fragment}")
    if "../shared/corpus" in block.code and not (ROOT.parent / "shared" / "corpus").is_dir():
        pytest.skip(f"{block.where} reads ../shared/corpus, which is absent")
    try:
        tree = ast.parse(block.padded(), str(README))
        # dont_inherit: the block runs as a reader's script would, without this module's
        # `from __future__ import annotations` (which would leave its annotations as strings).
        code = compile(
            tree, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
    except SyntaxError as exc:
        message = _where_it_failed(block, exc)
        pytest.fail(message, pytrace=False)
    import anthropic_rx as arx

    namespace: dict[str, Any] = {"__name__": "readme_block", "arx": arx}
    for name in sorted(_names_used(tree) & READER_NAMES.keys()):
        namespace[name] = READER_NAMES[name](reader)
    failure = None
    try:
        result = eval(code, namespace)  # exec, or a coroutine for top-level await
        if inspect.iscoroutine(result):
            asyncio.run(result)
        for name, value in list(namespace.items()):
            if name.startswith("test_") and inspect.isfunction(value):
                value()
    except Exception as exc:
        failure = _where_it_failed(block, exc)
    finally:
        _close_clients(namespace)
        reader.stack.close()  # the reader's client and responses, before the idle check
    if failure is not None:
        pytest.fail(failure, pytrace=False)


def test_a_failure_names_the_readme_line(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text("text\n\n```python\nx = 1\nundefined_name\n```\n", encoding="utf-8")
    (block,) = python_blocks(page)
    assert block.line == 4 and block.fragment is None
    try:
        exec(compile(block.padded(), str(README), "exec"), {})
    except NameError as exc:
        message = _where_it_failed(block, exc)
    assert message.startswith("README.md:5: NameError")
    assert "READER_NAMES" in message and "    5 | undefined_name" in message


def test_fragments_are_marked_by_a_comment_before_or_a_first_line(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text(
        "<!-- fragment: needs a window -->\n```python\nroot.mainloop()\n```\n\n"
        "```python\n# fragment: a sketch\nstop()\n```\n\n```sh\nls\n```\n\n"
        "```py\nprint(1)\n```\n",
        encoding="utf-8",
    )
    assert [(b.line, b.fragment) for b in python_blocks(page)] == [
        (3, "needs a window"),
        (7, "a sketch"),
        (16, None),
    ]


def test_a_fence_left_open_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text("```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"README.md:1: a code fence is never closed"):
        python_blocks(page)
