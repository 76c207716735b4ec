"""Motion scripts of the stretches done on the floor: lying on the back, on hands and knees,
sitting."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posecoach.coaching.geometry import angle_toward_deg
from posecoach.model.landmarks import Landmark
from posecoach.synth.figure import Figure, Posture, landmark, pose_skeleton, settle, two_link
from posecoach.synth.motion import Ease, Phase, Script, Segment
from posecoach.synth.postures import (
    LEAVE_FRAME,
    ScriptOptions,
    StretchMotion,
    arm,
    arm_toward,
    fault_form,
    fault_texts,
    fit_limb,
    flat_ankle_height,
    leg,
    lying_flat,
    other_side,
    reach_floor,
    shoulder_from_hip,
    sitting,
    standing,
    walk_out_and_back,
    within_reach,
)

_BRIDGE_TOP_DEG = 178.0
_REST_WITHOUT_REPS_S = 5.0
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
    # Without reps (a set-up-only clip) the performer lies still a while with the knees up.
    script.add(Segment(1.0 if options.reps else _REST_WITHOUT_REPS_S, bottom, Phase.IN_POSE))
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


# -- holding a position, per side -----------------------------------------------------------


def _hold_script(
    options: ScriptOptions,
    rest: Posture,
    position: Callable[[str | None], Posture],
    way_up: list[Posture],
    fidgets: list[Posture] | None = None,
) -> Script:
    """From `rest`, move into `position(side)`, hold it and come back to rest, for each side.

    `way_up` lists the postures from rest to standing, passed through to leave the camera's
    view (LEAVE_FRAME: half-way through the first hold) and, the other way, on returning.
    With `fidgets`, the hold is restless: the performer keeps moving to one of them and back.
    """
    script = Script(rest)
    script.add(Segment(1.0, rest, Phase.SETUP))
    for number, side in enumerate(options.sides):
        target = position(side)
        script.add(Segment(1.8, target, Phase.TRANSITION, side))
        if options.fault == LEAVE_FRAME and number == 0:
            script.add(Segment(options.hold_s / 2, target, Phase.IN_POSE, side))
            script.add(Segment(1.4, rest, Phase.TRANSITION, side))
            for step in way_up:
                script.add(Segment(1.2, step, Phase.TRANSITION, side))
            walk_out_and_back(script, way_up[-1])
            for step in [*way_up[-2::-1], rest, target]:
                script.add(Segment(1.2, step, Phase.TRANSITION, side))
            script.add(Segment(options.hold_s / 2, target, Phase.IN_POSE, side))
        elif fidgets:
            moves = max(2, round(options.hold_s / _FIDGET_S))
            for index in range(moves):
                end = target if index % 2 else fidgets[(index // 2) % len(fidgets)]
                script.add(Segment(options.hold_s / moves, end, Phase.IN_POSE, side))
        else:
            script.add(Segment(options.hold_s, target, Phase.IN_POSE, side))
        script.add(Segment(1.4, rest, Phase.TRANSITION, side))
    script.add(Segment(1.0, rest, Phase.SETUP))
    return script


_FIDGET_S = 0.9  # one restless move


def _named(side: str | None) -> str:
    """The working side of a stretch done per side (always given)."""
    if side is None:
        raise ValueError("a stretch done per side needs a side")
    return side


# -- lying on the back ----------------------------------------------------------------------

_SUPINE = -90.0  # trunk pitch lying on the back


def lying_hip_height(figure: Figure) -> float:
    """Height of the hip joints above the floor lying on the back (the buttocks and the back
    hold them a little off it)."""
    return float(settle(figure, lying_flat(figure)).landmarks[Landmark.LEFT_HIP, 1])


def _supine(figure: Figure, legs: dict[str, dict[str, float]], arms: dict[str, float]) -> Posture:
    """On the back, with these leg angles per side and both arms alike (a little out from the
    sides unless `arms` says how far)."""
    posture = Posture(trunk_pitch=_SUPINE)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **legs[side], **({"shoulder_abd": 10.0} | arms))
    return posture


def _arms_by_sides() -> dict[str, float]:
    return arm(80.0, 90.0, _SUPINE)


def _long_leg(figure: Figure) -> dict[str, float]:
    """A straight leg lying on the floor: sloping down from the hip until the heel rests on the
    floor, the foot relaxed."""
    f = figure
    flat = leg(90.0, 90.0, -70.0, _SUPINE)
    points = pose_skeleton(f, Posture(trunk_pitch=_SUPINE).with_limb("left", **flat)).landmarks
    heel_below_hip = float(points[Landmark.LEFT_HIP, 1] - points[Landmark.LEFT_HEEL, 1])
    drop = lying_hip_height(f) - heel_below_hip - 0.01
    slope = math.degrees(math.asin(min(0.5, max(0.0, drop / (f.thigh_m + f.shin_m)))))
    return leg(90.0 - slope, 90.0 - slope, -70.0 + slope, _SUPINE)


def _foot_flat_leg(figure: Figure, knee_deg: float) -> dict[str, float]:
    """A leg lying on the back, the knee bent to `knee_deg` and the foot flat on the floor."""
    f = figure
    thigh, shin = reach_floor(f, lying_hip_height(f), knee_deg, flat_ankle_height(f))
    return leg(thigh, shin, 0.0, _SUPINE)


def lying_long(figure: Figure) -> Posture:
    """On the back, legs long with the heels on the floor, arms by the sides."""
    long = _long_leg(figure)
    return _supine(figure, {"left": long, "right": long}, _arms_by_sides())


def hook_lying(figure: Figure, knee_deg: float, arms: dict[str, float]) -> Posture:
    """On the back, both knees bent to `knee_deg`, feet flat on the floor."""
    bent = _foot_flat_leg(figure, knee_deg)
    return _supine(figure, {"left": bent, "right": bent}, arms)


def _getting_up(figure: Figure) -> list[Posture]:
    """The postures passed through from lying on the back to standing."""
    return [sitting(figure), standing(figure)]


# -- supine knee to chest -------------------------------------------------------------------


@dataclass(frozen=True)
class KneeToChestForm:
    """The pulled hip's flexion, and the other knee's angle (180: the leg long)."""

    hip_flex_deg: float = 118.0
    other_knee_deg: float = 180.0


_KNEE_TO_CHEST_FAULTS: dict[str, tuple[str, KneeToChestForm]] = {
    "other_knee_bent": (
        "the other knee bent to about 145 deg, the leg still long on the floor",
        KneeToChestForm(other_knee_deg=145.0),
    ),
    "knee_not_pulled_in": (
        "the knee only lifted: the pulled hip flexed about 80 deg (hip angle about 100 deg)",
        KneeToChestForm(hip_flex_deg=80.0),
    ),
}


def _holding_thigh(figure: Figure, thigh_deg: float) -> dict[str, float]:
    """Arms holding the back of a raised thigh just below the knee, lying on the back;
    `thigh_deg` is the thigh's world angle (from straight down, toward the feet +)."""
    f = figure
    along = math.radians(thigh_deg)
    direction = np.array([math.sin(along), -math.cos(along)])
    behind = np.array([-math.cos(along), -math.sin(along)])  # the back of the thigh
    grip = direction * f.thigh_m * 0.75 + behind * f.thigh_r_m
    reach = grip - np.array(shoulder_from_hip(f, _SUPINE))
    return arm_toward(f, _SUPINE, float(reach[0]), float(reach[1]))


def knee_to_chest(figure: Figure, working: str, form: KneeToChestForm) -> Posture:
    """On the back, the working knee pulled toward the chest by both hands behind the thigh;
    the other leg long on the floor (or bent, its foot flat)."""
    thigh = 90.0 + form.hip_flex_deg
    pulled = leg(thigh, thigh - 115.0, 0.0, _SUPINE) | {"ankle_flex": -15.0}
    if form.other_knee_deg >= 179.0:
        other = _long_leg(figure)
    else:
        other = _foot_flat_leg(figure, form.other_knee_deg)
    legs = {working: pulled, other_side(working): other}
    return _supine(figure, legs, _holding_thigh(figure, thigh))


def _knee_to_chest_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_KNEE_TO_CHEST_FAULTS, options.fault, KneeToChestForm())
    return _hold_script(
        options,
        lying_long(figure),
        lambda side: knee_to_chest(figure, _named(side), form),
        _getting_up(figure),
    )


# -- lying leg lift -------------------------------------------------------------------------


@dataclass(frozen=True)
class LegLiftForm:
    """The lifted leg (thigh from vertical, + toward the head; knee angle)."""

    thigh_deg: float = 0.0
    knee_deg: float = 90.0


_HOOK_KNEE_DEG = 95.0  # lying with the knees bent and the feet flat

_LEG_LIFT_FAULTS: dict[str, tuple[str, LegLiftForm]] = {
    "thigh_tilted": (
        "the lifted thigh drifting 40 deg past vertical toward the chest",
        LegLiftForm(thigh_deg=40.0),
    ),
    "knee_straight": (
        "the lifted knee opened to about 155 deg, the shin pointing up",
        LegLiftForm(knee_deg=155.0),
    ),
}


def leg_lift(figure: Figure, working: str, form: LegLiftForm) -> Posture:
    """On the back, knees bent, feet flat; the working leg lifted, thigh up and knee bent."""
    thigh = 180.0 + form.thigh_deg
    lifted = leg(thigh, thigh - (180.0 - form.knee_deg), 0.0, _SUPINE) | {"ankle_flex": -10.0}
    other = _foot_flat_leg(figure, _HOOK_KNEE_DEG)
    return _supine(figure, {working: lifted, other_side(working): other}, _arms_by_sides())


def _leg_lift_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_LEG_LIFT_FAULTS, options.fault, LegLiftForm())
    return _hold_script(
        options,
        hook_lying(figure, _HOOK_KNEE_DEG, _arms_by_sides()),
        lambda side: leg_lift(figure, _named(side), form),
        _getting_up(figure),
    )


# -- constructive rest ----------------------------------------------------------------------

_REST_KNEE_DEG = 100.0  # heels at a comfortable distance from the buttocks

_REST_FAULTS: dict[str, tuple[str, float]] = {
    "feet_too_close": (
        "heels pulled in against the buttocks: the knees bent to about 60 deg",
        60.0,
    ),
    "fidgeting": (
        "restless: the hands keep moving between the belly, the face and over the head",
        _REST_KNEE_DEG,
    ),
}


def _hands_on_belly() -> dict[str, float]:
    """Arms lying on the back with the hands resting on the sides of the belly, the elbows on
    the floor. (The figure's shoulders do not turn inward, so the hands stay at the flanks
    rather than meeting over the navel; side-on the picture is the same.)"""
    return {"shoulder_flex": -12.0, "shoulder_abd": 18.0, "elbow_flex": 50.0}


def _rest_fidgets(figure: Figure, rest: Posture) -> list[Posture]:
    """Restless moves from the resting position: both hands to the face, then one arm
    stretched back over the head with the chin lifted."""
    f = figure
    face = arm_toward(f, _SUPINE, -f.neck_m - f.head_r_m * 0.6, f.head_r_m + 0.05)
    hands_up = rest
    for side in ("left", "right"):
        hands_up = hands_up.with_limb(side, **face, shoulder_abd=25.0)
    reaching = rest.with_limb("left", **arm(265.0, 265.0, _SUPINE), shoulder_abd=15.0)
    return [hands_up, dataclasses.replace(reaching, neck_pitch=25.0)]


def _constructive_rest_script(figure: Figure, options: ScriptOptions) -> Script:
    knee = fault_form(_REST_FAULTS, options.fault, _REST_KNEE_DEG)
    target = hook_lying(figure, knee, _hands_on_belly())
    fidgets = _rest_fidgets(figure, target) if options.fault == "fidgeting" else None
    return _hold_script(options, lying_long(figure), lambda _: target, _getting_up(figure), fidgets)


# -- bird dog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BirdDogForm:
    """How high the reaching arm and the lifted leg are, in degrees above the horizontal."""

    arm_deg: float = 0.0
    leg_deg: float = -5.0  # between level and the line of the back, which slopes to the hips


_BIRD_DOG_FAULTS: dict[str, tuple[str, BirdDogForm]] = {
    "leg_low": (
        "the lifted leg hanging 22 deg below the horizontal, the toes near the floor",
        BirdDogForm(leg_deg=-22.0),
    ),
    "arm_low": (
        "the reaching arm drooping 50 deg below the horizontal",
        BirdDogForm(arm_deg=-50.0),
    ),
    "back_sag": (
        "the leg swung up 35 deg above the horizontal, the lower back arching to get it there",
        BirdDogForm(leg_deg=35.0),
    ),
}


def _kneeling_shin(figure: Figure) -> float:
    """The shin's world angle with the knee down on the floor and the toes tucked under: it
    rises from the knee just enough for the toes to reach the floor."""
    f = figure
    rise = math.degrees(
        math.asin(min(0.9, max(0.0, (f.foot_m * 0.8 + 0.01 - f.shin_r_m) / f.shin_m)))
    )
    return -(90.0 + rise)


def _all_fours_pitch(figure: Figure) -> float:
    """The trunk pitch on hands and knees, thighs and arms vertical: the back slopes up toward
    the shoulders, the arms (with the hands) being longer than the thighs."""
    f = figure
    hip_height = f.thigh_m + f.shin_r_m
    shoulder_height = 0.01 + f.hand_m + f.upper_arm_m + f.forearm_m
    rise = (shoulder_height - hip_height) / (f.torso_m - 0.03)
    return math.degrees(math.acos(min(1.0, max(-1.0, rise))))


def all_fours(figure: Figure) -> Posture:
    """On hands and knees: hands under the shoulders, knees under the hips, toes tucked."""
    pitch = _all_fours_pitch(figure)
    knee_down = leg(0.0, _kneeling_shin(figure), 90.0, pitch)
    support = arm(0.0, 0.0, pitch)
    posture = Posture(trunk_pitch=pitch, neck_pitch=-10.0)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **knee_down, **support, shoulder_abd=4.0)
    return posture


def bird_dog(figure: Figure, working: str, form: BirdDogForm) -> Posture:
    """On hands and knees, the working leg stretched back (toes pointed) and the opposite arm
    reaching forward."""
    pitch = _all_fours_pitch(figure)
    back = -90.0 - form.leg_deg
    reach = 90.0 + form.arm_deg
    lifted = leg(back, back, 90.0, pitch) | {"ankle_flex": -50.0}
    posture = all_fours(figure).with_limb(working, **lifted)
    return posture.with_limb(other_side(working), **arm(reach, reach, pitch))


def kneeling_up(figure: Figure) -> Posture:
    """Kneeling upright, toes tucked, arms by the sides."""
    knee_down = leg(0.0, _kneeling_shin(figure), 90.0, 0.0)
    posture = standing(figure)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **knee_down)
    return posture


def _bird_dog_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_BIRD_DOG_FAULTS, options.fault, BirdDogForm())
    return _hold_script(
        options,
        all_fours(figure),
        lambda side: bird_dog(figure, _named(side), form),
        [kneeling_up(figure), standing(figure)],
    )


# -- butterfly ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ButterflyForm:
    """Each knee's height above the hip joints, left and right, and how far the ankles are
    apart, in metres."""

    knee_up_m: tuple[float, float] = (0.08, 0.08)
    # Each knee's sideways distance from its hip joint: a knee held higher comes in closer,
    # since its foot still has to reach the other one.
    knee_out_m: tuple[float, float] = (0.30, 0.30)
    feet_apart_m: float = 0.09  # between the ankle joints: soles together


_BUTTERFLY_TRUNK_DEG = 15.0  # leaning forward a little, back straight

_BUTTERFLY_FAULTS: dict[str, tuple[str, ButterflyForm]] = {
    "knees_high": (
        "both knees held high, about 28 cm above the hips",
        ButterflyForm(knee_up_m=(0.28, 0.28), knee_out_m=(0.18, 0.18)),
    ),
    "uneven_knees": (
        "one knee down to the floor, the other 25 cm up (the knees about 20 deg off level)",
        ButterflyForm(knee_up_m=(-0.015, 0.25), knee_out_m=(0.30, 0.20)),
    ),
    "feet_apart": (
        "the feet apart, about 55 cm between the ankles, instead of sole to sole",
        ButterflyForm(feet_apart_m=0.55),
    ),
}


def butterfly(figure: Figure, form: ButterflyForm) -> Posture:
    """Sitting, knees bent out to the sides, soles of the feet together in front, hands around
    the feet, leaning forward a little with a straight back."""
    f = figure
    pitch = _BUTTERFLY_TRUNK_DEG
    posture = dataclasses.replace(sitting(f), trunk_pitch=pitch, neck_pitch=-pitch)
    # In the unsettled skeleton the pelvis (and the hip joints) are at height 0; sitting, the
    # buttocks rest on the floor a thigh's radius below the hip joints.
    floor = -f.thigh_r_m
    ankle_y = floor + flat_ankle_height(f) - 0.01  # feet on their outer edges
    for (side, sign), knee_up, knee_out in zip(
        (("left", -1.0), ("right", 1.0)), form.knee_up_m, form.knee_out_m, strict=True
    ):
        knee = np.array([0.0, knee_up, sign * (f.hip_half_m + knee_out)])
        knee[0] = math.sqrt(max(f.thigh_m**2 - knee_up**2 - knee_out**2, 0.0))
        ankle = np.array([0.0, ankle_y, sign * form.feet_apart_m / 2])
        across = float(np.hypot(ankle[1] - knee[1], ankle[2] - knee[2]))
        ankle[0] = knee[0] + math.sqrt(max(f.shin_m**2 - across**2, 0.0))
        posture = posture.with_limb(
            side, hip_flex=70.0, hip_abd=35.0, hip_rot=45.0, knee_flex=120.0
        )
        posture = fit_limb(
            f,
            posture,
            side,
            ("hip_flex", "hip_abd", "hip_rot", "knee_flex"),
            {landmark(side, "knee"): knee, landmark(side, "ankle"): ankle},
        )
        # Hands around the feet, just in front of the ankles; where the arms are too short for
        # that, on the shins as far toward the feet as they reach.
        shoulder = pose_skeleton(f, posture).landmarks[landmark(side, "shoulder")]
        hand = within_reach(f, shoulder, ankle + np.array([0.06, 0.04, -sign * 0.01]))
        posture = posture.with_limb(side, shoulder_flex=30.0, shoulder_abd=0.0, elbow_flex=10.0)
        posture = fit_limb(
            f,
            posture,
            side,
            ("shoulder_flex", "shoulder_abd", "elbow_flex"),
            {landmark(side, "wrist"): hand},
        )
    return posture


def sitting_knees_up(figure: Figure) -> Posture:
    """Sitting on the floor, knees bent up and feet flat in front, hands on the knees: how one
    sits down before opening the knees into the butterfly."""
    f = figure
    pitch = -5.0
    thigh, shin = reach_floor(f, f.thigh_r_m, 70.0, flat_ankle_height(f))
    along = math.radians(thigh)
    ahead, up = shoulder_from_hip(f, pitch)
    hands = arm_toward(
        f,
        pitch,
        f.thigh_m * 0.9 * math.sin(along) - ahead,
        -f.thigh_m * 0.9 * math.cos(along) + f.thigh_r_m + f.forearm_r_m - up,
    )
    posture = Posture(trunk_pitch=pitch)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **leg(thigh, shin, 0.0, pitch), **hands)
    return posture


def _butterfly_script(figure: Figure, options: ScriptOptions) -> Script:
    target = butterfly(figure, fault_form(_BUTTERFLY_FAULTS, options.fault, ButterflyForm()))
    rest = sitting_knees_up(figure)
    return _hold_script(options, rest, lambda _: target, [standing(figure)])


MOTIONS: dict[str, StretchMotion] = {
    "bridge": StretchMotion(
        id="bridge",
        per_side=False,
        on_floor=True,
        faults=dict(_BRIDGE_FAULTS),
        build=_bridge_script,
    ),
    "supine_knee_to_chest": StretchMotion(
        id="supine_knee_to_chest",
        per_side=True,
        on_floor=True,
        faults=fault_texts(_KNEE_TO_CHEST_FAULTS),
        build=_knee_to_chest_script,
    ),
    "lying_leg_lift": StretchMotion(
        id="lying_leg_lift",
        per_side=True,
        on_floor=True,
        faults=fault_texts(_LEG_LIFT_FAULTS),
        build=_leg_lift_script,
    ),
    "constructive_rest": StretchMotion(
        id="constructive_rest",
        per_side=False,
        on_floor=True,
        faults=fault_texts(_REST_FAULTS),
        build=_constructive_rest_script,
    ),
    "bird_dog": StretchMotion(
        id="bird_dog",
        per_side=True,
        on_floor=True,
        faults=fault_texts(_BIRD_DOG_FAULTS),
        build=_bird_dog_script,
    ),
    "butterfly": StretchMotion(
        id="butterfly",
        per_side=False,
        on_floor=True,
        faults=fault_texts(_BUTTERFLY_FAULTS),
        build=_butterfly_script,
    ),
}
