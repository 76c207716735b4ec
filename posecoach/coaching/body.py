"""Body roles (front knee, back hip, near shoulder, ...) and how they map onto landmarks.

Pose files name roles, never fixed left/right landmarks. Each frame, the roles are assigned from
the geometry (which way the person faces, which leg is ahead, which side is nearer the camera),
so a frame in which the model swaps its left/right labels still measures the right limbs. The
*working side* that totals are kept for is a separate, slower decision: it changes only when
the evidence for the other side has lasted `side_switch_s`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from posecoach.coaching.geometry import distance, midpoint
from posecoach.model.landmarks import Landmark, Landmarks


class Side(enum.Enum):
    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


# Joints that come in pairs: role suffix -> (left landmark, right landmark).
PAIRED_JOINTS: dict[str, tuple[Landmark, Landmark]] = {
    "ear": (Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
    "shoulder": (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    "elbow": (Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW),
    "wrist": (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST),
    "hip": (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    "knee": (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE),
    "ankle": (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
    "heel": (Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL),
    "foot": (Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX),
}

# The shoulders, hips, knees and ankles: their span tells how big the body is in the picture,
# their motion whether it is still.
MAIN_JOINTS: list[Landmark] = [
    landmark for joint in ("shoulder", "hip", "knee", "ankle") for landmark in PAIRED_JOINTS[joint]
]

# Which side of the body a role prefix means. "working" and "other" follow the pose file's
# choice of working leg; "mid" is the midpoint of the pair.
# "high" and "low" are the legs whose knee and ankle are higher and lower in the image.
QUALIFIERS = (
    "left",
    "right",
    "front",
    "back",
    "high",
    "low",
    "near",
    "far",
    "working",
    "other",
    "mid",
)
WORKING_CHOICES = ("front", "back", "high", "low", "near", "far", "left", "right")
# Qualifiers decided by where the legs are; until the legs have been seen apart, they are a guess.
_LEG_QUALIFIERS = {"front": "front", "back": "front", "high": "high", "low": "high"}

ROLE_NAMES: tuple[str, ...] = (
    "nose",
    *(f"{qualifier}_{joint}" for qualifier in QUALIFIERS for joint in PAIRED_JOINTS),
)


@functools.cache
def parse_role(role: str) -> tuple[str, str] | None:
    """Split 'front_knee' into ('front', 'knee'); None for an unknown role (kept once worked
    out: rules ask for the same roles every frame)."""
    if role == "nose":
        return ("mid", "nose")
    qualifier, _, joint = role.partition("_")
    if qualifier in QUALIFIERS and joint in PAIRED_JOINTS:
        return qualifier, joint
    return None


def torso_length_px(landmarks: Landmarks) -> float:
    """Distance from the shoulder midpoint to the hip midpoint, in pixels: the body's scale."""
    xy = landmarks.xy_px
    shoulders = midpoint(xy[Landmark.LEFT_SHOULDER], xy[Landmark.RIGHT_SHOULDER])
    hips = midpoint(xy[Landmark.LEFT_HIP], xy[Landmark.RIGHT_HIP])
    return distance(shoulders, hips)


# Below these (in torso lengths) the geometry is too ambiguous to decide anything.
_MIN_FACING_EVIDENCE = 0.05
_MIN_FRONT_EVIDENCE = 0.10


def observe_facing(landmarks: Landmarks, torso: float) -> int | None:
    """+1 when the person faces image right, -1 for left, None when the frame can't tell.

    The nose lies ahead of the ears and the toes ahead of the heels.
    """
    xy = landmarks.xy_px
    if not torso > 0:
        return None
    ears_x = (xy[Landmark.LEFT_EAR, 0] + xy[Landmark.RIGHT_EAR, 0]) / 2
    toes_minus_heels = (
        xy[Landmark.LEFT_FOOT_INDEX, 0]
        + xy[Landmark.RIGHT_FOOT_INDEX, 0]
        - xy[Landmark.LEFT_HEEL, 0]
        - xy[Landmark.RIGHT_HEEL, 0]
    ) / 2
    score = ((xy[Landmark.NOSE, 0] - ears_x) + toes_minus_heels) / torso
    if abs(score) < _MIN_FACING_EVIDENCE:
        return None
    return 1 if score > 0 else -1


def observe_front(landmarks: Landmarks, facing: int, torso: float) -> Side | None:
    """The leg whose knee and ankle lie further ahead along `facing`; None when level."""
    xy = landmarks.xy_px
    if not torso > 0:
        return None
    left_ahead = (
        (
            xy[Landmark.LEFT_ANKLE, 0]
            - xy[Landmark.RIGHT_ANKLE, 0]
            + xy[Landmark.LEFT_KNEE, 0]
            - xy[Landmark.RIGHT_KNEE, 0]
        )
        * facing
        / torso
    )
    if abs(left_ahead) < _MIN_FRONT_EVIDENCE:
        return None
    return Side.LEFT if left_ahead > 0 else Side.RIGHT


def observe_high(landmarks: Landmarks, torso: float) -> Side | None:
    """The leg whose knee and ankle are higher in the image, each measured from its own hip;
    None when they are level.

    Measuring from the hip cancels perspective: lying side-on with the legs level, the far leg
    looks higher than the near one, but so does the far hip.
    """
    y = landmarks.xy_px[:, 1]
    if not torso > 0:
        return None
    left_higher = (
        (y[Landmark.RIGHT_ANKLE] - y[Landmark.RIGHT_HIP])
        - (y[Landmark.LEFT_ANKLE] - y[Landmark.LEFT_HIP])
        + (y[Landmark.RIGHT_KNEE] - y[Landmark.RIGHT_HIP])
        - (y[Landmark.LEFT_KNEE] - y[Landmark.LEFT_HIP])
    ) / torso
    if abs(left_higher) < _MIN_FRONT_EVIDENCE:
        return None
    return Side.LEFT if left_higher > 0 else Side.RIGHT


def observe_near(landmarks: Landmarks) -> Side:
    """The side nearer the camera: the one whose shoulder, hip and knee have the smaller depth."""
    depth = landmarks.z
    left_z = depth[[Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_KNEE]].mean()
    right_z = depth[[Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE]].mean()
    return Side.LEFT if left_z <= right_z else Side.RIGHT


T = TypeVar("T")


class Sticky(Generic[T]):
    """A value that changes only after a different value has been seen for `switch_s`."""

    def __init__(self, switch_s: float) -> None:
        self.switch_s = switch_s
        self.value: T | None = None
        self._candidate: T | None = None
        self._candidate_since_ms = 0.0

    def update(self, observed: T | None, timestamp_ms: float) -> T | None:
        """Feed one frame's observation; None (the frame can't tell) changes nothing."""
        if observed is None:
            return self.value
        if observed == self.value:
            self._candidate = None
            return self.value
        if self.value is None:
            self.value = observed
            return self.value
        if observed != self._candidate:
            self._candidate, self._candidate_since_ms = observed, timestamp_ms
        elif timestamp_ms - self._candidate_since_ms >= self.switch_s * 1000:
            self.value, self._candidate = observed, None
        return self.value


@dataclass(frozen=True)
class BodyFrame:
    """One frame's role assignment: which landmark side each qualifier means."""

    facing: int
    sides: dict[str, Side]
    torso_px: float
    working_side: Side | None  # the stable working side, for per-side totals

    @property
    def side_settled(self) -> bool:
        """False while this frame's geometry points at the other side than the stable one."""
        return self.working_side is None or self.sides["working"] is self.working_side

    def swapped(self) -> BodyFrame:
        """The same frame with every side swapped: left for right, near for far, ..."""
        sides = {qualifier: side.other for qualifier, side in self.sides.items()}
        return dataclasses.replace(self, sides=sides)

    def landmarks_for(self, role: str) -> tuple[Landmark, ...]:
        """The landmarks a role is made of (two for a midpoint)."""
        parsed = parse_role(role)
        if parsed is None:
            raise KeyError(role)
        qualifier, joint = parsed
        if joint == "nose":
            return (Landmark.NOSE,)
        left, right = PAIRED_JOINTS[joint]
        if qualifier == "mid":
            return (left, right)
        return (left,) if self.sides[qualifier] is Side.LEFT else (right,)

    def point_px(self, landmarks: Landmarks, role: str) -> np.ndarray:
        """A role's position in pixels."""
        ids = self.landmarks_for(role)
        xy = landmarks.xy_px
        if len(ids) == 1:
            return xy[ids[0]]
        return (xy[ids[0]] + xy[ids[1]]) / 2


class BodyTracker:
    """Turns per-frame evidence into stable role assignments.

    `working` names which qualifier is the working side (for the half-kneeling stretch, the
    back leg); None for stretches that are not done per side.
    """

    def __init__(self, working: str | None, side_switch_s: float) -> None:
        self.working = working
        self._facing: Sticky[int] = Sticky(side_switch_s)
        self._working: Sticky[Side] = Sticky(side_switch_s)
        # The last leg seen in front / higher (None until the legs have been seen apart).
        self._legs: dict[str, Side | None] = {"front": None, "high": None}

    @property
    def working_side(self) -> Side | None:
        """The stable working side so far (None before it is first seen)."""
        return self._working.value

    def update(self, landmarks: Landmarks) -> BodyFrame:
        torso = torso_length_px(landmarks)
        facing = self._facing.update(observe_facing(landmarks, torso), landmarks.timestamp_ms) or 1
        # Front/back and high/low follow this frame's geometry (under the stable facing
        # direction), so a frame with swapped left/right labels still measures the leg that
        # is in front, or raised.
        for key, leg in (
            ("front", observe_front(landmarks, facing, torso)),
            ("high", observe_high(landmarks, torso)),
        ):
            if leg is not None:
                self._legs[key] = leg
        near = observe_near(landmarks)
        # Roles need a leg even before one is seen apart: guess the left.
        front = self._legs["front"] or Side.LEFT
        high = self._legs["high"] or Side.LEFT
        sides = {
            "left": Side.LEFT,
            "right": Side.RIGHT,
            "front": front,
            "back": front.other,
            "high": high,
            "low": high.other,
            "near": near,
            "far": near.other,
        }
        working_side = None
        if self.working is not None:
            sides["working"] = sides[self.working]
            sides["other"] = sides[self.working].other
            # A guessed leg is no evidence for the working side.
            leg_key = _LEG_QUALIFIERS.get(self.working)
            seen = leg_key is None or self._legs[leg_key] is not None
            working_side = self._working.update(
                sides[self.working] if seen else None, landmarks.timestamp_ms
            )
        else:
            sides["working"], sides["other"] = near, near.other
        return BodyFrame(
            facing=facing,
            sides=sides,
            torso_px=torso,
            working_side=working_side,
        )
