"""The demo's frame fits the terminal, from 80x24 up, and says what each box shows."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("rich")

from rich.console import Console

from anthropic_rx._demo import DemoOptions, run_demo
from anthropic_rx._demo._pipelines import Box
from anthropic_rx._demo._screen import render

TITLES = ("A: text", "B: text, merged with A", "C: tool input", "D: thinking", "D's answer")


def console(width: int, height: int) -> Console:
    return Console(width=width, height=height, record=True, file=io.StringIO(), color_system=None)


def long_panels() -> dict[str, Box]:
    words = " ".join(f"word{i}" for i in range(400))
    panels = {
        "A": Box("A: text · coalesce_text()", text=words + " THE-END-A"),
        "B": Box("B: text, merged with A", text=words + " THE-END-B"),
        "tool": Box("C: tool input · on_tool_input()", text='{"city": "Paris"}'),
        "think": Box("D: thinking · thinking()", text=words + " THE-END-D"),
        "answer": Box("D's answer · text_only()", text=words + " THE-END-ANSWER"),
    }
    panels["A"].done = "end_turn · 35 in / 54 out"
    return panels


@pytest.mark.parametrize(("width", "height"), [(80, 24), (100, 30), (160, 50)])
def test_a_frame_with_long_text_fits_the_terminal(width: int, height: int) -> None:
    out = console(width, height)
    out.print(render(long_panels(), "the built-in emulator at http://127.0.0.1:1234", 12.3, out))
    lines = out.export_text().splitlines()
    assert len(lines) < height  # one line left for the cursor: nothing scrolls away
    assert all(len(line) <= width for line in lines)
    assert lines[0].startswith("anthropic_rx demo · 4 requests at once, 5 live views")
    assert "12.3 s" in lines[0]
    text = "\n".join(lines)
    for title in TITLES:
        assert title in text
    # Each box shows the newest text, its end, rather than a first screenful.
    for end in ("THE-END-A", "THE-END-B", "THE-END-D", "THE-END-ANSWER"):
        assert end in text
    assert "end_turn · 35 in / 54 out" in text
    assert "one merged Observable" in text  # the legend says what A and B are


def test_the_whole_run_at_80x24_stays_within_the_screen() -> None:
    out = console(80, 24)
    assert run_demo(DemoOptions(pace=0), out) == 0
    lines = out.export_text().splitlines()
    assert len(lines) < 24 and all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("anthropic_rx demo")
    assert "(no network)" in lines[1]
