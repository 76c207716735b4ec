"""Every rule's signal over a session: a per-frame table built from the coach's assessments,
written as CSV (`SignalTable.write_csv`) and drawn over time (`SignalTable.plot`).

The table holds plain numpy arrays, so any drawing layer can read it; only `plot` imports
matplotlib.
"""

from __future__ import annotations

import csv
import io
import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posecoach.coaching.body import Side
from posecoach.coaching.coach import Assessment, Status
from posecoach.coaching.posefile import Counter, PoseSpec
from posecoach.coaching.rules import UNIT_WORDS, Rule, When, range_text
from posecoach.coaching.temporal import RepPhase
from posecoach.config.errors import PosecoachError
from posecoach.inputs.files import atomic_output

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# The columns before the rules' own, in the CSV (REP_SIGNAL only for stretches counted in reps).
FRAME_COLUMNS = ("frame", "t_s", "status", "side", "phase", "in_position")
REP_SIGNAL = "rep_signal"
PASS_SUFFIX = "_pass"
DECIMALS = 4  # values and times in the CSV (far finer than the model measures)

# How the plot reads: colours, and how much of a panel's height the verdict band takes.
_COLORS = {
    "pass": "#3a9d3a",
    "fail": "#d03a3a",
    "unknown": "#a8a8a8",
    "value": "#202020",
    "top": "#7a5ab0",
    "threshold": "#e08a00",
    "counter": "#2a6fc0",
    "out": "#e4e4e4",
}
_BAND = 0.09  # the verdict band: the bottom 9% of each panel
_DATA_BOTTOM = 0.15  # values are drawn above this fraction of the panel's height
_WHEN_TEXT = {When.TOP: "judged at the top of each rep", When.BOTTOM: "judged at rest"}
# Verdict codes in the plot's bands, with their colours and labels.
_PASS, _FAIL, _UNKNOWN = 1, 0, -1
_VERDICT_BANDS = (
    (_PASS, "pass", "passes"),
    (_FAIL, "fail", "fails"),
    (_UNKNOWN, "unknown", "not judged"),
)


@dataclass(frozen=True)
class RuleThresholds:
    """A rule's passing range (`min_value` to `max_value`, either may be open) in the unit of
    its kind: "deg" (degrees), "torso" (torso lengths) or "count"."""

    rule_id: str
    unit: str
    min_value: float | None
    max_value: float | None
    gate: bool  # a gate defines the position: it must pass for the frame to be in position
    when: When  # when the rule is judged (TOP and BOTTOM: once per rep)

    @classmethod
    def from_rule(cls, rule: Rule) -> RuleThresholds:
        return cls(
            rule.id, rule.spec.unit_key, rule.min_value, rule.max_value, rule.gate, rule.when
        )

    def text(self) -> str:
        """The passing range in words: 'from 80 to 100 deg', 'at least 170 deg'."""
        text = range_text(self.min_value, self.max_value, self.unit)
        return f"from {text}" if self.min_value is not None and self.max_value is not None else text


def signal_columns(pose: PoseSpec) -> tuple[str, ...]:
    """The CSV header for `pose`: the frame columns, `rep_signal` for a stretch counted in reps,
    then `<rule_id>` and `<rule_id>_pass` for each rule in the pose file's order.

    PosecoachError when a rule id would give a column another column already has."""
    columns = [*FRAME_COLUMNS, *([REP_SIGNAL] if pose.counter is not None else [])]
    for rule in pose.rules:
        columns += [rule.id, rule.id + PASS_SUFFIX]
    clashes = sorted({c for c in columns if columns.count(c) > 1})
    if clashes:
        raise PosecoachError(
            f"{pose.id}: cannot tabulate the signals: rule ids give the column name(s) "
            f"{', '.join(clashes)} twice; rename the rule (columns: {', '.join(FRAME_COLUMNS)}, "
            f"{REP_SIGNAL}, and per rule <id> and <id>{PASS_SUFFIX})"
        )
    return tuple(columns)


class SignalTable:
    """Every rule's value and verdict in every frame of a session, for one stretch.

    Fill it with `add` (one assessment per frame, as the coaching loop makes them) or build it
    with `from_assessments`. It keeps only numbers, so a long session stays small (two 8-byte
    numbers per frame and rule). The per-frame arrays (`times_s`, `frame_index`, `in_position`,
    `values`, `passes`, `rep_signal`) are copies made when read; thresholds are in
    `thresholds` and the rep counter's numbers in `counter`.
    """

    def __init__(self, pose: PoseSpec, source: str = "") -> None:
        self.pose = pose
        self.source = source  # what was coached: a file name, "camera 0", ...
        self.columns = signal_columns(pose)
        self.rule_ids: tuple[str, ...] = tuple(rule.id for rule in pose.rules)
        """The rules in the pose file's order."""
        self.thresholds: dict[str, RuleThresholds] = {
            rule.id: RuleThresholds.from_rule(rule) for rule in pose.rules
        }
        """Per rule id: its passing range and unit, whether it is a gate, when it is judged."""
        self.counter: Counter | None = pose.counter
        """The rep counter (reps stretches): `signal` (a rule id), `start` and `peak`, in that
        rule's unit. None for a hold."""
        self._timestamps_ms = array("d")
        self._frames = array("q")
        self._statuses: list[Status] = []
        self._sides: list[Side | None] = []
        self._phases: list[RepPhase | None] = []
        self._values = {rule_id: array("d") for rule_id in self.rule_ids}
        self._passes = {rule_id: array("d") for rule_id in self.rule_ids}
        self._rep_signal = array("d")
        self._counts = pose.counter is not None  # a rep signal column

    @classmethod
    def from_assessments(
        cls, pose: PoseSpec, assessments: Iterable[Assessment], source: str = ""
    ) -> SignalTable:
        """The table of a list of assessments (one per frame, in order) of `pose`."""
        table = cls(pose, source)
        for assessment in assessments:
            table.add(assessment)
        return table

    def add(self, assessment: Assessment) -> None:
        """Append one frame."""
        self._timestamps_ms.append(assessment.timestamp_ms)
        self._frames.append(assessment.frame_index)
        self._statuses.append(assessment.status)
        self._sides.append(assessment.side)
        self._phases.append(assessment.phase)
        results = {result.rule.id: result for result in assessment.results}
        for rule_id in self.rule_ids:
            result = results.get(rule_id)
            value = result.value if result is not None else None
            passed = result.passed if result is not None else None
            self._values[rule_id].append(math.nan if value is None else value)
            self._passes[rule_id].append(math.nan if passed is None else float(passed))
        if self._counts:
            self._rep_signal.append(_counter_input(assessment))

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def timestamps_ms(self) -> np.ndarray:
        """(n,) float: each frame's timestamp as the source gave it, in milliseconds."""
        return np.array(self._timestamps_ms, dtype=float)

    @property
    def times_s(self) -> np.ndarray:
        """(n,) float: seconds since the first frame (the report's cue and event times)."""
        stamps = self.timestamps_ms
        return (stamps - stamps[0]) / 1000 if len(stamps) else stamps

    @property
    def frame_index(self) -> np.ndarray:
        """(n,) int: each frame's index in its source."""
        return np.array(self._frames, dtype=np.int64)

    @property
    def statuses(self) -> list[Status]:
        """Each frame's status: IN_POSITION, or what kept the coach from judging it."""
        return list(self._statuses)

    @property
    def sides(self) -> list[Side | None]:
        """Each frame's working side (None: not done per side, or not known yet)."""
        return list(self._sides)

    @property
    def phases(self) -> list[RepPhase | None]:
        """Each frame's rep phase (None for a hold)."""
        return list(self._phases)

    @property
    def in_position(self) -> np.ndarray:
        """(n,) bool: the person was in position (set-up right, every gate passing)."""
        return np.array([s is Status.IN_POSITION for s in self._statuses], dtype=bool)

    @property
    def values(self) -> dict[str, np.ndarray]:
        """Per rule id, (n,) float: the rule's value as the coach judged it, in its unit; NaN
        where it was not judged (nobody found, set-up wrong, joints not trusted). A rule judged
        at the top of each rep holds the value of the last counted rep's top until the next
        rep; one judged at rest has its value in every frame but a verdict only at rest."""
        return {rule_id: np.array(v, dtype=float) for rule_id, v in self._values.items()}

    @property
    def passes(self) -> dict[str, np.ndarray]:
        """Per rule id, (n,) float: 1.0 where the rule passed, 0.0 where it failed, NaN where it
        was not judged. Gates pass and fail out of position too (that is what puts the person
        out of position); form checks are also judged out of position when their joints are
        seen, so mask with `in_position` for the verdicts that counted."""
        return {rule_id: np.array(v, dtype=float) for rule_id, v in self._passes.items()}

    @property
    def rep_signal(self) -> np.ndarray | None:
        """(n,) float: the value the rep counter read in each frame (its signal rule's value
        while in position, NaN otherwise; `Assessment.counted`); None for a hold. For a signal
        rule judged at the top of each rep, `values` holds the rep's judged top instead."""
        if self.counter is None:
            return None
        return np.array(self._rep_signal, dtype=float)

    def rows(self) -> Iterator[list[str]]:
        """The CSV's data rows, as text cells in the order of `columns`."""
        times = self.times_s
        values = [self._values[rule_id] for rule_id in self.rule_ids]
        passes = [self._passes[rule_id] for rule_id in self.rule_ids]
        for i in range(len(self)):
            side, phase = self._sides[i], self._phases[i]
            status = self._statuses[i]
            row = [
                str(self._frames[i]),
                _number(float(times[i])),
                status.value,
                "" if side is None else side.value,
                "" if phase is None else phase.value,
                "1" if status is Status.IN_POSITION else "0",
            ]
            if self.counter is not None:
                row.append(_number(self._rep_signal[i]))
            for value, passed in zip(values, passes, strict=True):
                row += [_number(value[i]), _verdict(passed[i])]
            yield row

    def write_csv(self, path: str | Path) -> Path:
        """Write the table as CSV, atomically (never a half-written file): a header row of
        `columns`, then one row per frame. `frame` is the source's frame index, `t_s` seconds
        since the first frame, `status` the coach's status (in_position, no_person,
        not_in_position, ...), `side` the working side (left, right or empty), `phase` the rep
        phase (unarmed, rest, moving, peak; empty for a hold), `in_position` 1 or 0,
        `rep_signal` (reps only) what the rep counter read; then per rule `<rule_id>` its value
        (empty when not judged) and `<rule_id>_pass` 1, 0 or empty. Numbers have at most 4
        decimals."""
        with atomic_output(path) as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows(self.rows())
        return Path(path)

    def write(
        self, csv_path: str | Path | None = None, plot_path: str | Path | None = None
    ) -> None:
        """Write the CSV and the plot (each when its path is given); PosecoachError naming
        every file that could not be written, after trying both."""
        problems = []
        for path, what, write in (
            (csv_path, "signals", self.write_csv),
            (plot_path, "plot", self.plot),
        ):
            if path is None:
                continue
            try:
                write(path)
            except OSError as error:
                problems.append(f"cannot write {what} {path}: {error.strerror or error}")
        if problems:
            raise PosecoachError("; ".join(problems))

    def plot(self, path: str | Path, width_px: int = 1400) -> Figure:
        """Draw every rule's signal over time and write it as a PNG, atomically; returns the
        figure (`figure` says what it shows)."""
        figure = self.figure(width_px)
        with atomic_output(path, binary=True) as stream:
            figure.savefig(stream, format="png")
        return figure

    def plot_png(self, width_px: int = 1400) -> bytes:
        """The plot `plot` writes, as PNG bytes (`width_px` wide), to embed elsewhere."""
        buffer = io.BytesIO()
        self.figure(width_px).savefig(buffer, format="png")
        return buffer.getvalue()

    def figure(self, width_px: int = 1400) -> Figure:
        """Every rule's signal over time, drawn off screen: one panel per rule, gates first.

        Each panel shows the rule's value, its threshold lines, and along the bottom a band
        with its verdict (green pass, red fail, grey not judged; a form check out of position
        is grey). Spans where the person was not in position are shaded. The rep signal's
        panel also shows what the counter read, with the counter's start and peak. Long
        sessions are drawn at about one time bin per pixel: each bin shows the range of the
        values in it, and the verdict and position most of its frames had.
        """
        from matplotlib.figure import Figure  # drawn off screen (Agg): never opens a window
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        dpi = 100
        rules = sorted(self.pose.rules, key=lambda rule: not rule.gate)
        panels = max(len(rules), 1)
        figure = Figure(figsize=(width_px / dpi, 1.1 + 1.6 * panels), dpi=dpi, layout="constrained")
        axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
        bins = _Bins(self.times_s, max_bins=width_px)
        out_of_position = bins.spans(bins.majority(np.where(self.in_position, 1, 0)), code=0)
        values, passes = self.values, self.passes
        in_position = self.in_position
        for ax, rule in zip(axes, rules, strict=False):
            ax.broken_barh(
                out_of_position,
                (0, 1),
                transform=ax.get_xaxis_transform(),
                facecolors=_COLORS["out"],
                zorder=0,
                label="not in position",
            )
            verdicts = np.where(np.isnan(passes[rule.id]), _UNKNOWN, passes[rule.id]).astype(int)
            if not rule.gate:
                verdicts[~in_position] = _UNKNOWN
            codes = bins.majority(verdicts)
            for code, color, label in _VERDICT_BANDS:
                ax.broken_barh(
                    bins.spans(codes, code),
                    (0, _BAND),
                    transform=ax.get_xaxis_transform(),
                    facecolors=_COLORS[color],
                    zorder=2.2,  # over the grid, under the lines
                    label=label,
                )
            self._draw_values(ax, rule, values[rule.id], bins)
        if not rules or not len(self):
            axes[0].text(
                0.5, 0.5, "no frames" if rules else "no rules", transform=axes[0].transAxes
            )
        axes[-1].set_xlim(bins.start_s, bins.end_s)
        axes[-1].set_xlabel("time (s)")
        duration = bins.end_s - bins.start_s
        figure.suptitle(
            f"{self.pose.name} ({self.pose.id}): {self.source or 'unknown source'}\n"
            f"{len(self)} frames, {duration:.1f} s; "
            f"in position {np.mean(in_position) if len(self) else 0:.0%} of frames",
            fontsize=11,
        )
        handles = [
            Line2D([], [], color=_COLORS["value"], lw=1, label="value"),
            Line2D([], [], color=_COLORS["threshold"], ls="--", label="threshold"),
            Patch(color=_COLORS["pass"], label="passes"),
            Patch(color=_COLORS["fail"], label="fails"),
            Patch(color=_COLORS["unknown"], label="not judged / not in position"),
            Patch(color=_COLORS["out"], label="not in position"),
        ]
        if self.counter is not None:
            handles += [
                Line2D([], [], color=_COLORS["top"], lw=1.5, label="judged at the top of a rep"),
                Line2D([], [], color=_COLORS["counter"], lw=1, label="rep signal"),
                Line2D([], [], color=_COLORS["counter"], ls=":", label="rep counter start, peak"),
            ]
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
        return figure

    def _draw_values(self, ax: Axes, rule: Rule, values: np.ndarray, bins: _Bins) -> None:
        """One rule's panel: its value (and the rep signal), threshold lines, labels."""
        thresholds = self.thresholds[rule.id]
        shown = [values]
        rep_signal = None
        if self.counter is not None and rule.id == self.counter.signal:
            rep_signal = self.rep_signal
            assert rep_signal is not None
            shown.append(rep_signal)
        color = _COLORS["value"] if rule.when is When.ALWAYS else _COLORS["top"]
        if rep_signal is not None:
            _draw_line(ax, bins, rep_signal, _COLORS["counter"], steps=False)
        _draw_line(ax, bins, values, color, steps=rule.when is When.TOP)
        lines: list[tuple[float, str, str]] = [
            (value, f"{key} {value:g}", _COLORS["threshold"])
            for value, key in zip(
                (thresholds.min_value, thresholds.max_value), ("min", "max"), strict=True
            )
            if value is not None
        ]
        if rep_signal is not None and self.counter is not None:
            lines += [
                (self.counter.start, f"start {self.counter.start:g}", _COLORS["counter"]),
                (self.counter.peak, f"peak {self.counter.peak:g}", _COLORS["counter"]),
            ]
        for value, label, line_color in lines:
            style = "--" if line_color == _COLORS["threshold"] else ":"
            ax.axhline(value, color=line_color, ls=style, lw=1, zorder=2)
            ax.text(
                1.003,
                value,
                label,
                transform=ax.get_yaxis_transform(),
                fontsize=7,
                color=line_color,
                va="center",
                clip_on=False,
            )
        finite = np.concatenate(
            [s[np.isfinite(s)] for s in shown] + [np.array([v[0] for v in lines])]
        )
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = (high - low) * 0.06 if high > low else 1.0
        low, high = low - pad, high + pad
        # Leave the bottom of the panel to the verdict band.
        height = (high - low) / (1 - _DATA_BOTTOM)
        ax.set_ylim(low - _DATA_BOTTOM * height, high)
        ax.set_ylabel(UNIT_WORDS.get(thresholds.unit) or thresholds.unit, fontsize=8)
        title = f"{rule.id}: passes {thresholds.text()}"
        if rule.when in _WHEN_TEXT:
            title += f"; {_WHEN_TEXT[rule.when]}"
        if rep_signal is not None:
            title += "; the rep counter's signal"
        if rule.gate:
            title = "GATE  " + title + " (defines the position)"
        ax.set_title(title, loc="left", fontsize=9, fontweight="bold" if rule.gate else "normal")
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", color="#ececec", lw=0.6, zorder=0)


class _Bins:
    """Frames grouped into at most `max_bins` consecutive bins for drawing (one frame per bin
    when there are few enough), with each bin's time span."""

    def __init__(self, times_s: np.ndarray, max_bins: int) -> None:
        n = len(times_s)
        step = float(np.median(np.diff(times_s))) if n > 1 else 1.0
        step = step if step > 0 else 1.0
        if n <= max_bins:
            self.first = np.arange(n)
        else:
            self.first = np.unique(np.linspace(0, n, max_bins, endpoint=False).astype(int))
        self.start_s = float(times_s[0]) if n else 0.0
        self.end_s = float(times_s[-1]) + step if n else 1.0  # the last frame lasts one step
        starts = times_s[self.first] if n else np.empty(0)
        self.edges_s = np.append(starts, self.end_s)  # (bins + 1,)
        self.single = n <= max_bins

    def envelope(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per bin, the lowest and highest finite value (NaN for a bin with none)."""
        if not len(self.first):
            return np.empty(0), np.empty(0)
        if self.single:
            return values, values
        # fmin/fmax skip NaN unless every value in the bin is NaN.
        return np.fmin.reduceat(values, self.first), np.fmax.reduceat(values, self.first)

    def majority(self, codes: np.ndarray) -> np.ndarray:
        """Per bin, the code most of its frames have (ties: the lower code, so a fail wins)."""
        if self.single or not len(self.first):
            return codes
        choices = np.unique(codes)
        counts = np.stack([np.add.reduceat(codes == c, self.first) for c in choices])
        return choices[np.argmax(counts, axis=0)]

    def spans(self, codes: np.ndarray, code: int) -> list[tuple[float, float]]:
        """(start, width) in seconds of each run of consecutive bins with `code`."""
        hit = np.concatenate([[False], codes == code, [False]])
        changes = np.flatnonzero(hit[1:] != hit[:-1])
        starts, ends = changes[::2], changes[1::2]
        return [
            (float(self.edges_s[a]), float(self.edges_s[b] - self.edges_s[a]))
            for a, b in zip(starts, ends, strict=True)
        ]


def _draw_line(ax: Axes, bins: _Bins, values: np.ndarray, color: str, steps: bool) -> None:
    """A value over time: the line itself, or for many frames each bin's range as a vertical
    stroke joined to the next (nothing hides a peak). Lone values are drawn as dots."""
    low, high = bins.envelope(values)
    if not len(low):
        return
    if bins.single:
        x, y = bins.edges_s[:-1], values
    else:
        mid = (bins.edges_s[:-1] + bins.edges_s[1:]) / 2
        x, y = np.repeat(mid, 2), np.column_stack([low, high]).ravel()
    style = "steps-post" if steps and bins.single else "default"
    ax.plot(x, y, color=color, lw=1, drawstyle=style, zorder=3)
    finite = np.isfinite(y)
    lone = finite & ~np.concatenate([[False], finite[:-1]]) & ~np.concatenate([finite[1:], [False]])
    if lone.any():
        ax.plot(x[lone], y[lone], ".", color=color, ms=3, zorder=3)


def _counter_input(assessment: Assessment) -> float:
    """What the rep counter read in this frame (NaN: nothing, e.g. out of position)."""
    return math.nan if assessment.counted is None else assessment.counted


def _number(value: float) -> str:
    return "" if math.isnan(value) else repr(round(value, DECIMALS))


def _verdict(passed: float) -> str:
    return "" if math.isnan(passed) else str(int(passed))
