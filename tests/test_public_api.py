"""The public surface: DESIGN.md's fixed names exist, and every __all__ is sorted and complete."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import anthropic_rx as arx

MODULES = [
    "anthropic_rx",
    "anthropic_rx.batches",
    "anthropic_rx.concurrency",
    "anthropic_rx.conversations",
    "anthropic_rx.events",
    "anthropic_rx.notebook",
    "anthropic_rx.operators",
    "anthropic_rx.relay",
    "anthropic_rx.schedulers",
    "anthropic_rx.sources",
    "anthropic_rx.testing",
    "anthropic_rx.tracing",
    "anthropic_rx.typing",
]

#: The names outside checks rely on (DESIGN.md, "Public names").
FIXED = {
    "anthropic_rx": [
        "SSEDecoder",
        "ServerSentEvent",
        "parse_event",
        "StreamEvent",
        "UnknownEvent",
        "MessageAccumulator",
        "MessageSnapshot",
        "Message",
        "from_bytes",
        "from_async_bytes",
        "from_response",
        "from_recording",
        "from_sdk_stream",
        "MessageStream",
        "Partial",
        "OutputValidationError",
    ],
    "anthropic_rx.conversations": [
        "tool",
        "Tool",
        "Conversation",
        "TurnStarted",
        "TurnEvent",
        "TurnFinished",
        "ToolStarted",
        "ToolFinished",
        "ApprovalRequested",
    ],
    "anthropic_rx.operators": [
        "accumulate",
        "text_only",
        "on_tool_input",
        "final_message",
        "final_text",
        "thinking",
        "citations",
        "tool_calls",
        "content_blocks",
        "usage",
        "stop_reason",
        "coalesce_text",
        "latest",
        "parsed_output",
        "partial_output",
        "partial_tool_input",
    ],
}


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_every_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr} is in __all__ but missing"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_of_a_package_is_in_all(name: str) -> None:
    module = importlib.import_module(name)
    package = hasattr(module, "__path__")

    def own(value: object) -> bool:
        where = getattr(value, "__module__", None) or ""
        # A package re-exports from its private modules; a module exports what it defines.
        return where == name or (package and where.startswith(name + "._"))

    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_") and not isinstance(value, types.ModuleType) and own(value)
    }
    assert public <= set(module.__all__), sorted(public - set(module.__all__))


@pytest.mark.parametrize(("module", "names"), sorted(FIXED.items()))
def test_the_fixed_public_names_exist(module: str, names: list[str]) -> None:
    loaded = importlib.import_module(module)
    missing = [n for n in names if n not in loaded.__all__]
    assert not missing


def test_classes_show_their_public_path() -> None:
    assert arx.MessageSnapshot.__module__ == "anthropic_rx"
    assert arx.OverloadedError.__module__ == "anthropic_rx"
    assert repr(arx.SSEDecoder).startswith("<class 'anthropic_rx.SSEDecoder'")


def test_every_error_is_an_anthropic_rx_error() -> None:
    errors = [
        getattr(arx, n)
        for n in arx.__all__
        if isinstance(getattr(arx, n), type) and n.endswith("Error")
    ]
    assert errors
    assert all(issubclass(e, arx.AnthropicRxError) for e in errors)


def test_the_version_is_a_string() -> None:
    assert isinstance(arx.__version__, str) and arx.__version__


def _facade() -> tuple[dict[str, str], dict[str, str], list[str]]:
    """The facade's three listings, read from its syntax: what type checkers see (name →
    module of the ``if TYPE_CHECKING:`` imports), what it loads (``_HOMES``), ``__all__``."""
    tree = ast.parse(Path(arx.__file__).read_text(encoding="utf-8"))
    checked: dict[str, str] = {}
    homes: dict[str, str] = {}
    exported: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.level == 1 and imp.module
                for alias in imp.names:
                    assert alias.asname == alias.name, f"{alias.name} is not re-exported"
                    assert alias.name not in checked, f"{alias.name} is imported twice"
                    checked[alias.name] = imp.module
        elif isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "_HOMES":
            homes = ast.literal_eval(node.value)  # type: ignore[arg-type]
        elif isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            exported = ast.literal_eval(node.value)
    return checked, homes, exported


def test_the_lazy_table_the_typed_imports_and_all_agree() -> None:
    checked, homes, exported = _facade()
    assert exported and len(set(exported)) == len(exported)
    assert checked == homes
    assert sorted(homes) == sorted(exported)


def test_the_facade_loads_nothing_until_a_name_is_used() -> None:
    code = """\
import sys
import anthropic_rx as arx
loaded = lambda: sorted(m for m in sys.modules if m.startswith("anthropic_rx."))
assert loaded() == [], loaded()
assert set(arx.__all__) <= set(dir(arx))
try:
    arx.Clinet
except AttributeError as exc:
    assert str(exc) == "module 'anthropic_rx' has no attribute 'Clinet'", exc
else:
    raise AssertionError("no AttributeError")
assert not hasattr(arx, "emulator") and loaded() == []
from anthropic_rx import from_bytes
assert "anthropic_rx.sources" in loaded() and "anthropic_rx.client" not in loaded()
assert arx.from_bytes is from_bytes and "from_bytes" in vars(arx)
assert arx.operators.final_text and arx.batches.BatchRun
for name in arx.__all__:
    exec(f"from anthropic_rx import {name}")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_every_error_of_the_tree_is_exported_and_shown_at_its_public_path() -> None:
    _exceptions = importlib.import_module("anthropic_rx._exceptions")
    errors = {
        name
        for name, value in vars(_exceptions).items()
        if isinstance(value, type) and issubclass(value, arx.AnthropicRxError)
    }
    assert errors <= set(arx.__all__)  # pickle finds them by that path
    assert {getattr(_exceptions, e).__module__ for e in errors} == {"anthropic_rx"}


def test_every_exported_class_shows_the_top_level_path_however_it_was_reached() -> None:
    # Each class is read from its layer's door, never through the facade, in a fresh
    # interpreter: its path must not depend on whether someone wrote `arx.X` first.
    code = """\
import importlib, anthropic_rx as arx
wrong = []
for name in arx.__all__:
    home = arx._HOMES.get(name)
    if home is None:
        continue
    value = getattr(importlib.import_module(f"anthropic_rx.{home}"), name)
    if isinstance(value, type) and not hasattr(value, "model_fields"):
        if value.__module__ != "anthropic_rx":
            wrong.append(f"{name}: {value.__module__}")
assert not wrong, wrong
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
