"""Progress over sessions: per stretch, a `Point` per session in which it was done, the
per-side amounts and ranges, right minus left (`Asymmetry`) and the `Trend` from the first
sessions to the last (`progress`, `StretchHistory`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from posecoach.config.errors import PosecoachError
from posecoach.reports.history.records import (
    SIDE_ORDER,
    SessionRecord,
    SideRecord,
    StretchRecord,
)

TREND_SESSIONS = 3  # the trend compares the mean of the last N sessions with the first N


@dataclass(frozen=True)
class Asymmetry:
    """Right minus left in one session, and as a percent of the larger (None when both are
    0 or a side has no value)."""

    amount: float  # seconds held, or reps for a stretch counted in reps
    amount_pct: float | None
    range: float | None
    range_pct: float | None


@dataclass(frozen=True)
class Point:
    """One session's numbers for one stretch, per side ("left" and "right", or "both"); a
    stretch done twice in a session counts as one point: its holds, reps and good-form time
    added, its ranges averaged."""

    started_at: datetime
    kind: str
    routine: str | None
    complete: bool
    sides: dict[str, SideRecord]


@dataclass(frozen=True)
class Trend:
    """The mean of the last `sessions` sessions minus the mean of the first `sessions`: how
    much the amount (seconds held per side, or reps per side) and the range (per side) have
    changed."""

    sessions: int
    amount: float
    range: float | None


@dataclass(frozen=True)
class RangeMeasure:
    """How a stretch's range reads: its unit ("deg", "torso lengths", "") and which way is
    further (a hip extended more: higher; a knee pulled closer to the chest: lower)."""

    unit: str = ""
    higher_is_further: bool = True


def catalogue_measure(pose_id: str, rule_id: str | None) -> RangeMeasure:
    """A range rule's unit and direction, from the stretch's pose file as posecoach finds it
    now (a rep counter's signal goes further toward its peak; a rule with only a maximum,
    lower; otherwise higher). The plain default when the stretch or rule is gone."""
    from posecoach.coaching.posefile import load_pose
    from posecoach.coaching.rules import UNIT_WORDS

    try:
        pose = load_pose(pose_id)
    except PosecoachError:
        return RangeMeasure()
    rule = next((r for r in pose.rules if r.id == (rule_id or pose.range_rule)), None)
    if rule is None:
        return RangeMeasure()
    unit = UNIT_WORDS.get(rule.spec.unit_key, rule.spec.unit_key)
    if pose.counter is not None and pose.counter.signal == rule.id:
        return RangeMeasure(unit, pose.counter.rising)
    return RangeMeasure(unit, not (rule.max_value is not None and rule.min_value is None))


@dataclass
class StretchHistory:
    """One stretch over time: a point per session in which it was done (not skipped)."""

    pose: str
    pose_name: str
    mode: str
    per_side: bool
    range_rule: str | None
    points: list[Point] = field(default_factory=list)
    measure: RangeMeasure = RangeMeasure()

    @property
    def amount_unit(self) -> str:
        return "reps" if self.mode == "reps" else "s"

    def amount(self, point: Point, side: str) -> float | None:
        """Seconds held (reps for a stretch counted in reps) on `side`, None if not done."""
        numbers = point.sides.get(side)
        if numbers is None:
            return None
        return float(numbers.reps) if self.mode == "reps" else numbers.hold_s

    def mean_amount(self, point: Point) -> float:
        """The amount per side done (the whole for a stretch not done per side)."""
        values = [self.amount(point, side) for side in point.sides]
        return _mean([v for v in values if v is not None]) or 0.0

    @staticmethod
    def mean_range(point: Point) -> float | None:
        return _mean([s.range for s in point.sides.values() if s.range is not None])

    @staticmethod
    def good_form_s(point: Point) -> float | None:
        values = [s.good_form_s for s in point.sides.values() if s.good_form_s is not None]
        return sum(values) if values else None

    def asymmetry(self, point: Point) -> Asymmetry | None:
        """Right minus left, when the session did both sides."""
        left, right = point.sides.get("left"), point.sides.get("right")
        if left is None or right is None:
            return None
        left_amount, right_amount = self.amount(point, "left"), self.amount(point, "right")
        assert left_amount is not None and right_amount is not None
        range_ = range_pct = None
        if left.range is not None and right.range is not None:
            range_, range_pct = right.range - left.range, _percent(left.range, right.range)
        return Asymmetry(
            amount=right_amount - left_amount,
            amount_pct=_percent(left_amount, right_amount),
            range=range_,
            range_pct=range_pct,
        )

    def best_range(self, side: str) -> float | None:
        """The furthest range on `side` over every session."""
        values = [
            value
            for point in self.points
            if side in point.sides and (value := point.sides[side].range) is not None
        ]
        if not values:
            return None
        return max(values) if self.measure.higher_is_further else min(values)

    def sides(self) -> list[str]:
        """The sides in the history, in order: left, right, both."""
        seen = {side for point in self.points for side in point.sides}
        return sorted(seen, key=lambda s: SIDE_ORDER[s])

    def trend(self) -> Trend | None:
        """The mean of the last TREND_SESSIONS sessions minus the first TREND_SESSIONS (with
        fewer than twice that, the later half minus the earlier half); None with fewer than
        two sessions."""
        count = min(TREND_SESSIONS, len(self.points) // 2)
        if count == 0:
            return None
        first, last = self.points[:count], self.points[-count:]
        amounts = [self.mean_amount(p) for p in self.points]
        change = sum(amounts[-count:]) / count - sum(amounts[:count]) / count
        first_range = _mean([r for p in first if (r := self.mean_range(p)) is not None])
        last_range = _mean([r for p in last if (r := self.mean_range(p)) is not None])
        return Trend(
            sessions=count,
            amount=change,
            range=None if first_range is None or last_range is None else last_range - first_range,
        )


def progress(
    records: Iterable[SessionRecord],
    pose: str | None = None,
    measure: Callable[[str, str | None], RangeMeasure] | None = None,
) -> list[StretchHistory]:
    """Per stretch (all, or only `pose`), a point per session in which it was done, oldest
    first; stretches in the order they were last done, the latest first. `measure(pose_id,
    range_rule)` says how each stretch's range reads (`catalogue_measure`; default: higher
    is further, no unit)."""
    histories: dict[str, StretchHistory] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        done: dict[str, list[StretchRecord]] = {}
        for stretch in record.stretches:
            if stretch.status != "skipped" and stretch.sides and pose in (None, stretch.pose):
                done.setdefault(stretch.pose, []).append(stretch)
        for pose_id, stretches in done.items():
            latest = stretches[-1]
            history = histories.setdefault(
                pose_id,
                StretchHistory(pose_id, latest.pose_name, latest.mode, latest.per_side, None),
            )
            # The latest session names the stretch and its range rule.
            history.pose_name, history.mode, history.per_side = (
                latest.pose_name,
                latest.mode,
                latest.per_side,
            )
            history.range_rule = latest.range_rule or history.range_rule
            history.points.append(
                Point(
                    record.started_at,
                    record.kind,
                    record.routine,
                    all(s.status == "done" and s.complete is not False for s in stretches),
                    _merge_sides(stretches),
                )
            )
    for history in histories.values():
        if measure is not None:
            history.measure = measure(history.pose, history.range_rule)
    return sorted(histories.values(), key=lambda h: h.points[-1].started_at, reverse=True)


def _merge_sides(stretches: Sequence[StretchRecord]) -> dict[str, SideRecord]:
    by_side: dict[str, list[SideRecord]] = {}
    for stretch in stretches:
        for side in stretch.sides:
            by_side.setdefault(side.side, []).append(side)
    merged = {}
    for name in sorted(by_side, key=lambda s: SIDE_ORDER[s]):
        sides = by_side[name]
        if len(sides) == 1:
            merged[name] = sides[0]
            continue
        good = [s.good_form_s for s in sides if s.good_form_s is not None]
        best = [s.best_rep for s in sides if s.best_rep is not None]
        merged[name] = SideRecord(
            side=name,
            reps=sum(s.reps for s in sides),
            hold_s=sum(s.hold_s for s in sides),
            good_form_s=sum(good) if good else None,
            range=_mean([s.range for s in sides if s.range is not None]),
            best_rep=max(best) if best else None,
            rule_medians=sides[-1].rule_medians,
            faults=sum(s.faults for s in sides),
        )
    return merged


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percent(left: float, right: float) -> float | None:
    larger = max(abs(left), abs(right))
    return None if larger == 0 else (right - left) / larger * 100
