"""A session's report as one self-contained HTML page, to read in any browser or print.

Per stretch and side: the reps or seconds held against the target, the time in good form
and how far the stretch went; then per stretch the signals plot (`SignalTable.plot_png`), the
faults and when they happened, the cues shown, and snapshots of the best and worst moment.

The page is a single file: inline CSS, images as base64 `data:` URIs, no script and no
address outside it, so it opens offline and can be mailed or archived as it is. Every text
that comes from a pose file, a routine, a file name or an error message is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from posecoach.coaching.rules import UNIT_WORDS
from posecoach.config.errors import PosecoachError
from posecoach.inputs.files import atomic_output
from posecoach.reports.summary import Cue, Fault, StretchSummary

if TYPE_CHECKING:
    from posecoach.coaching.posefile import PoseSpec
    from posecoach.reports.signals import SignalTable

PLOT_WIDTH_PX = 1400  # the signals plot's width as drawn; the page scales it to its column
STATUSES = ("done", "stopped", "skipped")  # how a stretch of a guided session ended
_NONE = "\u2013"  # an en dash: a value that was not measured


class Snapshot(Protocol):
    """A moment of the session, drawn: `t_s` seconds since the stretch began, `score` the
    fraction of form rules passing (0 to 1), `jpeg` the annotated frame."""

    @property
    def t_s(self) -> float: ...

    @property
    def score(self) -> float: ...

    @property
    def jpeg(self) -> bytes: ...


class Snapshots(Protocol):
    """The best and the worst moment in position (each None when there was none)."""

    @property
    def best(self) -> Snapshot | None: ...

    @property
    def worst(self) -> Snapshot | None: ...


@dataclass(frozen=True)
class StretchSection:
    """One stretch of the report.

    `report` is the stretch's `SessionReport.summary()` (a skipped stretch may give only
    `pose` and `pose_name`); `status` one of STATUSES; `signals_png` the signals plot as PNG
    (None: no plot); `snapshots` its best and worst moments (None: none kept). `description`
    (the pose file's) and `range_unit` (the range rule's unit key: "deg", "torso", "count")
    are shown when given; `from_session` fills them from the pose.
    """

    report: StretchSummary
    status: str = "done"
    signals_png: bytes | None = None
    snapshots: Snapshots | None = None
    description: str = ""
    range_unit: str = ""

    @classmethod
    def from_session(
        cls,
        report: StretchSummary,
        pose: PoseSpec,
        signals: SignalTable | None = None,
        snapshots: Snapshots | None = None,
        status: str = "done",
    ) -> StretchSection:
        """A section for a stretch coached as `pose`, drawing its signals plot when given."""
        unit = pose.rule(pose.range_rule).spec.unit_key if pose.range_rule else ""
        png = signals.plot_png(PLOT_WIDTH_PX) if signals is not None and len(signals) else None
        return cls(report, status, png, snapshots, pose.description, unit)


def session_header(
    report: StretchSummary, started_at: str | None = None, routine: str | None = None
) -> dict[str, Any]:
    """The header of a one-stretch session's page, from its report: source, duration, how
    it ended; `started_at` ISO 8601."""
    return {
        "routine": routine,
        "started_at": started_at,
        "source": report.source,
        "duration_s": report.duration_s,
        "complete": report.complete,
        "ended_by": report.ended_by,
    }


def render_html(title: str, header: Mapping[str, Any], stretches: Sequence[StretchSection]) -> str:
    """The whole page. `header` may hold `routine` (its name), `started_at` (ISO 8601),
    `source`, `duration_s`, `complete` and `ended_by`; missing keys are left out."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(title)}</h1>",
        _header(header),
        "<h2>Summary</h2>",
        _summary(stretches),
    ]
    for number, section in enumerate(stretches, start=1):
        parts.append(_stretch(number, section))
    parts += [
        "<footer>posecoach is not medical advice. Aim for mild tension, never pain.</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def write_html(
    path: str | Path, title: str, header: Mapping[str, Any], stretches: Sequence[StretchSection]
) -> Path:
    """Write the page to `path` atomically (never half-written); PosecoachError when it
    cannot be written."""
    page = render_html(title, header, stretches)
    try:
        with atomic_output(path) as stream:
            stream.write(page)
    except OSError as error:
        raise PosecoachError(
            f"cannot write HTML report {path}: {error.strerror or error}"
        ) from error
    return Path(path)


# --- The parts of the page -------------------------------------------------------------------


def _header(header: Mapping[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    if header.get("routine"):
        rows.append(("Routine", _e(header["routine"])))
    if header.get("started_at"):
        rows.append(("Started", _e(str(header["started_at"]).replace("T", " "))))
    if header.get("source"):
        rows.append(("Source", _e(header["source"])))
    if header.get("duration_s") is not None:
        rows.append(("Duration", _clock(header["duration_s"])))
    if "complete" in header or "ended_by" in header:
        complete = header.get("complete")
        state = "complete" if complete else "incomplete" if complete is False else ""
        ended = _e(header.get("ended_by") or "")
        text = f"{state} ({ended})" if state and ended else state or ended or _NONE
        css = "ok" if complete else "warn"
        rows.append(("Session", f'<span class="{css}">{text}</span>'))
    cells = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f'<table class="header">{cells}</table>' if rows else ""


def _summary(stretches: Sequence[StretchSection]) -> str:
    """One row per stretch and side (and right minus left), every stretch in one table."""
    head = (
        "<tr><th>#</th><th>Stretch</th><th>Status</th><th>Side</th><th>Done / target</th>"
        "<th>Good form</th><th>Range</th><th>Faults</th></tr>"
    )
    rows = []
    for number, section in enumerate(stretches, start=1):
        report = section.report
        lines = _side_lines(section)
        faults = report.faults
        first = (
            f'<td rowspan="{len(lines)}">{number}</td>'
            f'<td rowspan="{len(lines)}"><a href="#stretch-{number}">{_name(report)}</a></td>'
            f'<td rowspan="{len(lines)}">{_status(section.status)}</td>'
        )
        for i, line in enumerate(lines):
            fault_cell = (
                f'<td rowspan="{len(lines)}" class="num">{len(faults)}</td>' if i == 0 else ""
            )
            css = ' class="diff"' if line.difference else ""
            rows.append(
                f"<tr{css}>{first if i == 0 else ''}<td>{_e(line.label)}</td>"
                f'<td class="num">{line.amount}</td><td class="num">{line.good_form}</td>'
                f'<td class="num">{line.range}</td>{fault_cell}</tr>'
            )
    if not rows:
        rows.append('<tr><td colspan="8">No stretch in this session.</td></tr>')
    return f'<table class="summary"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


@dataclass(frozen=True)
class _SideLine:
    label: str  # "left", "right", "right minus left", "both"
    amount: str
    good_form: str
    range: str
    best_rep: str
    difference: bool = False


def _side_lines(section: StretchSection) -> list[_SideLine]:
    """Per side: reps or hold against the target, good form, range; then right minus left.
    One line for a stretch not done per side, or one never started."""
    report = section.report
    if section.status == "skipped" or not report.coached:
        return [_SideLine("", _NONE, _NONE, _NONE, _NONE)]
    reps = report.mode == "reps"
    target = report.target
    unit = section.range_unit
    if not report.sides:
        # Not done per side: the totals (the report has no range without sides).
        total = report.reps if reps else report.hold_s
        return [
            _SideLine(
                "both",
                _amount(total, target, reps),
                _seconds(report.good_form_s),
                _NONE,
                _NONE,
            )
        ]
    lines = [
        _SideLine(
            name,
            _amount(side.reps if reps else side.hold_s, target, reps),
            _seconds(side.good_form_s),
            _range(side.range, unit),
            _range(side.best_rep, unit),
        )
        for name, side in report.sides.items()
    ]
    difference = report.side_difference
    if difference is not None:
        amount = difference.reps if reps else difference.hold_s
        lines.append(
            _SideLine(
                "right minus left",
                _signed(amount, "" if reps else " s", 0 if reps else 1),
                _signed(difference.good_form_s, " s", 1),
                _signed(difference.range, _unit_suffix(unit), 1),
                _NONE,
                difference=True,
            )
        )
    return lines


def _stretch(number: int, section: StretchSection) -> str:
    report = section.report
    parts = [
        f'<section class="stretch" id="stretch-{number}">',
        f"<h2>{number}. {_name(report)} {_status(section.status)}</h2>",
    ]
    if section.description:
        parts.append(f'<p class="description">{_e(section.description)}</p>')
    if section.status == "skipped" or not report.coached:
        parts.append("<p>Skipped: not coached.</p></section>")
        return "\n".join(parts)
    parts += [
        _facts(report),
        "<h3>Per side</h3>",
        _side_table(section),
        "<h3>Signals over time</h3>",
        _plot(report, section.signals_png),
        "<h3>Faults</h3>",
        _faults(report.faults),
        "<h3>Cues shown</h3>",
        _cues(report.cues),
        "<h3>Best and worst moment</h3>",
        _snapshots(section.snapshots),
        _rules(report.rules),
        "</section>",
    ]
    return "\n".join(parts)


def _facts(report: StretchSummary) -> str:
    """The stretch's settings and how the session went, as a short list."""
    reps = report.mode == "reps"
    target = report.target
    target_text = _NONE
    if target is not None:
        target_text = f"{target:g} reps" if reps else f"{target:g} s hold"
        target_text += " per side" if report.per_side else ""
    facts = [
        ("Stretch", f"{_e(report.pose or '')}"),
        ("Target", target_text),
        ("Source", _e(report.source or _NONE)),
        ("Duration", _clock(report.duration_s)),
        ("Person found", _percent(report.detected_fraction)),
        ("In position", _percent(report.in_position_fraction)),
        ("Good form, in all", _seconds(report.good_form_s)),
        ("Ended", _ended(report)),
    ]
    if report.overrides:
        changed = ", ".join(
            f"{_e(name)} = {_e(entry.value)} ({_e(entry.source or '')})"
            for name, entry in report.overrides.items()
        )
        facts.append(("Thresholds changed", changed))
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    return f'<dl class="facts">{items}</dl>'


def _side_table(section: StretchSection) -> str:
    reps = section.report.mode == "reps"
    unit = section.range_unit
    range_rule = section.report.range_rule
    range_head = f"Range ({_e(range_rule)})" if range_rule else "Range"
    head = (
        f"<tr><th>Side</th><th>{'Reps' if reps else 'Held'} / target</th>"
        f"<th>Good form</th><th>{range_head}</th>" + ("<th>Best rep</th>" if reps else "") + "</tr>"
    )
    rows = []
    for line in _side_lines(section):
        best = f'<td class="num">{line.best_rep}</td>' if reps else ""
        css = ' class="diff"' if line.difference else ""
        rows.append(
            f'<tr{css}><td>{_e(line.label)}</td><td class="num">{line.amount}</td>'
            f'<td class="num">{line.good_form}</td><td class="num">{line.range}</td>{best}</tr>'
        )
    note = ""
    if range_rule:
        how = "the furthest counted rep's" if reps else "the median, while in position, of"
        words = f" ({_e(UNIT_WORDS.get(unit, unit) or 'a count')})" if unit else ""
        note = f'<p class="note">Range: {how} {_e(range_rule)}{words}.</p>'
    return f'<table class="sides"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{note}'


def _plot(report: StretchSummary, png: bytes | None) -> str:
    if png is None:
        return '<p class="note">No signals plot for this stretch.</p>'
    alt = f"Every rule's signal over time for {report.pose_name or 'the stretch'}"
    return (
        f'<figure class="plot"><img class="plot" src="{_data_uri("image/png", png)}" '
        f'alt="{_e(alt)}"><figcaption>Each panel: a rule\'s value (black), its thresholds '
        "(dashed orange), and along the bottom its verdict (green passes, red fails, grey not "
        "judged); grey spans: not in position.</figcaption></figure>"
    )


def _faults(faults: Sequence[Fault]) -> str:
    if not faults:
        return '<p class="ok">No faults: no form rule failed for half a second or more.</p>'
    head = "<tr><th>Rule</th><th>Cue</th><th>Side</th><th>From</th><th>To</th><th>For</th></tr>"
    rows = []
    for fault in faults:
        start, end = fault.start_s, fault.end_s
        length = end - start if start is not None and end is not None else None
        rows.append(
            f"<tr><td>{_e(fault.rule)}</td><td>{_e(fault.cue)}</td>"
            f'<td>{_e(fault.side or _NONE)}</td><td class="num">{_clock(start, True)}</td>'
            f'<td class="num">{_clock(end, True)}</td><td class="num">{_seconds(length)}</td></tr>'
        )
    return f'<table class="faults"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _cues(cues: Sequence[Cue]) -> str:
    if not cues:
        return '<p class="note">No cue was shown.</p>'
    rows = "".join(
        f'<tr><td class="num">{_clock(cue.t_s, True)}</td><td>{_e(cue.text)}</td></tr>'
        for cue in cues
    )
    head = "<tr><th>At</th><th>Cue</th></tr>"
    return f'<table class="cues"><thead>{head}</thead><tbody>{rows}</tbody></table>'


def _snapshots(snapshots: Snapshots | None) -> str:
    shots = [
        (label, shot)
        for label, shot in (
            ("Best", None if snapshots is None else snapshots.best),
            ("Worst", None if snapshots is None else snapshots.worst),
        )
        if shot is not None
    ]
    if not shots:
        return '<p class="note">No snapshot: never in position.</p>'
    figures = []
    for label, shot in shots:
        at = _clock(shot.t_s, True)
        caption = f"{label} moment, at {at}: {_percent(shot.score)} of the form rules passing"
        figures.append(
            f'<figure class="snapshot"><img class="snapshot" '
            f'src="{_data_uri("image/jpeg", shot.jpeg)}" alt="{_e(caption)}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    return f'<div class="snapshots">{"".join(figures)}</div>'


def _rules(rules: Mapping[str, Any]) -> str:
    if not rules:
        return ""
    rows = "".join(
        f'<tr><td>{_e(rule_id)}</td><td class="num">{_percent(fraction)}</td></tr>'
        for rule_id, fraction in rules.items()
    )
    return (
        "<h3>Rules</h3>"
        '<table class="rules"><thead><tr><th>Rule</th><th>Passed</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        '<p class="note">Passed: the share of the frames with a person found in which the rule '
        "was judged and passed (for a rule judged once a rep, the share of reps).</p>"
    )


# --- Formatting ------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Any value as text safe in HTML content and quoted attributes."""
    return html.escape(str(value), quote=True)


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _name(report: StretchSummary) -> str:
    return _e(report.pose_name or report.pose or "stretch")


def _status(status: str) -> str:
    css = status if status in STATUSES else "other"
    return f'<span class="status {css}">{_e(status)}</span>'


def _ended(report: StretchSummary) -> str:
    ended = _e(report.ended_by or _NONE)
    if report.complete is False:
        return f'<span class="warn">{ended} (incomplete)</span>'
    return ended


def _clock(seconds: float | None, tenths: bool = False) -> str:
    """m:ss, or m:ss.s with `tenths` (h:mm:ss from an hour)."""
    if seconds is None:
        return _NONE
    tenth = round(seconds * 10) if tenths else round(seconds) * 10
    hours, rest = divmod(tenth, 36000)
    minutes, secs = divmod(rest, 600)
    text = f"{secs / 10:04.1f}" if tenths else f"{secs // 10:02d}"
    return f"{hours}:{minutes:02d}:{text}" if hours else f"{minutes}:{text}"


def _seconds(seconds: float | None) -> str:
    return _NONE if seconds is None else f"{seconds:.1f} s"


def _percent(fraction: float | None) -> str:
    return _NONE if fraction is None else f"{fraction:.0%}"


def _amount(value: float | None, target: float | None, reps: bool) -> str:
    """'3 of 5 reps', '12.4 of 30 s'."""
    if value is None:
        return _NONE
    done = f"{value:g}" if reps else f"{value:.1f}"
    of = "" if target is None else f" of {target:g}"
    return f"{done}{of} {'reps' if reps else 's'}"


def _unit_suffix(unit: str) -> str:
    words = UNIT_WORDS.get(unit, unit)
    return f" {words}" if words else ""


def _range(value: float | None, unit: str) -> str:
    return _NONE if value is None else f"{value:.1f}{_unit_suffix(unit)}"


def _signed(value: float | None, suffix: str, decimals: int) -> str:
    return _NONE if value is None else f"{value:+.{decimals}f}{suffix}"


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #1d1d1d;
  font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 12px; }
h2 { font-size: 1.3em; margin: 28px 0 8px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid #d6d6d6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0ee; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.diff td { color: #555; font-style: italic; }
table.header th { width: 8em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.status { font-size: 0.75em; font-weight: 600; padding: 1px 8px; border-radius: 9px;
  vertical-align: middle; border: 1px solid #888; color: #333; }
.status.done { border-color: #1f5f99; color: #1f5f99; }
.status.stopped { border-color: #8a5a00; color: #8a5a00; }
.status.skipped { border-color: #777; color: #777; }
.ok { color: #1f5f99; }
.warn { color: #8a5a00; font-weight: 600; }
.note, figcaption, .description { color: #555; font-size: 0.9em; }
figure { margin: 8px 0; }
img { display: block; max-width: 100%; height: auto; }
img.plot { width: 100%; border: 1px solid #e2e2e2; }
.snapshots { display: flex; flex-wrap: wrap; gap: 16px; }
figure.snapshot { flex: 1 1 300px; max-width: 460px; margin: 0; }
img.snapshot { width: 100%; border: 1px solid #ccc; }
section.stretch { margin-top: 24px; }
footer { margin-top: 32px; color: #777; font-size: 0.85em; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  section.stretch { break-before: page; }
  figure, table { break-inside: avoid; }
}
"""
