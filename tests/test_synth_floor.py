"""The floor stretches' motion scripts against their pose files, without the pose model: the
generated truth of correct form passes every rule, each fault fails its own rules and no
others, the true hold matches the script, and the postures rest on the floor as a body would."""

import math

import numpy as np
import pytest

from posecoach.coaching.posefile import PoseSpec, View, load_pose
from posecoach.model.landmarks import Landmark
from posecoach.synth.clip import Clip, ClipSpec, TruthFrame
from posecoach.synth.figure import Figure, settle
from posecoach.synth.floor import (
    BirdDogForm,
    ButterflyForm,
    KneeToChestForm,
    LegLiftForm,
    bird_dog,
    butterfly,
    knee_to_chest,
    leg_lift,
    lying_hip_height,
    sitting_knees_up,
)
from posecoach.synth.motion import Phase
from posecoach.synth.stretches import STRETCH_MOTIONS

# The synthetic performer: its scripts, its renders and the coach on them.
pytestmark = pytest.mark.synth

FLOOR_STRETCHES = (
    "supine_knee_to_chest",
    "lying_leg_lift",
    "constructive_rest",
    "bird_dog",
    "butterfly",
)
HOLD_S = 4.0

# Each fault and the rules it fails (all others pass).
FAULTS = [
    ("supine_knee_to_chest", "other_knee_bent", {"other_knee_straight"}),
    ("supine_knee_to_chest", "knee_not_pulled_in", {"knee_to_chest"}),
    ("lying_leg_lift", "thigh_tilted", {"thigh_vertical"}),
    ("lying_leg_lift", "knee_straight", {"knee_90"}),
    ("constructive_rest", "fidgeting", {"still"}),
    ("constructive_rest", "feet_too_close", {"knees_bent"}),
    ("bird_dog", "leg_low", {"leg_level"}),
    ("bird_dog", "arm_low", {"arm_level"}),
    ("bird_dog", "back_sag", {"back_flat"}),
    ("butterfly", "knees_high", {"knees_low"}),
    ("butterfly", "uneven_knees", {"knees_level"}),
    ("butterfly", "feet_apart", {"feet_together"}),
]

# How far past its threshold a fault takes its rule, at least, in every frame of the hold: more
# than the model's error on these clips (a few degrees, a few hundredths of a torso length).
CLEAR_MARGIN = {"deg": 10.0, "torso": 0.2}


def clip_for(pose_id: str, fault: str | None = None, sides=None, seed: int = 0) -> Clip:
    pose = load_pose(pose_id)
    if sides is None:
        sides = ("left",) if pose.per_side else (None,)
    view = "front" if pose.view is View.FRONT else "side"
    spec = ClipSpec(
        pose_id, sides=sides, fault=fault, hold_s=HOLD_S, seed=seed, view=view, fps=15.0
    )
    return Clip(spec, pose)


def hold_frames(pose: PoseSpec, frames: list[TruthFrame], rule_id: str) -> list[TruthFrame]:
    """The frames of the scripted holds in which the rule is judged: for a rule that looks back
    in time, from its window's length into each hold (before, it still sees the moving in)."""
    rule = pose.rule(rule_id)
    settle_s = float(rule.params.get("window_s", 0.0)) if rule.kind == "motion" else 0.0
    held, start_s, last = [], None, None
    for frame in frames:
        if frame.phase is not Phase.IN_POSE:
            start_s = None
            continue
        if start_s is None or frame.side != last:
            start_s, last = frame.t_s, frame.side
        if frame.t_s >= start_s + settle_s:
            held.append(frame)
    assert held, "no hold in the clip"
    return held


def failing_rules(pose: PoseSpec, frames: list[TruthFrame]) -> set[str]:
    return {
        rule.id
        for rule in pose.rules
        if not all(f.passes[rule.id] is True for f in hold_frames(pose, frames, rule.id))
    }


@pytest.mark.parametrize("pose_id", FLOOR_STRETCHES)
def test_every_floor_stretch_has_a_motion_and_faults_for_its_pose_file(pose_id):
    pose, motion = load_pose(pose_id), STRETCH_MOTIONS[pose_id]
    assert motion.per_side == pose.per_side and motion.on_floor
    rules = {r.id for r in pose.rules}
    for _, fault, failing in (f for f in FAULTS if f[0] == pose_id):
        assert fault in motion.faults and failing <= rules


@pytest.mark.parametrize("pose_id", FLOOR_STRETCHES)
def test_correct_form_passes_every_rule_throughout_the_hold(pose_id):
    pose = load_pose(pose_id)
    sides = ("left", "right") if pose.per_side else (None,)
    frames = clip_for(pose_id, sides=sides, seed=3).truth_frames()
    assert failing_rules(pose, frames) == set()
    assert all(f.in_position for f in frames if f.phase is Phase.IN_POSE)


@pytest.mark.parametrize(("pose_id", "fault", "failing"), FAULTS)
def test_each_fault_fails_its_rules_clearly_and_no_others(pose_id, fault, failing):
    pose = load_pose(pose_id)
    frames = clip_for(pose_id, fault, seed=5).truth_frames()
    assert failing_rules(pose, frames) == failing
    assert all(f.in_position for f in frames if f.phase is Phase.IN_POSE)
    for rule_id in failing:
        rule = pose.rule(rule_id)
        values = np.array([f.values[rule_id] for f in hold_frames(pose, frames, rule_id)])
        if rule.kind == "motion":
            # Moving all the time: most windows see at least twice the allowed wandering.
            assert rule.max_value is not None
            assert np.median(values) > 2 * rule.max_value
            continue
        margin = CLEAR_MARGIN[rule.spec.unit_key]
        beyond = [
            *([rule.min_value - values] if rule.min_value is not None else []),
            *([values - rule.max_value] if rule.max_value is not None else []),
        ]
        assert np.max(beyond, axis=0).min() >= margin, (rule_id, values.min(), values.max())


@pytest.mark.parametrize("pose_id", FLOOR_STRETCHES)
def test_true_hold_is_the_scripted_hold_per_side(pose_id):
    pose = load_pose(pose_id)
    sides = ("left", "right") if pose.per_side else (None,)
    clip = clip_for(pose_id, sides=sides, seed=4)
    totals = clip.truth(clip.truth_frames())["totals"]
    for key in ("left", "right") if pose.per_side else ("all",):
        # The scripted hold, and a little more while moving in and out of the position.
        assert HOLD_S <= totals[key]["hold_s"] <= HOLD_S + 2.5, (key, totals[key])


@pytest.mark.parametrize("pose_id", FLOOR_STRETCHES)
def test_leaving_the_frame_mid_hold(pose_id):
    pose = load_pose(pose_id)
    clip = clip_for(pose_id, "leave_frame", seed=6)
    frames = clip.truth_frames()
    out = [f for f in frames if f.phase is Phase.OUT_OF_FRAME]
    assert out and any(not f.in_frame.any() for f in out)  # fully out for a moment
    assert not any(f.in_position for f in out)
    key = "left" if pose.per_side else "all"
    held = clip.truth(frames)["totals"][key]["hold_s"]
    assert HOLD_S <= held <= HOLD_S + 5.0  # both halves, and moving in twice


@pytest.mark.parametrize("pose_id", FLOOR_STRETCHES)
def test_whole_floor_motion_stays_in_view(pose_id):
    clip = clip_for(pose_id, seed=7)
    for frame in clip.truth_frames():
        assert frame.in_frame.all(), (frame.index, frame.phase)


# -- the postures rest on the floor as a body would --------------------------------------------


def floor_gap(figure: Figure, points: np.ndarray, landmark: Landmark) -> float:
    """How far the surface under a landmark is above the floor (metres)."""
    radius = {
        Landmark.LEFT_KNEE: figure.shin_r_m,
        Landmark.RIGHT_KNEE: figure.shin_r_m,
        Landmark.LEFT_HIP: figure.thigh_r_m,
        Landmark.RIGHT_HIP: figure.thigh_r_m,
    }.get(landmark, 0.01)
    return float(points[landmark, 1] - radius)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lying_postures_keep_the_back_on_the_floor(seed):
    figure = Figure.from_seed(np.random.default_rng(seed))
    hip_height = lying_hip_height(figure)
    for fault_form in (KneeToChestForm(), KneeToChestForm(other_knee_deg=110.0)):
        points = settle(figure, knee_to_chest(figure, "left", fault_form)).landmarks
        assert points[Landmark.LEFT_HIP, 1] == pytest.approx(hip_height, abs=0.005)
        # The other leg's heel rests on the floor, long or bent.
        assert floor_gap(figure, points, Landmark.RIGHT_HEEL) == pytest.approx(0.0, abs=0.03)
    for form in (LegLiftForm(), LegLiftForm(thigh_deg=40.0), LegLiftForm(knee_deg=155.0)):
        points = settle(figure, leg_lift(figure, "right", form)).landmarks
        assert points[Landmark.RIGHT_HIP, 1] == pytest.approx(hip_height, abs=0.005)
        assert floor_gap(figure, points, Landmark.LEFT_HEEL) == pytest.approx(0.0, abs=0.02)
        assert floor_gap(figure, points, Landmark.LEFT_FOOT_INDEX) == pytest.approx(0.0, abs=0.02)
        assert points[:, 1].min() > -0.005


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bird_dog_rests_on_one_knee_and_both_hands(seed):
    figure = Figure.from_seed(np.random.default_rng(seed))
    for form in (BirdDogForm(), BirdDogForm(leg_deg=-22.0), BirdDogForm(arm_deg=-50.0)):
        points = settle(figure, bird_dog(figure, "left", form)).landmarks
        for landmark in (Landmark.RIGHT_KNEE, Landmark.RIGHT_FOOT_INDEX, Landmark.LEFT_INDEX):
            assert floor_gap(figure, points, landmark) == pytest.approx(0.0, abs=0.02), landmark
        # The lifted leg's toes stay off the floor, the supporting thigh is vertical.
        assert floor_gap(figure, points, Landmark.LEFT_FOOT_INDEX) > 0.02
        thigh = points[Landmark.RIGHT_HIP] - points[Landmark.RIGHT_KNEE]
        assert math.degrees(math.atan2(abs(thigh[0]), thigh[1])) < 2.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_butterfly_sits_on_the_floor_with_the_soles_together(seed):
    figure = Figure.from_seed(np.random.default_rng(seed))
    for form in (
        ButterflyForm(),
        ButterflyForm(knee_up_m=(0.28, 0.28), knee_out_m=(0.18, 0.18)),
        ButterflyForm(knee_up_m=(-0.015, 0.25), knee_out_m=(0.30, 0.20)),
    ):
        points = settle(figure, butterfly(figure, form)).landmarks
        assert floor_gap(figure, points, Landmark.LEFT_HIP) == pytest.approx(0.0, abs=0.005)
        ankles = points[[Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]]
        # Sole to sole: side by side (one a little ahead when the knees are uneven), down on
        # the floor.
        assert abs(ankles[0, 2] - ankles[1, 2]) == pytest.approx(0.09, abs=0.005)
        assert abs(ankles[0, 0] - ankles[1, 0]) < 0.1
        assert (ankles[:, 1] < 0.1).all()
        # The knees out to the sides at the asked height above the hips.
        for knee, up in zip((Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE), form.knee_up_m, strict=True):
            rise = points[knee, 1] - points[Landmark.LEFT_HIP, 1]
            assert rise == pytest.approx(up, abs=0.01)
    # Sitting down first: knees up, feet flat, the buttocks (not the hands) on the floor.
    points = settle(figure, sitting_knees_up(figure)).landmarks
    for landmark in (Landmark.LEFT_HIP, Landmark.LEFT_HEEL, Landmark.RIGHT_FOOT_INDEX):
        assert floor_gap(figure, points, landmark) == pytest.approx(0.0, abs=0.005), landmark
