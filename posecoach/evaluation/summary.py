"""The results of `posecoach eval` over all pairs: the accuracy figures (`summarize`),
the table and summary text it prints (`row_cells`, `summary_lines`) and the --report JSON
(`report_data`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from posecoach import __version__
from posecoach.evaluation.metrics import FLAGGED_SHARE
from posecoach.evaluation.pairs import TOTAL, Kind, Row

EVAL_VERSION = 1

# A hold time within this of the truth counts as close.
HOLD_CLOSE_S = 0.5
# A clip's total hold is right within the larger of these of its truth (or inside its range).
HOLD_GOAL_S = 1.0
HOLD_GOAL_SHARE = 0.10
# A negative pair credited more hold than this is a false hold.
FALSE_HOLD_S = 0.5

# --- Summary -------------------------------------------------------------------------------


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summarize(rows: Sequence[Row]) -> dict[str, Any]:
    """The accuracy figures over all rows; None wherever there is nothing to measure."""
    ran = [r for r in rows if r.skipped is None]
    positive = [r for r in ran if r.kind in (Kind.GENERATED.value, Kind.LABELLED.value)]
    negative = [r for r in ran if r.kind in (Kind.NEGATIVE.value, Kind.NEAR_MISS.value)]
    skipped = sorted({r.clip for r in rows if r.skipped is not None})
    return {
        "clips": len({r.clip for r in rows}),
        "pairs": len(rows),
        "rep_counts": _rep_summary(positive),
        "hold": _hold_summary(positive),
        "negatives": _negative_summary(negative),
        "in_position": _in_position_summary(ran),
        "stills": _still_summary(ran),
        "faults": _fault_summary(ran),
        "agreement": {
            "clips": sum(r.agreement is not None for r in ran),
            "mean": _mean([r.agreement for r in ran if r.agreement is not None]),
            "mean_unknown_share": _mean(
                [r.unknown_share for r in ran if r.unknown_share is not None]
            ),
        },
        "form_windows": {
            "clips": sum(
                r.wrong_form_share is not None or r.right_form_share is not None for r in ran
            ),
            "wrong_form_share_in_wrong": _mean(
                [r.wrong_form_share for r in ran if r.wrong_form_share is not None]
            ),
            "wrong_form_share_in_right": _mean(
                [r.right_form_share for r in ran if r.right_form_share is not None]
            ),
        },
        "skipped": {"count": len(skipped), "clips": skipped},
    }


def _compared(rows: Sequence[Row], quantity: str) -> list[tuple[str, float]]:
    """(clip, measured - expected) for every side whose expected value is known."""
    return [
        (row.clip, round(count["measured"] - count["expected"], 3))
        for row in rows
        for count in getattr(row, quantity).values()
        if count["expected"] is not None
    ]


def _rep_summary(rows: Sequence[Row]) -> dict[str, Any]:
    errors = [abs(e) for _, e in _compared(rows, "reps")]
    goals = [(row.clip, ok) for row in rows if (ok := reps_within_goal(row)) is not None]
    return {
        "goal_clips": len(goals),
        "within_goal": sum(ok for _, ok in goals),
        "outside_goal": [clip for clip, ok in goals if not ok],
        "counts": len(errors),
        "clips": len({clip for clip, _ in _compared(rows, "reps")}),
        "exact_rate": _ratio(sum(e == 0 for e in errors), len(errors)),
        "mean_abs_error": _mean(errors),
        "off_by_one_rate": _ratio(sum(e == 1 for e in errors), len(errors)),
        "largest_error": max(errors) if errors else None,
    }


def _hold_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Hold errors over the sides performed (truly held, or held as the coach saw it): a side
    not performed and not held would only flatter the rate; one the coach credited counts."""
    held = [
        (row.clip, abs(round(count["measured"] - count["expected"], 3)))
        for row in rows
        for count in row.hold_s.values()
        if count["expected"] is not None and (count["expected"] > 0 or count["measured"] > 0)
    ]
    errors = [e for _, e in held]
    goals = [(row.clip, ok) for row in rows if (ok := hold_within_goal(row)) is not None]
    return {
        "sides": len(errors),
        "clips": len({clip for clip, _ in held}),
        "mean_abs_error_s": _rounded(_mean(errors)),
        "largest_error_s": max(errors) if errors else None,
        "close_s": HOLD_CLOSE_S,
        "close_rate": _ratio(sum(e <= HOLD_CLOSE_S for e in errors), len(errors)),
        "goal_clips": len(goals),
        "within_goal": sum(ok for _, ok in goals),
        "outside_goal": [clip for clip, ok in goals if not ok],
    }


def _total(counts: Mapping[str, Mapping[str, Any]], key: str) -> float | None:
    """A count's total over the sides (None when any side's value is unknown)."""
    if TOTAL in counts:
        return counts[TOTAL][key]
    values = [count[key] for count in counts.values()]
    return None if not values or any(v is None for v in values) else sum(values)


def _within_goal(
    counts: Mapping[str, Mapping[str, Any]],
    span: Sequence[float] | None,
    tolerance: Callable[[float], float],
) -> bool | None:
    """Whether a clip's measured total is within `tolerance(expected)` of its truth, or
    inside `span` (when the label gives one); None without either."""
    measured = _total(counts, "measured")
    if measured is None:
        return None
    expected = _total(counts, "expected")
    if span is None and expected is None:
        return None
    inside = span is not None and span[0] <= measured <= span[1]
    near = expected is not None and abs(measured - expected) <= tolerance(expected)
    return bool(inside or near)


def hold_within_goal(row: Row) -> bool | None:
    """Whether a clip's total hold is right: within the larger of HOLD_GOAL_S and
    HOLD_GOAL_SHARE of its truth, or inside its label's range; None without hold truth."""
    return _within_goal(
        row.hold_s, row.hold_s_range, lambda want: max(HOLD_GOAL_S, HOLD_GOAL_SHARE * want)
    )


def reps_within_goal(row: Row) -> bool | None:
    """Whether a clip's total reps are right: exact, or inside its label's range."""
    return _within_goal(row.reps, row.reps_range, lambda want: 0)


def _negative_summary(rows: Sequence[Row]) -> dict[str, Any]:
    reps = [_total(r.reps, "measured") or 0 for r in rows]
    held = [_total(r.hold_s, "measured") or 0.0 for r in rows]
    worst = sorted(
        (
            (int(n), float(s), r)
            for r, s, n in zip(rows, held, reps, strict=True)
            if s > FALSE_HOLD_S or n > 0
        ),
        key=lambda pair: (-pair[0], -pair[1]),
    )
    credited = [
        {"clip": r.clip, "pose": r.pose, "hold_s": round(s, 2), "reps": n} for n, s, r in worst
    ]
    return {
        "pairs": len(rows),
        "false_reps": sum(reps),
        "pairs_with_false_reps": sum(n > 0 for n in reps),
        "false_hold_s": round(float(sum(held)), 2),
        "pairs_with_false_hold": sum(s > 0 for s in held),
        "false_hold_limit_s": FALSE_HOLD_S,
        "largest_false_hold_s": round(float(max(held)), 2) if held else None,
        "credited": credited,  # pairs over the limit or with a rep, the worst first
    }


def _in_position_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Per-frame in-position precision and recall, in the stretch's own view, over the clips
    with in-position truth (summed over their frames)."""
    known = [r for r in rows if r.in_pose_frames is not None]
    truly = sum(r.in_pose_frames or 0 for r in known)
    judged = sum(r.in_position_in_view or 0 for r in known)
    hits = sum(r.in_pose_hits or 0 for r in known)
    return {
        "clips": len(known),
        "truly_in_position": truly,
        "judged_in_position": judged,
        "both": hits,
        "precision": _ratio(hits, judged),
        "recall": _ratio(hits, truly),
    }


def _still_summary(rows: Sequence[Row]) -> dict[str, Any]:
    def tally(wanted: bool) -> dict[str, int]:
        chosen = [r for r in rows if r.still and r.still_in_position is wanted]
        return {
            "clips": len(chosen),
            "frames": sum(r.frames for r in chosen),
            "in_position": sum(r.in_position_frames for r in chosen),
        }

    return {"expected_in_position": tally(True), "expected_never": tally(False)}


def _fault_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Precision and recall of flagging, over every (clip, form rule) pair whose truth is
    known: positive when the rule truly fails (or the label lists it), predicted when flagged."""
    judged = [r for r in rows if r.failing is not None and r.flagged is not None]
    per_rule: dict[str, dict[str, Any]] = {}
    for row in judged:
        truly, flagged = set(row.failing or ()), set(row.flagged or ())
        for rule in row.form_rules:
            tally = per_rule.setdefault(f"{row.pose}.{rule}", {"tp": 0, "fp": 0, "fn": 0})
            tally["tp"] += rule in truly and rule in flagged
            tally["fp"] += rule not in truly and rule in flagged
            tally["fn"] += rule in truly and rule not in flagged
    for tally in per_rule.values():
        tally["precision"] = _ratio(tally["tp"], tally["tp"] + tally["fp"])
        tally["recall"] = _ratio(tally["tp"], tally["tp"] + tally["fn"])
    tp, fp, fn = (sum(t[k] for t in per_rule.values()) for k in ("tp", "fp", "fn"))
    return {
        "clips": len(judged),
        "pairs": sum(len(r.form_rules) for r in judged),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "per_rule": dict(sorted(per_rule.items())),
    }


# --- Text ------------------------------------------------------------------------------------

NA = "n/a"
TABLE_HEADER = (
    "CLIP",
    "POSE",
    "KIND",
    "FRAMES",
    "FOUND",
    "IN POS",
    "REPS want/got",
    "HOLD S want/got",
    "AGREE",
    "UNJUDGED",
    "FLAGGED",
    "FAILING",
    "FORM wrong/right",
    "NOTE",
)
_SIDE_LABELS = {"left": "L ", "right": "R ", "all": "", TOTAL: "total "}


def _percent(value: float | None, digits: int = 0) -> str:
    return NA if value is None else f"{value:.{digits}%}"


def _counts_text(counts: Mapping[str, Mapping[str, Any]], number: str) -> str:
    if not counts:
        return "-"
    parts = []
    for side, count in counts.items():
        want = "?" if count["expected"] is None else format(count["expected"], number)
        parts.append(f"{_SIDE_LABELS.get(side, side + ' ')}{want}/{count['measured']:{number}}")
    return ", ".join(parts)


def _rules_text(rules: Sequence[str] | None) -> str:
    if rules is None:
        return "?"
    return ",".join(rules) if rules else "none"


def row_cells(rows: Sequence[Row]) -> list[list[str]]:
    """The rows as table cells, the header first."""
    cells = [list(TABLE_HEADER)]
    for row in rows:
        if row.skipped is not None:
            cells.append([row.clip, row.pose, row.kind, *["-"] * 10, f"skipped: {row.skipped}"])
            continue
        in_position = f"{row.in_position_frames}/{row.frames}"
        if row.in_pose_frames is not None:
            precision = _ratio(row.in_pose_hits or 0, row.in_position_in_view or 0)
            recall = _ratio(row.in_pose_hits or 0, row.in_pose_frames)
            in_position += f" P {_percent(precision)} R {_percent(recall)}"
        if row.still_in_position is not None:
            in_position += " want all" if row.still_in_position else " want none"
        form = "-"
        if row.wrong_form_share is not None or row.right_form_share is not None:
            form = f"{_percent(row.wrong_form_share)}/{_percent(row.right_form_share)}"
        cells.append(
            [
                row.clip,
                row.pose,
                row.kind,
                str(row.frames),
                _percent(_ratio(row.found_frames, row.frames)),
                in_position,
                _counts_text(row.reps, "d"),
                _counts_text(row.hold_s, ".1f"),
                _percent(row.agreement, 1),
                _percent(row.unknown_share, 1),
                _rules_text(row.flagged),
                _rules_text(row.failing),
                form,
                row.note or "",
            ]
        )
    return cells


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as text, "n/a" where there was nothing to measure."""
    reps, hold, neg = summary["rep_counts"], summary["hold"], summary["negatives"]
    stills, faults, agree = summary["stills"], summary["faults"], summary["agreement"]
    windows, skipped = summary["form_windows"], summary["skipped"]
    lines = [
        f"Summary: {_plural(summary['clips'], 'clip')}, "
        f"{_plural(summary['pairs'], 'clip-stretch pair')}, {skipped['count']} skipped"
    ]
    if reps["counts"]:
        lines.append(
            f"  rep counts ({_plural(reps['counts'], 'count')} in "
            f"{_plural(reps['clips'], 'clip')}): exact "
            f"{_percent(reps['exact_rate'])}, mean abs error {reps['mean_abs_error']:.2f}, off by "
            f"one {_percent(reps['off_by_one_rate'])}, largest error {reps['largest_error']}"
        )
        if reps["goal_clips"]:
            lines.append(
                f"    clip totals exact (or inside the label's reps_range): "
                f"{_fraction(reps['within_goal'], reps['goal_clips'])}"
                + (f"; not: {', '.join(reps['outside_goal'])}" if reps["outside_goal"] else "")
            )
    else:
        lines.append(f"  rep counts: {NA} (no clip with rep truth)")
    if hold["sides"]:
        lines.append(
            f"  hold time ({_plural(hold['sides'], 'side')} held in "
            f"{_plural(hold['clips'], 'clip')}): mean abs error "
            f"{hold['mean_abs_error_s']:.2f} s, largest {hold['largest_error_s']:.2f} s, within "
            f"{hold['close_s']:g} s {_percent(hold['close_rate'])}"
        )
        if hold["goal_clips"]:
            lines.append(
                f"    clip totals within max({HOLD_GOAL_S:g} s, {HOLD_GOAL_SHARE:.0%}) (or inside "
                f"the label's hold_s_range): {_fraction(hold['within_goal'], hold['goal_clips'])}"
                + (f"; not: {', '.join(hold['outside_goal'])}" if hold["outside_goal"] else "")
            )
    else:
        lines.append(f"  hold time: {NA} (no side held in a clip with hold truth)")
    if neg["pairs"]:
        lines.append(
            f"  negatives ({_plural(neg['pairs'], 'clip-stretch pair')}): "
            f"false reps {neg['false_reps']} "
            f"(in {neg['pairs_with_false_reps']}), false hold {neg['false_hold_s']:.1f} s "
            f"(in {neg['pairs_with_false_hold']}), largest {neg['largest_false_hold_s']:.1f} s; "
            f"over {neg['false_hold_limit_s']:g} s or with a rep: {len(neg['credited'])}"
        )
        for pair in neg["credited"]:
            lines.append(
                f"    {pair['clip']} as {pair['pose']}: {pair['hold_s']:.1f} s held, "
                f"{_plural(pair['reps'], 'rep')}"
            )
    else:
        lines.append(f"  negatives: {NA}")
    position = summary["in_position"]
    if position["clips"]:
        lines.append(
            f"  in position per frame, in the stretch's own view "
            f"({_plural(position['clips'], 'clip')} with that truth): precision "
            f"{_fraction(position['both'], position['judged_in_position'])}, recall "
            f"{_fraction(position['both'], position['truly_in_position'])}"
        )
    else:
        lines.append(f"  in position per frame: {NA} (no clip with in-position truth)")
    wanted, never = stills["expected_in_position"], stills["expected_never"]
    parts = [
        f"{t['in_position']}/{t['frames']} frames {what}"
        for t, what in ((wanted, "of the stretch shown"), (never, "of near misses"))
        if t["frames"]
    ]
    lines.append(f"  stills judged in position: {', '.join(parts) or NA}")
    if faults["pairs"]:
        lines.append(
            f"  fault detection ({_plural(faults['pairs'], 'clip-rule pair')} in "
            f"{_plural(faults['clips'], 'clip')}, "
            f"micro-averaged): precision {_fraction(faults['tp'], faults['tp'] + faults['fp'])}, "
            f"recall {_fraction(faults['tp'], faults['tp'] + faults['fn'])}"
        )
        for rule, t in faults["per_rule"].items():
            if t["tp"] + t["fp"] + t["fn"]:
                lines.append(
                    f"    {rule}: precision {_fraction(t['tp'], t['tp'] + t['fp'])}, "
                    f"recall {_fraction(t['tp'], t['tp'] + t['fn'])}"
                )
    else:
        lines.append(f"  fault detection: {NA} (no clip with fault truth)")
    lines.append(
        f"  verdict agreement: {_percent(agree['mean'], 1)}"
        + (
            f" (mean over {_plural(agree['clips'], 'clip')}; not judged "
            f"{_percent(agree['mean_unknown_share'], 1)})"
            if agree["clips"]
            else ""
        )
    )
    if windows["clips"]:
        lines.append(
            "  frames in position failing a form rule: "
            f"{_percent(windows['wrong_form_share_in_wrong'])} in wrong-form windows, "
            f"{_percent(windows['wrong_form_share_in_right'])} in right-form windows "
            f"({_plural(windows['clips'], 'clip')})"
        )
    lines.append(
        f"  skipped: {skipped['count']}"
        + (f" ({', '.join(skipped['clips'])})" if skipped["clips"] else "")
    )
    return lines


def _fraction(part: int, whole: int) -> str:
    return f"{_percent(_ratio(part, whole))} ({part}/{whole})" if whole else NA


def report_data(
    source: str | Path, rows: Sequence[Row], summary: Mapping[str, Any], elapsed_s: float
) -> dict[str, Any]:
    """The --report JSON: every row and the summary."""
    return {
        "eval_version": EVAL_VERSION,
        "posecoach_version": __version__,
        "input": str(source),
        "elapsed_s": round(elapsed_s, 1),
        "definitions": {"flagged_share": FLAGGED_SHARE, "hold_close_s": HOLD_CLOSE_S},
        "summary": dict(summary),
        "rows": [row.to_dict() for row in rows],
    }
