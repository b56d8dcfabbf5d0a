"""The demo's screen: the panels drawn with rich, sized to the terminal (80x24 and up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from ._pipelines import Box

__all__ = ["render"]

_LEGEND = (
    "A and B: two answers through one merged Observable, drawn per frame. C: a tool "
    "call's input as it forms. D: thinking, then its answer: two views of one request. "
    "Each box's last line: its stop reason and usage (final_message)."
)


def _tail(text: Text, console: Console, width: int, lines: int) -> Text:
    """The last *lines* lines of *text* wrapped to *width*: a panel shows the newest text."""
    from rich.text import Text

    wrapped = text.wrap(console, max(1, width))
    if len(wrapped) <= lines:
        return text
    return Text("\n").join(wrapped[len(wrapped) - lines :])


def render(panels: dict[str, Box], where: str, elapsed: float, console: Console) -> RenderableType:
    """One frame, exactly the terminal's size (at least 80x24): nothing scrolls away."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    width = max(console.size.width, 40)
    height = max(console.size.height, 16)
    header = Text.assemble(
        ("anthropic_rx demo", "bold"),
        f" · 4 requests at once, 5 live views · {elapsed:4.1f} s · Ctrl-C stops",
        no_wrap=True,
        overflow="ellipsis",
    )
    source = Text(f"from {where}", style="dim", no_wrap=True, overflow="ellipsis")
    legend = Text(_LEGEND, style="dim").wrap(console, width)
    answer_height = 4
    # One line is left free below the frame, for the cursor: a full screen would scroll.
    room = height - 2 - len(legend) - answer_height - 1
    row_height = max(3, min(room // 2, 14))
    left = width // 2
    right = width - left

    def box(key: str, style: str, box_width: int, box_height: int) -> Panel:
        p = panels[key]
        with p.lock:
            body = Text(p.text or "…", style=style)
        body = _tail(body, console, box_width - 4, box_height - 2)
        done = panels["think"].done if key == "answer" else p.done  # one stream, two views
        subtitle = Text(done or "streaming", no_wrap=True, overflow="ellipsis")
        subtitle.truncate(box_width - 6, overflow="ellipsis")
        return Panel(
            body,
            title=p.title,
            subtitle=subtitle,
            border_style=style,
            width=box_width,
            height=box_height,
        )

    grid = Table.grid(padding=0)
    grid.add_column(width=left)
    grid.add_column(width=right)
    grid.add_row(box("A", "cyan", left, row_height), box("B", "magenta", right, row_height))
    grid.add_row(box("tool", "yellow", left, row_height), box("think", "green", right, row_height))
    answer = box("answer", "bold green", width, answer_height)
    return Group(header, source, grid, answer, Text("\n").join(legend))
