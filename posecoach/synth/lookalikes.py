"""Look-alike exercises: movements that resemble a stretch of the catalogue but are not it.

A coach must give them no credit: no hold time and no reps for any stretch they are a negative
for. Each `LookAlike` says what it shows, the stretches it is a negative for (only stretches
whose own camera view it is rendered in), and how it is performed. A clip of a look-alike is a
`ClipSpec` with `movement` set; its truth is measured with one of those stretches' rules, and
its person is never in position for any of them.

In the scripts of movements done in cycles, REP_UP moves away from the resting position (into
the lunge, the legs up, the limbs out) and REP_DOWN comes back to it; the truth lists those
cycles as the movement's, not as reps of a stretch.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posecoach.synth import LOOKALIKE_IDS
from posecoach.synth.figure import Figure, Posture, landmark, pose_skeleton
from posecoach.synth.floor import (
    all_fours,
    hook_lying,
    kneeling_up,
    lying_hip_height,
    lying_long,
    sitting_knees_up,
)
from posecoach.synth.motion import Phase, Script, Segment
from posecoach.synth.postures import (
    ScriptOptions,
    StretchMotion,
    arm,
    arm_reaching,
    fit_limb,
    flat_ankle_height,
    hand_on_floor,
    leg,
    other_side,
    reach_floor,
    standing,
    toes_ankle_height,
    within_reach,
)

_SUPINE = -90.0  # trunk pitch lying on the back
_PRONE = 90.0  # and face down


@dataclass(frozen=True)
class LookAlike:
    """A movement that is not a stretch of the catalogue: its id, what it shows (as the
    evaluation labels describe it), the stretches it is a negative for (the first judges its
    truth), the camera view it is rendered in, whether it is held (or done in cycles), and its
    script."""

    id: str
    movement: str
    negative_for: tuple[str, ...]
    held: bool
    on_floor: bool
    build: Callable[[Figure, ScriptOptions], Script]
    view: str = "side"

    @property
    def motion(self) -> StretchMotion:
        """The look-alike as a motion the clip generator performs: no sides, no faults."""
        return StretchMotion(
            id=self.id, per_side=False, on_floor=self.on_floor, faults={}, build=self.build
        )


def _cycles(
    script: Script,
    rest: Posture,
    far: Callable[[int], Posture],
    count: int,
    out_s: float,
    back_s: float,
    side: Callable[[int], str | None] = lambda _: None,
    via: Callable[[int], tuple[Posture, Posture]] | None = None,
    pause_s: float = 0.3,
    rest_s: float = 0.4,
) -> None:
    """`count` cycles from `rest` out to `far(i)` and back, pausing at both ends; `via(i)`
    gives a posture passed on the way out and one on the way back (a foot lifted to step)."""
    for rep in range(count):
        target = far(rep)
        if via is not None:
            going, coming = via(rep)
            script.add(Segment(out_s * 0.45, going, Phase.REP_UP, side(rep), rep=rep))
            script.add(Segment(out_s * 0.55, target, Phase.REP_UP, side(rep), rep=rep))
        else:
            script.add(Segment(out_s, target, Phase.REP_UP, side(rep), rep=rep))
        script.add(Segment(pause_s, target, Phase.REP_UP, side(rep), rep=rep))
        if via is not None:
            script.add(Segment(back_s * 0.55, coming, Phase.REP_DOWN, side(rep), rep=rep))
            script.add(Segment(back_s * 0.45, rest, Phase.REP_DOWN, side(rep), rep=rep))
        else:
            script.add(Segment(back_s, rest, Phase.REP_DOWN, side(rep), rep=rep))
        script.add(Segment(rest_s, rest, Phase.IN_POSE))


def _alternate(rep: int) -> str:
    return "left" if rep % 2 == 0 else "right"


def _held(
    options: ScriptOptions, start: Posture, way_in: list[Posture], way_out: list[Posture]
) -> Script:
    """From `start`, through `way_in` into its last posture, hold it, and out through
    `way_out`."""
    script = Script(start)
    script.add(Segment(1.0, start, Phase.SETUP))
    for step in way_in:
        script.add(Segment(1.2, step, Phase.TRANSITION))
    script.add(Segment(options.hold_s, way_in[-1], Phase.IN_POSE))
    for step in way_out:
        script.add(Segment(1.2, step, Phase.TRANSITION))
    script.add(Segment(0.6, way_out[-1], Phase.SETUP))
    return script


# -- lunges ---------------------------------------------------------------------------------

_BALL_OF_FOOT_DEG = 50.0  # the back heel lifted, the weight on the ball of the foot
_HOVER_M = 0.04  # the static lunge: the back knee this far above the floor
_DIP_M = 0.07  # the stepping lunges: the lowest the back knee goes


def knee_floor_radius(figure: Figure) -> float:
    """How far below the knee joint the surface of the leg reaches there (the thigh's end is
    the wider of the two solids meeting at the knee)."""
    return max(figure.thigh_r_m, figure.shin_r_m)


def lunge(
    figure: Figure,
    back: str,
    knee_gap_m: float,
    back_thigh_deg: float = 6.0,
    front_knee_deg: float = 92.0,
    trunk_deg: float = 4.0,
) -> Posture:
    """A lunge on both feet: the `back` leg on the ball of its foot, its knee `knee_gap_m` above
    the floor (the thigh `back_thigh_deg` behind vertical), the front foot flat with the knee
    at `front_knee_deg`, arms relaxed. The pelvis is at x = 0."""
    f = figure
    pitch = trunk_deg
    ankle_height = toes_ankle_height(f, _BALL_OF_FOOT_DEG)
    knee_height = knee_floor_radius(f) + knee_gap_m
    rise = max(-1.0, min(1.0, (knee_height - ankle_height) / f.shin_m))
    shin = -math.degrees(math.acos(rise))  # behind the knee, rising to the ankle
    thigh = -back_thigh_deg
    hip_height = knee_height + f.thigh_m * math.cos(math.radians(thigh))
    front_thigh, front_shin = reach_floor(f, hip_height, front_knee_deg, flat_ankle_height(f))
    hands = arm(0.0, 12.0, pitch)
    posture = dataclasses.replace(standing(f), trunk_pitch=pitch, neck_pitch=-0.6 * pitch)
    posture = posture.with_limb(back, **leg(thigh, shin, _BALL_OF_FOOT_DEG, pitch), **hands)
    return posture.with_limb(other_side(back), **leg(front_thigh, front_shin, 0.0, pitch), **hands)


def _placed(figure: Figure, posture: Posture, side: str, at_x_m: float) -> Posture:
    """The posture moved along x so the ankle of `side` is at `at_x_m`."""
    ankle = pose_skeleton(figure, posture).landmarks[landmark(side, "ankle")]
    return dataclasses.replace(posture, x_m=posture.x_m + at_x_m - float(ankle[0]))


def _foot_lifted(figure: Figure, stand_on: str, thigh_deg: float, x_m: float) -> Posture:
    """Standing on one leg, the other lifted to step (thigh forward +, or back -)."""
    posture = dataclasses.replace(standing(figure), x_m=x_m)
    if thigh_deg >= 0:
        lifted = leg(thigh_deg, thigh_deg - 70.0, 10.0, 0.0)
    else:
        lifted = leg(thigh_deg, thigh_deg - 60.0, 40.0, 0.0)
    return posture.with_limb(other_side(stand_on), **lifted)


def _forward_lunge_script(figure: Figure, options: ScriptOptions) -> Script:
    """Stepping forward into a lunge and pushing back to standing, legs taking turns: the back
    foot stays where it stood."""
    stand = standing(figure)
    ankle_x = float(pose_skeleton(figure, stand).landmarks[landmark("left", "ankle"), 0])

    def bottom(rep: int) -> Posture:
        back = _alternate(rep)
        return _placed(figure, lunge(figure, back, _DIP_M), back, ankle_x)

    def step(rep: int) -> tuple[Posture, Posture]:
        back = _alternate(rep)
        lifted = _foot_lifted(figure, back, 45.0, 0.12)
        return lifted, lifted

    script = Script(stand)
    script.add(Segment(1.2, stand, Phase.SETUP))
    _cycles(script, stand, bottom, max(1, options.reps), 1.3, 1.1, side=_alternate, via=step)
    script.add(Segment(0.6, stand, Phase.SETUP))
    return script


def _reverse_lunge_script(figure: Figure, options: ScriptOptions) -> Script:
    """Stepping back into a lunge and returning to standing, legs taking turns: the front foot
    stays where it stood."""
    stand = standing(figure)
    ankle_x = float(pose_skeleton(figure, stand).landmarks[landmark("left", "ankle"), 0])

    def bottom(rep: int) -> Posture:
        back = _alternate(rep)
        return _placed(figure, lunge(figure, back, _DIP_M), other_side(back), ankle_x)

    def step(rep: int) -> tuple[Posture, Posture]:
        lifted = _foot_lifted(figure, other_side(_alternate(rep)), -25.0, 0.0)
        return lifted, lifted

    script = Script(stand)
    script.add(Segment(1.2, stand, Phase.SETUP))
    _cycles(script, stand, bottom, max(1, options.reps), 1.3, 1.1, side=_alternate, via=step)
    script.add(Segment(0.6, stand, Phase.SETUP))
    return script


_STATIC_BACK = "left"  # the static lunge's back leg


def _static_lunge_script(figure: Figure, options: ScriptOptions) -> Script:
    """A split stance lowered until the back knee hovers just above the floor, held there."""
    stand = standing(figure)
    held = lunge(figure, _STATIC_BACK, _HOVER_M, back_thigh_deg=4.0, front_knee_deg=90.0)
    split = lunge(figure, _STATIC_BACK, 0.30, back_thigh_deg=20.0, front_knee_deg=150.0)
    ankle_x = float(pose_skeleton(figure, stand).landmarks[landmark("right", "ankle"), 0])
    step = _foot_lifted(figure, "right", -25.0, 0.0)
    split, held = (_placed(figure, p, "right", ankle_x) for p in (split, held))
    script = Script(stand)
    script.add(Segment(1.0, stand, Phase.SETUP))
    script.add(Segment(0.8, step, Phase.TRANSITION, _STATIC_BACK))
    script.add(Segment(0.8, split, Phase.TRANSITION, _STATIC_BACK))
    script.add(Segment(1.2, held, Phase.TRANSITION, _STATIC_BACK))
    script.add(Segment(options.hold_s, held, Phase.IN_POSE, _STATIC_BACK))
    script.add(Segment(1.2, split, Phase.TRANSITION, _STATIC_BACK))
    script.add(Segment(1.2, stand, Phase.TRANSITION, _STATIC_BACK))
    script.add(Segment(0.6, stand, Phase.SETUP))
    return script


# -- lying on the back ----------------------------------------------------------------------


def _supine(legs: dict[str, dict[str, float]], arms: dict[str, dict[str, float]]) -> Posture:
    posture = Posture(trunk_pitch=_SUPINE)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **({"shoulder_abd": 10.0} | legs[side] | arms[side]))
    return posture


def _both(angles: dict[str, float]) -> dict[str, dict[str, float]]:
    return {"left": angles, "right": angles}


def _tabletop_leg() -> dict[str, float]:
    """Lying, the thigh vertical and the knee bent at 90 deg, the shin level."""
    return leg(180.0, 90.0, 0.0, _SUPINE) | {"ankle_flex": -10.0}


def _straight_leg(lift_deg: float, pitch: float = _SUPINE) -> dict[str, float]:
    """A straight leg lifted `lift_deg` from the floor toward vertical, the toes pointed."""
    thigh = 90.0 + lift_deg
    return leg(thigh, thigh, 0.0, pitch) | {"ankle_flex": -25.0}


_ARMS_DOWN = arm(80.0, 90.0, _SUPINE)  # lying, arms along the floor by the sides
_ARMS_UP = arm(180.0, 180.0, _SUPINE)  # lying, arms reaching to the ceiling
_ARM_OVERHEAD = arm(262.0, 262.0, _SUPINE)  # lying, reaching back over the head, off the floor


def double_tabletop(figure: Figure) -> Posture:
    """On the back, both thighs vertical, knees at 90 deg, arms along the floor."""
    return _supine(_both(_tabletop_leg()), _both(_ARMS_DOWN))


def dead_bug(figure: Figure, extended: str | None) -> Posture:
    """On the back, legs at tabletop and arms to the ceiling; with `extended`, that leg
    straightened out low over the floor and the opposite arm reaching back over the head."""
    legs = _both(_tabletop_leg())
    arms = _both(_ARMS_UP)
    if extended is not None:
        legs = {**legs, extended: _straight_leg(22.0)}
        arms = {**arms, other_side(extended): _ARM_OVERHEAD}
    return _supine(legs, arms)


def _dead_bug_script(figure: Figure, options: ScriptOptions) -> Script:
    rest = dead_bug(figure, None)
    start = lying_long(figure)
    script = Script(start)
    script.add(Segment(1.0, start, Phase.SETUP))
    script.add(Segment(1.6, rest, Phase.TRANSITION))
    script.add(Segment(0.4, rest, Phase.IN_POSE))
    _cycles(
        script,
        rest,
        lambda rep: dead_bug(figure, _alternate(rep)),
        max(1, options.reps),
        1.0,
        0.9,
        side=_alternate,
        rest_s=0.3,
    )
    script.add(Segment(1.4, start, Phase.TRANSITION))
    return script


def _double_tabletop_script(figure: Figure, options: ScriptOptions) -> Script:
    return _held(
        options,
        lying_long(figure),
        [hook_lying(figure, 95.0, _ARMS_DOWN), double_tabletop(figure)],
        [hook_lying(figure, 95.0, _ARMS_DOWN)],
    )


def legs_raised(figure: Figure, lift_deg: float) -> Posture:
    """On the back, both straight legs lifted `lift_deg` from the floor, arms along it."""
    return _supine(_both(_straight_leg(lift_deg)), _both(_ARMS_DOWN))


def _leg_raises_script(figure: Figure, options: ScriptOptions) -> Script:
    """Both straight legs lifted to vertical and lowered until the heels are just off the
    floor."""
    start = lying_long(figure)
    low = legs_raised(figure, 12.0)
    script = Script(start)
    script.add(Segment(0.8, start, Phase.SETUP))
    script.add(Segment(0.8, low, Phase.TRANSITION))
    _cycles(
        script, low, lambda _: legs_raised(figure, 88.0), max(1, options.reps), 1.2, 1.3, rest_s=0.3
    )
    script.add(Segment(0.8, start, Phase.TRANSITION))
    return script


_HOLLOW_TRUNK_DEG = 22.0  # the shoulders lifted off the floor: the trunk raised at the hips


def hollow_hold(figure: Figure) -> Posture:
    """On the back, shoulders and straight legs lifted just off the floor, arms reaching
    toward the feet, chin tucked."""
    pitch = _SUPINE + _HOLLOW_TRUNK_DEG
    posture = Posture(trunk_pitch=pitch, neck_pitch=15.0)
    reach = arm(100.0, 100.0, pitch)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **_straight_leg(20.0, pitch), **reach, shoulder_abd=8.0)
    return posture


def _hollow_hold_script(figure: Figure, options: ScriptOptions) -> Script:
    return _held(options, lying_long(figure), [hollow_hold(figure)], [lying_long(figure)])


def happy_baby(figure: Figure) -> Posture:
    """On the back, both knees pulled wide toward the armpits, shins about vertical, hands
    holding the feet (or the shins as far up as the arms reach)."""
    f = figure
    posture = Posture(trunk_pitch=_SUPINE)
    # In the unsettled skeleton lying on the back, the head is toward -x, the chest faces +y
    # and the body's left is -z.
    for side, sign in (("left", -1.0), ("right", 1.0)):
        hip = pose_skeleton(f, posture).landmarks[landmark(side, "hip")]
        toward_head, out = 0.24, 0.22
        up = math.sqrt(max(f.thigh_m**2 - toward_head**2 - out**2, 0.0))
        knee = hip + np.array([-toward_head, up, sign * out])
        ankle = knee + np.array([0.06, f.shin_m * 0.98, sign * 0.02])
        ankle[1] = knee[1] + math.sqrt(f.shin_m**2 - 0.06**2 - 0.02**2)
        posture = posture.with_limb(
            side, hip_flex=130.0, hip_abd=35.0, hip_rot=30.0, knee_flex=100.0, ankle_flex=-5.0
        )
        posture = fit_limb(
            f,
            posture,
            side,
            ("hip_flex", "hip_abd", "hip_rot", "knee_flex"),
            {landmark(side, "knee"): knee, landmark(side, "ankle"): ankle},
        )
        shoulder = pose_skeleton(f, posture).landmarks[landmark(side, "shoulder")]
        wrist = within_reach(f, shoulder, ankle + np.array([0.0, 0.02, sign * 0.04]))
        posture = posture.with_limb(side, **arm_reaching(f, posture, side, wrist))
    return posture


def _happy_baby_script(figure: Figure, options: ScriptOptions) -> Script:
    start = lying_long(figure)
    return _held(
        options,
        start,
        [hook_lying(figure, 95.0, _ARMS_DOWN), happy_baby(figure)],
        [hook_lying(figure, 95.0, _ARMS_DOWN), start],
    )


# -- sitting --------------------------------------------------------------------------------

_LEAN_BACK_DEG = -40.0  # sitting leaning back on the hands


def seated_tuck(figure: Figure, tucked: float) -> Posture:
    """Sitting leaning back on straight arms, hands on the floor behind the hips, feet off the
    floor; `tucked` 1: knees pulled in to the chest, 0: legs pushed out long."""
    f = figure
    pitch = _LEAN_BACK_DEG
    thigh = 105.0 + 55.0 * tucked
    knee_deg = 165.0 - 110.0 * tucked
    legs = leg(thigh, thigh - (180.0 - knee_deg), 0.0, pitch) | {"ankle_flex": -20.0}
    posture = Posture(trunk_pitch=pitch, neck_pitch=25.0)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **legs)
    floor_y = -f.thigh_r_m  # sitting, the buttocks rest a thigh's radius below the hip joints
    for side in ("left", "right"):
        posture = hand_on_floor(f, posture, side, -0.12, 0.06, floor_y)
    return posture


def _knee_tucks_script(figure: Figure, options: ScriptOptions) -> Script:
    start = sitting_knees_up(figure)
    rest = seated_tuck(figure, 0.0)
    script = Script(start)
    script.add(Segment(1.0, start, Phase.SETUP))
    script.add(Segment(1.4, seated_tuck(figure, 0.6), Phase.TRANSITION))
    script.add(Segment(0.8, rest, Phase.TRANSITION))
    _cycles(
        script,
        rest,
        lambda _: seated_tuck(figure, 1.0),
        max(1, options.reps),
        1.0,
        1.0,
        pause_s=0.2,
        rest_s=0.2,
    )
    script.add(Segment(1.4, start, Phase.TRANSITION))
    return script


def sit_up(figure: Figure, trunk_deg: float) -> Posture:
    """Knees bent, feet flat on the floor, the trunk raised `trunk_deg` from lying, arms
    reaching forward alongside the thighs."""
    f = figure
    pitch = _SUPINE + trunk_deg
    # The feet stay planted: the legs keep their world angles as the trunk rises.
    thigh, shin = reach_floor(f, lying_hip_height(f), 75.0, flat_ankle_height(f))
    posture = Posture(trunk_pitch=pitch, neck_pitch=20.0 * min(1.0, trunk_deg / 40.0))
    for side in ("left", "right"):
        posture = posture.with_limb(
            side, **leg(thigh, shin, 0.0, pitch), shoulder_flex=65.0, elbow_flex=10.0
        )
    return posture


def _sit_ups_script(figure: Figure, options: ScriptOptions) -> Script:
    start = lying_long(figure)
    down = sit_up(figure, 0.0)
    script = Script(start)
    script.add(Segment(1.0, start, Phase.SETUP))
    script.add(Segment(1.2, down, Phase.TRANSITION))
    _cycles(
        script, down, lambda _: sit_up(figure, 75.0), max(1, options.reps), 1.1, 1.1, rest_s=0.3
    )
    script.add(Segment(1.2, start, Phase.TRANSITION))
    return script


# -- on hands and knees, and face down ------------------------------------------------------


def _hands_under_shoulders(
    figure: Figure, posture: Posture, hip_height_m: float, ahead_m: float = 0.03
) -> Posture:
    for side in ("left", "right"):
        posture = hand_on_floor(figure, posture, side, ahead_m, 0.03, -hip_height_m)
    return posture


def _kneeling_hip_height(figure: Figure) -> float:
    return figure.thigh_m + figure.shin_r_m


def _tabletop_script(figure: Figure, options: ScriptOptions) -> Script:
    up = kneeling_up(figure)
    return _held(options, up, [all_fours(figure)], [up])


def cat_cow(figure: Figure, arch: float) -> Posture:
    """On hands and knees, the back rounded up with the chin tucked (`arch` -1, cat) or sagging
    with the head lifted (`arch` 1, cow); the knees stay under the hips, the hands on the
    floor. The trunk is one rigid piece: the cow tips it forward, lowering the chest between
    the arms (the elbows soften), the cat keeps it where the straight arms hold it."""
    base = all_fours(figure)
    posture = dataclasses.replace(
        base,
        trunk_pitch=base.trunk_pitch + 12.0 * max(arch, 0.0),
        neck_pitch=-10.0 - 35.0 * arch if arch > 0 else -10.0 - 50.0 * arch,
    )
    for side in ("left", "right"):  # the thighs stay vertical
        posture = posture.with_limb(side, hip_flex=posture.trunk_pitch)
    return _hands_under_shoulders(figure, posture, _kneeling_hip_height(figure))


def _cat_cow_script(figure: Figure, options: ScriptOptions) -> Script:
    up = kneeling_up(figure)
    fours = all_fours(figure)
    script = Script(up)
    script.add(Segment(1.0, up, Phase.SETUP))
    script.add(Segment(1.4, fours, Phase.TRANSITION))
    for rep in range(max(1, options.reps)):
        script.add(Segment(1.2, cat_cow(figure, 1.0), Phase.REP_UP, rep=rep))
        script.add(Segment(1.4, cat_cow(figure, -1.0), Phase.REP_DOWN, rep=rep))
    script.add(Segment(1.0, fours, Phase.TRANSITION))
    script.add(Segment(1.4, up, Phase.TRANSITION))
    return script


def childs_pose(figure: Figure) -> Posture:
    """Kneeling, sitting back on the heels with the shins and the tops of the feet on the
    floor, the chest down over the thighs (as low as it goes without resting on the floor),
    arms stretched forward along the floor."""
    f = figure
    knee_height = f.shin_r_m
    shin = -90.0  # along the floor behind the knee
    ahead = f.shin_m * 0.88  # the hips over the heels
    drop = math.sqrt(max((f.thigh_m) ** 2 - ahead**2, 0.0))
    thigh = math.degrees(math.atan2(ahead, drop))
    hip_height = knee_height + drop
    for pitch in range(112, 90, -1):
        posture = Posture(trunk_pitch=float(pitch), neck_pitch=-25.0)
        for side in ("left", "right"):
            posture = posture.with_limb(side, **leg(thigh, shin, 180.0, pitch))
        skeleton = pose_skeleton(f, posture)
        chest = skeleton.neck[1] - f.chest_r_m * abs(float(skeleton.pelvis_frame.fwd[1]))
        head = skeleton.head[1] - f.head_r_m
        if min(chest, head) + hip_height >= 0.02:
            break
    for side in ("left", "right"):  # straight along the floor, so the elbows stay off it
        wrist = pose_skeleton(f, posture).landmarks[landmark(side, "shoulder")].copy()
        drop = wrist[1] + hip_height - f.forearm_r_m - 0.01
        wrist[0] += math.sqrt(max((0.995 * (f.upper_arm_m + f.forearm_m)) ** 2 - drop**2, 0.0))
        wrist[1] = -hip_height + f.forearm_r_m + 0.01
        posture = posture.with_limb(side, **arm_reaching(f, posture, side, wrist))
    return posture


def _childs_pose_script(figure: Figure, options: ScriptOptions) -> Script:
    up = kneeling_up(figure)
    fours = all_fours(figure)
    return _held(options, up, [fours, childs_pose(figure)], [fours, up])


def _straight_body(figure: Figure, pitch: float, foot_deg: float) -> tuple[Posture, float]:
    """Legs straight in line with the trunk on the toes: the posture (arms hanging) and the
    hips' height above the floor."""
    f = figure
    thigh = -pitch
    height = toes_ankle_height(f, foot_deg) + (f.thigh_m + f.shin_m) * math.cos(math.radians(thigh))
    posture = Posture(trunk_pitch=pitch, neck_pitch=-30.0)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **leg(thigh, thigh, foot_deg, pitch))
    return posture, height


def plank(figure: Figure) -> Posture:
    """A high plank: the body in one straight line from the heels to the shoulders, on the
    toes and on straight arms, hands under the shoulders."""
    f = figure
    arm_reach = 0.01 + f.hand_m + f.upper_arm_m + f.forearm_m
    low, high = 50.0, 89.0
    for _ in range(40):  # the pitch at which straight arms reach the floor
        pitch = (low + high) / 2
        _, height = _straight_body(f, pitch, pitch)
        shoulder = height + (f.torso_m - 0.03) * math.cos(math.radians(pitch))
        if shoulder > arm_reach:
            low = pitch
        else:
            high = pitch
    posture, height = _straight_body(f, (low + high) / 2, (low + high) / 2)
    return _hands_under_shoulders(f, posture, height, ahead_m=0.0)


def downward_dog(figure: Figure) -> Posture:
    """Hands and feet on the floor, hips high, legs and arms long: the body an upside-down V."""
    f = figure
    legs_deg = 32.0  # the legs behind vertical
    pitch = 128.0
    foot_deg = 25.0  # the heels a little off the floor
    height = toes_ankle_height(f, foot_deg) + (f.thigh_m + f.shin_m) * math.cos(
        math.radians(legs_deg)
    )
    posture = Posture(trunk_pitch=pitch, neck_pitch=10.0)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **leg(-legs_deg, -legs_deg, foot_deg, pitch))
    shoulder_height = height + (f.torso_m - 0.03) * math.cos(math.radians(pitch))
    reach = 0.95 * (f.upper_arm_m + f.forearm_m) + f.hand_m
    ahead = math.sqrt(max(reach**2 - shoulder_height**2, 0.0))
    return _hands_under_shoulders(f, posture, height, ahead_m=ahead)


def _plank_script(figure: Figure, options: ScriptOptions) -> Script:
    up = kneeling_up(figure)
    fours = all_fours(figure)
    return _held(options, up, [fours, plank(figure)], [fours, up])


def _downward_dog_script(figure: Figure, options: ScriptOptions) -> Script:
    up = kneeling_up(figure)
    fours = all_fours(figure)
    return _held(options, up, [fours, downward_dog(figure)], [fours, up])


def prone(figure: Figure, chest_deg: float) -> Posture:
    """Lying face down, legs long with the tops of the feet on the floor, hands on the floor
    beside the chest; the chest lifted `chest_deg` from the floor on the arms (the cobra)."""
    f = figure
    pitch = _PRONE - chest_deg
    hip_height = f.thigh_r_m + 0.01
    drop = hip_height - 0.05  # down to the ankles, the tops of the feet on the floor
    thigh = -(90.0 - math.degrees(math.asin(max(0.0, drop) / (f.thigh_m + f.shin_m))))
    posture = Posture(trunk_pitch=pitch, neck_pitch=-20.0 - 0.5 * chest_deg)
    for side in ("left", "right"):
        posture = posture.with_limb(side, **leg(thigh, thigh, 170.0, pitch))
    shoulder = pose_skeleton(f, posture).landmarks[landmark("left", "shoulder")]
    rise = float(shoulder[1]) + hip_height  # the shoulders' height above the floor
    reach = 0.97 * (f.upper_arm_m + f.forearm_m) + f.hand_m
    ahead = math.sqrt(max(reach**2 - rise**2, 0.0)) * 0.55
    return _hands_under_shoulders(f, posture, hip_height, ahead_m=ahead)


def _cobra_script(figure: Figure, options: ScriptOptions) -> Script:
    fours = all_fours(figure)
    flat = prone(figure, 12.0)
    return _held(options, fours, [flat, prone(figure, 38.0)], [flat, fours])


_LUNGE_NEGATIVES = (
    "half_kneeling_hip_flexor",
    "kneeling_lunge",
    "half_kneeling_foot_elevated",
    "low_lunge_twist",
    "standing_hip_flexor",
)
_HANDS_AND_KNEES_NEGATIVES = ("bird_dog", "pigeon")

LOOKALIKES: dict[str, LookAlike] = {
    look.id: look
    for look in (
        LookAlike(
            "forward_lunge",
            "forward lunge: stepping forward into a lunge and back, legs taking turns",
            _LUNGE_NEGATIVES,
            held=False,
            on_floor=False,
            build=_forward_lunge_script,
        ),
        LookAlike(
            "reverse_lunge",
            "reverse lunge: stepping back into a lunge and forward again, legs taking turns",
            _LUNGE_NEGATIVES,
            held=False,
            on_floor=False,
            build=_reverse_lunge_script,
        ),
        LookAlike(
            "static_lunge",
            "static lunge: held low, the back knee hovering a few cm above the floor",
            _LUNGE_NEGATIVES,
            held=True,
            on_floor=False,
            build=_static_lunge_script,
        ),
        LookAlike(
            "dead_bug",
            "dead bug: lying, legs at tabletop, one leg and the opposite arm extended in turn",
            ("lying_leg_lift", "supine_knee_to_chest", "constructive_rest", "bridge"),
            held=False,
            on_floor=True,
            build=_dead_bug_script,
        ),
        LookAlike(
            "double_leg_tabletop",
            "double-leg tabletop: lying, both thighs vertical and knees at 90 deg, held",
            ("lying_leg_lift", "supine_knee_to_chest", "constructive_rest", "bridge"),
            held=True,
            on_floor=True,
            build=_double_tabletop_script,
        ),
        LookAlike(
            "leg_raises",
            "leg raises: lying, both straight legs lifted to vertical and lowered",
            ("lying_leg_lift", "supine_knee_to_chest", "bridge"),
            held=False,
            on_floor=True,
            build=_leg_raises_script,
        ),
        LookAlike(
            "hollow_hold",
            "hollow hold: lying, shoulders and straight legs just off the floor, held",
            ("lying_leg_lift", "supine_knee_to_chest", "bridge"),
            held=True,
            on_floor=True,
            build=_hollow_hold_script,
        ),
        LookAlike(
            "seated_knee_tucks",
            "seated knee tucks: leaning back on the hands, knees pulled in and pushed out",
            ("supine_knee_to_chest", "lying_leg_lift", "bridge"),
            held=False,
            on_floor=True,
            build=_knee_tucks_script,
        ),
        LookAlike(
            "sit_ups",
            "sit-ups: knees bent and feet down, the trunk curled up to sitting and back",
            ("supine_knee_to_chest", "constructive_rest", "bridge"),
            held=False,
            on_floor=True,
            build=_sit_ups_script,
        ),
        LookAlike(
            "happy_baby",
            "happy baby: lying, both knees pulled wide toward the armpits, hands on the feet",
            ("supine_knee_to_chest", "lying_leg_lift", "bridge"),
            held=True,
            on_floor=True,
            build=_happy_baby_script,
        ),
        LookAlike(
            "childs_pose",
            "child's pose: sitting back on the heels, chest down, arms forward, held",
            _HANDS_AND_KNEES_NEGATIVES,
            held=True,
            on_floor=True,
            build=_childs_pose_script,
        ),
        LookAlike(
            "downward_dog",
            "downward dog: hands and feet on the floor, hips high, held",
            _HANDS_AND_KNEES_NEGATIVES,
            held=True,
            on_floor=True,
            build=_downward_dog_script,
        ),
        LookAlike(
            "tabletop",
            "tabletop: on hands and knees, no limb lifted, held",
            _HANDS_AND_KNEES_NEGATIVES,
            held=True,
            on_floor=True,
            build=_tabletop_script,
        ),
        LookAlike(
            "cat_cow",
            "cat-cow: on hands and knees, the back arching and rounding in turn",
            _HANDS_AND_KNEES_NEGATIVES,
            held=False,
            on_floor=True,
            build=_cat_cow_script,
        ),
        LookAlike(
            "plank",
            "plank: a high plank on straight arms, held",
            ("bridge", "bird_dog", "pigeon"),
            held=True,
            on_floor=True,
            build=_plank_script,
        ),
        LookAlike(
            "cobra",
            "cobra: lying face down, the chest lifted on the arms, held",
            ("bridge", "bird_dog", "pigeon"),
            held=True,
            on_floor=True,
            build=_cobra_script,
        ),
    )
}

if tuple(LOOKALIKES) != LOOKALIKE_IDS:
    raise RuntimeError(f"posecoach.synth.LOOKALIKE_IDS must list {', '.join(LOOKALIKES)}")
