"""The history as text: a small table per stretch (`overview_lines`) and one line per
session of one stretch (`sessions_lines`), as `posecoach history` prints them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from posecoach.reports.history.records import BOTH
from posecoach.reports.history.trend import Asymmetry, StretchHistory, Trend


def overview_lines(histories: Sequence[StretchHistory]) -> list[str]:
    """A small table per stretch: sessions and dates, the last session's amount per side,
    the best range per side, the last session's asymmetry and the trend."""
    lines: list[str] = []
    for history in histories:
        unit = history.measure.unit
        last = history.points[-1]
        first_day, last_day = _day(history.points[0].started_at), _day(last.started_at)
        span = last_day if first_day == last_day else f"{first_day} to {last_day}"
        count = len(history.points)
        lines.append(
            f"{history.pose_name} ({history.pose}): {count} session{'' if count == 1 else 's'}, "
            f"{span}"
        )
        what = "reps" if history.mode == "reps" else "held"
        amounts = [
            f"{_side_label(side)}{_amount(history.amount(last, side), history.amount_unit)}"
            for side in last.sides
        ]
        lines.append(f"  {what}, last session:  {', '.join(amounts)}")
        ranges = [(side, history.best_range(side)) for side in history.sides()]
        if any(value is not None for _, value in ranges):
            rule = f" ({history.range_rule})" if history.range_rule else ""
            shown = ", ".join(f"{_side_label(side)}{_value(v, unit)}" for side, v in ranges)
            lines.append(f"  range, best:         {shown}{rule}")
        asymmetry = history.asymmetry(last)
        if asymmetry is not None:
            lines.append(f"  right - left, last:  {_asymmetry_text(asymmetry, history, unit)}")
        trend = history.trend()
        if trend is not None:
            lines.append(f"  trend:               {_trend_text(trend, history, unit)}")
        lines.append("")
    return lines[:-1]


def sessions_lines(history: StretchHistory) -> list[str]:
    """One line per session of one stretch: date, kind, amount per side, good-form time,
    range per side, right minus left; then the trend."""
    unit = history.measure.unit
    sides = history.sides()
    short = "REPS" if history.mode == "reps" else "HOLD"
    headers = ["DATE", "KIND"]
    headers += [f"{short} {_SIDE_SHORT[s]}".strip() for s in sides]
    headers += ["GOOD FORM"]
    headers += [f"RANGE {_SIDE_SHORT[s]}".strip() for s in sides]
    two_sided = "left" in sides and "right" in sides
    if two_sided:
        headers += [f"R-L {short}", "R-L RANGE"]
    rows = []
    for point in history.points:
        kind = point.routine or point.kind
        row = [
            local_time(point.started_at).strftime("%Y-%m-%d %H:%M"),
            kind + ("" if point.complete else "*"),
        ]
        row += [_amount(history.amount(point, s), history.amount_unit) for s in sides]
        good = history.good_form_s(point)
        row += ["-" if good is None else f"{good:.1f} s"]
        row += [_value(point.sides[s].range if s in point.sides else None, unit) for s in sides]
        if two_sided:
            asymmetry = history.asymmetry(point)
            if asymmetry is None:
                row += ["-", "-"]
            else:
                row += [
                    _signed(asymmetry.amount, history.amount_unit, asymmetry.amount_pct),
                    "-"
                    if asymmetry.range is None
                    else _signed(asymmetry.range, unit, asymmetry.range_pct),
                ]
        rows.append(row)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    count = len(history.points)
    lines = [f"{history.pose_name} ({history.pose}): {count} session{'' if count == 1 else 's'}"]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    if any(not p.complete for p in history.points):
        lines.append("* stopped before the end")
    trend = history.trend()
    if trend is not None:
        lines.append(f"trend: {_trend_text(trend, history, unit)}")
    return lines


_SIDE_SHORT = {"left": "L", "right": "R", BOTH: ""}


def _side_label(side: str) -> str:
    return "" if side == BOTH else f"{side} "


def local_time(when: datetime) -> datetime:
    """`when` in the local time zone (the dates shown are the user's own)."""
    return when.astimezone()


def _day(when: datetime) -> str:
    return local_time(when).strftime("%Y-%m-%d")


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} reps" if unit == "reps" else f"{value:.1f} s"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} {unit}".rstrip()


def _signed(value: float, unit: str, percent: float | None) -> str:
    text = f"{value:+.1f} {unit}".rstrip()
    return text if percent is None else f"{text} ({percent:+.0f}%)"


def _asymmetry_text(asymmetry: Asymmetry, history: StretchHistory, unit: str) -> str:
    what = "reps" if history.mode == "reps" else "hold"
    text = f"{what} {_signed(asymmetry.amount, history.amount_unit, asymmetry.amount_pct)}"
    if asymmetry.range is not None:
        text += f", range {_signed(asymmetry.range, unit, asymmetry.range_pct)}"
    return text


def _trend_text(trend: Trend, history: StretchHistory, unit: str) -> str:
    what = "reps" if history.mode == "reps" else "hold"
    per = " per side" if history.per_side else ""
    text = f"{what}{per} {_signed(trend.amount, history.amount_unit, None)}"
    if trend.range is not None:
        further = trend.range > 0 if history.measure.higher_is_further else trend.range < 0
        way = "" if trend.range == 0 else " further" if further else " less far"
        text += f", range {_signed(trend.range, unit, None)}{way}"
    n = trend.sessions
    compared = "last vs first session" if n == 1 else f"last {n} vs first {n} sessions"
    return f"{text} ({compared})"
