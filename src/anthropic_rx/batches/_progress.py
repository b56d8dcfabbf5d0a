"""`show_progress`: a `BatchRun`'s progress as a rich bar in the terminal (``demo`` extra)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reactivex import abc
from reactivex.disposable import CompositeDisposable, Disposable

from ..concurrency import Tagged
from ._run import BatchRun
from ._state import BatchItem, BatchProgress

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["notebook_progress", "show_progress"]


def _import_rich() -> Any:
    try:
        import rich.progress
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("show_progress needs rich: `pip install anthropic-rx[demo]`") from exc
    return rich.progress


def _label(progress: BatchProgress) -> str:
    counts = progress.request_counts
    parts = [f"[bold]{progress.processing_status}[/]", f"ok {counts.succeeded}"]
    parts += [
        f"{name} {n}" for name in ("errored", "canceled", "expired") if (n := getattr(counts, name))
    ]
    return " · ".join(parts)


def show_progress(
    run: BatchRun, /, *, console: Console | None = None, transient: bool = False
) -> abc.DisposableBase:
    """Show *run*'s progress in the terminal: processed requests, then results read.

    Two bars: the requests that left ``processing`` (with the counts by outcome), and the
    results read. The bars stop when the run ends; dispose the returned subscription to
    stop them earlier (the run goes on). Subscribing starts the run.

    Args:
        run: the `BatchRun` to watch.
        console: the rich `Console` to draw on (default: a new one on stdout).
        transient: remove the bars when done.

    Raises:
        ImportError: rich is not installed (``pip install anthropic-rx[demo]``).

    Example:
        >>> run = run_batch(client, requests)
        >>> show_progress(run)
        >>> messages = run.results().pipe(ops.to_list()).run()
    """
    progress_module = _import_rich()
    bar = progress_module.Progress(
        progress_module.TextColumn("{task.description}"),
        progress_module.BarColumn(),
        progress_module.MofNCompleteColumn(),
        progress_module.TimeElapsedColumn(),
        console=console,
        transient=transient,
    )
    processed = bar.add_task("processing", total=None)
    read = bar.add_task("results", total=None)
    bar.start()
    results = 0

    def on_next(item: BatchItem) -> None:
        nonlocal results
        if isinstance(item, Tagged):
            results += 1
            bar.update(read, completed=results)
        else:
            total = item.request_counts.total or None
            bar.update(
                processed, completed=item.request_counts.done, total=total, description=_label(item)
            )
            bar.update(read, total=total)

    def stop(_: object = None) -> None:
        bar.stop()

    subscription = run.subscribe(on_next, stop, stop)
    return CompositeDisposable(subscription, Disposable(stop))


def _bar_html(progress: BatchProgress | None, results: int) -> str:
    import html

    if progress is None:
        return "<div>batch: starting…</div>"
    counts = progress.request_counts
    total = counts.total or 1
    rows = " · ".join(
        f"{name} {getattr(counts, name)}"
        for name in ("succeeded", "errored", "canceled", "expired", "processing")
        if getattr(counts, name)
    )
    return (
        f'<div style="font-family: monospace">'
        f"<b>{html.escape(progress.processing_status)}</b> "
        f'<progress value="{counts.done}" max="{total}" style="width: 40%"></progress> '
        f"{counts.done}/{counts.total} processed · {html.escape(rows)} · "
        f"{results} results read · {progress.polls} polls</div>"
    )


def notebook_progress(run: BatchRun, /) -> abc.DisposableBase:
    """Show *run*'s progress in a Jupyter cell: a bar that updates in place.

    One display (an HTML ``<progress>`` bar with the counts, the results read and the
    polls) replaced at each change; its last state stays in the notebook. Subscribing
    starts the run.

    Raises:
        ImportError: IPython is not installed (``pip install anthropic-rx[notebook]``).

    Example:
        >>> notebook_progress(run)
        >>> items = run.results().pipe(ops.to_list()).run()
    """
    try:
        ipython: Any = importlib.import_module("IPython.display")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "notebook_progress needs IPython: `pip install anthropic-rx[notebook]`"
        ) from exc
    html = ipython.HTML
    handle: Any = ipython.display(html(_bar_html(run.latest, 0)), display_id=True)
    results = 0
    every = 1

    def on_next(item: BatchItem) -> None:
        nonlocal results, every
        if isinstance(item, Tagged):
            results += 1
            if results % every:
                return  # thousands of results: redraw at most about a hundred times
        else:
            every = max(1, item.request_counts.total // 100)
        handle.update(html(_bar_html(run.latest, results)))

    def end(_: object = None) -> None:
        handle.update(html(_bar_html(run.latest, results)))

    return run.subscribe(on_next, end, end)
