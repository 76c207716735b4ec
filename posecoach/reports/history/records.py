"""What the history keeps of a session: `SessionRecord`, its stretches and their sides
(numbers and names only, never video or images), from a session's or a report's summary (or
its JSON), with one-line `HistoryError`s saying what was expected where."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from posecoach import __version__
from posecoach.config.errors import PosecoachError
from posecoach.reports.summary import (
    GuidedStretch,
    GuidedSummary,
    SideSummary,
    StretchSummary,
    SummaryError,
)

KINDS = ("session", "live", "replay")  # a guided session, a live stretch, a replayed file
STATUSES = ("done", "skipped", "stopped")
SIDES = ("left", "right")
BOTH = "both"  # the side of a stretch not done per side
SIDE_ORDER = {"left": 0, "right": 1, BOTH: 2}  # the order sides are read and shown in
PENDING_LINE_VERSION = 1


class HistoryError(PosecoachError):
    """History that cannot be read, or a session that could be saved nowhere."""


@dataclass(frozen=True)
class SideRecord:
    """One side's numbers for one stretch of a session (`side` "both" when the stretch is
    not done per side)."""

    side: str
    reps: int
    hold_s: float
    good_form_s: float | None
    range: float | None  # how far the stretch went, in the unit of the stretch's range rule
    best_rep: float | None
    rule_medians: dict[str, float]
    faults: int  # form faults flagged on this side


@dataclass(frozen=True)
class StretchRecord:
    """One stretch of a session: its numbers per side (none when skipped)."""

    pose: str
    pose_name: str
    mode: str  # "hold" or "reps"
    per_side: bool
    status: str  # "done", "skipped" or "stopped"
    duration_s: float | None
    complete: bool | None
    ended_by: str | None
    range_rule: str | None
    sides: tuple[SideRecord, ...]


@dataclass(frozen=True)
class SessionRecord:
    """What the history keeps of one session: numbers and names only."""

    uid: str
    started_at: datetime  # timezone-aware
    kind: str  # one of KINDS
    routine: str | None
    routine_name: str | None
    source: str | None
    duration_s: float | None
    complete: bool
    ended_by: str | None
    posecoach_version: str | None
    stretches: tuple[StretchRecord, ...]

    @classmethod
    def from_summary(cls, session: GuidedSummary) -> SessionRecord:
        """From a guided session (`Guide.summary`, or `GuidedSummary.from_dict` of its JSON).
        HistoryError when something it needs is missing."""
        where = "session"
        if session.kind not in KINDS:
            raise HistoryError(
                f"{where}: expected a kind of {', '.join(KINDS)}, got {session.kind!r}"
            )
        return cls(
            uid=uuid.uuid4().hex,
            started_at=when(session.started_at, where),
            kind=session.kind,
            routine=session.routine,
            routine_name=session.routine_name,
            source=session.source,
            duration_s=_float(session.duration_s),
            complete=session.complete,
            ended_by=session.ended_by,
            posecoach_version=__version__,
            stretches=tuple(
                _stretch_record(stretch, f"{where}: stretch {i + 1}")
                for i, stretch in enumerate(session.stretches)
            ),
        )

    @classmethod
    def from_stretch(
        cls, report: StretchSummary, kind: str, started_at: datetime | str | None
    ) -> SessionRecord:
        """From one stretch coached live or replayed (`SessionReport.summary()`)."""
        complete = report.complete is not False
        stretch = GuidedStretch(
            pose=report.pose or "",
            pose_name=report.pose_name,
            status="done" if complete else "stopped",
            report=report,
        )
        return cls.from_summary(
            GuidedSummary(
                stretches=(stretch,),
                started_at=started_at,
                complete=complete,
                kind=kind,
                source=report.source,
                duration_s=report.duration_s,
                ended_by=report.ended_by,
            )
        )

    @classmethod
    def from_session(cls, session: Mapping[str, Any]) -> SessionRecord:
        """From a guided session's JSON (`kind` "session", `stretches` each with `pose`,
        `pose_name`, `status` and `report`). HistoryError when something is missing."""
        try:
            summary = GuidedSummary.from_dict(session)
        except SummaryError as error:
            raise HistoryError(str(error)) from None
        return cls.from_summary(summary)

    @classmethod
    def from_report(
        cls, report: Mapping[str, Any], kind: str, started_at: datetime | str | None
    ) -> SessionRecord:
        """From one stretch's report JSON (`SessionReport.to_dict()`), coached live or
        replayed."""
        try:
            summary = StretchSummary.from_dict(report)
        except SummaryError as error:
            raise HistoryError(str(error)) from None
        return cls.from_stretch(summary, kind, started_at)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        return {"pending_version": PENDING_LINE_VERSION, **data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionRecord:
        """The inverse of `to_json` (a pending line); KeyError, TypeError or ValueError when
        it is not one."""
        if data.get("pending_version") != PENDING_LINE_VERSION:
            raise ValueError(f"unknown pending_version {data.get('pending_version')!r}")
        fields = {k: v for k, v in data.items() if k != "pending_version"}
        fields["started_at"] = when(fields["started_at"], "pending session")
        fields["stretches"] = tuple(
            StretchRecord(
                **{
                    **stretch,
                    "sides": tuple(SideRecord(**side) for side in stretch["sides"]),
                }
            )
            for stretch in fields["stretches"]
        )
        return cls(**fields)


def _stretch_record(stretch: GuidedStretch, where: str) -> StretchRecord:
    report = stretch.report
    pose = stretch.pose
    if not pose:
        raise HistoryError(f"{where}: expected the stretch's pose id, got {pose!r}")
    where = f"{where} ({pose})"
    status = stretch.status
    if status is None:
        status = "done" if report is not None else "skipped"
    if status == "not reached":  # a guided session that ended before this stretch
        status = "skipped"
    if status not in STATUSES:
        raise HistoryError(f"{where}: expected a status of {', '.join(STATUSES)}, got {status!r}")
    if report is None:
        return StretchRecord(
            pose=pose,
            pose_name=stretch.pose_name or pose,
            mode="hold",
            per_side=False,
            status=status,
            duration_s=None,
            complete=None,
            ended_by=None,
            range_rule=None,
            sides=(),
        )
    mode = report.mode or "hold"
    return StretchRecord(
        pose=pose,
        pose_name=stretch.pose_name or report.pose_name or pose,
        mode=mode,
        per_side=report.per_side,
        status=status,
        duration_s=_float(report.duration_s),
        complete=report.complete,
        ended_by=report.ended_by,
        range_rule=report.range_rule,
        sides=_side_records(report),
    )


def _side_records(report: StretchSummary) -> tuple[SideRecord, ...]:
    """Per side "left" and "right" from the report's `sides`; one "both" from its totals when
    the stretch is not done per side (or no side was reached)."""
    records = []
    for side in SIDES:
        numbers = report.sides.get(side)
        if numbers is None:
            continue
        faults = sum(1 for fault in report.faults if fault.side == side)
        records.append(_side_record(side, numbers, faults))
    if not records:
        totals = SideSummary(
            reps=report.reps,
            hold_s=report.hold_s,
            good_form_s=report.good_form_s,
            best_rep=report.best_rep,
            range=report.best_rep if report.mode == "reps" else None,
        )
        records.append(_side_record(BOTH, totals, len(report.faults)))
    return tuple(records)


def _side_record(side: str, numbers: SideSummary, faults: int) -> SideRecord:
    return SideRecord(
        side=side,
        reps=int(numbers.reps),
        hold_s=float(numbers.hold_s),
        good_form_s=_float(numbers.good_form_s),
        range=_float(numbers.range),
        best_rep=_float(numbers.best_rep),
        rule_medians={rule: float(value) for rule, value in numbers.rule_medians.items()},
        faults=faults,
    )


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def when(value: Any, where: str) -> datetime:
    """An ISO 8601 time (a naive one is local time) or a datetime, made timezone-aware; now
    when None."""
    if value is None:
        return datetime.now().astimezone()
    if isinstance(value, str):
        try:
            # Python 3.10 reads no "Z"; it is "+00:00".
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise HistoryError(
                f"{where}: expected started_at as an ISO 8601 time, got {value!r}"
            ) from None
    if not isinstance(value, datetime):
        raise HistoryError(f"{where}: expected started_at as a time, got {value!r}")
    return value if value.tzinfo is not None else value.astimezone()
