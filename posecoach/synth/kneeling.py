"""Motion scripts of the kneeling and standing stretches."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from posecoach.synth.figure import Figure, Posture
from posecoach.synth.motion import Phase, Script, Segment
from posecoach.synth.postures import (
    LEAVE_FRAME,
    ScriptOptions,
    StretchMotion,
    arm_to,
    flat_ankle_height,
    hold,
    leg,
    other_side,
    reach_floor,
    standing,
    walk_out_and_back,
)


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
    thigh, shin = reach_floor(f, hip_height, form.front_knee_deg, flat_ankle_height(f))
    front = leg(thigh, shin, 0.0, pitch)
    # Hands resting on the front thigh, half-way to the knee.
    hands = arm_to(f, pitch, ahead_m=f.thigh_m * 0.5, below_m=f.torso_m - 0.03 - f.thigh_r_m)
    posture = dataclasses.replace(standing(f), trunk_pitch=pitch, neck_pitch=-0.6 * pitch)
    posture = posture.with_limb(working, **back, **hands, shoulder_abd=10.0)
    return posture.with_limb(other_side(working), **front, **hands, shoulder_abd=10.0)


def _step_back(figure: Figure, working: str) -> Posture:
    """Half-way down: the working leg stepped back on its toes, both knees bending."""
    posture = standing(figure)
    posture = posture.with_limb(working, **leg(-25.0, -55.0, 55.0, 0.0))
    return posture.with_limb(other_side(working), **leg(30.0, -5.0, 0.0, 0.0))


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
            hold(script, kneel, options.hold_s / 2, side, bounce=None)
            script.add(Segment(1.8, stand, Phase.TRANSITION, side))
            walk_out_and_back(script, stand)
            script.add(Segment(1.2, _step_back(figure, side), Phase.TRANSITION, side))
            script.add(Segment(1.6, kneel, Phase.TRANSITION, side))
            hold(script, kneel, options.hold_s / 2, side, bounce=None)
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
            hold(script, kneel, options.hold_s, side, bounce=deeper)
        script.add(Segment(1.8, stand, Phase.TRANSITION, side))
    script.add(Segment(1.0, stand, Phase.SETUP))
    return script


MOTIONS: dict[str, StretchMotion] = {
    "half_kneeling_hip_flexor": StretchMotion(
        id="half_kneeling_hip_flexor",
        per_side=True,
        on_floor=False,
        faults={name: text for name, (text, _) in _KNEEL_FAULTS.items()}
        | {"bounce": "bouncing in the hold: pulsing deeper twice a second"},
        build=_half_kneeling_script,
    ),
}
