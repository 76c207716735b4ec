"""Fitting a stretch's thresholds to labelled clips (`posecoach tune --pose ID --fit LABELS`).

Each clip is measured once (`Tuner`). Rule thresholds with per-frame labels (a generated
clip's truth gives every rule's verdict in every frame) are fitted to agree with them frame
by frame; the rep counter's numbers are fitted to the clips' rep counts. Nothing is written
unless asked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posecoach.coaching.overrides import COUNTER
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.coaching.rules import Rule, When
from posecoach.config.errors import PosecoachError
from posecoach.evaluation.jobs import find_jobs
from posecoach.evaluation.labels import read_truth
from posecoach.evaluation.metrics import truth_expected
from posecoach.evaluation.pairs import Kind
from posecoach.evaluation.tune import Knob, Tuner, load_stream, threshold_values, with_value

_GRID = 200  # candidate values per threshold at most


@dataclass
class FitClip:
    """One labelled clip, measured: per-frame truth verdicts where known, and the expected
    reps or hold seconds per side."""

    name: str
    tuner: Tuner
    verdicts: dict[str, np.ndarray] = field(default_factory=dict)  # rule -> True/False/None
    reps: dict[str, int] = field(default_factory=dict)
    hold_s: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Accuracy:
    """How well a pose's thresholds match the labels."""

    agreement: dict[str, float]  # rule -> share of labelled frames whose verdict matches
    rep_error: float | None  # mean absolute rep count error per side counted
    hold_error_s: float | None  # mean absolute hold error per side, seconds


@dataclass(frozen=True)
class FitResult:
    pose: PoseSpec  # with the fitted thresholds
    before: Accuracy
    after: Accuracy
    changed: dict[str, tuple[float, float]]  # "rule.key" -> (before, after)


def load_fit_clips(
    pose: PoseSpec,
    labels: str | Path,
    pose_dirs: Sequence[Path] = (),
    progress: Callable[[str], None] | None = None,
) -> list[FitClip]:
    """The clips of a labels file or generated folder that show `pose` (or are negatives for
    it), each measured once. A clip that cannot be used is left out with a line to
    `progress` saying why; PosecoachError when none is left."""

    def say(line: str) -> None:
        if progress is not None:
            progress(line)

    jobs = [job for job in find_jobs(labels, pose_dirs) if job.pose_id == pose.id]
    clips, left_out = [], []
    for number, job in enumerate(jobs, 1):
        if job.skip is not None:
            left_out.append(f"{job.clip}: {job.skip}")
            say(f"[{number}/{len(jobs)}] left out {job.clip}: {job.skip}")
            continue
        say(f"[{number}/{len(jobs)}] measuring {job.clip}")
        stream, stills = load_stream(job.path)
        if not stream:
            left_out.append(f"{job.clip}: no frames")
            say(f"[{number}/{len(jobs)}] left out {job.clip}: it has no frames")
            continue
        clip = FitClip(job.clip, Tuner(pose, stream, stills=stills))
        expected = job.expected
        if job.truth_path is not None:
            truth = read_truth(job.truth_path)
            expected = truth_expected(pose, truth)
            frames = truth["per_frame"]
            if len(frames["in_position"]) != len(stream):
                say(
                    f"[{number}/{len(jobs)}] {job.clip}: {len(stream)} frames, the truth "
                    f"{len(frames['in_position'])}: its per-frame labels are not used"
                )
            else:
                clip.verdicts = {
                    rule.id: np.array(frames["passes"][rule.id], dtype=object)
                    for rule in pose.rules
                    if rule.id in frames["passes"]
                }
        if job.kind in (Kind.NEGATIVE, Kind.NEAR_MISS):
            keys = clip.tuner.totals.keys()
            clip.reps = dict.fromkeys(keys, 0) if pose.mode is Mode.REPS else {}
            clip.hold_s = dict.fromkeys(keys, 0.0) if pose.mode is Mode.HOLD else {}
        else:
            clip.reps, clip.hold_s = dict(expected.reps), dict(expected.hold_s)
        clips.append(clip)
    if not clips:
        why = f" ({'; '.join(left_out)})" if left_out else ""
        raise PosecoachError(f"{labels}: no usable clip labelled for {pose.id} to fit to{why}")
    return clips


def accuracy(pose: PoseSpec, clips: Sequence[FitClip]) -> Accuracy:
    """Per-rule frame agreement with the labels, and rep and hold errors, under `pose`."""
    agreement = {}
    for rule in pose.rules:
        values, truth = _labelled(rule, clips)
        if values.size:
            agreement[rule.id] = float(
                np.mean(_passes(values, rule.min_value, rule.max_value) == truth)
            )
    rep_errors, hold_errors = [], []
    for clip in clips:
        totals = clip.tuner.judge_again(pose)[-1].totals
        rep_errors += [abs(totals[k].reps - want) for k, want in clip.reps.items() if k in totals]
        hold_errors += [
            abs(totals[k].hold_s - want) for k, want in clip.hold_s.items() if k in totals
        ]
    return Accuracy(
        agreement,
        float(np.mean(rep_errors)) if rep_errors else None,
        float(np.mean(hold_errors)) if hold_errors else None,
    )


def _labelled(rule: Rule, clips: Sequence[FitClip]) -> tuple[np.ndarray, np.ndarray]:
    """The rule's measured values over every labelled frame where the coach measured it, and
    the labels' verdicts there (True: passes). A rule's verdict is a fact about the body in
    that frame whether or not the person is in position yet, and the way in and out (where
    the joints sweep through the thresholds) is what pins a threshold down. Rules judged only
    at a moment of each rep (`when = "top"` or `"bottom"`) have no per-frame labels."""
    values, truth = [np.empty(0)], [np.empty(0, bool)]
    if rule.when is not When.ALWAYS:
        return values[0], truth[0]
    for clip in clips:
        verdicts = clip.verdicts.get(rule.id)
        if verdicts is None:
            continue
        measured = clip.tuner.values(rule.id)
        known = np.array([v is not None for v in verdicts], bool) & np.isfinite(measured)
        values.append(measured[known])
        truth.append(verdicts[known].astype(bool))
    return np.concatenate(values), np.concatenate(truth)


def _passes(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    ok = np.ones(values.shape, bool)
    if low is not None:
        ok &= values >= low
    if high is not None:
        ok &= values <= high
    return ok


def _candidates(knob: Knob) -> np.ndarray:
    count = min(round((knob.high - knob.low) / knob.step) + 1, _GRID)
    return np.linspace(knob.low, knob.high, max(count, 2))


def _best(candidates: np.ndarray, scores: np.ndarray, current: float, higher: bool) -> float:
    """The best-scoring candidate nearest the current value (the smallest change that does
    as well as any)."""
    best = scores.max() if higher else scores.min()
    where = np.flatnonzero(np.isclose(scores, best))
    return float(candidates[where[np.argmin(np.abs(candidates[where] - current))]])


def fit(pose: PoseSpec, clips: Sequence[FitClip], rounds: int = 2) -> FitResult:
    """Thresholds that best match the clips' labels: each rule's minimum and maximum to the
    per-frame verdicts (where labelled), then the rep counter's numbers to the rep counts;
    coordinate by coordinate, `rounds` times."""
    if not clips:
        raise PosecoachError(f"no clip to fit {pose.id} to")
    knobs = _search_ranges(clips)
    before = accuracy(pose, clips)
    fitted = pose
    for _ in range(rounds):
        for name in threshold_values(pose):
            owner = name.partition(".")[0]
            if owner == COUNTER:
                # Rep counts come from judging the clips: with the gates fitted so far.
                for clip in clips:
                    clip.tuner.use(fitted)
                fitted = _fit_counter(fitted, clips, knobs[name])
            elif any(owner in clip.verdicts for clip in clips):
                fitted = _fit_rule(fitted, clips, knobs[name])
    for clip in clips:  # the clips follow the fitted values (measured again if need be)
        clip.tuner.use(fitted)
    after = accuracy(fitted, clips)
    old, new = threshold_values(pose), threshold_values(fitted)
    changed = {name: (old[name], new[name]) for name in old if new[name] != old[name]}
    return FitResult(fitted, before, after, changed)


def _search_ranges(clips: Sequence[FitClip]) -> dict[str, Knob]:
    """Each threshold's search range: the values every clip shows, and the threshold."""
    ranges: dict[str, Knob] = {}
    for clip in clips:
        for knob in clip.tuner.knobs:
            seen = ranges.get(knob.name)
            ranges[knob.name] = (
                knob
                if seen is None
                else dataclasses.replace(
                    seen, low=min(seen.low, knob.low), high=max(seen.high, knob.high)
                )
            )
    return ranges


def _fit_rule(pose: PoseSpec, clips: Sequence[FitClip], knob: Knob) -> PoseSpec:
    rule = pose.rule(knob.owner)
    v, t = _labelled(rule, clips)
    if not v.size:
        return pose
    candidates = _candidates(knob)
    scores = np.array([np.mean(_passes(v, *_ends(rule, knob.key, c)) == t) for c in candidates])
    current = threshold_values(pose)[knob.name]
    if np.mean(_passes(v, *_ends(rule, knob.key, current)) == t) >= scores.max() - 1e-12:
        return pose  # already as good as any: the labels say nothing against it
    value = round(_best(candidates, scores, current, higher=True) / knob.step) * knob.step
    try:
        return with_value(pose, knob.name, round(value, 6))
    except PosecoachError:
        return pose  # would cross the other end of the range: keep it


def _ends(rule: Rule, key: str, value: float) -> tuple[float | None, float | None]:
    """The rule's (minimum, maximum) with `key` (min_... or max_...) set to `value`."""
    return (value, rule.max_value) if key.startswith("min_") else (rule.min_value, value)


def _fit_counter(pose: PoseSpec, clips: Sequence[FitClip], knob: Knob) -> PoseSpec:
    if not any(clip.reps for clip in clips):
        return pose
    errors, trials = [], []
    for candidate in _candidates(knob):
        try:
            trial = with_value(pose, knob.name, round(float(candidate), 6))
        except PosecoachError:
            continue
        error = 0.0
        for clip in clips:
            totals = clip.tuner.judge_again(trial)[-1].totals
            error += sum(abs(totals[k].reps - want) for k, want in clip.reps.items() if k in totals)
        errors.append(error)
        trials.append(candidate)
    if not trials:
        return pose
    current = threshold_values(pose)[knob.name]
    best = min(errors)
    # Keep the current value when it is among the best: counts say nothing finer.
    if abs(errors[int(np.argmin(np.abs(np.array(trials) - current)))] - best) < 1e-9:
        return pose
    value = _best(np.array(trials), np.array(errors), current, higher=False)
    return with_value(pose, knob.name, round(value, 6))


def result_lines(result: FitResult) -> list[str]:
    """Before and after, and the changed values, for people."""
    lines = ["frame agreement with the labels, before -> after:"]
    for rule_id, before in result.before.agreement.items():
        after = result.after.agreement.get(rule_id, before)
        lines.append(f"  {rule_id}: {before:.1%} -> {after:.1%}")
    if result.before.rep_error is not None:
        lines.append(
            f"rep count error per side: {result.before.rep_error:.2f} -> "
            f"{result.after.rep_error:.2f}"
        )
    if result.before.hold_error_s is not None:
        lines.append(
            f"hold time error per side: {result.before.hold_error_s:.2f} s -> "
            f"{result.after.hold_error_s:.2f} s"
        )
    if result.changed:
        lines.append("changed:")
        lines += [f"  {name}: {a:g} -> {b:g}" for name, (a, b) in result.changed.items()]
    else:
        lines.append("no threshold changed: the current values match the labels best")
    return lines
