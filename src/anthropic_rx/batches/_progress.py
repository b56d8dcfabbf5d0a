"""`show_progress`: a `BatchRun`'s progress as a rich bar in the terminal (``demo`` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reactivex import abc
from reactivex.disposable import CompositeDisposable, Disposable

from ..concurrency import Tagged
from ._run import BatchItem, BatchProgress, BatchRun

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["show_progress"]


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
