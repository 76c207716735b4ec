"""Shared building blocks of the motion scripts: what a stretch's script is, world-angle
helpers for limbs, and the everyday postures (standing, lying, sitting) scripts start from.

Postures are worked out in the body's sagittal plane with world angles (measured from straight
down, forward positive), then turned into joint angles; two-segment limbs that must reach the
floor are solved exactly, so feet, knees and shoulders rest where the stretch puts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from posecoach.model.landmarks import Landmark
from posecoach.synth.figure import (
    Figure,
    LimbAngles,
    Posture,
    landmark,
    pose_skeleton,
    two_link,
)
from posecoach.synth.motion import Ease, Phase, Script, Segment
from posecoach.synth.render import Box

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
    """Hold still for `hold_s`, or (`bounce`) pulse to a deeper posture about twice a second
    (a whole number of pulses filling the hold)."""
    if bounce is None:
        script.add(Segment(hold_s, posture, Phase.IN_POSE, side))
        return
    pulses = max(1, round(hold_s / _PULSE_S))
    for _ in range(pulses):
        script.add(Segment(hold_s / pulses / 2, bounce, Phase.IN_POSE, side, ease=Ease.SMOOTH))
        script.add(Segment(hold_s / pulses / 2, posture, Phase.IN_POSE, side, ease=Ease.SMOOTH))


_PULSE_S = 0.5  # one bounce: down and back up


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


def shoulder_from_hip(figure: Figure, trunk_pitch: float) -> tuple[float, float]:
    """Where the shoulder joint lies from the hip joint in the sagittal plane: (ahead, up) in
    world metres (ahead = the way the figure faces, +x)."""
    length = figure.torso_m - 0.03  # hip joint to shoulder joint, as the skeleton builds it
    pitch = math.radians(trunk_pitch)
    return length * math.sin(pitch), length * math.cos(pitch)


def arm_toward(figure: Figure, trunk_pitch: float, ahead_m: float, up_m: float) -> dict[str, float]:
    """Joint angles of an arm whose wrist reaches a point `ahead_m` ahead of (world +x) and
    `up_m` above the shoulder, in the sagittal plane, the elbow bending out behind."""
    pitch = math.radians(trunk_pitch)
    # The trunk's forward and up axes in the world's (ahead, up) plane.
    fwd = (math.cos(pitch), -math.sin(pitch))
    up = (math.sin(pitch), math.cos(pitch))
    along_fwd = ahead_m * fwd[0] + up_m * fwd[1]
    along_down = -(ahead_m * up[0] + up_m * up[1])
    return arm_to(figure, trunk_pitch, along_fwd, along_down)


def fit_limb(
    figure: Figure,
    posture: Posture,
    side: str,
    angles: tuple[str, ...],
    targets: dict[Landmark, np.ndarray],
    iterations: int = 100,
    tolerance_m: float = 0.01,
) -> Posture:
    """The posture with the named joint angles of one side adjusted (least squares) so the
    given landmarks reach their targets, in the unsettled skeleton's world metres (pelvis at
    height 0). For limbs out of the sagittal plane (legs turned out, hands reaching across),
    where the two-segment solutions above do not apply. Raises ValueError when a target is
    missed by more than `tolerance_m` (out of the limb's reach)."""

    def residual(values: np.ndarray) -> np.ndarray:
        trial = posture.with_limb(side, **dict(zip(angles, values.tolist(), strict=True)))
        points = pose_skeleton(figure, trial).landmarks
        return np.concatenate([points[lm] - target for lm, target in targets.items()])

    limb = posture.limb(side)
    values = np.array([getattr(limb, name) for name in angles], dtype=float)
    step_deg, damping = 0.01, 1e-4
    for _ in range(iterations):
        error = residual(values)
        jacobian = np.stack(
            [
                (residual(values + step_deg * np.eye(len(angles))[i]) - error) / step_deg
                for i in range(len(angles))
            ],
            axis=1,
        )
        normal = jacobian.T @ jacobian + damping * np.eye(len(angles))
        change = np.linalg.solve(normal, -jacobian.T @ error)
        values = values + np.clip(change, -20.0, 20.0)
        if float(np.abs(change).max()) < 1e-4:
            break
    miss = float(np.abs(residual(values)).max())
    if miss > tolerance_m:
        raise ValueError(f"{side} limb cannot reach its targets: {miss:.3f} m off")
    return posture.with_limb(side, **dict(zip(angles, values.tolist(), strict=True)))


def toes_ankle_height(figure: Figure, foot_deg: float) -> float:
    """Height of the ankle joint above the floor when the toes rest on it, the sole `foot_deg`
    below the forward horizontal (the heel lifted; 90 the foot upright, toes tucked under)."""
    f = figure
    sole = math.radians(foot_deg)
    return 0.01 + f.ankle_h_m * 0.8 * math.cos(sole) + f.foot_m * 0.8 * math.sin(sole)


def leg_on_toes(
    figure: Figure, thigh_deg: float, knee_deg: float, foot_deg: float, trunk_pitch: float
) -> tuple[dict[str, float], float]:
    """A leg standing on its toes: its joint angles and the height of its hip above the floor.

    thigh_deg: the world angle hip->knee (from straight down, forward +; a leg stepped back is
    negative); knee_deg: the inner knee angle, the shin bending back; foot_deg as in `leg`.
    """
    f = figure
    shin_deg = thigh_deg - (180.0 - knee_deg)
    height = (
        toes_ankle_height(f, foot_deg)
        + f.thigh_m * math.cos(math.radians(thigh_deg))
        + f.shin_m * math.cos(math.radians(shin_deg))
    )
    return leg(thigh_deg, shin_deg, foot_deg, trunk_pitch), height


@dataclass
class StagedScript(Script):
    """A script performed around fixed objects in the room (a bench to rest a foot on), which
    the renderer draws with the room."""

    props: tuple[Box, ...] = ()


def arm_reaching(
    figure: Figure, posture: Posture, side: str, wrist_m: np.ndarray
) -> dict[str, float]:
    """Joint angles of the arm of `side` whose wrist reaches the world point `wrist_m` (in the
    unsettled skeleton's metres, as `pose_skeleton` places the body), solved in closed form.

    The elbow bends the forearm toward the arm's front, as in the skeleton, and the arm has no
    twist of its own, so a point is reached exactly when it lies ahead, above, below or behind
    the shoulder, leaning out to the arm's side no more than the straightened arm allows; one
    out of reach, far out to the side close in, or across the chest is approached as near as
    those limits allow.
    """
    f = figure
    skeleton = pose_skeleton(f, posture)
    chest = skeleton.chest_frame
    sign = 1.0 if side == "left" else -1.0
    vector = np.asarray(wrist_m, dtype=float) - skeleton.landmarks[landmark(side, "shoulder")]
    fwd, up, left = (float(vector @ axis) for axis in (chest.fwd, chest.up, chest.left))
    _, elbow = two_link(f.upper_arm_m, f.forearm_m, float(np.linalg.norm(vector)))
    bend = math.radians(elbow)
    along = f.upper_arm_m + f.forearm_m * math.cos(bend)  # the wrist's reach along the upper arm
    across = f.forearm_m * math.sin(bend)  # and toward the arm's front
    roll = math.asin(max(-1.0, min(1.0, -left / along)))
    flex = math.atan2(up, fwd) - math.atan2(-along * math.cos(roll), across)
    return {
        "shoulder_flex": math.degrees(math.remainder(flex, 2 * math.pi)),
        "shoulder_abd": -sign * math.degrees(roll),
        "elbow_flex": elbow,
    }


def within_reach(figure: Figure, shoulder: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`target` for a wrist, or, when the arm cannot reach it, the point on the way there that
    the nearly straightened arm (97% of its length) reaches from `shoulder`."""
    toward = np.asarray(target, dtype=float) - shoulder
    reach = 0.97 * (figure.upper_arm_m + figure.forearm_m)
    return shoulder + toward * min(1.0, reach / float(np.linalg.norm(toward)))


def hand_on_floor(
    figure: Figure, posture: Posture, side: str, ahead_m: float, out_m: float, floor_y: float
) -> Posture:
    """The posture with the fingertips of `side` on the floor, `ahead_m` ahead of the shoulder
    (world +x) and `out_m` out to that side of it; `floor_y` is the floor's height in the
    unsettled skeleton (minus the hips' height above the floor, for a body resting on its
    legs)."""
    skeleton = pose_skeleton(figure, posture)
    outward = np.array([0.0, 0.0, -1.0 if side == "left" else 1.0])  # world z is -left
    wrist = skeleton.landmarks[landmark(side, "shoulder")] + outward * out_m
    wrist[0] += ahead_m
    wrist[1] = floor_y + 0.01 + figure.hand_m
    for _ in range(4):  # the hand hangs along the forearm: settle the fingertips on the floor
        posture = posture.with_limb(side, **arm_reaching(figure, posture, side, wrist))
        tip = pose_skeleton(figure, posture).landmarks[landmark(side, "index")]
        wrist[1] += floor_y + 0.01 - tip[1]
    return posture


Form = TypeVar("Form")


def fault_form(faults: Mapping[str, tuple[str, Form]], fault: str | None, default: Form) -> Form:
    """The form the named fault renders, or `default` (correct form, or a fault of another
    kind, such as leaving the frame)."""
    return faults[fault][1] if fault is not None and fault in faults else default


def fault_texts(faults: Mapping[str, tuple[str, object]]) -> dict[str, str]:
    """Fault name -> what it renders, from a table of (text, form) pairs."""
    return {name: text for name, (text, _) in faults.items()}
