"""What a coached stretch and a guided session came to, typed: `StretchSummary` (one stretch's
report, `SessionReport.summary`) and `GuidedSummary` (a routine's session, with a
`GuidedStretch` per step).

`to_dict()` gives the JSON written to the report file, key for key and in the same order;
`from_dict()` reads a saved one back. Reading is tolerant of reports from older versions and
of partial ones (a skipped stretch of a guided session has no report; a stretch never started
may have only its pose): a field that is missing becomes None (or empty, or its default), and a
field of the wrong type is a `SummaryError` that says where and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posecoach.config.errors import PosecoachError


class SummaryError(PosecoachError):
    """A saved report or session whose content is not what posecoach writes."""


@dataclass(frozen=True)
class SideSummary:
    """One side's numbers (`rule_medians`: each rule's median value while in position)."""

    reps: int = 0
    hold_s: float = 0.0
    good_form_s: float | None = None
    best_rep: float | None = None  # the furthest rep (rep stretches)
    range: float | None = None  # how far the stretch went, in the range rule's unit
    rule_medians: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reps": self.reps,
            "hold_s": self.hold_s,
            "good_form_s": self.good_form_s,
            "best_rep": self.best_rep,
            "range": self.range,
            "rule_medians": dict(self.rule_medians),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str, mode: str | None) -> SideSummary:
        """`mode` ("reps" or "hold"): a report from before `range` gives a rep stretch's
        range as its best rep."""
        best_rep = _number(data, "best_rep", where)
        if "range" in data:
            range_ = _number(data, "range", where)
        else:
            range_ = best_rep if mode == "reps" else None
        return cls(
            reps=_number(data, "reps", where, default=0),
            hold_s=_number(data, "hold_s", where, default=0.0),
            good_form_s=_number(data, "good_form_s", where),
            best_rep=best_rep,
            range=range_,
            rule_medians=_medians(data, where),
        )


@dataclass(frozen=True)
class SideDifference:
    """Right minus left: reps, seconds held and in good form, range, each rule's median."""

    reps: int
    hold_s: float
    good_form_s: float | None
    range: float | None
    rule_medians: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reps": self.reps,
            "hold_s": self.hold_s,
            "good_form_s": self.good_form_s,
            "range": self.range,
            "rule_medians": dict(self.rule_medians),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> SideDifference:
        return cls(
            reps=_number(data, "reps", where, default=0),
            hold_s=_number(data, "hold_s", where, default=0.0),
            good_form_s=_number(data, "good_form_s", where),
            range=_number(data, "range", where),
            rule_medians=_medians(data, where),
        )


@dataclass(frozen=True)
class OverrideSummary:
    """A value set above the pose file for this run (`source`: the overrides file, or
    "--set"; written as "from")."""

    value: Any
    pose_file_value: Any
    source: str | None
    where: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "pose_file_value": self.pose_file_value,
            "from": self.source,
            "where": self.where,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> OverrideSummary:
        return cls(
            value=data.get("value"),
            pose_file_value=data.get("pose_file_value"),
            source=_text(data, "from", where),
            where=_text(data, "where", where),
        )


@dataclass(frozen=True)
class RuleCount:
    """How often a rule was judged, and passed (frames; reps for a rule judged at the top)."""

    judged_frames: int
    passed_frames: int

    def to_dict(self) -> dict[str, Any]:
        return {"judged_frames": self.judged_frames, "passed_frames": self.passed_frames}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> RuleCount:
        return cls(
            judged_frames=_number(data, "judged_frames", where, default=0),
            passed_frames=_number(data, "passed_frames", where, default=0),
        )


@dataclass(frozen=True)
class Cue:
    """A cue shown `t_s` seconds after the stretch began."""

    t_s: float | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": self.t_s, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> Cue:
        return cls(_number(data, "t_s", where), _text(data, "text", where, default=""))


@dataclass(frozen=True)
class ReportEvent:
    """A coaching event (`posecoach.coaching.temporal.EventKind` value) at `t_s`, on `side`
    (None: not per side)."""

    t_s: float | None
    event: str
    side: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"t_s": self.t_s, "event": self.event}
        if self.side is not None:
            data["side"] = self.side
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> ReportEvent:
        return cls(
            _number(data, "t_s", where),
            _text(data, "event", where, default=""),
            _text(data, "side", where),
        )


@dataclass(frozen=True)
class Fault:
    """A span, `start_s` to `end_s`, in which form rule `rule` failed while in position."""

    rule: str
    cue: str
    start_s: float | None
    end_s: float | None
    side: str | None = None  # None: not per side

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "cue": self.cue,
            "start_s": self.start_s,
            "end_s": self.end_s,
        }
        if self.side is not None:
            data["side"] = self.side
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> Fault:
        return cls(
            rule=_text(data, "rule", where, default=""),
            cue=_text(data, "cue", where, default=""),
            start_s=_number(data, "start_s", where),
            end_s=_number(data, "end_s", where),
            side=_text(data, "side", where),
        )


@dataclass(frozen=True)
class StretchSummary:
    """One coached stretch: what its report file holds.

    Fractions are of the frames analysed (0 to 1); times in seconds from the stretch's first
    frame. Read from a file (`from_dict`), what the file lacks is None: `mode` None is a
    stretch that was never coached (a skipped step of a guided session)."""

    pose: str | None
    pose_name: str | None = None
    mode: str | None = None  # "hold" or "reps"
    target: float | None = None  # reps, or seconds held, per side when per side
    per_side: bool = False
    report_version: int | None = None
    posecoach_version: str | None = None
    pose_file: str | None = None
    overrides: dict[str, OverrideSummary] = field(default_factory=dict)
    source: str | None = None
    model: str | None = None
    frames: int = 0
    duration_s: float | None = None
    detected_fraction: float | None = None
    in_position_fraction: float | None = None
    reps: int = 0
    hold_s: float = 0.0
    good_form_s: float | None = None
    range_rule: str | None = None
    sides: dict[str, SideSummary] = field(default_factory=dict)  # empty: not per side
    side_difference: SideDifference | None = None  # with both sides
    # Per rule, the fraction of detected frames (or reps) in which it was judged and passed.
    rules: dict[str, float] = field(default_factory=dict)
    rules_judged: dict[str, RuleCount] = field(default_factory=dict)
    cues: tuple[Cue, ...] = ()
    events: tuple[ReportEvent, ...] = ()
    faults: tuple[Fault, ...] = ()
    stride: int = 1  # every Nth frame analysed
    skipped_frames: int = 0  # frames of a damaged video that could not be decoded
    # How fast it went (`posecoach.run.render.Timing.summary`): frames per second, and for a
    # camera the latency and the frames dropped.
    timing: dict[str, Any] = field(default_factory=dict)
    ended_by: str | None = None
    complete: bool | None = None
    # The furthest rep of a rep stretch not done per side, as older reports gave it beside
    # the totals (written only when set: a report now keeps it per side).
    best_rep: float | None = None

    @property
    def coached(self) -> bool:
        """False for a stretch with no report of its coaching (only its pose)."""
        return self.mode is not None

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON content."""
        data = {
            "report_version": self.report_version,
            "posecoach_version": self.posecoach_version,
            "pose": self.pose,
            "pose_name": self.pose_name,
            "mode": self.mode,
            "target": self.target,
            "per_side": self.per_side,
            "pose_file": self.pose_file,
            "overrides": {name: entry.to_dict() for name, entry in self.overrides.items()},
            "source": self.source,
            "model": self.model,
            "frames": self.frames,
            "duration_s": self.duration_s,
            "detected_fraction": self.detected_fraction,
            "in_position_fraction": self.in_position_fraction,
            "reps": self.reps,
            "hold_s": self.hold_s,
            "good_form_s": self.good_form_s,
            "range_rule": self.range_rule,
            "sides": {name: side.to_dict() for name, side in self.sides.items()},
            "side_difference": None
            if self.side_difference is None
            else self.side_difference.to_dict(),
            "rules": dict(self.rules),
            "rules_judged": {rule: count.to_dict() for rule, count in self.rules_judged.items()},
            "cues": [cue.to_dict() for cue in self.cues],
            "events": [event.to_dict() for event in self.events],
            "faults": [fault.to_dict() for fault in self.faults],
            "stride": self.stride,
            "skipped_frames": self.skipped_frames,
            "timing": dict(self.timing),
            "ended_by": self.ended_by,
            "complete": self.complete,
        }
        if self.best_rep is not None:
            data["best_rep"] = self.best_rep
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "report") -> StretchSummary:
        """A saved report (or the part of one there is); SummaryError, saying `where`, for a
        field of the wrong type."""
        if not isinstance(data, Mapping):
            raise SummaryError(f"{where}: expected the report as an object, got {data!r}")
        mode = _text(data, "mode", where)
        sides = _mapping(data, "sides", where)
        difference = data.get("side_difference")
        if difference is not None and not isinstance(difference, Mapping):
            raise SummaryError(f"{where}: expected side_difference as an object")
        complete = data.get("complete")
        rules = _mapping(data, "rules", where)
        return cls(
            pose=_text(data, "pose", where),
            pose_name=_text(data, "pose_name", where),
            mode=mode,
            target=_number(data, "target", where),
            per_side=bool(data.get("per_side", False)),
            report_version=_number(data, "report_version", where),
            posecoach_version=_text(data, "posecoach_version", where),
            pose_file=_text(data, "pose_file", where),
            overrides={
                str(name): OverrideSummary.from_dict(
                    _object(entry, f"{where}, override {name}"), where
                )
                for name, entry in _mapping(data, "overrides", where).items()
            },
            source=_text(data, "source", where),
            model=_text(data, "model", where),
            frames=_number(data, "frames", where, default=0),
            duration_s=_number(data, "duration_s", where),
            detected_fraction=_number(data, "detected_fraction", where),
            in_position_fraction=_number(data, "in_position_fraction", where),
            reps=_number(data, "reps", where, default=0),
            hold_s=_number(data, "hold_s", where, default=0.0),
            good_form_s=_number(data, "good_form_s", where),
            range_rule=_text(data, "range_rule", where),
            sides={
                str(name): SideSummary.from_dict(
                    _object(side, f"{where}, {name} side"), f"{where}, {name} side", mode
                )
                for name, side in sides.items()
            },
            side_difference=None
            if difference is None
            else SideDifference.from_dict(difference, f"{where}, side difference"),
            rules={
                str(rule): _number(rules, rule, f"{where}, rules", default=0.0) for rule in rules
            },
            rules_judged={
                str(rule): RuleCount.from_dict(_object(count, f"{where}, {rule}"), where)
                for rule, count in _mapping(data, "rules_judged", where).items()
            },
            cues=tuple(Cue.from_dict(item, where) for item in _objects(data, "cues", where)),
            events=tuple(
                ReportEvent.from_dict(item, where) for item in _objects(data, "events", where)
            ),
            faults=tuple(Fault.from_dict(item, where) for item in _objects(data, "faults", where)),
            stride=_number(data, "stride", where, default=1),
            skipped_frames=_number(data, "skipped_frames", where, default=0),
            timing=dict(_mapping(data, "timing", where)),
            ended_by=_text(data, "ended_by", where),
            complete=None if complete is None else bool(complete),
            best_rep=_number(data, "best_rep", where),
        )


@dataclass(frozen=True)
class PlannedStretch:
    """What a routine's step asked for: `reps` reps, or `reps` holds of `hold_s` seconds, per
    side (`sides`, in `order` "each" or "alternate") when the stretch is done per side."""

    reps: int | None
    hold_s: float | None
    sides: tuple[str, ...] | None
    order: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reps": self.reps,
            "hold_s": self.hold_s,
            "sides": None if self.sides is None else list(self.sides),
            "order": self.order,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> PlannedStretch:
        sides = data.get("sides")
        if sides is not None and not isinstance(sides, list | tuple):
            raise SummaryError(f"{where}: expected a list of sides, got {sides!r}")
        return cls(
            reps=_number(data, "reps", where),
            hold_s=_number(data, "hold_s", where),
            sides=None if sides is None else tuple(str(side) for side in sides),
            order=_text(data, "order", where),
        )


@dataclass(frozen=True)
class GuidedStretch:
    """One step of a guided session as it went: `status` "done", "skipped", "stopped" or
    "not reached"; `report` None when its counted work never began."""

    pose: str
    pose_name: str | None
    status: str | None
    step: int | None = None  # 1-based place in the routine
    planned: PlannedStretch | None = None
    report: StretchSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "pose": self.pose,
            "pose_name": self.pose_name,
            "status": self.status,
            "planned": None if self.planned is None else self.planned.to_dict(),
            "report": None if self.report is None else self.report.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> GuidedStretch:
        """The pose is the entry's, or else its report's; SummaryError without either."""
        data = _object(data, where)
        raw_report = data.get("report")
        if raw_report is not None and not isinstance(raw_report, Mapping):
            raise SummaryError(f"{where}: expected the report as an object, got {raw_report!r}")
        pose = data.get("pose") or (raw_report or {}).get("pose")
        if not isinstance(pose, str) or not pose:
            raise SummaryError(f"{where}: expected the stretch's pose id, got {pose!r}")
        where = f"{where} ({pose})"
        planned = data.get("planned")
        return cls(
            pose=pose,
            pose_name=_text(data, "pose_name", where),
            status=_text(data, "status", where),
            step=_number(data, "step", where),
            planned=None
            if planned is None
            else PlannedStretch.from_dict(_object(planned, f"{where}, planned"), where),
            # An empty report is none (a stretch never coached).
            report=StretchSummary.from_dict(raw_report, where) if raw_report else None,
        )


@dataclass(frozen=True)
class TimelineEntry:
    """A moment of a guided session: `kind` ("intro", "setup", "skip", ...) at `t_s` seconds
    from its start, during step `step`, with the text shown."""

    t_s: float
    kind: str
    step: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": self.t_s, "kind": self.kind, "step": self.step, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> TimelineEntry:
        return cls(
            t_s=_number(data, "t_s", where, default=0.0),
            kind=_text(data, "kind", where, default=""),
            step=_number(data, "step", where, default=0),
            text=_text(data, "text", where, default=""),
        )


@dataclass(frozen=True)
class GuidedSummary:
    """A guided session: its routine, how it went, and each step's `GuidedStretch`.
    `started_at` ISO 8601; `complete`: every stretch done from every frame."""

    stretches: tuple[GuidedStretch, ...]
    started_at: Any = None  # ISO 8601 text as written (a datetime when given one)
    complete: bool = True
    kind: str = "session"
    session_version: int | None = None
    routine: str | None = None
    routine_name: str | None = None
    routine_file: str | None = None
    source: str | None = None
    model: str | None = None
    duration_s: float | None = None
    skipped_frames: int = 0
    ended_by: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The session's JSON content."""
        return {
            "kind": self.kind,
            "session_version": self.session_version,
            "routine": self.routine,
            "routine_name": self.routine_name,
            "routine_file": self.routine_file,
            "started_at": self.started_at,
            "source": self.source,
            "model": self.model,
            "duration_s": self.duration_s,
            "skipped_frames": self.skipped_frames,
            "complete": self.complete,
            "ended_by": self.ended_by,
            "stretches": [stretch.to_dict() for stretch in self.stretches],
            "timeline": [entry.to_dict() for entry in self.timeline],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "session") -> GuidedSummary:
        """A saved session; SummaryError, saying `where`, for a field of the wrong type."""
        data = _object(data, where)
        stretches = data.get("stretches")
        if not isinstance(stretches, list):
            raise SummaryError(f"{where}: expected a list of stretches, got {stretches!r}")
        return cls(
            kind=_text(data, "kind", where, default="session"),
            session_version=_number(data, "session_version", where),
            routine=_text(data, "routine", where),
            routine_name=_text(data, "routine_name", where),
            routine_file=_text(data, "routine_file", where),
            started_at=data.get("started_at"),
            source=_text(data, "source", where),
            model=_text(data, "model", where),
            duration_s=_number(data, "duration_s", where),
            skipped_frames=_number(data, "skipped_frames", where, default=0),
            complete=bool(data.get("complete", True)),
            ended_by=_text(data, "ended_by", where),
            stretches=tuple(
                GuidedStretch.from_dict(item, f"{where}: stretch {i + 1}")
                for i, item in enumerate(stretches)
            ),
            timeline=tuple(
                TimelineEntry.from_dict(item, where) for item in _objects(data, "timeline", where)
            ),
        )


# --- Reading ---------------------------------------------------------------------------------


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SummaryError(f"{where}: expected an object, got {value!r}")
    return value


def _mapping(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """`data[key]`, an object; empty when missing or null."""
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise SummaryError(f"{where}: expected {key} as an object, got {value!r}")
    return value


def _objects(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """`data[key]`, a list of objects; empty when missing or null."""
    value = data.get(key) or []
    if not isinstance(value, list | tuple):
        raise SummaryError(f"{where}: expected a list of {key}, got {value!r}")
    return [_object(item, f"{where}, {key}") for item in value]


def _medians(data: Mapping[str, Any], where: str) -> dict[str, float]:
    """`rule_medians`, numbers only (anything else in it is left out)."""
    return {
        str(rule): value
        for rule, value in _mapping(data, "rule_medians", where).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def _text(data: Mapping[str, Any], key: str, where: str, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise SummaryError(f"{where}: expected text for {key}, got {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: Any = None) -> Any:
    """A number as written (an int stays an int, so a report reads back as it was)."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SummaryError(f"{where}: expected a number for {key}, got {value!r}")
    return value
