"""Shared building blocks of the motion scripts: what a stretch's script is, world-angle
helpers for limbs, and the everyday postures (standing, lying, sitting) scripts start from.

Postures are worked out in the body's sagittal plane with world angles (measured from straight
down, forward positive), then turned into joint angles; two-segment limbs that must reach the
floor are solved exactly, so feet, knees and shoulders rest where the stretch puts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from posecoach.synth.figure import Figure, LimbAngles, Posture, two_link
from posecoach.synth.motion import Ease, Phase, Script, Segment

LEAVE_FRAME = "leave_frame"


@dataclass(frozen=True)
class ScriptOptions:
    """What to perform: the sides in order, the reps or hold per side, one fault (or None)."""

    sides: tuple[str | None, ...]
    reps: int
    hold_s: float
    fault: str | None


@dataclass(frozen=True)
class StretchMotion:
    """A stretch the performer can do."""

    id: str
    per_side: bool
    on_floor: bool  # lying or kneeling low: the camera sits lower
    faults: dict[str, str]  # name -> what is rendered
    build: Callable[[Figure, ScriptOptions], Script]


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def leg(thigh_deg: float, shin_deg: float, foot_deg: float, trunk_pitch: float) -> dict[str, float]:
    """Joint angles of a leg from world angles in the sagittal plane.

    thigh_deg, shin_deg: directions hip->knee and knee->ankle, from straight down, forward +.
    foot_deg: the sole's direction heel->toes below the forward horizontal (0 flat, 90 toes down).
    """
    return {
        "hip_flex": thigh_deg + trunk_pitch,
        "knee_flex": thigh_deg - shin_deg,
        "ankle_flex": -shin_deg - foot_deg,
    }


def arm(upper_deg: float, fore_deg: float, trunk_pitch: float) -> dict[str, float]:
    """Joint angles of an arm from world angles (from straight down, forward +)."""
    return {"shoulder_flex": upper_deg + trunk_pitch, "elbow_flex": fore_deg - upper_deg}


def arm_to(figure: Figure, trunk_pitch: float, ahead_m: float, below_m: float) -> dict[str, float]:
    """Joint angles of an arm whose wrist reaches a point ahead of and below the shoulder
    (in the trunk's frame), the elbow bending out behind."""
    f = figure
    line = math.degrees(math.atan2(ahead_m, below_m))
    offset, bend = two_link(f.upper_arm_m, f.forearm_m, math.hypot(ahead_m, below_m))
    upper = line - offset - trunk_pitch
    return arm(upper, upper + bend, trunk_pitch)


def standing(figure: Figure) -> Posture:
    """Upright, feet under the hips, arms relaxed."""
    relaxed = LimbAngles(shoulder_abd=8.0, elbow_flex=12.0)
    return Posture(left=relaxed, right=relaxed)


def reach_floor(
    figure: Figure, hip_height_m: float, inner_knee_deg: float, ankle_height_m: float
) -> tuple[float, float]:
    """Thigh and shin world angles of a leg from a hip `hip_height_m` above the floor to an
    ankle at `ankle_height_m`, with the knee at `inner_knee_deg`, bending forward-up."""
    upper, lower = figure.thigh_m, figure.shin_m
    inner = math.radians(inner_knee_deg)
    reach = math.sqrt(upper**2 + lower**2 - 2 * upper * lower * math.cos(inner))
    drop = hip_height_m - ankle_height_m
    ahead = math.sqrt(max(reach**2 - drop**2, 0.0))
    line = math.degrees(math.atan2(ahead, drop))
    offset, bend = two_link(upper, lower, math.hypot(ahead, drop))
    thigh = line + offset
    return thigh, thigh - bend


def flat_ankle_height(figure: Figure) -> float:
    """Height of the ankle joint above the floor with the foot flat (matches the skeleton)."""
    return figure.ankle_h_m * 0.8 + 0.01


def walk_out_and_back(script: Script, stand: Posture) -> None:
    """Leave the camera's view for a moment, then come back to where the performer was."""
    script.add(Segment(1.4, stand, Phase.OUT_OF_FRAME, ease=Ease.LINEAR, away=1.0))
    script.add(Segment(1.0, stand, Phase.OUT_OF_FRAME, away=1.0))
    script.add(Segment(1.4, stand, Phase.OUT_OF_FRAME, ease=Ease.LINEAR, away=0.0))


def hold(
    script: Script, posture: Posture, hold_s: float, side: str | None, bounce: Posture | None
) -> None:
    """Hold still for `hold_s`, or (`bounce`) pulse to a deeper posture twice a second."""
    if bounce is None:
        script.add(Segment(hold_s, posture, Phase.IN_POSE, side))
        return
    pulses = max(1, round(hold_s / 0.5))
    for _ in range(pulses):
        script.add(Segment(0.25, bounce, Phase.IN_POSE, side, ease=Ease.SMOOTH))
        script.add(Segment(0.25, posture, Phase.IN_POSE, side, ease=Ease.SMOOTH))


def lying_flat(figure: Figure) -> Posture:
    """On the back, legs long, arms by the sides."""
    posture = Posture(trunk_pitch=-90.0)
    hands = arm(80.0, 90.0, -90.0)
    for side in ("left", "right"):
        posture = posture.with_limb(
            side, **leg(90.0, 90.0, -70.0, -90.0), **hands, shoulder_abd=12.0
        )
    return posture


def sitting(figure: Figure) -> Posture:
    """Sitting on the floor, legs long in front, hands beside the hips."""
    posture = Posture(trunk_pitch=-5.0)
    hands = arm(-10.0, -5.0, -5.0)
    for side in ("left", "right"):
        posture = posture.with_limb(
            side, **leg(90.0, 90.0, -70.0, -5.0), **hands, shoulder_abd=15.0
        )
    return posture
