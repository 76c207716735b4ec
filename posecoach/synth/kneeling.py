"""Motion scripts of the kneeling and standing stretches."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posecoach.synth.figure import Figure, Posture, landmark, pose_skeleton, settle, two_link
from posecoach.synth.motion import Phase, Script, Segment
from posecoach.synth.postures import (
    LEAVE_FRAME,
    ScriptOptions,
    StagedScript,
    StretchMotion,
    arm,
    arm_reaching,
    arm_to,
    fault_form,
    fault_texts,
    fit_limb,
    flat_ankle_height,
    hand_on_floor,
    hold,
    leg,
    leg_on_toes,
    other_side,
    reach_floor,
    standing,
    walk_out_and_back,
)
from posecoach.synth.render import Box

# The joint angles fitted when a knee and an ankle must reach their points.
_LEG = ("hip_flex", "hip_abd", "hip_rot", "knee_flex")


@dataclass(frozen=True)
class KneelForm:
    """The half-kneeling position: trunk lean, back thigh past vertical, front knee angle."""

    trunk_deg: float = 3.0
    back_thigh_deg: float = 12.0  # behind vertical: the hip driven forward
    front_knee_deg: float = 90.0
    # The back foot raised behind (resting on a bench, its top down), the back knee closed to
    # this inner angle; None: the back shin on the floor, the toes tucked under.
    back_knee_deg: float | None = None


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


def _kneeling_shin_deg(figure: Figure) -> float:
    """The world angle of a shin behind a knee on the floor, its toes tucked under (the foot
    about upright): the shin rises from the knee just enough for the toes to reach the floor."""
    f = figure
    rise = math.degrees(
        math.asin(min(0.9, max(0.0, (f.foot_m * 0.8 + 0.01 - f.shin_r_m) / f.shin_m)))
    )
    return -(90.0 + rise)


def half_kneel(figure: Figure, working: str, form: KneelForm) -> Posture:
    """Back knee (the working side) on the floor, its toes tucked under (or its foot raised
    behind), front foot flat."""
    f = figure
    pitch = form.trunk_deg
    back_thigh = -form.back_thigh_deg
    if form.back_knee_deg is None:
        back = leg(back_thigh, _kneeling_shin_deg(f), 90.0, pitch)
    else:
        # The shin rises steeply behind the knee; the sole faces up, the foot pointing back.
        back = leg(back_thigh, back_thigh - (180.0 - form.back_knee_deg), 180.0, pitch)
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


Timed = tuple[float, Posture]  # a posture, reached over this many seconds


@dataclass(frozen=True)
class _Route:
    """One side of a held stretch: the timed postures from standing into the held position
    (the last of them) and from there back to standing, and the deeper posture of a bounce."""

    way_in: tuple[Timed, ...]
    way_out: tuple[Timed, ...]
    bounce: Posture | None = None

    @property
    def held(self) -> Posture:
        return self.way_in[-1][1]


def _go(script: Script, steps: tuple[Timed, ...], side: str) -> None:
    for duration_s, posture in steps:
        script.add(Segment(duration_s, posture, Phase.TRANSITION, side))


def _hold_each_side(
    figure: Figure,
    options: ScriptOptions,
    route: Callable[[str], _Route],
    props: tuple[Box, ...] = (),
    stand: Posture | None = None,
) -> Script:
    """From standing, into the position and hold it, back to standing, for each side.

    LEAVE_FRAME: half-way through the first hold, back to standing, out of view and back,
    into the position again and the rest of the hold. `stand` is where the performer stands
    (default: on the spot where the clip is framed).
    """
    stand = stand or standing(figure)
    script = StagedScript(stand, props=props)
    script.add(Segment(1.5, stand, Phase.SETUP))
    for number, side in enumerate(options.sides):
        assert side is not None
        way = route(side)
        _go(script, way.way_in, side)
        if options.fault == LEAVE_FRAME and number == 0:
            hold(script, way.held, options.hold_s / 2, side, bounce=None)
            _go(script, way.way_out, side)
            walk_out_and_back(script, stand)
            _go(script, way.way_in, side)
            hold(script, way.held, options.hold_s / 2, side, bounce=None)
        else:
            hold(script, way.held, options.hold_s, side, bounce=way.bounce)
        _go(script, way.way_out, side)
    script.add(Segment(1.0, stand, Phase.SETUP))
    return script


# -- half-kneeling hip flexor -------------------------------------------------------------


def _half_kneeling_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_KNEEL_FAULTS, options.fault, KneelForm())

    def route(side: str) -> _Route:
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
        return _Route(
            way_in=((1.2, _step_back(figure, side)), (1.6, half_kneel(figure, side, form))),
            way_out=((1.8, standing(figure)),),
            bounce=deeper,
        )

    return _hold_each_side(figure, options, route)


# -- standing hip flexor --------------------------------------------------------------------


@dataclass(frozen=True)
class SplitForm:
    """The standing split stance: trunk lean, back thigh behind vertical, inner knee angles."""

    trunk_deg: float = 2.0
    back_thigh_deg: float = 28.0
    back_knee_deg: float = 173.0
    front_knee_deg: float = 152.0


_BALL_OF_FOOT_DEG = 35.0  # the back heel lifted, the weight on the ball of the foot

_SPLIT_FAULTS: dict[str, tuple[str, SplitForm]] = {
    "torso_lean": (
        "leaning forward 28 deg (the back thigh further back, 44 deg, keeps the hip open)",
        SplitForm(trunk_deg=28.0, back_thigh_deg=44.0, front_knee_deg=150.0),
    ),
    "back_knee_bent": (
        "the back knee bent to about 128 deg",
        SplitForm(back_thigh_deg=16.0, back_knee_deg=128.0),
    ),
    "front_knee_locked": (
        "the front knee locked straight",
        SplitForm(front_knee_deg=180.0),
    ),
}


def split_stance(figure: Figure, working: str, form: SplitForm) -> Posture:
    """Standing with the working leg stepped back on the ball of its foot, the front foot flat,
    arms relaxed."""
    f = figure
    pitch = form.trunk_deg
    back, hip_height = leg_on_toes(
        f, -form.back_thigh_deg, form.back_knee_deg, _BALL_OF_FOOT_DEG, pitch
    )
    thigh, shin = reach_floor(f, hip_height, form.front_knee_deg, flat_ankle_height(f))
    hands = arm(0.0, 12.0, pitch)
    posture = dataclasses.replace(standing(f), trunk_pitch=pitch, neck_pitch=-0.6 * pitch)
    posture = posture.with_limb(working, **back, **hands)
    return posture.with_limb(other_side(working), **leg(thigh, shin, 0.0, pitch), **hands)


def _standing_hip_flexor_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_SPLIT_FAULTS, options.fault, SplitForm())

    def route(side: str) -> _Route:
        split = split_stance(figure, side, form)
        stand = standing(figure)
        return _Route(way_in=((1.6, split),), way_out=((1.6, stand),))

    return _hold_each_side(figure, options, route)


# -- low lunge twist ------------------------------------------------------------------------


@dataclass(frozen=True)
class LungeForm:
    """The low lunge: trunk pitch (leaning further forward when the supporting hand could not
    reach the floor), the long back leg, the front knee; the twist: how far the chest turns
    toward the front leg and how far the raised arm tips forward from vertical."""

    trunk_deg: float = 55.0
    back_thigh_deg: float = 60.0
    back_knee_deg: float = 165.0
    front_knee_deg: float = 90.0
    chest_turn_deg: float = 70.0
    arm_tip_deg: float = 0.0


_TUCKED_TOES_DEG = 65.0  # the back foot almost upright on its toes
# Both hands on the floor, the chest comes down over the front thigh; turning open lowers the
# supporting shoulder, so the trunk can rise for the twist.
_HANDS_DOWN_TRUNK_DEG = 78.0

_LUNGE_FAULTS: dict[str, tuple[str, LungeForm]] = {
    "arm_not_vertical": (
        "the raised arm tipped 40 deg forward of vertical",
        LungeForm(arm_tip_deg=40.0),
    ),
    "chest_closed": (
        "the chest turned only 10 deg: the arm goes up but the chest stays facing the floor",
        LungeForm(chest_turn_deg=10.0),
    ),
    "back_knee_bent": (
        "the back knee bent to about 115 deg, the shin level with the floor",
        LungeForm(back_thigh_deg=25.0, back_knee_deg=115.0),
    ),
}


def low_lunge(figure: Figure, working: str, form: LungeForm, twist: float) -> Posture:
    """The working leg long behind on its toes, the front knee bent, hands on the floor; with
    `twist` (0 to 1: how far through the movement), the front leg's arm sweeps out and up to
    the ceiling and the chest turns toward it, the other hand staying on the floor."""
    f = figure
    front_side = other_side(working)
    turn = form.chest_turn_deg * twist
    pitch = _HANDS_DOWN_TRUNK_DEG + (form.trunk_deg - _HANDS_DOWN_TRUNK_DEG) * twist
    reach = 0.97 * (f.upper_arm_m + f.forearm_m + f.hand_m)
    while True:
        back, hip_height = leg_on_toes(
            f, -form.back_thigh_deg, form.back_knee_deg, _TUCKED_TOES_DEG, pitch
        )
        thigh, shin = reach_floor(f, hip_height, form.front_knee_deg, flat_ankle_height(f))
        posture = Posture(
            trunk_pitch=pitch,
            chest_twist=turn if front_side == "left" else -turn,
            neck_pitch=-30.0 * twist,
        )
        posture = posture.with_limb(working, **back, **arm(0.0, 10.0, pitch))
        posture = posture.with_limb(
            front_side, **leg(thigh, shin, 0.0, pitch), **arm(0.0, 10.0, pitch)
        )
        # The supporting shoulder must be low enough for the hand to reach the floor: a chest
        # that does not turn (or hips held higher) needs the trunk further forward.
        shoulder = pose_skeleton(f, posture).landmarks[landmark(working, "shoulder")]
        if shoulder[1] + hip_height <= reach or pitch >= 89.0:
            break
        pitch += 1.0
    posture = hand_on_floor(f, posture, working, 0.04, 0.05, -hip_height)
    if twist == 0:
        return hand_on_floor(f, posture, front_side, 0.04, 0.05, -hip_height)
    # From hanging down, out to the side, to straight up (tipped forward `arm_tip_deg`).
    shoulder = pose_skeleton(f, posture).landmarks[landmark(front_side, "shoulder")]
    outward = np.array([0.0, 0.0, -1.0 if front_side == "left" else 1.0])  # world z is -left
    sweep = math.radians(180.0 * twist)
    tip = math.radians(form.arm_tip_deg * twist)
    up = np.array([math.sin(tip), math.cos(tip), 0.0])
    direction = -math.cos(sweep) * up + math.sin(sweep) * outward
    wrist = shoulder + 0.97 * (f.upper_arm_m + f.forearm_m) * direction
    return posture.with_limb(front_side, **arm_reaching(f, posture, front_side, wrist))


def _low_lunge_twist_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_LUNGE_FAULTS, options.fault, LungeForm())

    def route(side: str) -> _Route:
        down = low_lunge(figure, side, form, twist=0.0)
        half = low_lunge(figure, side, form, twist=0.5)
        step = _step_back(figure, side)
        return _Route(
            way_in=(
                (1.1, step),
                (1.4, down),
                (0.7, half),
                (0.7, low_lunge(figure, side, form, twist=1.0)),
            ),
            way_out=((0.6, half), (0.6, down), (1.3, step), (1.2, standing(figure))),
        )

    return _hold_each_side(figure, options, route)


# -- kneeling lunge -------------------------------------------------------------------------

# The weight shifted forward: the back thigh further behind vertical, the hips lower, the
# front knee travelling past the ankle and closing below 90 deg.
_KNEELING_LUNGE = KneelForm(trunk_deg=2.0, back_thigh_deg=24.0, front_knee_deg=78.0)

_KNEELING_LUNGE_FAULTS: dict[str, tuple[str, KneelForm]] = {
    "hip_not_forward": (
        "the weight not shifted forward: the back thigh 10 deg in front of vertical",
        dataclasses.replace(_KNEELING_LUNGE, back_thigh_deg=-10.0, front_knee_deg=90.0),
    ),
    "torso_lean": (
        "leaning forward 28 deg over the front leg (the back thigh further back keeps the hip "
        "open)",
        dataclasses.replace(_KNEELING_LUNGE, trunk_deg=28.0, back_thigh_deg=45.0),
    ),
    "front_foot_far": (
        "the front foot too far ahead: the front knee open to about 118 deg",
        dataclasses.replace(_KNEELING_LUNGE, front_knee_deg=118.0),
    ),
}


def _kneeling_lunge_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_KNEELING_LUNGE_FAULTS, options.fault, _KNEELING_LUNGE)

    def route(side: str) -> _Route:
        return _Route(
            way_in=((1.2, _step_back(figure, side)), (1.8, half_kneel(figure, side, form))),
            way_out=((1.8, standing(figure)),),
        )

    return _hold_each_side(figure, options, route)


# -- half-kneeling, back foot elevated ------------------------------------------------------

_FOOT_ELEVATED = KneelForm(back_knee_deg=48.0)

_FOOT_ELEVATED_FAULTS: dict[str, tuple[str, KneelForm]] = {
    "torso_lean": (
        "leaning forward 27 deg (the back thigh further back, 30 deg, keeps the hip open)",
        KneelForm(trunk_deg=27.0, back_thigh_deg=30.0, back_knee_deg=48.0),
    ),
    "hip_not_forward": (
        "sitting back toward the raised heel: the back thigh 20 deg in front of vertical",
        KneelForm(back_thigh_deg=-20.0, back_knee_deg=40.0),
    ),
    "front_foot_far": (
        "the front foot too far ahead: the front knee open to about 118 deg",
        KneelForm(front_knee_deg=118.0, back_knee_deg=48.0),
    ),
}

_BENCH_DEPTH_M = 0.45  # front to back
_BENCH_HALF_WIDTH_M = 0.28


def bench_under(figure: Figure, posture: Posture, side: str) -> Box:
    """A bench behind the performer whose top carries the raised foot of `side`, its front
    face just behind the shin."""
    points = settle(figure, posture).landmarks
    ankle = points[landmark(side, "ankle")]
    foot = points[[landmark(side, j) for j in ("ankle", "heel", "foot")]]
    top = float(foot[:, 1].min()) - 0.04  # the foot's solids are about 4 cm thick
    front = float(ankle[0]) - 0.03
    return Box(
        (front - _BENCH_DEPTH_M, 0.0, -_BENCH_HALF_WIDTH_M),
        (front, top, _BENCH_HALF_WIDTH_M),
    )


def _leg_reaching(figure: Figure, ahead_m: float, drop_m: float) -> tuple[float, float]:
    """Thigh and shin world angles of a leg whose ankle lies `ahead_m` ahead of (negative:
    behind) and `drop_m` below its hip, the knee bending forward as it does standing."""
    line = math.degrees(math.atan2(ahead_m, drop_m))
    offset, bend = two_link(figure.thigh_m, figure.shin_m, math.hypot(ahead_m, drop_m))
    return line + offset, line + offset - bend


def _bench_route(figure: Figure, kneel: Posture, working: str) -> tuple[Posture, ...]:
    """From standing to `kneel` with the back foot on the bench: standing where the front foot
    will stay; the back foot lifted behind; the foot on the bench, standing on the front leg
    (knee soft, the pelvis a little behind the front foot); half-way down; `kneel` itself."""
    f = figure
    points = settle(f, kneel).landmarks
    front_x = float(points[landmark(other_side(working), "ankle"), 0])
    on_bench = points[landmark(working, "ankle")]
    stand = dataclasses.replace(standing(f), x_m=front_x)
    lifted = stand.with_limb(working, **leg(-5.0, -105.0, 120.0, 0.0))
    upper, lower = f.thigh_m, f.shin_m
    reach = math.sqrt(upper**2 + lower**2 - 2 * upper * lower * math.cos(math.radians(150.0)))
    step_pelvis_x = front_x - 0.12
    step_height = flat_ankle_height(f) + math.sqrt(reach**2 - (front_x - step_pelvis_x) ** 2)
    kneel_height = float(points[landmark(working, "hip"), 1])

    def on_both_feet(pelvis_x: float, hip_height: float, pitch: float) -> Posture:
        """Both feet where they rest in `kneel`, the hips at this height."""
        front = _leg_reaching(f, front_x - pelvis_x, hip_height - flat_ankle_height(f))
        back = _leg_reaching(f, float(on_bench[0]) - pelvis_x, hip_height - float(on_bench[1]))
        hands = arm(0.0, 12.0, pitch)
        posture = dataclasses.replace(standing(f), x_m=pelvis_x, trunk_pitch=pitch)
        posture = posture.with_limb(working, **leg(*back, 180.0, pitch), **hands)
        return posture.with_limb(other_side(working), **leg(*front, 0.0, pitch), **hands)

    step = on_both_feet(step_pelvis_x, step_height, 8.0)
    halfway = on_both_feet(
        (step_pelvis_x + kneel.x_m) / 2,
        (step_height + kneel_height) / 2,
        (8.0 + kneel.trunk_pitch) / 2,
    )
    return stand, lifted, step, halfway, kneel


def _foot_elevated_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_FOOT_ELEVATED_FAULTS, options.fault, _FOOT_ELEVATED)
    first = options.sides[0] or "left"
    held = half_kneel(figure, first, form)
    bench = bench_under(figure, held, first)

    def route(side: str) -> _Route:
        stand, lifted, step, halfway, kneel = _bench_route(
            figure, half_kneel(figure, side, form), side
        )
        return _Route(
            way_in=((1.0, lifted), (1.0, step), (0.8, halfway), (0.8, kneel)),
            way_out=((0.8, halfway), (0.8, step), (1.0, lifted), (1.0, stand)),
        )

    stand = _bench_route(figure, held, first)[0]
    return _hold_each_side(figure, options, route, props=(bench,), stand=stand)


# -- pigeon ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PigeonForm:
    """Pigeon: the hips' height above the floor, the trunk's lean, the back knee's inner angle,
    and where the hands are."""

    hip_height_m: float = 0.16
    trunk_deg: float = 15.0
    back_knee_deg: float = 172.0
    arms_forward: bool = False  # sunk down, arms stretched forward along the floor


_PIGEON_FAULTS: dict[str, tuple[str, PigeonForm]] = {
    "back_knee_bent": (
        "the back knee bent to about 95 deg, the back foot lifted",
        PigeonForm(back_knee_deg=95.0),
    ),
    "hips_high": (
        "the hips held up about 34 cm off the floor, the trunk leaning 50 deg onto the hands",
        PigeonForm(hip_height_m=0.34, trunk_deg=50.0),
    ),
    "torso_collapsed": (
        "the chest sunk onto the front leg, the trunk 85 deg forward, arms stretched forward",
        PigeonForm(trunk_deg=85.0, arms_forward=True),
    ),
}


def pigeon(figure: Figure, working: str, form: PigeonForm) -> Posture:
    """The front leg folded on the floor, its shin across toward the other hip; the working leg
    long behind, the top of its foot on the floor; hands (or forearms) on the floor."""
    f = figure
    pitch = form.trunk_deg
    front_side = other_side(working)
    out = 1.0 if front_side == "left" else -1.0  # the front side's direction, world z is -left
    h = form.hip_height_m
    floor_y = -h
    # The back leg: from the hip to an ankle about 5 cm up (the top of the foot down).
    ankle_height = 0.05
    if form.back_knee_deg >= 150.0:
        upper, lower = f.thigh_m, f.shin_m
        inner = math.radians(form.back_knee_deg)
        reach = math.sqrt(upper**2 + lower**2 - 2 * upper * lower * math.cos(inner))
        drop = h - ankle_height
        behind = math.sqrt(max(reach**2 - drop**2, 0.0))
        line = -math.degrees(math.atan2(behind, drop))
        offset, bend = two_link(upper, lower, reach)
        back = leg(line + offset, line + offset - bend, 185.0, pitch)
    else:
        # The thigh along the floor, the knee down, the shin lifted.
        thigh = -math.degrees(math.acos((h - f.shin_r_m) / f.thigh_m))
        back = leg(thigh, thigh - (180.0 - form.back_knee_deg), 150.0, pitch)
    posture = Posture(trunk_pitch=pitch, neck_pitch=-0.5 * pitch if pitch < 60 else -40.0)
    posture = posture.with_limb(working, **back)
    # The front leg: the knee on the floor ahead and out to the side, the shin across the body
    # toward the other hip, the foot lying on its outer edge, toes forward.
    hip = pose_skeleton(f, posture).landmarks[landmark(front_side, "hip")]
    knee_out, across = 0.12, 0.36
    knee_ahead = math.sqrt(max(f.thigh_m**2 - (h - f.shin_r_m) ** 2 - knee_out**2, 0.0))
    knee = hip + np.array([knee_ahead, floor_y + f.shin_r_m, -out * knee_out])
    shin_back = math.sqrt(f.shin_m**2 - across**2 - 0.01**2)
    ankle = knee + np.array([-shin_back, -0.01, out * across])
    posture = posture.with_limb(
        front_side, hip_flex=80.0 + pitch, hip_abd=15.0, hip_rot=60.0, knee_flex=120.0
    )
    posture = fit_limb(
        f,
        posture,
        front_side,
        _LEG,
        {landmark(front_side, "knee"): knee, landmark(front_side, "ankle"): ankle},
    )
    # The foot flexed as far as its toes stay on the floor, not in it.
    for ankle_flex in range(20, -95, -5):
        posture = posture.with_limb(front_side, ankle_flex=float(ankle_flex))
        points = pose_skeleton(f, posture).landmarks
        if min(points[landmark(front_side, j)][1] for j in ("heel", "foot")) >= floor_y + 0.01:
            break
    if not form.arms_forward:
        # Hands on the floor beside the shoulders, a little ahead and out.
        posture = hand_on_floor(f, posture, working, 0.06, 0.08, floor_y)
        return hand_on_floor(f, posture, front_side, 0.06, 0.08, floor_y)
    # Arms stretched forward along the floor, the forearms resting on it.
    for side in (working, front_side):
        wrist = pose_skeleton(f, posture).landmarks[landmark(side, "shoulder")].copy()
        wrist[0] += 0.98 * (f.upper_arm_m + f.forearm_m)
        wrist[1] = floor_y + f.forearm_r_m
        posture = posture.with_limb(side, **arm_reaching(f, posture, side, wrist))
    return posture


def hands_and_knees(figure: Figure) -> Posture:
    """On all fours: knees under the hips, toes tucked under, hands under the shoulders."""
    f = figure
    pitch = 78.0
    h = f.thigh_m + f.shin_r_m
    posture = Posture(trunk_pitch=pitch, neck_pitch=-40.0)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **leg(0.0, _kneeling_shin_deg(f), 90.0, pitch))
    for side in ("left", "right"):
        posture = hand_on_floor(f, posture, side, 0.03, 0.03, -h)
    return posture


def _pigeon_script(figure: Figure, options: ScriptOptions) -> Script:
    form = fault_form(_PIGEON_FAULTS, options.fault, PigeonForm())
    fours = hands_and_knees(figure)

    def route(side: str) -> _Route:
        kneel = half_kneel(figure, side, KneelForm())
        return _Route(
            way_in=(
                (1.1, _step_back(figure, side)),
                (1.3, kneel),
                (1.4, fours),
                (1.8, pigeon(figure, side, form)),
            ),
            way_out=((1.6, fours), (1.4, kneel), (1.6, standing(figure))),
        )

    return _hold_each_side(figure, options, route)


MOTIONS: dict[str, StretchMotion] = {
    "half_kneeling_hip_flexor": StretchMotion(
        id="half_kneeling_hip_flexor",
        per_side=True,
        on_floor=False,
        faults=fault_texts(_KNEEL_FAULTS)
        | {"bounce": "bouncing in the hold: pulsing deeper twice a second"},
        build=_half_kneeling_script,
    ),
    "standing_hip_flexor": StretchMotion(
        id="standing_hip_flexor",
        per_side=True,
        on_floor=False,
        faults=fault_texts(_SPLIT_FAULTS),
        build=_standing_hip_flexor_script,
    ),
    "low_lunge_twist": StretchMotion(
        id="low_lunge_twist",
        per_side=True,
        on_floor=False,
        faults=fault_texts(_LUNGE_FAULTS),
        build=_low_lunge_twist_script,
    ),
    "kneeling_lunge": StretchMotion(
        id="kneeling_lunge",
        per_side=True,
        on_floor=False,
        faults=fault_texts(_KNEELING_LUNGE_FAULTS),
        build=_kneeling_lunge_script,
    ),
    "half_kneeling_foot_elevated": StretchMotion(
        id="half_kneeling_foot_elevated",
        per_side=True,
        on_floor=False,
        faults=fault_texts(_FOOT_ELEVATED_FAULTS),
        build=_foot_elevated_script,
    ),
    "pigeon": StretchMotion(
        id="pigeon",
        per_side=True,
        on_floor=True,
        faults=fault_texts(_PIGEON_FAULTS),
        build=_pigeon_script,
    ),
}
