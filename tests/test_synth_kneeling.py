"""The standing and kneeling stretches of the synthetic performer, without the pose model: each
stretch's correct form passes its pose file's rules, each scripted fault fails exactly its
rules, holds last as scripted, and the body rests on the floor (or the bench) as it should."""

import numpy as np
import pytest

from posecoach.coaching.posefile import load_pose
from posecoach.synth.camera import Camera
from posecoach.synth.clip import Clip, ClipSpec
from posecoach.synth.figure import Figure, Posture, landmark, pose_skeleton, settle
from posecoach.synth.kneeling import LungeForm, low_lunge
from posecoach.synth.motion import Phase
from posecoach.synth.postures import arm_reaching
from posecoach.synth.render import Box, Look, Renderer

# The synthetic performer: its scripts, its renders and the coach on them.
pytestmark = pytest.mark.synth

STRETCHES = (
    "standing_hip_flexor",
    "low_lunge_twist",
    "kneeling_lunge",
    "half_kneeling_foot_elevated",
    "pigeon",
)

FAULTS = [
    ("standing_hip_flexor", "torso_lean", {"torso_upright"}),
    ("standing_hip_flexor", "back_knee_bent", {"back_knee_straight"}),
    ("standing_hip_flexor", "front_knee_locked", {"front_knee_soft"}),
    ("low_lunge_twist", "arm_not_vertical", {"arm_vertical"}),
    ("low_lunge_twist", "chest_closed", {"chest_turned"}),
    ("low_lunge_twist", "back_knee_bent", {"back_leg_long"}),
    ("kneeling_lunge", "hip_not_forward", {"hips_forward"}),
    ("kneeling_lunge", "torso_lean", {"torso_upright"}),
    ("kneeling_lunge", "front_foot_far", {"front_knee_angle"}),
    ("half_kneeling_foot_elevated", "torso_lean", {"torso_upright"}),
    ("half_kneeling_foot_elevated", "hip_not_forward", {"hip_forward"}),
    ("half_kneeling_foot_elevated", "front_foot_far", {"front_knee_90"}),
    ("pigeon", "back_knee_bent", {"back_leg_long"}),
    ("pigeon", "hips_high", {"hips_low"}),
    ("pigeon", "torso_collapsed", {"torso_supported"}),
]

# Rules whose value must stay this far from the threshold in the hold (a fault fails "clearly"
# and the rest pass clearly), so the model's few degrees or centimetres of error cannot flip
# a verdict: degrees for angles, torso lengths for offsets.
MARGIN = {"deg": 7.0, "torso": 0.1}


def hold_frames(pose_id: str, fault: str | None, side: str, seed: int = 0) -> list:
    clip = Clip(
        ClipSpec(pose_id, sides=(side,), fault=fault, hold_s=4, seed=seed), load_pose(pose_id)
    )
    return [f for f in clip.truth_frames() if f.phase is Phase.IN_POSE]


def margins(pose_id: str, frames: list) -> dict[str, float]:
    """Rule id -> the smallest distance of its value from a threshold over the frames, signed:
    positive when it passes there, negative when it fails."""
    result = {}
    for rule in load_pose(pose_id).rules:
        values = np.array([f.values[rule.id] for f in frames], dtype=float)
        low = (
            values - rule.min_value if rule.min_value is not None else np.full_like(values, np.inf)
        )
        high = (
            rule.max_value - values if rule.max_value is not None else np.full_like(values, np.inf)
        )
        inside = np.minimum(low, high)
        # A failing rule counts by how far outside it lies, at its closest to passing.
        result[rule.id] = float(inside.min()) if (inside >= 0).all() else float(inside.max())
    return result


def unit(pose_id: str, rule_id: str) -> str:
    return load_pose(pose_id).rule(rule_id).spec.unit_key


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("pose_id", STRETCHES)
def test_correct_form_passes_every_rule_clearly_throughout_the_hold(pose_id, side):
    frames = hold_frames(pose_id, None, side)
    assert frames and all(f.in_position for f in frames)
    for rule_id, margin in margins(pose_id, frames).items():
        assert margin >= MARGIN[unit(pose_id, rule_id)], (rule_id, margin)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize(("pose_id", "fault", "failing"), FAULTS)
def test_each_fault_fails_its_rules_clearly_and_no_others(pose_id, fault, failing, side):
    frames = hold_frames(pose_id, fault, side)
    assert frames and all(f.in_position for f in frames)  # faulty, but in position
    found = margins(pose_id, frames)
    assert {r for r, m in found.items() if m < 0} == failing
    for rule_id, margin in found.items():
        wanted = MARGIN[unit(pose_id, rule_id)]
        assert (margin <= -wanted) if rule_id in failing else (margin >= wanted), (rule_id, margin)


@pytest.mark.parametrize("pose_id", STRETCHES)
def test_true_hold_per_side_is_about_the_scripted_hold(pose_id):
    pose = load_pose(pose_id)
    clip = Clip(ClipSpec(pose_id, sides=("left", "right"), hold_s=4, seed=2), pose)
    frames = clip.truth_frames()
    truth = clip.truth(frames)
    for side in ("left", "right"):
        # The scripted hold, plus a little while settling in and coming out of the position.
        assert 4.0 <= truth["totals"][side]["hold_s"] <= 6.0, (side, truth["totals"])
        held = [f for f in frames if f.phase is Phase.IN_POSE and f.side == side]
        assert held and all(f.in_position for f in held)
    assert truth["sides"] == ["left", "right"]


@pytest.mark.parametrize("pose_id", STRETCHES)
def test_leaving_the_frame_mid_hold(pose_id):
    pose = load_pose(pose_id)
    clip = Clip(ClipSpec(pose_id, sides=("right",), hold_s=4, fault="leave_frame"), pose)
    frames = clip.truth_frames()
    out = [f for f in frames if f.phase is Phase.OUT_OF_FRAME]
    assert out and any(not f.in_frame.any() for f in out)  # fully out for a moment
    assert not any(f.in_position for f in out)
    held = [f.t_s for f in frames if f.phase is Phase.IN_POSE]
    assert max(held) - min(held) > 4.0  # the hold is split in two around the walk
    # The scripted hold, plus settling in and coming out twice.
    assert 4.0 <= clip.truth(frames)["totals"]["right"]["hold_s"] <= 8.0


# -- the postures rest on the floor ------------------------------------------------------------

SEEDS = (0, 5, 9)  # different bodies


def held(pose_id: str, fault: str | None, seed: int) -> tuple[Figure, np.ndarray, Clip]:
    """The body (settled, metres) in the held position of a clip on the left side."""
    clip = Clip(
        ClipSpec(pose_id, sides=("left",), fault=fault, hold_s=1, seed=seed), load_pose(pose_id)
    )
    posture = next(s.end for s in clip.script.segments if s.phase is Phase.IN_POSE)
    return clip.figure, settle(clip.figure, posture).landmarks, clip


def height(points: np.ndarray, side: str, joint: str) -> float:
    return float(points[landmark(side, joint), 1])


def faults_of(pose_id: str) -> list[str | None]:
    return [None, *(fault for p, fault, _ in FAULTS if p == pose_id)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", faults_of("standing_hip_flexor"))
def test_standing_split_stands_on_both_feet(fault, seed):
    _, points, _ = held("standing_hip_flexor", fault, seed)
    # The back toes (left) and the whole front sole on the floor (landmarks 1 cm above it).
    for side, joint in (("left", "foot"), ("right", "heel"), ("right", "foot")):
        assert height(points, side, joint) == pytest.approx(0.01, abs=0.01), (side, joint)
    assert height(points, "left", "heel") > 0.08  # the back heel lifted


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("twist", [0.0, 0.5])
def test_low_lunge_rests_on_the_front_foot_back_toes_and_hands(twist, seed):
    figure = Figure.from_seed(np.random.default_rng(seed))
    points = settle(figure, low_lunge(figure, "left", LungeForm(), twist)).landmarks
    on_floor = [("left", "foot"), ("right", "heel"), ("right", "foot"), ("left", "index")]
    if twist == 0:
        on_floor.append(("right", "index"))
    for side, joint in on_floor:
        assert height(points, side, joint) == pytest.approx(0.01, abs=0.01), (side, joint)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", faults_of("low_lunge_twist"))
def test_low_lunge_twist_keeps_a_hand_on_the_floor_and_raises_the_other(fault, seed):
    _, points, _ = held("low_lunge_twist", fault, seed)
    for side, joint in (("left", "foot"), ("right", "heel"), ("right", "foot"), ("left", "index")):
        assert height(points, side, joint) == pytest.approx(0.01, abs=0.01), (side, joint)
    # The raised arm (the front leg's, right) above its shoulder; straight up unless tipped.
    rise = points[landmark("right", "wrist")] - points[landmark("right", "shoulder")]
    assert rise[1] > 0.4
    if fault != "arm_not_vertical":
        assert np.hypot(rise[0], rise[2]) < 0.03


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", faults_of("kneeling_lunge"))
def test_kneeling_lunge_rests_on_the_back_knee_and_front_foot(fault, seed):
    figure, points, _ = held("kneeling_lunge", fault, seed)
    assert height(points, "left", "knee") - figure.shin_r_m == pytest.approx(0.0, abs=0.01)
    assert height(points, "left", "foot") == pytest.approx(0.01, abs=0.01)  # toes tucked
    for joint in ("heel", "foot"):
        assert height(points, "right", joint) == pytest.approx(0.01, abs=0.01), joint


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", faults_of("half_kneeling_foot_elevated"))
def test_raised_back_foot_rests_on_its_bench(fault, seed):
    figure, points, clip = held("half_kneeling_foot_elevated", fault, seed)
    (bench,) = clip.script.props
    assert height(points, "left", "knee") - figure.shin_r_m == pytest.approx(0.0, abs=0.01)
    for joint in ("heel", "foot"):
        assert height(points, "right", joint) == pytest.approx(0.01, abs=0.01), joint
    foot = points[[landmark("left", j) for j in ("ankle", "heel", "foot")]]
    # The foot's solids (about 4 cm thick) lie on the bench top, the ankle at its front edge
    # and the toes over it.
    assert foot[:, 1].min() - 0.04 == pytest.approx(bench.high_m[1], abs=0.005)
    assert 0.2 < bench.high_m[1] < 0.5
    ankle_x, toes_x = foot[0, 0], foot[2, 0]
    assert bench.low_m[0] < toes_x < bench.high_m[0] < ankle_x < bench.high_m[0] + 0.05
    # The shin rises in front of the bench, not through it.
    assert points[landmark("left", "knee"), 0] > bench.high_m[0]


@pytest.mark.parametrize("fault", [None, "hip_not_forward", "leave_frame"])
def test_raised_foot_never_goes_through_the_bench(fault):
    pose_id = "half_kneeling_foot_elevated"
    clip = Clip(
        ClipSpec(pose_id, sides=("left", "right"), hold_s=2, fault=fault, seed=3, fps=20),
        load_pose(pose_id),
    )
    (bench,) = clip.script.props
    low, high = np.array(bench.low_m), np.array(bench.high_m)
    for index in range(clip.frame_count):
        points = clip._placed(index).landmarks
        for side in ("left", "right"):
            ankle, heel, toe = (points[landmark(side, j)] for j in ("ankle", "heel", "foot"))
            for point in (ankle, heel, toe, (heel + toe) / 2):
                across = point[[0, 2]]
                over = bool(
                    np.all(low[[0, 2]] - 0.03 <= across) and np.all(across <= high[[0, 2]] + 0.03)
                )
                # The foot's solids are about 4 cm thick around these points.
                assert not over or point[1] - 0.035 >= high[1] - 0.005, (index, side)


def test_only_the_foot_elevated_stretch_has_a_bench():
    for pose_id in STRETCHES:
        clip = Clip(ClipSpec(pose_id, sides=("left",), hold_s=1), load_pose(pose_id))
        assert len(getattr(clip.script, "props", ())) == (pose_id == "half_kneeling_foot_elevated")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", faults_of("pigeon"))
def test_pigeon_rests_on_the_front_knee_the_back_foot_and_the_hands(fault, seed):
    figure, points, _ = held("pigeon", fault, seed)
    # The front knee (right) on the floor, the front foot on its edge, not in the floor.
    assert height(points, "right", "knee") - figure.shin_r_m == pytest.approx(0.0, abs=0.015)
    assert min(height(points, "right", j) for j in ("heel", "foot")) >= 0.005
    # The shin folded across: the front ankle toward the other hip, behind the front knee.
    assert points[landmark("right", "ankle"), 2] < points[landmark("right", "knee"), 2] - 0.25
    if fault != "back_knee_bent":
        # The top of the back foot on the floor, the sole facing up.
        assert height(points, "left", "ankle") == pytest.approx(0.05, abs=0.02)
        assert height(points, "left", "heel") > height(points, "left", "ankle")
    # The fingertips on the floor (stretched forward, the hands rest flat on it).
    for side in ("left", "right"):
        assert height(points, side, "index") == pytest.approx(0.01, abs=0.03), side


def test_arm_reaching_puts_the_wrist_on_the_point():
    figure = Figure()
    rng = np.random.default_rng(4)
    for _ in range(40):
        posture = Posture(trunk_pitch=rng.uniform(-30, 85), chest_twist=rng.uniform(-70, 70))
        side = "left" if rng.random() < 0.5 else "right"
        skeleton = pose_skeleton(figure, posture)
        chest = skeleton.chest_frame
        # Points ahead, above, below or behind the shoulder, leaning out to the arm's own side
        # (the arm has no twist of its own, so it cannot reach close in far out to the side).
        fwd, up, out = rng.normal(size=3)
        side_sign = 1 if side == "left" else -1
        direction = fwd * chest.fwd + up * chest.up + 0.4 * abs(out) * chest.left * side_sign
        direction /= np.linalg.norm(direction)
        shoulder = skeleton.landmarks[landmark(side, "shoulder")]
        target = shoulder + direction * rng.uniform(0.42, 0.55)  # most of a reach away
        reached = posture.with_limb(side, **arm_reaching(figure, posture, side, target))
        wrist = pose_skeleton(figure, reached).landmarks[landmark(side, "wrist")]
        assert np.linalg.norm(wrist - target) < 0.002


def test_a_bench_is_drawn_with_the_room():
    figure, look = Figure(), Look.from_seed(np.random.default_rng(0))
    camera = Camera.orbit(np.array([0.0, 0.5, 0.0]), -90.0, 3.0, 0.8, (160, 120), 60.0)
    bench = Box((-0.8, 0.0, -0.28), (-0.35, 0.4, 0.28))
    bare = Renderer(figure, look, camera)._background
    staged = Renderer(figure, look, camera, props=(bench,))._background
    changed = np.any(bare != staged, axis=2)
    # The bench shows where it stands, and only there.
    px, _ = camera.project(np.array([[-0.575, 0.2, 0.28]]))
    x, y = np.round(px[0]).astype(int)
    assert changed[y, x] and 0.01 < changed.mean() < 0.2
