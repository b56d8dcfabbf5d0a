"""The notebooks in notebooks/: committed without outputs, and they run headless, offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

import anthropic_rx as arx
from anthropic_rx.operators import final_message, final_text
from tests.conftest import CORPUS, read_recording, require_corpus

from .conftest import code_cell, notebook_paths, printed, shown

QUICKSTART_RECORDING = "otel-text-then-two-tools-sonnet35.sse"
Run = Callable[..., Any]


def test_there_are_the_six_notebooks() -> None:
    assert [p.name for p in notebook_paths()] == [
        "01-quickstart.ipynb",
        "02-live-view.ipynb",
        "03-compare-models.ipynb",
        "04-timeline.ipynb",
        "05-tools-and-structured-output.ipynb",
        "06-batch.ipynb",
    ]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    notebook: Any = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in notebook.metadata
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs: {cell.source[:60]!r}"
            assert cell.execution_count is None, f"{path.name}: {cell.source[:60]!r}"
        assert "execution" not in cell.metadata  # nbclient's timing metadata


def final_state(bundle: Any) -> str:
    """The header line of a view's final rendering, checking it is final (no cursor)."""
    assert "▍" not in bundle["text/html"]
    header: str = bundle["text/plain"].splitlines()[0]
    assert " streaming " not in header and " waiting " not in header
    return header


def test_quickstart_replays_the_recording(executed: Run) -> None:
    data = read_recording(QUICKSTART_RECORDING)
    text = arx.from_bytes(data).pipe(final_text()).run()
    message = arx.from_bytes(data).pipe(final_message()).run()

    notebook = executed("quickstart")

    assert printed(code_cell(notebook, "Emulator(pace=80")) == (
        f"source: the recording {QUICKSTART_RECORDING}\n"
    )
    pieces = printed(code_cell(notebook, "text_only()"))
    assert pieces.replace("|", "") == text and pieces.count("|") > 5  # one mark per delta
    assert printed(code_cell(notebook, "message = await events.pipe(final_message())")).startswith(
        f"{message.model} · tool_use · {message.usage.output_tokens} output tokens\n"
    )
    calls = printed(code_cell(notebook, "tool_calls()")).splitlines()
    assert [line.split()[0] for line in calls] == ["get_weather", "get_time"]
    assert printed(code_cell(notebook, "final_text()")) == text + "\n"
    paced = code_cell(notebook, "live(ask()")
    (view,) = shown(paced)
    assert "tool_use" in final_state(view)
    assert text in view["text/plain"]
    assert printed(paced) == "True\n"  # the paced answer equals the recording's


def test_quickstart_falls_back_to_the_emulator_without_the_corpus(executed: Run) -> None:
    notebook = executed("quickstart without corpus")

    assert printed(code_cell(notebook, "Emulator(pace=80")).startswith("source: the emulator")
    calls = printed(code_cell(notebook, "tool_calls()")).splitlines()
    assert calls and all(line.startswith("get_") for line in calls)
    text = printed(code_cell(notebook, "final_text()"))
    (view,) = shown(code_cell(notebook, "live(ask()"))
    assert text.strip() in view["text/plain"]
    assert printed(code_cell(notebook, "live(ask()")) == "True\n"


def test_live_view_shows_each_stream_to_its_end(executed: Run) -> None:
    notebook = executed("live view")

    cells = [c for c in notebook.cells if c.cell_type == "code" and "live(" in c.source]
    assert len(cells) == 5
    for cell in cells:
        (view,) = shown(cell)
        final_state(view)
    (text_view,) = shown(code_cell(notebook, "Why do people stream"))
    assert "end_turn" in final_state(text_view)
    lines = printed(code_cell(notebook, "view.first_token")).splitlines()
    assert lines[0].startswith("first token after ") and lines[2] == "True"
    (tool_view,) = shown(code_cell(notebook, "tools=[WEATHER]"))
    assert "tool_use" in final_state(tool_view)
    assert "[tool get_weather] {" in tool_view["text/plain"]
    (result,) = shown(code_cell(notebook, "tools=[WEATHER]"), "execute_result")
    assert result["text/plain"].startswith("{'city': ")
    (thinking,) = shown(code_cell(notebook, "thinking="), "execute_result")
    assert thinking["text/plain"] == "['thinking', 'text']"
    assert printed(code_cell(notebook, "one request, two pipelines")) == "True · 1 request sent\n"
    (stop,) = shown(code_cell(notebook, "AsyncClient("), "execute_result")
    assert stop["text/plain"] == "'end_turn'"


def test_compare_models_shows_columns_then_the_table(executed: Run) -> None:
    notebook = executed("compare models")

    (board,) = shown(code_cell(notebook, "board = compare({model"))
    table = board["text/plain"].split("\n\n")[-1].splitlines()
    assert table[0].startswith("stream ") and "tokens/s" in table[0]
    assert [row.split()[0] for row in table[1:]] == [
        "claude-haiku-4-5",
        "claude-sonnet-4-5",
        "claude-opus-4-1",
    ]
    assert all(row.endswith("end_turn") for row in table[1:])
    assert "<table" in board["text/html"]
    lines = printed(code_cell(notebook, "fastest =")).splitlines()
    assert len(lines) == 4 and lines[-1].startswith("fastest: ")
    errors = code_cell(notebook, "def overloaded")
    assert printed(errors) == "['haiku'] {'sonnet (overloaded)': 'OverloadedError'}\n"
    (board,) = shown(errors)
    assert "[error] OverloadedError: " in board["text/plain"]


def test_timeline_plots_a_picture(executed: Run) -> None:
    notebook = executed("timeline")

    (summary,) = shown(code_cell(notebook, "await timeline"), "execute_result")
    assert summary["text/plain"].startswith("<Timeline 3 streams, ")
    assert summary["text/plain"].endswith(" 0 running>")
    (figure,) = shown(code_cell(notebook, "timeline.plot()"), "execute_result")
    assert "image/png" in figure  # shown as a picture, though pyplot was never imported
    lines = printed(code_cell(notebook, "first_token(label)")).splitlines()
    assert [line.split(" first token")[0].strip() for line in lines] == [
        "haiku · text",
        "sonnet · tool call",
        "opus · thinking",
    ]
    (rows,) = shown(code_cell(notebook, "first_token(label)"), "execute_result")
    assert rows["text/plain"].startswith("[TimelineRow(label='haiku · text', seq=0, kind='request'")


def test_tools_run_in_parallel_ask_first_and_the_structured_answer_fills_in(
    executed: Run,
) -> None:
    notebook = executed("tools")

    schema = json.loads(printed(code_cell(notebook, "def get_weather")))
    assert schema["name"] == "get_weather"
    assert schema["input_schema"]["required"] == ["city"]

    lines = printed(code_cell(notebook, "timeline = Timeline(")).splitlines()
    cities = ["Paris", "Rome", "Berlin", "Tokyo"]
    assert [line.split()[0] for line in lines[:4]] == cities  # in the order the model asked
    assert all(
        f"'{city}: 18 °C, light wind'" in line for city, line in zip(cities, lines[:4], strict=True)
    )
    assert lines[4].startswith("tool phase: ") and lines[4].endswith(" for 4 calls of 0.5 s each")
    assert lines[5] == "end_turn · 2 turns"
    assert all(f'"{city}: 18 °C, light wind"' in lines[6] for city in cities)  # the answer
    (picture,) = shown(code_cell(notebook, "broken_barh"))
    assert "image/png" in picture

    approval = printed(code_cell(notebook, "def approve_in_budget")).splitlines()
    assert approval[:2] == ["approved: Rome", "denied: Tokyo"]
    assert "Booked 2 seat(s) to Rome" in approval[2]
    assert "Tokyo is over this month's travel budget." in approval[2]  # the model was told
    chat = printed(code_cell(notebook, "trip.send(")).splitlines()
    assert chat[0] == "denied: Tokyo"  # the next run, seen by the same subscriber
    assert "Tokyo is over this month's travel budget." in chat[1]
    assert chat[-1] == str(["user", "assistant"] * 4)  # two runs of two turns each

    cell = code_cell(notebook, "partial_output(Trip)")
    rows = printed(cell).splitlines()
    assert rows[0].startswith("[] {}") or rows[0].startswith("['city'] {'city': ")
    assert rows[-1].endswith("partial values; the last is complete: True")
    count = int(rows[-1].split()[0])
    assert count > 5  # it filled in over many steps
    (result,) = shown(cell, "execute_result")
    assert result["text/plain"].startswith("Trip(city='Lisbon', days=3, highlights=[")
    (live,) = shown(cell)  # the live line, updated in place to its last state
    assert live["text/plain"].startswith("complete {'city': 'Lisbon', 'days': 3,")


def test_the_corpus_is_where_the_quickstart_looks() -> None:
    """The notebook's default (../shared/corpus beside the repository) is the tests' own."""
    require_corpus(CORPUS)
    assert (CORPUS / "real" / QUICKSTART_RECORDING).exists()


def test_batch_shows_live_progress_and_a_results_table(executed: Run) -> None:
    notebook = executed("batch")
    progress = code_cell(notebook, "notebook_progress(run)")
    (bar,) = shown(progress)  # one display, updated in place (nbclient keeps its last state)
    last = bar["text/html"]
    assert "<progress" in last and "ended" in last and "12/12 processed" in last
    assert "12 results read" in last
    assert printed(progress).startswith("ended processing=0 succeeded=11 errored=1")
    (table,) = shown(code_cell(notebook, "<table>"))
    html = table["text/html"]
    assert html.count("<tr>") == 13  # the header and one row per request
    assert "BatchRequestFailedError" in html and "Paris" in html
    lines = printed(code_cell(notebook, 'via="batch"')).splitlines()
    assert lines == ["streamed: ['q00', 'q01', 'q02']", "batched:  ['q00', 'q01', 'q02']"]
    assert printed(code_cell(notebook, "attach(client")).startswith("12 results again for")
