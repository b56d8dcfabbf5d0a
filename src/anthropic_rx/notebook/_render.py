"""Pure rendering of views: a stream's state to HTML (for notebooks) and to plain text.

No IPython here: `LiveView` and `Comparison` call these under their lock and hand the
result to a display handle. The HTML inherits the notebook's colours, so it reads in light
and dark themes alike.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from .._core import MessageSnapshot
from ..events import (
    MCPToolUseBlock,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)

__all__ = ["PanelState", "comparison_html", "comparison_text", "panel_html", "panel_text"]

_TOOL_BLOCKS = (ToolUseBlock, ServerToolUseBlock, MCPToolUseBlock)
_FRAME = (
    "border:1px solid rgba(127,127,127,.35);border-radius:6px;padding:6px 10px;"
    "margin:2px 0;min-width:0;overflow-wrap:anywhere"
)
_HEAD = (
    "display:flex;flex-wrap:wrap;justify-content:space-between;column-gap:12px;font-size:12px;"
    "opacity:.75"
)
_TEXT = "white-space:pre-wrap;margin:4px 0;line-height:1.45"
_THINKING = (
    "white-space:pre-wrap;margin:4px 0;padding-left:8px;border-left:3px solid #9467bd;"
    "font-style:italic;opacity:.7;max-height:14em;overflow:auto"
)
_TOOL = "margin:4px 0;padding-left:8px;border-left:3px solid #ff7f0e"
_CODE = "white-space:pre-wrap;margin:2px 0;font-size:12px"
_NOTE = "margin:4px 0;font-size:12px;opacity:.6"
_ERROR = "margin:4px 0;color:#d62728"
_CURSOR = '<span style="opacity:.5">▍</span>'


class PanelState(NamedTuple):
    """What a panel shows: one stream's state at one moment (a consistent copy)."""

    title: str
    snapshot: MessageSnapshot | None
    error: Exception | None
    done: bool
    elapsed: float
    first_token: float | None


def title_of(state: PanelState) -> str:
    """The panel's title: the given one, else the model that answers, else ``"stream"``."""
    if state.title:
        return state.title
    if state.snapshot is not None and state.snapshot.model:
        return state.snapshot.model
    return "stream"


def status_of(state: PanelState) -> str:
    """One line on how the stream stands: running, ended (why, how fast, tokens) or failed."""
    parts: list[str] = []
    snapshot = state.snapshot
    if state.error is not None:
        parts.append(f"{type(state.error).__name__} after {state.elapsed:.2f} s")
    elif state.done:
        parts.append(str(snapshot.stop_reason) if snapshot is not None else "ended")
    else:
        parts.append("streaming" if snapshot is not None else "waiting")
    if state.first_token is not None:
        parts.append(f"first token {state.first_token:.2f} s")
    if state.error is None:
        parts.append(f"{state.elapsed:.2f} s")
    if snapshot is not None and state.done:
        usage = snapshot.usage
        parts.append(f"{usage.input_tokens} in / {usage.output_tokens} out tokens")
    return " · ".join(parts)


def _input_json(snapshot: MessageSnapshot, index: int) -> str:
    # Partial strings too: a live view shows a value as it forms (DESIGN.md decision 3).
    value: Any = snapshot.input_of(index, strings="partial")
    return json.dumps(value, ensure_ascii=False)


def _blocks(state: PanelState, *, tool_input: bool, thinking: bool) -> list[tuple[str, str]]:
    """The panel's body as (kind, text) pairs: text, thinking, tool, note."""
    snapshot = state.snapshot
    if snapshot is None:
        return []
    body: list[tuple[str, str]] = []
    for index, block in enumerate(snapshot.content):
        if isinstance(block, TextBlock):
            body.append(("text", block.text))
        elif isinstance(block, ThinkingBlock):
            if thinking and block.thinking:
                body.append(("thinking", block.thinking))
        elif isinstance(block, RedactedThinkingBlock):
            if thinking:
                body.append(("note", "[redacted thinking]"))
        elif isinstance(block, _TOOL_BLOCKS):
            shown = _input_json(snapshot, index) if tool_input else ""
            body.append(("tool", f"{block.name}\n{shown}" if shown else block.name))
        else:
            body.append(("note", f"[{block.type}]"))
    return body


def panel_html(state: PanelState, *, tool_input: bool = True, thinking: bool = True) -> str:
    """Render one stream as an HTML panel: title and status, then its blocks in order."""
    parts = [
        f'<div style="{_FRAME}"><div style="{_HEAD}">'
        f"<b>{html.escape(title_of(state))}</b><span>{html.escape(status_of(state))}</span></div>"
    ]
    body = _blocks(state, tool_input=tool_input, thinking=thinking)
    for i, (kind, text) in enumerate(body):
        cursor = _CURSOR if not state.done and i == len(body) - 1 else ""
        if kind == "text":
            parts.append(f'<div style="{_TEXT}">{html.escape(text)}{cursor}</div>')
        elif kind == "thinking":
            parts.append(f'<div style="{_THINKING}">{html.escape(text)}{cursor}</div>')
        elif kind == "tool":
            name, _, shown = text.partition("\n")
            code = f'<pre style="{_CODE}">{html.escape(shown)}{cursor}</pre>' if shown else ""
            parts.append(
                f'<div style="{_TOOL}"><span style="font-size:11px;opacity:.7">tool </span>'
                f'<code style="font-size:12px">{html.escape(name)}</code>{code}</div>'
            )
        else:
            parts.append(f'<div style="{_NOTE}">{html.escape(text)}</div>')
    if not body and not state.done:
        parts.append(f'<div style="{_NOTE}">{_CURSOR}</div>')
    if state.error is not None:
        parts.append(f'<div style="{_ERROR}">{html.escape(_error_line(state.error))}</div>')
    parts.append("</div>")
    return "".join(parts)


def panel_text(state: PanelState, *, tool_input: bool = True, thinking: bool = True) -> str:
    """Render one stream as plain text: a header line, then its blocks in order."""
    lines = [f"── {title_of(state)} · {status_of(state)}"]
    for kind, text in _blocks(state, tool_input=tool_input, thinking=thinking):
        if kind == "thinking":
            lines.append(f"[thinking] {text}")
        elif kind == "tool":
            name, _, shown = text.partition("\n")
            lines.append(f"[tool {name}] {shown}".rstrip())
        else:
            lines.append(text)
    if state.error is not None:
        lines.append(f"[error] {_error_line(state.error)}")
    return "\n".join(lines)


def _error_line(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


class _Summary(NamedTuple):
    label: str
    model: str
    first_token: str
    total: str
    output_tokens: str
    rate: str
    outcome: str


_HEADINGS = _Summary(
    "stream", "model", "first token", "total", "output tokens", "tokens/s", "stop reason"
)


def _summary(label: str, state: PanelState) -> _Summary:
    snapshot = state.snapshot
    tokens = snapshot.usage.output_tokens if snapshot is not None else None
    rate = ""
    if (
        tokens
        and state.error is None
        and state.first_token is not None
        and state.elapsed > state.first_token
    ):
        rate = f"{tokens / (state.elapsed - state.first_token):.0f}"
    if state.error is not None:
        outcome = type(state.error).__name__
    else:
        outcome = str(snapshot.stop_reason) if snapshot is not None else ""
    return _Summary(
        label,
        snapshot.model if snapshot is not None else "",
        "" if state.first_token is None else f"{state.first_token:.2f} s",
        f"{state.elapsed:.2f} s",
        "" if tokens is None else str(tokens),
        rate,
        outcome,
    )


def comparison_html(
    states: Sequence[tuple[str, PanelState]], *, tool_input: bool = True, thinking: bool = True
) -> str:
    """Render streams side by side, with a table comparing them once every one has ended."""
    panels = "".join(panel_html(s, tool_input=tool_input, thinking=thinking) for _, s in states)
    grid = (
        '<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));'
        f'gap:8px;align-items:start">{panels}</div>'
    )
    if not states or not all(s.done for _, s in states):
        return grid
    cell = "padding:2px 10px;text-align:left"
    head = "".join(f'<th style="{cell}">{html.escape(h)}</th>' for h in _HEADINGS)
    rows = "".join(
        "<tr>"
        + "".join(f'<td style="{cell}">{html.escape(v)}</td>' for v in _summary(n, s))
        + "</tr>"
        for n, s in states
    )
    table = (
        f'<table style="margin-top:8px;border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return grid + table


def comparison_text(
    states: Sequence[tuple[str, PanelState]], *, tool_input: bool = True, thinking: bool = True
) -> str:
    """Render streams one after another, then (once all have ended) a table comparing them."""
    text = "\n\n".join(panel_text(s, tool_input=tool_input, thinking=thinking) for _, s in states)
    if not states or not all(s.done for _, s in states):
        return text
    table = [_HEADINGS, *(_summary(n, s) for n, s in states)]
    widths = [max(len(row[i]) for row in table) for i in range(len(_HEADINGS))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    return text + "\n\n" + "\n".join(lines)
