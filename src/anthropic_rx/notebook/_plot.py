"""Draw a `Timeline`'s rows with matplotlib: a row per stream, a tick per event.

Imported only by `Timeline.plot`, so recording never needs matplotlib. The figure is made
with ``matplotlib.figure.Figure``, not pyplot: nothing is registered globally (no figure
to close, no "more than 20 figures" warning) and it is safe to draw from any thread.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ._deps import require
from ._timeline import CONTENT_KINDS, KINDS, TimelineRow

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["STYLE", "plot_timeline"]


class _Look(NamedTuple):
    color: str
    height: float  # half the tick's height, in rows
    legend: str  # "" keeps it out of the legend (it shares an entry)


#: How each kind is drawn: colour, half-height of its tick, and its legend entry.
STYLE: dict[str, _Look] = {
    "request": _Look("#4d4d4d", 0.0, "request sent"),
    "message_start": _Look("#262626", 0.38, "message_start"),
    "block_start": _Look("#a6a6a6", 0.38, "content block start / stop"),
    "thinking": _Look("#9467bd", 0.28, "thinking delta"),
    "signature": _Look("#c5b0d5", 0.28, "signature delta"),
    "text": _Look("#1f77b4", 0.28, "text delta"),
    "citation": _Look("#17becf", 0.28, "citations delta"),
    "tool_input": _Look("#ff7f0e", 0.28, "tool input delta"),
    "delta": _Look("#8c564b", 0.28, "other delta"),
    "block_stop": _Look("#a6a6a6", 0.38, ""),
    "message_delta": _Look("#2ca02c", 0.38, "message_delta (stop reason, usage)"),
    "message_stop": _Look("#000000", 0.42, "message_stop"),
    "ping": _Look("#c7c7c7", 0.14, "ping"),
    "error": _Look("#d62728", 0.42, "error event"),
    "unknown": _Look("#e377c2", 0.28, "unknown event"),
    "completed": _Look("#000000", 0.0, ""),
    "failed": _Look("#d62728", 0.0, "failed"),
    "disposed": _Look("#7f7f7f", 0.0, "disposed early"),
}
_ENDS = frozenset({"completed", "failed", "disposed"})
# Light and frequent ticks first, so content lies over them and the message's own start and
# stop over everything (a stream's end is marked only when it went wrong).
_DRAW_ORDER = (
    "ping",
    "block_start",
    "block_stop",
    "message_delta",
    "unknown",
    "delta",
    "signature",
    "citation",
    "thinking",
    "tool_input",
    "text",
    "message_start",
    "message_stop",
    "error",
    "failed",
    "disposed",
)
_WAIT_COLOR = "#e8eef6"


class _Stream(NamedTuple):
    label: str
    request: float
    end: float
    first_token: float | None
    events: int
    ending: str  # completed, failed, disposed, or "" while running


def _streams(rows: Sequence[TimelineRow]) -> list[_Stream]:
    """Summarise each label's rows (its first recorded subscription, when there are several)."""
    by_label: dict[str, list[TimelineRow]] = {}
    for row in rows:
        by_label.setdefault(row.label, []).append(row)
    streams: list[_Stream] = []
    for label, own in by_label.items():
        request = next((r.seconds for r in own if r.kind == "request"), own[0].seconds)
        first = next((r.seconds for r in own if r.kind in CONTENT_KINDS), None)
        ending = next((r.kind for r in own if r.kind in _ENDS), "")
        events = sum(1 for r in own if r.kind != "request" and r.kind not in _ENDS)
        streams.append(_Stream(label, request, own[-1].seconds, first, events, ending))
    return streams


def _show_as_picture(figure_class: type[Any]) -> None:
    """Make IPython show bare ``Figure``\\ s as PNG when no figure format is chosen yet.

    pyplot's inline backend registers that formatter when pyplot is imported; a figure
    made without pyplot would otherwise show as ``<Figure size 1000x300 with 1 Axes>``.
    A format the user chose (``%config InlineBackend.figure_formats``) is left alone.
    """
    try:
        ipython: Any = importlib.import_module("IPython")
        pylabtools: Any = importlib.import_module("IPython.core.pylabtools")
    except ImportError:  # not in IPython: nothing shows figures
        return
    shell: Any = ipython.get_ipython()
    if shell is None:
        return
    formatters: Any = shell.display_formatter.formatters
    for mime in ("image/png", "image/svg+xml", "image/jpeg", "application/pdf"):
        try:
            formatters[mime].lookup_by_type(figure_class)
        except KeyError:
            continue
        return
    formatters["image/png"].for_type(
        figure_class, functools.partial(pylabtools.print_figure, fmt="png", base64=True)
    )


def plot_timeline(
    rows: Sequence[TimelineRow],
    *,
    ax: Axes | None = None,
    title: str | None = "When each event arrived",
    kinds: Iterable[str] | None = None,
) -> Figure:
    """Draw *rows* (from `Timeline.to_rows`) and return the figure; see `Timeline.plot`.

    Example:
        >>> plot_timeline(timeline.to_rows()).savefig("timeline.png")
    """
    figure_module: Any = require("matplotlib.figure", "Timeline.plot")
    lines: Any = require("matplotlib.lines", "Timeline.plot")
    patches: Any = require("matplotlib.patches", "Timeline.plot")

    streams = _streams(rows)
    shown = frozenset(KINDS if kinds is None else kinds)
    own = ax is None
    if ax is None:
        figure: Any = figure_module.Figure(
            figsize=(10.0, 1.7 + 0.62 * max(1, len(streams))), layout="constrained"
        )
        ax = figure.add_subplot()
        _show_as_picture(figure_module.Figure)
    else:
        figure = ax.figure
        while not isinstance(figure, figure_module.Figure):  # a SubFigure: up to the root
            figure = figure.figure
    # matplotlib types its many **kwargs as unknown, which strict checking reports on every
    # call: draw through untyped names (the signature keeps the real types).
    axes: Any = ax

    position = {s.label: len(streams) - 1 - i for i, s in enumerate(streams)}  # first on top
    longest = max((s.end for s in streams), default=1.0) or 1.0
    drawn: set[str] = set()
    for stream in streams:
        y = position[stream.label]
        axes.hlines(y, stream.request, stream.end, colors="#d9d9d9", linewidth=1.0, zorder=1)
        if stream.first_token is not None:
            axes.broken_barh(
                [(stream.request, stream.first_token - stream.request)],
                (y - 0.3, 0.6),
                facecolors=_WAIT_COLOR,
                zorder=0,
            )
    by_kind: dict[str, tuple[list[float], list[float]]] = {}
    for row in rows:
        if row.kind in shown and row.kind not in ("request", "completed"):
            xs, ys = by_kind.setdefault(row.kind, ([], []))
            xs.append(row.seconds)
            ys.append(position[row.label])
    for kind in _DRAW_ORDER:
        if kind not in by_kind:
            continue
        xs, ys = by_kind[kind]
        look = STYLE[kind]
        if kind in _ENDS:
            axes.scatter(xs, ys, marker="X", s=60, color=look.color, zorder=5)
        else:
            lows = [y - look.height for y in ys]
            highs = [y + look.height for y in ys]
            width = 1.6 if look.height >= 0.38 else 1.0
            axes.vlines(xs, lows, highs, colors=look.color, linewidth=width, zorder=3)
        drawn.add(kind)

    for stream in streams:
        y = position[stream.label]
        axes.plot(
            [stream.request],
            [y],
            marker="o",
            markersize=5,
            color=STYLE["request"].color,
            markerfacecolor="white",
            zorder=4,
        )
        if stream.first_token is not None:
            latency = stream.first_token - stream.request
            axes.plot(
                [stream.first_token],
                [y + 0.47],
                marker="v",
                markersize=7,
                color="#d62728",
                zorder=6,
            )
            axes.annotate(
                f"first token {latency:.2f} s",
                (stream.first_token, y + 0.47),
                xytext=(6, -1),
                textcoords="offset points",
                fontsize=8,
                color="#d62728",
                va="center",
            )
        ending = {"failed": "failed", "disposed": "stopped"}.get(stream.ending, "")
        summary = f"{stream.end - stream.request:.2f} s · {stream.events} events"
        axes.annotate(
            f"{summary} · {ending}" if ending else summary,
            (stream.end, y),
            xytext=(8, 0),
            textcoords="offset points",
            fontsize=8,
            color="#595959",
            va="center",
        )

    axes.set_yticks(range(len(streams)), [s.label for s in reversed(streams)])
    axes.set_ylim(-0.7, len(streams) - 0.25)
    axes.set_xlim(-0.02 * longest, longest * 1.16)  # room for the request circles at 0
    axes.set_xlabel("seconds since the first request")
    axes.grid(axis="x", color="#eeeeee", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.tick_params(axis="y", length=0, pad=8)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    if title:
        axes.set_title(title, loc="left", fontsize=12, fontweight="bold")

    handles: list[Artist] = [
        lines.Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5,
            color=STYLE["request"].color,
            markerfacecolor="white",
            label=STYLE["request"].legend,
        ),
        patches.Patch(facecolor=_WAIT_COLOR, label="waiting for the first token"),
        lines.Line2D(
            [], [], linestyle="none", marker="v", markersize=7, color="#d62728", label="first token"
        ),
    ]
    for kind in KINDS:
        look = STYLE[kind]
        if kind in drawn and look.legend:
            if kind in _ENDS:
                handles.append(
                    lines.Line2D(
                        [], [], linestyle="none", marker="X", color=look.color, label=look.legend
                    )
                )
            else:
                handles.append(
                    lines.Line2D([0], [0], color=look.color, linewidth=2, label=look.legend)
                )
    if own:
        # Constrained layout makes room below the axes for a legend placed "outside".
        figure.legend(
            handles=handles, loc="outside lower center", ncol=4, frameon=False, fontsize=8
        )
    else:
        axes.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
        )
    root: Figure = figure
    return root
