"""The public surface: DESIGN.md's fixed names exist, and every __all__ is sorted and complete."""

from __future__ import annotations

import importlib
import types

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
