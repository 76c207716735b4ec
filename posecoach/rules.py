"""Rule kinds: what a pose file's rules can measure, and how each is judged.

A rule measures one signal (an angle, an inclination, an offset) from the body roles it
names, then passes when the value lies within [min, max]. Kinds live in `RULE_KINDS`, a
registry the pose-file loader validates against; a new kind is a new entry here.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posecoach.body import BodyFrame
from posecoach.geometry import (
    Direction,
    angle_deg,
    angle_toward_deg,
    direction_vector,
    inclination_deg,
    offset_along,
)
from posecoach.landmarks import Landmark, Landmarks


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

    @property
    def spec(self) -> RuleKind:
        return RULE_KINDS[self.kind]

    def roles(self) -> tuple[str, ...]:
        """The body roles this rule reads."""
        return self.spec.roles(self.params)

    def measure(self, landmarks: Landmarks, body: BodyFrame) -> float:
        """The rule's signal in this frame (NaN when the geometry is degenerate)."""
        return self.spec.measure(self.params, landmarks, body)

    def passes(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.min_value is not None and value < self.min_value:
            return False
        return not (self.max_value is not None and value > self.max_value)


@dataclass(frozen=True)
class RuleKind:
    """A kind of rule: its keys, the unit of its thresholds, and how it measures."""

    name: str
    description: str
    unit_key: str  # suffix of its threshold keys: "deg" -> min_deg / max_deg
    required: dict[str, str]  # key -> what it holds (for messages)
    optional: dict[str, tuple[str, ...]]  # key -> allowed values
    roles: Callable[[dict[str, Any]], tuple[str, ...]]
    measure: Callable[[dict[str, Any], Landmarks, BodyFrame], float]
    vertex: Callable[[dict[str, Any]], str | None]  # where to draw the value


def _angle(params: dict[str, Any], landmarks: Landmarks, body: BodyFrame) -> float:
    a, b, c = (body.point_px(landmarks, role) for role in params["joints"])
    toward = params.get("open_toward")
    if toward is None:
        return angle_deg(a, b, c)
    return angle_toward_deg(a, b, c, direction_vector(Direction(toward), body.facing))


def _inclination(params: dict[str, Any], landmarks: Landmarks, body: BodyFrame) -> float:
    start, end = (body.point_px(landmarks, role) for role in params["segment"])
    return inclination_deg(start, end, params.get("reference", "vertical"))


_RELATION_DIRECTIONS = {
    "ahead_of": Direction.AHEAD,
    "behind": Direction.BEHIND,
    "above": Direction.UP,
    "below": Direction.DOWN,
}


def _relation(params: dict[str, Any], landmarks: Landmarks, body: BodyFrame) -> float:
    subject = body.point_px(landmarks, params["subject"])
    reference = body.point_px(landmarks, params["reference"])
    direction = direction_vector(_RELATION_DIRECTIONS[params["relation"]], body.facing)
    return offset_along(subject, reference, direction, body.torso_px)


RULE_KINDS: dict[str, RuleKind] = {
    "angle": RuleKind(
        name="angle",
        description="joint angle a-b-c at b, in the image plane",
        unit_key="deg",
        required={"joints": "three roles [a, b, c], the angle is at b"},
        optional={"open_toward": tuple(d.value for d in Direction)},
        roles=lambda p: tuple(p["joints"]),
        measure=_angle,
        vertex=lambda p: p["joints"][1],
    ),
    "inclination": RuleKind(
        name="inclination",
        description="angle of the segment [start, end] from the vertical or horizontal",
        unit_key="deg",
        required={"segment": "two roles [start, end]"},
        optional={"reference": ("vertical", "horizontal")},
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
            "subject": "a role",
            "relation": "ahead_of, behind, above or below",
            "reference": "a role",
        },
        optional={},
        roles=lambda p: (p["subject"], p["reference"]),
        measure=_relation,
        vertex=lambda p: p["subject"],
    ),
}

RELATIONS = tuple(_RELATION_DIRECTIONS)


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
