"""The session report: accumulated frame by frame, written as JSON atomically."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posecoach import __version__
from posecoach.coaching.coach import Assessment, SideTotals, Status
from posecoach.coaching.posefile import PoseSpec
from posecoach.coaching.rules import Rule, RuleResult, When
from posecoach.coaching.temporal import EventKind
from posecoach.reports.summary import (
    Cue,
    Fault,
    OverrideSummary,
    ReportEvent,
    RuleCount,
    SideDifference,
    SideSummary,
    StretchSummary,
)

REPORT_VERSION = 1


@dataclass
class _RuleTally:
    passed: int = 0
    judged: int = 0


@dataclass
class SessionReport:
    """Collects what a session showed; `summary()` gives what it came to, `to_dict()` the
    report's JSON content."""

    pose: PoseSpec
    source: str
    model: str
    frames: int = 0
    detected: int = 0
    in_position: int = 0
    first_ms: float | None = None
    last_ms: float | None = None
    totals: dict[str, SideTotals] = field(default_factory=dict)
    cues: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    ended_by: str = "end of input"
    complete: bool = True
    stride: int = 1  # every Nth frame analysed
    skipped: int = 0  # frames of a damaged video that could not be decoded, left out
    # How fast the session went (`pipeline.Timing.summary`): frames per second, and for a
    # camera the latency and the frames dropped.
    timing: dict[str, Any] = field(default_factory=dict)
    _rules: dict[str, _RuleTally] = field(default_factory=dict)
    # Seconds in position with no form rule failing, per side ("all" when not per side).
    _good_form_s: dict[str, float] = field(default_factory=dict)
    _last_ms: float | None = None
    # Form faults: spans of a form rule failing in position (closed ones, and those open).
    _faults: list[dict[str, Any]] = field(default_factory=list)
    _open_faults: dict[str, _Fault] = field(default_factory=dict)
    # Per side, each rule's values while in position (for the side comparison): a sample of
    # bounded size, so a long session does not grow the report's memory.
    _side_values: dict[str, dict[str, Reservoir]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rules = {rule.id: _RuleTally() for rule in self.pose.rules}

    def add(self, assessment: Assessment) -> None:
        """Account for one frame."""
        self._account_form(assessment)
        self.frames += 1
        if self.first_ms is None:
            self.first_ms = assessment.timestamp_ms
        self.last_ms = assessment.timestamp_ms
        if assessment.detected:
            self.detected += 1
        if assessment.status is Status.IN_POSITION:
            self.in_position += 1
            if self.pose.per_side and assessment.side is not None:
                values = self._side_values.setdefault(assessment.side.value, {})
                for result in assessment.results:
                    if result.value is not None and result.rule.when is When.ALWAYS:
                        if result.rule.id not in values:
                            values[result.rule.id] = Reservoir()
                        values[result.rule.id].add(result.value)
        rep_counted = any(e.kind is EventKind.REP_COUNTED for e in assessment.events)
        for result in assessment.results:
            if result.rule.when is When.TOP and not rep_counted:
                continue  # a rep's verdict stands until the next rep; tally it once
            tally = self._rules[result.rule.id]
            if result.passed is not None:
                tally.judged += 1
                tally.passed += int(result.passed)
        if assessment.prompt_is_new and assessment.prompt:
            self.cues.append({"t_s": self._t_s(assessment.timestamp_ms), "text": assessment.prompt})
        for event in assessment.events:
            entry: dict[str, Any] = {
                "t_s": self._t_s(event.timestamp_ms),
                "event": event.kind.value,
            }
            if assessment.side is not None:
                entry["side"] = assessment.side.value
            self.events.append(entry)
        self.totals = assessment.totals

    def _account_form(self, assessment: Assessment) -> None:
        """Time in good form, and the spans in which a form rule failed (a fault)."""
        now = assessment.timestamp_ms
        step_s = 0.0 if self._last_ms is None else min(max(now - self._last_ms, 0.0), 500) / 1000
        self._last_ms = now
        side = (
            assessment.side.value if self.pose.per_side and assessment.side is not None else "all"
        )
        failing: list[RuleResult] = []
        if assessment.status is Status.IN_POSITION:
            rep_counted = any(e.kind is EventKind.REP_COUNTED for e in assessment.events)
            failing = [
                r
                for r in assessment.results
                if r.passed is False
                and not r.rule.gate
                and (r.rule.when is When.ALWAYS or rep_counted)
            ]
            if not failing:
                self._good_form_s[side] = self._good_form_s.get(side, 0.0) + step_s
        for result in failing:
            fault = self._open_faults.get(result.rule.id)
            if fault is not None and now - fault.last_ms <= FAULT_GAP_MS and fault.side == side:
                fault.last_ms = now
                continue
            if fault is not None:
                self._close_fault(fault)
            self._open_faults[result.rule.id] = _Fault(result.rule, side, now, now)
        failing_ids = {r.rule.id for r in failing}
        for rule_id, fault in list(self._open_faults.items()):
            if rule_id not in failing_ids and now - fault.last_ms > FAULT_GAP_MS:
                self._close_fault(self._open_faults.pop(rule_id))

    def _close_fault(self, fault: _Fault) -> None:
        entry = self._fault_entry(fault)
        if entry is not None:
            self._faults.append(entry)

    def _fault_entry(self, fault: _Fault) -> dict[str, Any] | None:
        """A fault as the report lists it; None for a flicker too short to be one (a rule
        judged once a rep counts however short)."""
        if fault.rule.when is When.ALWAYS and fault.last_ms - fault.start_ms < FAULT_MIN_MS:
            return None
        entry: dict[str, Any] = {
            "rule": fault.rule.id,
            "cue": fault.rule.cue,
            "start_s": self._t_s(fault.start_ms),
            "end_s": self._t_s(fault.last_ms),
        }
        if fault.side != "all":
            entry["side"] = fault.side
        return entry

    def faults(self) -> list[dict[str, Any]]:
        """Every fault so far, in the order they began (those still going included)."""
        still = [self._fault_entry(fault) for fault in self._open_faults.values()]
        entries = self._faults + [entry for entry in still if entry is not None]
        return sorted(entries, key=lambda entry: entry["start_s"])

    def _sides(self) -> dict[str, SideSummary]:
        """Per side: reps, seconds held, the furthest rep, and each rule's median value while
        in position (how far the stretch went on that side)."""
        sides: dict[str, SideSummary] = {}
        for name, totals in self.totals.items():
            if name == "all":
                continue
            values = self._side_values.get(name, {})
            medians = {rule_id: round(sample.median(), 2) for rule_id, sample in values.items()}
            best = None if totals.best is None else round(totals.best, 1)
            sides[name] = SideSummary(
                reps=totals.reps,
                hold_s=round(totals.hold_s, 2),
                good_form_s=round(self._good_form_s.get(name, 0.0), 2),
                best_rep=best,
                range=self._range(best, medians),
                rule_medians=medians,
            )
        return sides

    def _range(self, best_rep: float | None, medians: dict[str, float]) -> float | None:
        """How far the stretch went: the furthest rep for reps, else the range rule's median
        in position (None without one)."""
        if self.pose.counter is not None:
            return best_rep
        return None if self.pose.range_rule is None else medians.get(self.pose.range_rule)

    def _denominator(self, rule: Rule, detected: int) -> int:
        if rule.when is When.ALWAYS:
            return detected
        return max(self._rules[rule.id].judged, 1)

    def _t_s(self, timestamp_ms: float) -> float:
        return round((timestamp_ms - (self.first_ms or 0.0)) / 1000, 3)

    def duration_s(self, fps: float | None) -> float:
        if self.first_ms is None or self.last_ms is None:
            return 0.0
        span = (self.last_ms - self.first_ms) / 1000
        if fps and self.frames > 1:
            span += 1 / fps  # the last frame lasts one frame interval too
        return round(span, 3)

    def summary(self, fps: float | None = None) -> StretchSummary:
        """What the session came to (`fps`: a file's analysed frame rate, so the last frame
        counts toward the duration; None live)."""
        sides = self._sides()
        detected = max(self.detected, 1)
        return StretchSummary(
            report_version=REPORT_VERSION,
            posecoach_version=__version__,
            pose=self.pose.id,
            pose_name=self.pose.name,
            mode=self.pose.mode.value,
            target=self.pose.target,
            per_side=self.pose.per_side,
            pose_file=str(self.pose.path),
            # The values set above the pose file (overrides file, --set) that this run used.
            overrides={
                entry.name: OverrideSummary(
                    entry.value, entry.pose_file_value, entry.source, entry.where
                )
                for entry in self.pose.overrides
            },
            source=self.source,
            model=self.model,
            frames=self.frames,
            duration_s=self.duration_s(fps),
            detected_fraction=round(self.detected / self.frames, 4) if self.frames else 0.0,
            in_position_fraction=round(self.in_position / self.frames, 4) if self.frames else 0.0,
            reps=sum(t.reps for t in self.totals.values()),
            hold_s=round(sum(t.hold_s for t in self.totals.values()), 2),
            good_form_s=round(sum(self._good_form_s.values()), 2),
            range_rule=self.pose.range_rule,
            sides=sides,
            side_difference=_side_difference(sides) if len(sides) == 2 else None,
            # Per rule, the fraction of detected frames in which it was judged and passed; for
            # rules judged only at the top or bottom of a rep, the fraction of reps (or frames
            # at rest) in which it passed.
            rules={
                rule.id: round(self._rules[rule.id].passed / self._denominator(rule, detected), 4)
                for rule in self.pose.rules
            },
            rules_judged={rid: RuleCount(t.judged, t.passed) for rid, t in self._rules.items()},
            cues=tuple(Cue(cue["t_s"], cue["text"]) for cue in self.cues),
            events=tuple(
                ReportEvent(e["t_s"], e["event"], e.get("side"))
                for e in self.events
                if e["event"] != EventKind.REP_PEAK.value
            ),
            # Spans in which a form rule failed while in position (a rule judged at the top of
            # each rep: the moments a counted rep failed it).
            faults=tuple(
                Fault(f["rule"], f["cue"], f["start_s"], f["end_s"], f.get("side"))
                for f in self.faults()
            ),
            stride=self.stride,
            skipped_frames=self.skipped,
            timing=dict(self.timing),
            ended_by=self.ended_by,
            complete=self.complete,
        )

    def to_dict(self, fps: float | None = None) -> dict[str, Any]:
        """The report's JSON content (`summary(fps).to_dict()`)."""
        return self.summary(fps).to_dict()


class Reservoir:
    """Values seen one at a time, kept as a uniform random sample of at most `size` of them
    (every value while there are fewer): the median of a long session from bounded memory.
    The same values always give the same sample."""

    def __init__(self, size: int = 4096) -> None:
        self._values = np.empty(size, dtype=np.float64)
        self._seen = 0
        self._random = random.Random(0)

    def add(self, value: float) -> None:
        size = len(self._values)
        if self._seen < size:
            self._values[self._seen] = value
        else:
            slot = self._random.randrange(self._seen + 1)
            if slot < size:
                self._values[slot] = value
        self._seen += 1

    def median(self) -> float:
        return float(np.median(self._values[: min(self._seen, len(self._values))]))


FAULT_GAP_MS = 500.0  # a rule passing again for less than this does not end its fault
FAULT_MIN_MS = 500.0  # shorter failures are flicker (no cue is given for them either)


@dataclass
class _Fault:
    rule: Rule
    side: str
    start_ms: float
    last_ms: float


def _side_difference(sides: dict[str, SideSummary]) -> SideDifference:
    """Right minus left: reps, seconds held, and each rule's median value."""
    left, right = sides["left"], sides["right"]
    medians = {
        rule_id: round(right.rule_medians[rule_id] - value, 2)
        for rule_id, value in left.rule_medians.items()
        if rule_id in right.rule_medians
    }
    ranges = (left.range, right.range)
    assert left.good_form_s is not None and right.good_form_s is not None
    return SideDifference(
        reps=right.reps - left.reps,
        hold_s=round(right.hold_s - left.hold_s, 2),
        good_form_s=round(right.good_form_s - left.good_form_s, 2),
        range=None if ranges[0] is None or ranges[1] is None else round(ranges[1] - ranges[0], 2),
        rule_medians=medians,
    )
