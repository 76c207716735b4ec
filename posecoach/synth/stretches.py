"""Motion scripts per stretch of the catalogue (../shared/STRETCHES.md), with their faults.

Each stretch is a `StretchMotion`: how to build its `Script` for one figure, which faults it
can render, and how the camera should be placed. Postures are worked out in the body's
sagittal plane with world angles (measured from straight down, forward positive), then turned
into joint angles; two-segment limbs that must reach the floor are solved exactly, so feet,
knees and shoulders rest where the stretch puts them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posecoach.geometry import angle_toward_deg
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


def _other(side: str) -> str:
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


def _arm_to(figure: Figure, trunk_pitch: float, ahead_m: float, below_m: float) -> dict[str, float]:
    """Joint angles of an arm whose wrist reaches a point ahead of and below the shoulder
    (in the trunk's frame), the elbow bending out behind."""
    f = figure
    line = math.degrees(math.atan2(ahead_m, below_m))
    offset, bend = two_link(f.upper_arm_m, f.forearm_m, math.hypot(ahead_m, below_m))
    upper = line - offset - trunk_pitch
    return arm(upper, upper + bend, trunk_pitch)


def _limbs(posture: Posture, side: str, **angles: float) -> Posture:
    return posture.with_limb(side, **angles)


def standing(figure: Figure) -> Posture:
    """Upright, feet under the hips, arms relaxed."""
    relaxed = LimbAngles(shoulder_abd=8.0, elbow_flex=12.0)
    return Posture(left=relaxed, right=relaxed)


def _reach_floor(
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


def _flat_ankle_height(figure: Figure) -> float:
    """Height of the ankle joint above the floor with the foot flat (matches the skeleton)."""
    return figure.ankle_h_m * 0.8 + 0.01


# -- half-kneeling hip-flexor stretch ---------------------------------------------------------


@dataclass(frozen=True)
class KneelForm:
    """The half-kneeling position: trunk lean, back thigh past vertical, front knee angle."""

    trunk_deg: float = 3.0
    back_thigh_deg: float = 12.0  # behind vertical: the hip driven forward
    front_knee_deg: float = 90.0


_KNEEL_FAULTS: dict[str, tuple[str, KneelForm]] = {
    "torso_lean": (
        "leaning forward 28 deg over the stretch (the back thigh further back keeps the hip line)",
        KneelForm(trunk_deg=28.0, back_thigh_deg=38.0),
    ),
    "knee_past_toes": (
        "front foot too close: the front knee (about 62 deg) well past the toes",
        KneelForm(front_knee_deg=62.0),
    ),
    "hip_not_forward": (
        "sitting back: the back thigh 22 deg in front of vertical, the hip not driven forward",
        KneelForm(back_thigh_deg=-22.0),
    ),
    "front_foot_far": (
        "front foot too far ahead: the front knee open to about 118 deg",
        KneelForm(front_knee_deg=118.0),
    ),
}


def half_kneel(figure: Figure, working: str, form: KneelForm) -> Posture:
    """Back knee (the working side) and tucked toes on the floor, front foot flat."""
    f = figure
    pitch = form.trunk_deg
    back_thigh = -form.back_thigh_deg
    # The shin rises from the knee so that the tucked toes (foot about vertical) reach the floor.
    rise = math.degrees(
        math.asin(min(0.9, max(0.0, (f.foot_m * 0.8 + 0.01 - f.shin_r_m) / f.shin_m)))
    )
    back = leg(back_thigh, -(90.0 + rise), 90.0, pitch)
    hip_height = f.thigh_m * math.cos(math.radians(back_thigh)) + f.shin_r_m
    thigh, shin = _reach_floor(f, hip_height, form.front_knee_deg, _flat_ankle_height(f))
    front = leg(thigh, shin, 0.0, pitch)
    # Hands resting on the front thigh, half-way to the knee.
    hands = _arm_to(f, pitch, ahead_m=f.thigh_m * 0.5, below_m=f.torso_m - 0.03 - f.thigh_r_m)
    posture = dataclasses.replace(standing(f), trunk_pitch=pitch, neck_pitch=-0.6 * pitch)
    posture = _limbs(posture, working, **back, **hands, shoulder_abd=10.0)
    return _limbs(posture, _other(working), **front, **hands, shoulder_abd=10.0)


def _step_back(figure: Figure, working: str) -> Posture:
    """Half-way down: the working leg stepped back on its toes, both knees bending."""
    posture = standing(figure)
    posture = _limbs(posture, working, **leg(-25.0, -55.0, 55.0, 0.0))
    return _limbs(posture, _other(working), **leg(30.0, -5.0, 0.0, 0.0))


def _walk_out_and_back(script: Script, stand: Posture) -> None:
    """Leave the camera's view for a moment, then come back to where the performer was."""
    script.add(Segment(1.4, stand, Phase.OUT_OF_FRAME, ease=Ease.LINEAR, away=1.0))
    script.add(Segment(1.0, stand, Phase.OUT_OF_FRAME, away=1.0))
    script.add(Segment(1.4, stand, Phase.OUT_OF_FRAME, ease=Ease.LINEAR, away=0.0))


def _half_kneeling_script(figure: Figure, options: ScriptOptions) -> Script:
    form = KneelForm()
    if options.fault in _KNEEL_FAULTS:
        form = _KNEEL_FAULTS[options.fault][1]
    stand = standing(figure)
    script = Script(stand)
    script.add(Segment(1.5, stand, Phase.SETUP))
    for number, side in enumerate(options.sides):
        assert side is not None
        kneel = half_kneel(figure, side, form)
        script.add(Segment(1.2, _step_back(figure, side), Phase.TRANSITION, side))
        script.add(Segment(1.6, kneel, Phase.TRANSITION, side))
        if options.fault == LEAVE_FRAME and number == 0:
            _hold(script, kneel, options.hold_s / 2, side, bounce=None)
            script.add(Segment(1.8, stand, Phase.TRANSITION, side))
            _walk_out_and_back(script, stand)
            script.add(Segment(1.2, _step_back(figure, side), Phase.TRANSITION, side))
            script.add(Segment(1.6, kneel, Phase.TRANSITION, side))
            _hold(script, kneel, options.hold_s / 2, side, bounce=None)
        else:
            deeper = None
            if options.fault == "bounce":
                deeper = half_kneel(
                    figure,
                    side,
                    dataclasses.replace(
                        form,
                        back_thigh_deg=form.back_thigh_deg + 10.0,
                        front_knee_deg=form.front_knee_deg - 8.0,
                    ),
                )
            _hold(script, kneel, options.hold_s, side, bounce=deeper)
        script.add(Segment(1.8, stand, Phase.TRANSITION, side))
    script.add(Segment(1.0, stand, Phase.SETUP))
    return script


def _hold(
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


# -- glute bridge -----------------------------------------------------------------------------


_BRIDGE_TOP_DEG = 178.0
_BRIDGE_FAULTS: dict[str, str] = {
    "partial_rep": "one rep (the middle one) lifts only to a hip angle of about 157 deg",
    "arched": "one rep (the middle one) pushes the hips up to about 204 deg: the back arches",
    "fast_drop": "one rep (the middle one) drops from the top in 0.35 s instead of lowering slowly",
}


def _bridge_shoulder_height(figure: Figure) -> float:
    return figure.chest_r_m


def _bridge_points(figure: Figure, lift_deg: float, ankle_ahead_m: float) -> tuple[Posture, float]:
    """The bridge with the trunk raised `lift_deg` from the floor at the hips; returns the
    posture and its hip angle (shoulder-hip-knee, measured on the upper side)."""
    f = figure
    length = f.torso_m - 0.03  # hip joint to shoulder joint
    shoulder = np.array([0.0, _bridge_shoulder_height(f)])
    lift = math.radians(lift_deg)
    hip = shoulder + length * np.array([math.cos(lift), math.sin(lift)])
    ankle = np.array([ankle_ahead_m, _flat_ankle_height(f)])
    to_ankle = ankle - hip
    line = math.degrees(math.atan2(to_ankle[0], -to_ankle[1]))
    offset, bend = two_link(f.thigh_m, f.shin_m, float(np.hypot(*to_ankle)))
    thigh = line + offset
    shin = thigh - bend
    knee = hip + f.thigh_m * np.array(
        [math.sin(math.radians(thigh)), -math.cos(math.radians(thigh))]
    )
    # Hip angle as the image shows it (y down), measured on the side facing up.
    flip = np.array([1.0, -1.0])
    hip_angle = angle_toward_deg(shoulder * flip, hip * flip, knee * flip, np.array([0.0, -1.0]))
    pitch = -90.0 - lift_deg
    arm_down = math.degrees(
        math.asin(min(0.9, max(0.0, (shoulder[1] - f.arm_r_m) / f.upper_arm_m)))
    )
    hands = arm(90.0 - arm_down, 90.0, pitch)
    posture = Posture(trunk_pitch=pitch, neck_pitch=lift_deg)
    for side in ("left", "right"):
        posture = _limbs(posture, side, **leg(thigh, shin, 0.0, pitch), **hands, shoulder_abd=12.0)
    return posture, hip_angle


def _bridge_feet(figure: Figure) -> float:
    """Where the feet are planted (ahead of the shoulders): a knee of about 85 deg lying down."""
    f = figure
    length = f.torso_m - 0.03
    inner = math.radians(85.0)
    reach = math.sqrt(f.thigh_m**2 + f.shin_m**2 - 2 * f.thigh_m * f.shin_m * math.cos(inner))
    drop = _bridge_shoulder_height(f) - _flat_ankle_height(f)
    return length + math.sqrt(max(reach**2 - drop**2, 0.0))


def bridge(figure: Figure, hip_deg: float) -> Posture:
    """The bridge lifted until the hip angle is `hip_deg`, feet and shoulders staying put."""
    ankle = _bridge_feet(figure)
    low, high = 0.0, 70.0
    for _ in range(40):
        mid = (low + high) / 2
        if _bridge_points(figure, mid, ankle)[1] < hip_deg:
            low = mid
        else:
            high = mid
    return _bridge_points(figure, (low + high) / 2, ankle)[0]


def lying_flat(figure: Figure) -> Posture:
    """On the back, legs long, arms by the sides."""
    posture = Posture(trunk_pitch=-90.0)
    hands = arm(80.0, 90.0, -90.0)
    for side in ("left", "right"):
        posture = _limbs(posture, side, **leg(90.0, 90.0, -70.0, -90.0), **hands, shoulder_abd=12.0)
    return posture


def sitting(figure: Figure) -> Posture:
    """Sitting on the floor, legs long in front, hands beside the hips."""
    posture = Posture(trunk_pitch=-5.0)
    hands = arm(-10.0, -5.0, -5.0)
    for side in ("left", "right"):
        posture = _limbs(posture, side, **leg(90.0, 90.0, -70.0, -5.0), **hands, shoulder_abd=15.0)
    return posture


def _bridge_script(figure: Figure, options: ScriptOptions) -> Script:
    flat = lying_flat(figure)
    bottom = bridge(figure, 0.0)  # the lowest lift: hips on the floor
    top = bridge(figure, _BRIDGE_TOP_DEG)
    odd_rep = options.reps // 2
    script = Script(flat)
    script.add(Segment(1.0, flat, Phase.SETUP))
    script.add(Segment(1.4, bottom, Phase.TRANSITION))
    script.add(Segment(1.0, bottom, Phase.IN_POSE))
    for rep in range(options.reps):
        peak, down_s = top, 1.8
        if rep == odd_rep and options.fault == "partial_rep":
            peak = bridge(figure, 157.0)
            script.full_reps[rep] = False
        elif rep == odd_rep and options.fault == "arched":
            peak = bridge(figure, 204.0)
        elif rep == odd_rep and options.fault == "fast_drop":
            down_s = 0.35
        script.add(Segment(1.4, peak, Phase.REP_UP, rep=rep))
        script.add(Segment(0.7, peak, Phase.REP_UP, rep=rep))
        script.add(Segment(down_s, bottom, Phase.REP_DOWN, ease=Ease.SMOOTH, rep=rep))
        script.add(Segment(1.0, bottom, Phase.IN_POSE))
        if options.fault == LEAVE_FRAME and rep == odd_rep:
            stand = standing(figure)
            script.add(Segment(1.2, sitting(figure), Phase.TRANSITION))
            script.add(Segment(1.2, stand, Phase.TRANSITION))
            _walk_out_and_back(script, stand)
            script.add(Segment(1.2, sitting(figure), Phase.TRANSITION))
            script.add(Segment(1.4, bottom, Phase.TRANSITION))
            script.add(Segment(1.0, bottom, Phase.IN_POSE))
    script.add(Segment(1.2, flat, Phase.TRANSITION))
    return script


STRETCH_MOTIONS: dict[str, StretchMotion] = {
    "half_kneeling_hip_flexor": StretchMotion(
        id="half_kneeling_hip_flexor",
        per_side=True,
        on_floor=False,
        faults={name: text for name, (text, _) in _KNEEL_FAULTS.items()}
        | {"bounce": "bouncing in the hold: pulsing deeper twice a second"},
        build=_half_kneeling_script,
    ),
    "bridge": StretchMotion(
        id="bridge",
        per_side=False,
        on_floor=True,
        faults=dict(_BRIDGE_FAULTS),
        build=_bridge_script,
    ),
}
for _motion in STRETCH_MOTIONS.values():
    _motion.faults[LEAVE_FRAME] = "leaves the camera's view for a few seconds, then carries on"
