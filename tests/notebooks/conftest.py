"""Fixtures for the notebook tests: execute notebooks/*.ipynb headless, once per module.

Each notebook runs in a fresh ``python3`` kernel (ipykernel, installed with the ``test``
extra into the same virtual environment; jupyter_client starts a kernelspec whose command
is ``python`` with ``sys.executable``, and a test checks the kernel's interpreter is ours).
The kernel's working directory is ``notebooks/``, as in Jupyter. Its environment is ours
without ``MPLBACKEND`` (a notebook gets matplotlib's inline backend, as in Jupyter) and
without any API key or base URL: every notebook runs offline against the emulator.

Warnings: none needed filtering with the pinned versions (pytest runs with
``filterwarnings = error``); a new jupyter_client/nbclient DeprecationWarning would fail
these tests loudly, and a targeted filter belongs here, with its reason.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

# Unit tests draw with matplotlib in this process: never a GUI backend. (Our plots do not use
# pyplot, so this only matters if something else imports it.)
os.environ.setdefault("MPLBACKEND", "Agg")

NOTEBOOKS = ROOT / "notebooks"

#: Seconds any one cell may take: generous, for a loaded two-core machine.
CELL_TIMEOUT = 120
_HIDDEN = ("MPLBACKEND", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")


async def execute(name: str, env: Mapping[str, str] | None = None) -> Any:
    """Run ``notebooks/<name>`` in a fresh kernel and return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    notebook: Any = nbformat.read(NOTEBOOKS / name, as_version=4)
    probe = nbformat.v4.new_code_cell("import sys\nprint(sys.executable, end='')")
    notebook.cells.insert(0, probe)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    kernel_env = {k: v for k, v in os.environ.items() if k not in _HIDDEN}
    await client.async_execute(env={**kernel_env, **(env or {})})
    ran = notebook.cells.pop(0)
    assert ran.outputs[0]["text"] == sys.executable, "the kernel runs another interpreter"
    return notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """``executed(run)``: an executed notebook, by the run's name (see ``runs`` below).

    At the first call every run starts at once, each in its own kernel: the notebooks
    mostly wait for paced streams, so together they take about as long as the slowest.
    A run that failed raises its error in each test that asks for it.
    """
    absent = tmp_path_factory.mktemp("no-corpus") / "corpus"
    runs: dict[str, tuple[str, dict[str, str]]] = {
        "quickstart": ("01-quickstart.ipynb", {}),
        "quickstart without corpus": ("01-quickstart.ipynb", {"ANTHROPIC_RX_CORPUS": str(absent)}),
        "live view": ("02-live-view.ipynb", {}),
        "compare models": ("03-compare-models.ipynb", {}),
        "timeline": ("04-timeline.ipynb", {}),
        "tools": ("05-tools-and-structured-output.ipynb", {}),
        "batch": ("06-batch.ipynb", {}),
    }
    results: dict[str, Any] = {}

    async def run_all() -> None:
        done = await asyncio.gather(
            *(execute(name, env) for name, env in runs.values()), return_exceptions=True
        )
        results.update(zip(runs, done, strict=True))

    def get(run: str) -> Any:
        if not results:
            asyncio.run(run_all())
        result = results[run]
        if isinstance(result, BaseException):
            raise result
        return result

    return get


def code_cell(notebook: Any, marker: str) -> Any:
    """The one code cell whose source contains *marker*."""
    found = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    assert len(found) == 1, f"{len(found)} cells contain {marker!r}"
    return found[0]


def printed(cell: Any) -> str:
    """What the cell printed (stdout)."""
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")


def shown(cell: Any, kind: str = "display_data") -> list[Mapping[str, Any]]:
    """The MIME bundles the cell displayed (``display_data``) or returned (``execute_result``)."""
    return [o["data"] for o in cell.outputs if o["output_type"] == kind]


def notebook_paths() -> list[Path]:
    """Every notebook in notebooks/, in order."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))
