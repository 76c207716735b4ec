"""Motion scripts of the stretches done lying on the floor."""

from __future__ import annotations

import math

import numpy as np

from posecoach.geometry import angle_toward_deg
from posecoach.synth.figure import Figure, Posture, two_link
from posecoach.synth.motion import Ease, Phase, Script, Segment
from posecoach.synth.postures import (
    LEAVE_FRAME,
    ScriptOptions,
    StretchMotion,
    arm,
    flat_ankle_height,
    leg,
    lying_flat,
    sitting,
    standing,
    walk_out_and_back,
)

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
    ankle = np.array([ankle_ahead_m, flat_ankle_height(f)])
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
        posture = posture.with_limb(
            side, **leg(thigh, shin, 0.0, pitch), **hands, shoulder_abd=12.0
        )
    return posture, hip_angle


def _bridge_feet(figure: Figure) -> float:
    """Where the feet are planted (ahead of the shoulders): a knee of about 85 deg lying down."""
    f = figure
    length = f.torso_m - 0.03
    inner = math.radians(85.0)
    reach = math.sqrt(f.thigh_m**2 + f.shin_m**2 - 2 * f.thigh_m * f.shin_m * math.cos(inner))
    drop = _bridge_shoulder_height(f) - flat_ankle_height(f)
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
            walk_out_and_back(script, stand)
            script.add(Segment(1.2, sitting(figure), Phase.TRANSITION))
            script.add(Segment(1.4, bottom, Phase.TRANSITION))
            script.add(Segment(1.0, bottom, Phase.IN_POSE))
    script.add(Segment(1.2, flat, Phase.TRANSITION))
    return script


MOTIONS: dict[str, StretchMotion] = {
    "bridge": StretchMotion(
        id="bridge",
        per_side=False,
        on_floor=True,
        faults=dict(_BRIDGE_FAULTS),
        build=_bridge_script,
    ),
}
