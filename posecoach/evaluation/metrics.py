"""The comparisons of `posecoach eval`: per frame and per clip, the coach's verdicts, reps,
holds and in-position frames against a clip's truth or label (`measure` gives a pair's
`Row`). The clip-level fault definitions (`hold_flagged`, `reps_flagged`, `coach_flagged`,
`truth_failing`) are the ones the benchmarks use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from posecoach.coaching.coach import Status
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.coaching.rules import When
from posecoach.evaluation.pairs import TOTAL, Expected, FrameRecord, Job, Row

# A form rule is flagged on a hold when it fails in at least this share of the frames in
# position (as the coach judged them, or as the truth has them).
FLAGGED_SHARE = 0.5

# --- The definitions shared with the benchmarks -------------------------------------------


def form_rules(pose: PoseSpec) -> list[str]:
    """The rules that can be flagged as faults: in reps mode those judged at the top of each
    rep; on a hold every rule that is not a gate."""
    if pose.mode is Mode.REPS:
        return [r.id for r in pose.rules if r.when is When.TOP]
    return [r.id for r in pose.rules if not r.gate]


def hold_flagged(
    rule_ids: Iterable[str], in_position: Sequence[Mapping[str, bool | None]]
) -> set[str]:
    """Rules failing in at least `FLAGGED_SHARE` of the frames in position (`in_position`:
    each such frame's verdicts; a rule not judged in a frame does not fail there)."""
    if not in_position:
        return set()
    return {
        rule
        for rule in rule_ids
        if sum(frame.get(rule) is False for frame in in_position) / len(in_position)
        >= FLAGGED_SHARE
    }


def reps_flagged(
    rule_ids: Iterable[str], rep_tops: Sequence[Mapping[str, bool | None]]
) -> set[str]:
    """Rules that failed on any rep (`rep_tops`: the verdicts at each rep's top)."""
    return {rule for rule in rule_ids if any(top.get(rule) is False for top in rep_tops)}


def coach_flagged(
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    rep_window_frames: tuple[int, int] | None = None,
) -> set[str]:
    """The form rules the coach flagged on a clip. Hold: failing in at least half the frames it
    judged in position. Reps: a top-of-rep rule that failed on a counted rep (on the frame
    whose REP_COUNTED event counted it; only reps in `rep_window_frames` when given)."""
    rules = form_rules(pose)
    if pose.mode is Mode.REPS:
        tops = [f.verdicts for f in frames if f.rep_counted and _in_window(f, rep_window_frames)]
        return reps_flagged(rules, tops)
    return hold_flagged(rules, [f.verdicts for f in frames if f.in_position])


def truth_failing(pose: PoseSpec, truth: Mapping[str, Any]) -> set[str]:
    """The form rules a generated clip's truth fails. Hold: failing in at least half the
    frames truly in position. Reps: a top-of-rep rule failing at the top frame of any full
    scripted rep."""
    per_frame = truth["per_frame"]
    passes: Mapping[str, list[bool | None]] = per_frame["passes"]
    rules = [r for r in form_rules(pose) if r in passes]
    count = len(per_frame["in_position"])
    if pose.mode is Mode.REPS:
        fps = float(truth["fps"])
        tops = [min(round(rep["top_s"] * fps), count - 1) for rep in truth["reps"] if rep["full"]]
        return reps_flagged(rules, [{r: passes[r][i] for r in rules} for i in tops])
    truly = [i for i, ok in enumerate(per_frame["in_position"]) if ok]
    return hold_flagged(rules, [{r: passes[r][i] for r in rules} for i in truly])


def verdict_agreement(
    pose: PoseSpec, frames: Sequence[FrameRecord], truth: Mapping[str, Any]
) -> tuple[float | None, float | None]:
    """(agreement, unknown share) of the coach's rule verdicts with a generated clip's truth.

    Over the frames truly in position that the coach also judged in position, and the form
    rules judged in every frame (gates pass in all of those frames by definition; rules judged
    at the top of a rep are compared by `coach_flagged` and `truth_failing` instead), each
    (frame, rule) pair whose truth is known counts: agreement is the share of those the coach
    judged where its verdict equals the truth's; the unknown share is the share it could not
    judge. None where there is nothing to compare.
    """
    per_frame = truth["per_frame"]
    truly: list[bool] = per_frame["in_position"]
    passes: Mapping[str, list[bool | None]] = per_frame["passes"]
    rules = [r.id for r in pose.rules if not r.gate and r.when is When.ALWAYS and r.id in passes]
    agree = known = unknown = 0
    for frame in frames:
        if not (0 <= frame.index < len(truly) and truly[frame.index] and frame.in_position):
            continue
        for rule in rules:
            true = passes[rule][frame.index]
            if true is None:
                continue
            judged = frame.verdicts.get(rule)
            if judged is None:
                unknown += 1
            else:
                known += 1
                agree += judged == true
    return (
        agree / known if known else None,
        unknown / (known + unknown) if known + unknown else None,
    )


def measured_reps(
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    rep_window_frames: tuple[int, int] | None = None,
) -> dict[str, int]:
    """Reps the coach counted per side key (only those in `rep_window_frames` when given)."""
    counts = dict.fromkeys(_side_keys(pose), 0)
    for frame in frames:
        if frame.rep_counted and frame.side in counts and _in_window(frame, rep_window_frames):
            counts[frame.side] += 1
    return counts


def form_window_share(
    pose: PoseSpec, frames: Sequence[FrameRecord], windows: Sequence[tuple[float, float]]
) -> float | None:
    """Of the frames in `windows` (seconds) that the coach judged in position, the share in
    which a form rule failed, as the coach showed it (a top-of-rep rule keeps its last rep's
    verdict until the next rep). None when no such frame."""
    rules = [r.id for r in pose.rules if not r.gate]
    inside = [f for f in frames if f.in_position and any(a <= f.t_s <= b for a, b in windows)]
    if not inside:
        return None
    failing = sum(any(f.verdicts.get(r) is False for r in rules) for f in inside)
    return failing / len(inside)


def _in_window(frame: FrameRecord, window: tuple[int, int] | None) -> bool:
    return window is None or window[0] <= frame.index <= window[1]


def _side_keys(pose: PoseSpec) -> list[str]:
    return ["left", "right"] if pose.per_side else ["all"]


# --- One pair against what is expected of it -------------------------------------------------


def truth_expected(pose: PoseSpec, truth: Mapping[str, Any]) -> Expected:
    """What a generated clip's truth says: reps (full reps) or hold seconds per side, and the
    truly failing form rules."""
    totals: Mapping[str, Mapping[str, float]] = truth["totals"]
    if pose.mode is Mode.REPS:
        return Expected(
            reps={k: int(v["reps"]) for k, v in totals.items()},
            faults=frozenset(truth_failing(pose, truth)),
        )
    return Expected(
        hold_s={k: float(v["hold_s"]) for k, v in totals.items()},
        faults=frozenset(truth_failing(pose, truth)),
    )


def measure(
    job: Job,
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    held_s: Mapping[str, float],
    truth: Mapping[str, Any] | None,
    still: bool,
) -> Row:
    """Compare the coach's frames of one clip with what is expected of it. `held_s`: the
    seconds its hold timers credited per side key at the end."""
    expected = truth_expected(pose, truth) if truth is not None else job.expected
    window = expected.rep_window_frames
    row = Row(
        clip=job.clip,
        pose=pose.id,
        kind=job.kind.value,
        mode=pose.mode.value,
        still=still,
        frames=len(frames),
        found_frames=sum(f.status is not Status.NO_PERSON for f in frames),
        in_position_frames=sum(f.in_position for f in frames),
        still_in_position=expected.still_in_position if still else None,
        form_rules=form_rules(pose),
    )
    if pose.mode is Mode.REPS:
        counted = measured_reps(pose, frames, window)
        counted[TOTAL] = sum(counted.values())
        keys = list(expected.reps) or _side_keys(pose)
        row.reps = {k: {"expected": expected.reps.get(k), "measured": counted[k]} for k in keys}
    else:
        held = dict(held_s)
        held[TOTAL] = sum(held_s.values())
        keys = list(expected.hold_s) or _side_keys(pose)
        row.hold_s = {
            k: {"expected": expected.hold_s.get(k), "measured": round(held[k], 2)} for k in keys
        }
    row.flagged = sorted(coach_flagged(pose, frames, window))
    row.failing = sorted(expected.faults) if expected.faults is not None else None
    if truth is not None:
        row.agreement, row.unknown_share = verdict_agreement(pose, frames, truth)
        if truth.get("frames") != len(frames):
            row.note = f"the video has {len(frames)} frames, the truth {truth.get('frames')}"
    if expected.wrong_form_s:
        row.wrong_form_share = form_window_share(pose, frames, expected.wrong_form_s)
    if expected.right_form_s:
        row.right_form_share = form_window_share(pose, frames, expected.right_form_s)
    truly = in_pose_truth(pose, frames, expected, truth)
    if truly is not None:
        in_pose, in_view = truly
        coach = np.array([f.in_position for f in frames], dtype=bool)
        row.in_pose_frames = int((in_pose & in_view).sum())
        row.in_position_in_view = int((coach & in_view).sum())
        row.in_pose_hits = int((coach & in_pose & in_view).sum())
    if expected.hold_s_range is not None:
        row.hold_s_range = list(expected.hold_s_range)
    if expected.reps_range is not None:
        row.reps_range = list(expected.reps_range)
    return row


def _within_windows(t_s: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(start <= t_s <= end for start, end in windows)


def in_pose_truth(
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    expected: Expected,
    truth: Mapping[str, Any] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per frame: whether the person is truly in the stretch's position, and whether the
    camera shows the stretch's own view; None when nothing says. A label's `in_pose_s` and
    `views_s` give them; a generated clip's truth has the first for every frame, and its view
    is the stretch's own or not for the whole clip."""
    if truth is not None:
        per_frame = truth.get("per_frame", {}).get("in_position")
        if per_frame is None:
            return None
        in_pose = np.array(
            [0 <= f.index < len(per_frame) and bool(per_frame[f.index]) for f in frames],
            dtype=bool,
        )
        own_view = truth.get("spec", {}).get("view") == pose.view.value
        return in_pose, np.full(len(frames), own_view, dtype=bool)
    if expected.in_pose_s is None:
        return None
    in_pose = np.array([_within_windows(f.t_s, expected.in_pose_s) for f in frames], dtype=bool)
    if expected.own_view_s is None:
        return in_pose, np.ones(len(frames), dtype=bool)
    in_view = np.array([_within_windows(f.t_s, expected.own_view_s) for f in frames], dtype=bool)
    return in_pose, in_view
