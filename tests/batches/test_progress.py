"""`show_progress`: the rich bar a script shows while a batch runs."""

from __future__ import annotations

import io

from rich.console import Console

from anthropic_rx.batches import run_batch
from anthropic_rx.emulator import Emulator

from .helpers import FAST, client, collect, requests


def test_the_bar_ends_with_every_request_and_result(emu: Emulator) -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    with client(emu, batch_time=0.05, fail=["q1"]) as c:
        from anthropic_rx.batches import show_progress

        run = run_batch(c, requests(4), **FAST)
        shown = show_progress(run, console=console)
        got, _ = collect(run)
        got.wait()
        shown.dispose()
    text = out.getvalue()
    assert "ended" in text and "ok 3" in text and "errored 1" in text
    assert "4/4" in text  # both bars full: processed, and results read
