"""What the history keeps of a session: `SessionRecord`, its stretches and their sides
(numbers and names only, never video or images), read and checked from a session's or a
report's JSON, with one-line `HistoryError`s saying what was expected where."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from posecoach import __version__
from posecoach.config.errors import PosecoachError

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
    def from_session(cls, session: Mapping[str, Any]) -> SessionRecord:
        """From a guided session's JSON (`kind` "session", `stretches` each with `pose`,
        `pose_name`, `status` and `report`). HistoryError when something is missing."""
        where = "session"
        kind = _text(session, "kind", where, default="session")
        if kind not in KINDS:
            raise HistoryError(f"{where}: expected a kind of {', '.join(KINDS)}, got {kind!r}")
        stretches = session.get("stretches")
        if not isinstance(stretches, list):
            raise HistoryError(f"{where}: expected a list of stretches, got {stretches!r}")
        return cls(
            uid=uuid.uuid4().hex,
            started_at=when(session.get("started_at"), where),
            kind=kind,
            routine=_text(session, "routine", where, default=None),
            routine_name=_text(session, "routine_name", where, default=None),
            source=_text(session, "source", where, default=None),
            duration_s=_number(session, "duration_s", where, default=None),
            complete=bool(session.get("complete", True)),
            ended_by=_text(session, "ended_by", where, default=None),
            posecoach_version=__version__,
            stretches=tuple(
                _stretch_record(item, f"{where}: stretch {i + 1}")
                for i, item in enumerate(stretches)
            ),
        )

    @classmethod
    def from_report(
        cls, report: Mapping[str, Any], kind: str, started_at: datetime | str | None
    ) -> SessionRecord:
        """From one stretch's report (`SessionReport.to_dict()`), coached live or replayed."""
        complete = bool(report.get("complete", True))
        return cls.from_session(
            {
                "kind": kind,
                "started_at": started_at,
                "source": report.get("source"),
                "duration_s": report.get("duration_s"),
                "complete": complete,
                "ended_by": report.get("ended_by"),
                "stretches": [
                    {
                        "pose": report.get("pose"),
                        "pose_name": report.get("pose_name"),
                        "status": "done" if complete else "stopped",
                        "report": report,
                    }
                ],
            }
        )

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


def _stretch_record(item: Any, where: str) -> StretchRecord:
    if not isinstance(item, Mapping):
        raise HistoryError(f"{where}: expected an object, got {item!r}")
    report = item.get("report")
    if report is not None and not isinstance(report, Mapping):
        raise HistoryError(f"{where}: expected the report as an object, got {report!r}")
    report = report or {}
    pose = item.get("pose") or report.get("pose")
    if not isinstance(pose, str) or not pose:
        raise HistoryError(f"{where}: expected the stretch's pose id, got {pose!r}")
    where = f"{where} ({pose})"
    status = _text(item, "status", where, default="done" if report else "skipped")
    if status == "not reached":  # a guided session that ended before this stretch
        status = "skipped"
    if status not in STATUSES:
        raise HistoryError(f"{where}: expected a status of {', '.join(STATUSES)}, got {status!r}")
    mode = _text(report, "mode", where, default="hold")
    return StretchRecord(
        pose=pose,
        pose_name=str(item.get("pose_name") or report.get("pose_name") or pose),
        mode=mode,
        per_side=bool(report.get("per_side", False)),
        status=status,
        duration_s=_number(report, "duration_s", where, default=None),
        complete=bool(report["complete"]) if "complete" in report else None,
        ended_by=_text(report, "ended_by", where, default=None),
        range_rule=_text(report, "range_rule", where, default=None),
        sides=_side_records(report, mode, where) if report else (),
    )


def _side_records(report: Mapping[str, Any], mode: str, where: str) -> tuple[SideRecord, ...]:
    """Per side "left" and "right" from the report's `sides`; one "both" from its totals when
    the stretch is not done per side (or no side was reached)."""
    faults = report.get("faults") or []
    if not isinstance(faults, list):
        raise HistoryError(f"{where}: expected a list of faults, got {faults!r}")
    sides = report.get("sides") or {}
    if not isinstance(sides, Mapping):
        raise HistoryError(f"{where}: expected sides as an object, got {sides!r}")
    records = []
    for side in SIDES:
        numbers = sides.get(side)
        if numbers is None:
            continue
        if not isinstance(numbers, Mapping):
            raise HistoryError(f"{where}: expected side {side} as an object, got {numbers!r}")
        side_faults = sum(1 for f in faults if isinstance(f, Mapping) and f.get("side") == side)
        records.append(_side_record(side, numbers, mode, side_faults, f"{where}, {side} side"))
    if not records:
        records.append(_side_record(BOTH, report, mode, len(faults), where))
    return tuple(records)


def _side_record(
    side: str, numbers: Mapping[str, Any], mode: str, faults: int, where: str
) -> SideRecord:
    best_rep = _number(numbers, "best_rep", where, default=None)
    if "range" in numbers:
        range_ = _number(numbers, "range", where, default=None)
    else:  # a report from before `range`: a rep stretch's range is its best rep
        range_ = best_rep if mode == "reps" else None
    medians = numbers.get("rule_medians") or {}
    if not isinstance(medians, Mapping):
        raise HistoryError(f"{where}: expected rule_medians as an object, got {medians!r}")
    return SideRecord(
        side=side,
        reps=int(_number(numbers, "reps", where, default=0) or 0),
        hold_s=_number(numbers, "hold_s", where, default=0.0) or 0.0,
        good_form_s=_number(numbers, "good_form_s", where, default=None),
        range=range_,
        best_rep=best_rep,
        rule_medians={
            str(rule): float(value)
            for rule, value in medians.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        },
        faults=faults,
    )


def _text(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise HistoryError(f"{where}: expected text for {key}, got {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HistoryError(f"{where}: expected a number for {key}, got {value!r}")
    return float(value)


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
