"""Rule kinds: what a pose file's rules can measure, and how each is judged.

A rule measures one signal (an angle, an inclination, an offset, a distance, how much the
body moves) from the body roles it names, then passes when the value lies within [min, max].
Kinds live in `RULE_KINDS`, a registry the pose-file loader validates against; a new kind is a
new entry here. Each kind's parameters are typed in `PARAMS`, so the loader checks them the
same way for every kind.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posecoach.coaching.body import BodyFrame
from posecoach.coaching.geometry import (
    Direction,
    angle_deg,
    angle_toward_deg,
    direction_vector,
    inclination_deg,
    offset_along,
)
from posecoach.model.landmarks import Landmark, Landmarks


class When(enum.Enum):
    """When a rule is judged: always, or (in reps mode) only at the top or the bottom of a rep."""

    ALWAYS = "always"
    TOP = "top"
    BOTTOM = "bottom"


@dataclass(frozen=True)
class Rule:
    """One check of a stretch, as read from a pose file.

    `params` holds the kind's own keys (joints, segment, relation, ...); `min_value` and
    `max_value` are in the kind's unit (deg, or torso lengths).
    """

    id: str
    kind: str
    cue: str
    priority: int
    gate: bool
    when: When
    min_value: float | None
    max_value: float | None
    params: dict[str, Any] = field(default_factory=dict)
    # What the rule checks in a few plain words, stating the good state ("Torso upright"): a
    # checklist line for someone who did not write the pose file. Pose files always give one.
    label: str = ""
    raw: bool = False  # measured on the unsmoothed landmarks
    praise: str | None = None  # shown when the form this rule cued is corrected
    # Judged on either side: the rule as written, or with every side swapped (left for right,
    # near for far, ...), whichever does better. A single-leg bridge has one planted foot, on
    # whichever side it is.
    either_side: bool = False

    @property
    def spec(self) -> RuleKind:
        return RULE_KINDS[self.kind]

    def roles(self) -> tuple[str, ...]:
        """The body roles this rule reads."""
        return self.spec.roles(self.params)

    def measure(
        self, landmarks: Landmarks, body: BodyFrame, history: RecentFrames | None = None
    ) -> float:
        """The rule's signal in this frame (NaN when the geometry is degenerate, or when a
        rule that looks back in time has too little `history`)."""
        return self.spec.measure(self.params, landmarks, body, history)

    def sides(self, body: BodyFrame) -> tuple[BodyFrame, ...]:
        """The role assignments the rule is measured under: the frame's own, and on either
        side the swapped one too."""
        return (body, body.swapped()) if self.either_side else (body,)

    def choose(self, values: tuple[float, ...]) -> float | None:
        """The value the rule is judged on, from those measured under `sides` (None: none):
        the side that does best, nearest to passing (on a tie, the rule as written)."""
        return min(values, key=self.shortfall, default=None)

    def shortfall(self, value: float) -> float:
        """How far the value lies outside the passing range (0 inside it)."""
        low = -math.inf if self.min_value is None else self.min_value
        high = math.inf if self.max_value is None else self.max_value
        return max(low - value, value - high, 0.0)

    def passes(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.min_value is not None and value < self.min_value:
            return False
        return not (self.max_value is not None and value > self.max_value)


class RecentFrames:
    """The recent frames a person was tracked in, for rules that look back in time.

    The caller adds every tracked frame (before judging it) and clears the history when the
    person is lost, so a window never bridges a gap. A caller that knows when the person is in
    position says so after each frame (`follow`): windows then reach back no further than
    `settle_s` after the current stay in position began, so the way into a position is not
    judged as movement within it.
    """

    def __init__(self, keep_s: float = 30.0, settle_s: float = 0.0) -> None:
        self.keep_ms = keep_s * 1000
        self.settle_ms = settle_s * 1000
        self.start_ms: float | None = None  # no frame before this is looked at
        self._stay_ms: float | None = None  # when the current stay in position began
        self._frames: deque[tuple[Landmarks, BodyFrame]] = deque()
        self._points: dict[tuple[int, str], np.ndarray] = {}

    def add(self, landmarks: Landmarks, body: BodyFrame) -> None:
        self._frames.append((landmarks, body))
        while self._frames and landmarks.timestamp_ms - self._frames[0][0].timestamp_ms > (
            self.keep_ms
        ):
            gone = self._frames.popleft()
            for key in [k for k in self._points if k[0] == id(gone[0])]:
                del self._points[key]

    def clear(self) -> None:
        self._frames.clear()
        self._points.clear()

    def follow(self, timestamp_ms: float, in_position: bool | None) -> None:
        """After judging the frame at `timestamp_ms`: whether it was in position (None: not
        known, a stay goes on). Out of position no window has frames."""
        if in_position is False:
            self._stay_ms = None
        elif self._stay_ms is None:
            self._stay_ms = timestamp_ms
        self.start_ms = math.inf if self._stay_ms is None else self._stay_ms + self.settle_ms

    def since(self, timestamp_ms: float) -> list[tuple[Landmarks, BodyFrame]]:
        """The frames at or after `timestamp_ms` (and `start_ms`), oldest first."""
        if self.start_ms is not None:
            timestamp_ms = max(timestamp_ms, self.start_ms)
        frames = []
        for frame in reversed(self._frames):
            if frame[0].timestamp_ms < timestamp_ms:
                break
            frames.append(frame)
        return frames[::-1]

    def points(self, timestamp_ms: float, role: str) -> np.ndarray:
        """(n, 2) pixel positions of `role` in the frames since `timestamp_ms` (each frame's
        position is worked out once and kept, as rules ask for the same ones every frame)."""
        frames = self.since(timestamp_ms)
        out = np.empty((len(frames), 2))
        for row, (landmarks, body) in enumerate(frames):
            key = (id(landmarks), role)
            point = self._points.get(key)
            if point is None:
                point = self._points[key] = body.point_px(landmarks, role)
            out[row] = point
        return out


# Units in words, for people (counts go bare).
UNIT_WORDS = {"deg": "deg", "torso": "torso lengths", "count": ""}


def range_text(
    low: float | None, high: float | None, unit_key: str, low_mark: str = "", high_mark: str = ""
) -> str:
    """A passing range in words: '80 to 100 deg', 'at least 170 deg', 'at most 0.05 torso
    lengths'; each end may carry a mark (where the value came from)."""
    unit = UNIT_WORDS.get(unit_key, unit_key)
    if low is not None and high is not None:
        text = f"{low:g}{low_mark} to {high:g}{high_mark} {unit}"
    elif low is not None:
        text = f"at least {low:g}{low_mark} {unit}"
    else:
        text = f"at most {high:g}{high_mark} {unit}"
    return text.rstrip()


class ParamType(enum.Enum):
    """What a rule parameter holds, for the loader."""

    ROLE = "role"
    ROLES = "roles"  # a list of roles; `count` says how many (0: one or more)
    CHOICE = "choice"
    NUMBER = "number"  # range in defaults.POSE_KEYS


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind."""

    type: ParamType
    doc: str
    count: int = 0  # ROLES: how many (0 means one or more)
    choices: tuple[str, ...] = ()  # CHOICE: the allowed values
    default: Any = None  # for optional parameters


@dataclass(frozen=True)
class RuleKind:
    """A kind of rule: its keys, the unit of its thresholds, and how it measures."""

    name: str
    description: str
    unit_key: str  # suffix of its threshold keys: "deg" -> min_deg / max_deg
    required: dict[str, Param]
    optional: dict[str, Param]
    roles: Callable[[dict[str, Any]], tuple[str, ...]]
    measure: Callable[[dict[str, Any], Landmarks, BodyFrame, RecentFrames | None], float]
    vertex: Callable[[dict[str, Any]], str | None]  # where to draw the value
    # Looks back over the recent frames (each measured with its own roles), so its value
    # depends on how long the gates have passed.
    uses_history: bool = False
    # The overlay writes the value beside the vertex (an angle reads at a glance; a distance
    # in torso lengths or a count does not).
    draws_value: bool = False


def _angle(
    params: dict[str, Any], landmarks: Landmarks, body: BodyFrame, _: RecentFrames | None
) -> float:
    a, b, c = (body.point_px(landmarks, role) for role in params["joints"])
    toward = params.get("open_toward")
    if toward is None:
        return angle_deg(a, b, c)
    return angle_toward_deg(a, b, c, direction_vector(Direction(toward), body.facing))


def _inclination(
    params: dict[str, Any], landmarks: Landmarks, body: BodyFrame, _: RecentFrames | None
) -> float:
    start, end = (body.point_px(landmarks, role) for role in params["segment"])
    return inclination_deg(start, end, params.get("reference", "vertical"))


_RELATION_DIRECTIONS = {
    "ahead_of": Direction.AHEAD,
    "behind": Direction.BEHIND,
    "above": Direction.UP,
    "below": Direction.DOWN,
}


def _relation(
    params: dict[str, Any], landmarks: Landmarks, body: BodyFrame, _: RecentFrames | None
) -> float:
    subject = body.point_px(landmarks, params["subject"])
    reference = body.point_px(landmarks, params["reference"])
    direction = direction_vector(_RELATION_DIRECTIONS[params["relation"]], body.facing)
    return offset_along(subject, reference, direction, body.torso_px)


def _distance(
    params: dict[str, Any], landmarks: Landmarks, body: BodyFrame, _: RecentFrames | None
) -> float:
    a, b = (body.point_px(landmarks, role) for role in params["between"])
    axis = params.get("axis", "any")
    delta = np.abs(a - b)
    length = {"horizontal": delta[0], "vertical": delta[1]}.get(axis, float(np.hypot(*delta)))
    if not body.torso_px > 0:
        return math.nan
    return float(length) / body.torso_px


def _window(
    history: RecentFrames | None, landmarks: Landmarks, window_s: float
) -> tuple[float, float] | None:
    """The start time of the last `window_s` of tracked frames and the median torso length in
    them; None when the history covers too little of the window to judge."""
    window_ms = window_s * 1000
    frames = history.since(landmarks.timestamp_ms - window_ms) if history is not None else []
    if len(frames) < 3 or frames[-1][0].timestamp_ms - frames[0][0].timestamp_ms < window_ms / 2:
        return None
    torso = float(np.median([b.torso_px for _, b in frames]))
    if not torso > 0:
        return None
    return frames[0][0].timestamp_ms, torso


def _motion(
    params: dict[str, Any], landmarks: Landmarks, body: BodyFrame, history: RecentFrames | None
) -> float:
    """How far the roles wander over the last `window_s`: for each role, the 90th percentile
    of its distance from its median position, in torso lengths; the largest role counts.

    A spread rather than a speed, so the model's frame-to-frame jitter does not add up.
    """
    window = _window(history, landmarks, float(params.get("window_s", MOTION_WINDOW_S)))
    if window is None or history is None:
        return math.nan
    start_ms, torso = window
    spreads = []
    for role in params["roles"]:
        points = history.points(start_ms, role)
        offsets = np.hypot(*(points - np.median(points, axis=0)).T)
        spreads.append(float(np.percentile(offsets, 90)))
    return max(spreads) / torso


MOTION_WINDOW_S = 2.0
BOUNCE_WINDOW_S = 3.0
BOUNCE_AMPLITUDE = 0.04


def count_turns(values: np.ndarray, amplitude: float) -> int:
    """How many times a series turns back by at least `amplitude` from its furthest point
    (a zig-zag count: smaller wiggles in between do not count)."""
    turns = 0
    direction = 0  # +1 rising, -1 falling, 0 not yet moved by `amplitude`
    low = high = extreme = float(values[0]) if len(values) else 0.0
    for value in map(float, values):
        if direction == 0:
            low, high = min(low, value), max(high, value)
            if high - low >= amplitude:
                direction = 1 if value == high else -1
                extreme = value
        elif (value - extreme) * direction > 0:
            extreme = value
        elif abs(value - extreme) >= amplitude:
            turns += 1
            direction, extreme = -direction, value
    return turns


def _bounce(
    params: dict[str, Any], landmarks: Landmarks, body: BodyFrame, history: RecentFrames | None
) -> float:
    """How many times the roles turned back over the last `window_s` by at least `amplitude`
    torso lengths, along the axis (relative to the `reference` role when given, so the camera
    or the whole body shifting does not count): a held stretch has none, a bounce two per
    pulse."""
    window = _window(history, landmarks, float(params.get("window_s", BOUNCE_WINDOW_S)))
    if window is None or history is None:
        return math.nan
    start_ms, torso = window
    axis = {"horizontal": 0, "vertical": 1}[params.get("axis", "vertical")]
    amplitude = float(params.get("amplitude", BOUNCE_AMPLITUDE))
    reference = params.get("reference")
    base = history.points(start_ms, reference)[:, axis] if reference is not None else 0.0
    return float(
        max(
            count_turns((history.points(start_ms, role)[:, axis] - base) / torso, amplitude)
            for role in params["roles"]
        )
    )


RULE_KINDS: dict[str, RuleKind] = {
    "angle": RuleKind(
        name="angle",
        description="joint angle a-b-c at b, in the image plane",
        unit_key="deg",
        required={
            "joints": Param(ParamType.ROLES, "three roles [a, b, c], the angle is at b", count=3)
        },
        optional={
            "open_toward": Param(
                ParamType.CHOICE,
                "measure on the side facing this way, 0-360 deg (past 180: bent backwards)",
                choices=tuple(d.value for d in Direction),
            )
        },
        roles=lambda p: tuple(p["joints"]),
        measure=_angle,
        vertex=lambda p: p["joints"][1],
        draws_value=True,
    ),
    "inclination": RuleKind(
        name="inclination",
        description="angle of the segment [start, end] from the vertical or horizontal",
        unit_key="deg",
        required={"segment": Param(ParamType.ROLES, "two roles [start, end]", count=2)},
        optional={
            "reference": Param(
                ParamType.CHOICE,
                "the image axis it is measured from",
                choices=("vertical", "horizontal"),
                default="vertical",
            )
        },
        roles=lambda p: tuple(p["segment"]),
        measure=_inclination,
        vertex=lambda p: p["segment"][0],
    ),
    "relation": RuleKind(
        name="relation",
        description="how far subject lies ahead of / behind / above / below reference, "
        "in torso lengths",
        unit_key="torso",
        required={
            "subject": Param(ParamType.ROLE, "a role"),
            "relation": Param(
                ParamType.CHOICE,
                "ahead_of, behind, above or below",
                choices=tuple(_RELATION_DIRECTIONS),
            ),
            "reference": Param(ParamType.ROLE, "a role"),
        },
        optional={},
        roles=lambda p: (p["subject"], p["reference"]),
        measure=_relation,
        vertex=lambda p: p["subject"],
    ),
    "distance": RuleKind(
        name="distance",
        description="distance between two roles in the image, in torso lengths",
        unit_key="torso",
        required={"between": Param(ParamType.ROLES, "two roles", count=2)},
        optional={
            "axis": Param(
                ParamType.CHOICE,
                "horizontal or vertical: only that part of the distance; any: straight line",
                choices=("any", "horizontal", "vertical"),
                default="any",
            )
        },
        roles=lambda p: tuple(p["between"]),
        measure=_distance,
        vertex=lambda p: p["between"][0],
    ),
    "motion": RuleKind(
        name="motion",
        description="how far the roles wander over the last window_s seconds, in torso "
        "lengths (0 is perfectly still)",
        unit_key="torso",
        required={"roles": Param(ParamType.ROLES, "one or more roles")},
        optional={
            "window_s": Param(
                ParamType.NUMBER, "seconds to look back over", default=MOTION_WINDOW_S
            )
        },
        roles=lambda p: tuple(p["roles"]),
        measure=_motion,
        vertex=lambda p: p["roles"][0],
        uses_history=True,
    ),
    "bounce": RuleKind(
        name="bounce",
        description="how many times the roles turned back along an axis over the last "
        "window_s seconds (bouncing in a hold); 0 is a steady hold",
        unit_key="count",
        required={"roles": Param(ParamType.ROLES, "one or more roles")},
        optional={
            "window_s": Param(
                ParamType.NUMBER, "seconds to look back over", default=BOUNCE_WINDOW_S
            ),
            "amplitude": Param(
                ParamType.NUMBER,
                "smallest turn counted, in torso lengths",
                default=BOUNCE_AMPLITUDE,
            ),
            "axis": Param(
                ParamType.CHOICE,
                "the image axis the movement is followed along",
                choices=("vertical", "horizontal"),
                default="vertical",
            ),
            "reference": Param(
                ParamType.ROLE, "follow the roles relative to this role (one that stays put)"
            ),
        },
        roles=lambda p: (*p["roles"], *([p["reference"]] if "reference" in p else [])),
        measure=_bounce,
        vertex=lambda p: p["roles"][0],
        uses_history=True,
    ),
}


@dataclass(frozen=True)
class RuleResult:
    """A rule's verdict in one frame: passed is None when the rule could not be judged."""

    rule: Rule
    value: float | None
    passed: bool | None


def joints_trusted(
    landmarks: Landmarks, ids: tuple[Landmark, ...], min_visibility: float, edge_margin: float
) -> bool:
    """True when every landmark is visible enough and inside the frame (plus margin)."""
    index = list(ids)
    if np.any(landmarks.visibility[index] < min_visibility):
        return False
    xy = landmarks.xy_norm[index]
    return bool(np.all((xy >= -edge_margin) & (xy <= 1 + edge_margin)))
