"""The history drawn: per stretch, the amount and range per side and right minus left
over the dates, written as a PNG (`posecoach history --plot`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from posecoach.inputs.files import atomic_output
from posecoach.reports.history.records import BOTH
from posecoach.reports.history.text import local_time
from posecoach.reports.history.trend import StretchHistory

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_COLORS = {"left": "#2a6fc0", "right": "#d07a1a", BOTH: "#202020", "range": "#7a5ab0"}


def plot(
    histories: Sequence[StretchHistory],
    path: str | Path,
    width_px: int = 1400,
) -> Figure:
    """Draw each stretch's history and write it as a PNG, atomically; returns the figure. A
    row per stretch: the amount per side (seconds held, or reps) over the dates, the range per
    side, and right minus left as a percent of the larger (hold and range). Every panel
    spans the same dates."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure  # drawn off screen (Agg): never opens a window

    dpi = 100
    rows = max(len(histories), 1)
    figure = Figure(figsize=(width_px / dpi, 1.0 + 2.4 * rows), dpi=dpi, layout="constrained")
    axes = figure.subplots(rows, 3, squeeze=False, sharex=True)
    every_date = [
        local_time(p.started_at).replace(tzinfo=None) for h in histories for p in h.points
    ]
    if every_date:
        first, last = min(every_date), max(every_date)
        pad = max((last - first) * 0.04, timedelta(days=1))
        axes[0][0].set_xlim(first - pad, last + pad)
    for row, history in zip(axes, histories, strict=False):
        unit = history.measure.unit
        dates = [local_time(p.started_at).replace(tzinfo=None) for p in history.points]
        amount_ax, range_ax, asymmetry_ax = row
        for side in history.sides():
            label = side if side != BOTH else "both"
            pairs = [
                (d, history.amount(p, side)) for d, p in zip(dates, history.points, strict=True)
            ]
            _series(amount_ax, pairs, _COLORS[side], label)
            ranges = [
                (d, p.sides[side].range if side in p.sides else None)
                for d, p in zip(dates, history.points, strict=True)
            ]
            _series(range_ax, ranges, _COLORS[side], label)
        what = "reps" if history.mode == "reps" else "seconds held"
        amount_ax.set_title(
            f"{history.pose_name}: {what}", loc="left", fontsize=9, fontweight="bold"
        )
        amount_ax.set_ylabel(history.amount_unit, fontsize=8)
        rule = f" ({history.range_rule})" if history.range_rule else ""
        range_ax.set_title(f"range{rule}", loc="left", fontsize=9)
        range_ax.set_ylabel(unit, fontsize=8)
        asymmetry_ax.set_title("right - left, % of the larger", loc="left", fontsize=9)
        asymmetry_ax.axhline(0, color="#a8a8a8", lw=1)
        asymmetries = [history.asymmetry(p) for p in history.points]
        _series(
            asymmetry_ax,
            [
                (d, None if a is None else a.amount_pct)
                for d, a in zip(dates, asymmetries, strict=True)
            ],
            _COLORS[BOTH],
            "reps" if history.mode == "reps" else "hold",
        )
        _series(
            asymmetry_ax,
            [
                (d, None if a is None else a.range_pct)
                for d, a in zip(dates, asymmetries, strict=True)
            ],
            _COLORS["range"],
            "range",
        )
        asymmetry_ax.set_ylabel("%", fontsize=8)
        if not history.per_side:
            asymmetry_ax.text(
                0.5, 0.5, "not done per side", transform=asymmetry_ax.transAxes, ha="center"
            )
            asymmetry_ax.set_yticks([])
        for ax in row:
            locator = AutoDateLocator(minticks=2, maxticks=6)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            ax.tick_params(labelsize=8, labelbottom=True)
            ax.grid(axis="y", color="#ececec", lw=0.6, zorder=0)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="best")
    if not histories:
        axes[0][0].text(0.5, 0.5, "no sessions", transform=axes[0][0].transAxes, ha="center")
    sessions = sum(len(h.points) for h in histories)
    figure.suptitle(
        f"posecoach history: {len(histories)} stretch{'' if len(histories) == 1 else 'es'}, "
        f"{sessions} session{'' if sessions == 1 else 's'}",
        fontsize=11,
    )
    with atomic_output(path, binary=True) as stream:
        figure.savefig(stream, format="png")
    return figure


def _series(
    ax: Axes, pairs: Sequence[tuple[datetime, float | None]], color: str, label: str
) -> None:
    """A line with a dot per session, left out where there is no value."""
    shown = [(d, v) for d, v in pairs if v is not None]
    if not shown:
        return
    x, y = zip(*shown, strict=True)
    ax.plot(x, y, color=color, lw=1.2, marker="o", ms=3.5, label=label, zorder=3)
