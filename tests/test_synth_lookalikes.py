"""Look-alike exercises: each script moves as the exercise does (checked on the exact 3D joint
positions of its truth), is never in position for the stretches it resembles, is in the
evaluation set with its negatives, and renders to a clip with its truth. One small run of the
real pose model checks that it finds the performer."""

import dataclasses
import json
import math

import numpy as np
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_OK, main
from posecoach.coaching.posefile import View, load_pose
from posecoach.model.landmarks import Landmark as L
from posecoach.synth import LOOKALIKE_IDS
from posecoach.synth.clip import Clip, ClipSpec, SynthError, spec_from_truth, write_clip
from posecoach.synth.evalset import (
    EVAL_HOLD_S,
    EVAL_REPS,
    LABELS_NAME,
    eval_set_specs,
    lookalike_clip,
    write_eval_set,
)
from posecoach.synth.figure import Figure
from posecoach.synth.lookalikes import LOOKALIKES, knee_floor_radius
from posecoach.synth.motion import Phase
from posecoach.synth.stretches import STRETCH_MOTIONS

# The synthetic performer: its scripts, its renders and the coach on them.
pytestmark = pytest.mark.synth

SEEDS = (0, 3)
FPS = 5.0  # coarse sampling keeps these fast; the motion is smooth between samples
CATALOGUE = set(STRETCH_MOTIONS)  # every stretch


@dataclasses.dataclass
class Motion:
    """A look-alike's truth, sampled: 3D joints per frame (world metres, y up, floor at 0)."""

    clip: Clip
    xyz: np.ndarray  # (frames, 33, 3)
    phases: list[Phase]
    in_position: list[bool]

    @property
    def figure(self) -> Figure:
        return self.clip.figure

    def frames(self, *phases: Phase) -> np.ndarray:
        """The joints of the frames in these phases."""
        keep = [i for i, p in enumerate(self.phases) if p in phases]
        assert keep, phases
        return self.xyz[keep]

    def held(self) -> np.ndarray:
        return self.frames(Phase.IN_POSE)

    def moving(self) -> np.ndarray:
        return self.frames(Phase.REP_UP, Phase.REP_DOWN)

    def tops(self) -> np.ndarray:
        """The joints at the furthest point of each cycle (the end of its way out)."""
        indices = [min(round(r.top_s * FPS), len(self.xyz)) - 1 for r in self.clip.script.reps()]
        return self.xyz[indices]


def performed(look_id: str, seed: int = 0, reps: int = 2, hold_s: float = 3.0) -> Motion:
    look = LOOKALIKES[look_id]
    spec = ClipSpec(
        look.negative_for[0], reps=reps, hold_s=hold_s, seed=seed, fps=FPS, movement=look_id
    )
    clip = Clip(spec, load_pose(spec.pose_id))
    frames = clip.truth_frames()
    return Motion(
        clip,
        np.array([f.xyz_m for f in frames]),
        [f.phase for f in frames],
        [f.in_position for f in frames],
    )


def y(points: np.ndarray, *landmarks: L) -> np.ndarray:
    """Heights of landmarks, (frames, n) or (n,)."""
    return points[..., list(landmarks), 1]


def mid(points: np.ndarray, a: L, b: L) -> np.ndarray:
    return (points[..., a, :] + points[..., b, :]) / 2


def inner_angle_deg(points: np.ndarray, a: L, b: L, c: L, side_on: bool = False) -> np.ndarray:
    """The angle at b between b->a and b->c, per frame (`side_on`: as seen from the side)."""
    axes = [0, 1] if side_on else [0, 1, 2]
    u = points[..., a, axes] - points[..., b, axes]
    v = points[..., c, axes] - points[..., b, axes]
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def from_vertical_deg(points: np.ndarray, low: L, high: L) -> np.ndarray:
    """How far the segment low->high leans from straight up, per frame."""
    d = points[..., high, :] - points[..., low, :]
    return np.degrees(np.arctan2(np.linalg.norm(d[..., [0, 2]], axis=-1), d[..., 1]))


FEET = (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
KNEES = (L.LEFT_KNEE, L.RIGHT_KNEE)
HANDS = (L.LEFT_INDEX, L.RIGHT_INDEX)
# A point this close to the floor rests on it: the sway and breathing of a hold tip the body a
# degree or two, lifting a hand or a foot a little.
ON_FLOOR_M = 0.045


def knee_gap(motion: Motion, points: np.ndarray, *knees: L) -> np.ndarray:
    """How far the surface of the leg at each knee is above the floor."""
    return y(points, *knees) - knee_floor_radius(motion.figure)


# -- every look-alike ----------------------------------------------------------------------------


def test_the_catalogue_of_lookalikes():
    assert set(LOOKALIKE_IDS) == set(LOOKALIKES) and len(LOOKALIKES) >= 16
    for look in LOOKALIKES.values():
        assert look.movement and look.negative_for
        # Only stretches of the catalogue, each seen in its own view.
        for pose_id in look.negative_for:
            assert pose_id in CATALOGUE
            assert load_pose(pose_id).view.value == look.view, (look.id, pose_id)
    lunges = {"forward_lunge", "reverse_lunge", "static_lunge"}
    for look_id in lunges:
        assert {"half_kneeling_hip_flexor", "kneeling_lunge"} <= set(
            LOOKALIKES[look_id].negative_for
        )
    for look_id in ("childs_pose", "downward_dog", "tabletop", "cat_cow", "plank", "cobra"):
        assert {"bird_dog", "pigeon"} <= set(LOOKALIKES[look_id].negative_for)
    for look_id in ("dead_bug", "double_leg_tabletop", "leg_raises", "hollow_hold", "happy_baby"):
        assert "lying_leg_lift" in LOOKALIKES[look_id].negative_for
    # The butterfly is judged face-on: no look-alike filmed side-on may claim it.
    assert not any("butterfly" in look.negative_for for look in LOOKALIKES.values())


@pytest.mark.parametrize("look_id", LOOKALIKE_IDS)
def test_never_in_position_and_the_body_stays_on_and_above_the_floor(look_id):
    look = LOOKALIKES[look_id]
    motion = performed(look_id)
    assert not any(motion.in_position)
    assert motion.xyz[..., 1].min() > -0.005  # nothing sinks into the floor
    assert 6.0 < motion.clip.script.duration_s < 16.0
    # Held exercises hold; the others go through their cycles, which the truth keeps apart from
    # reps of the stretch.
    if look.held:
        assert Phase.IN_POSE in motion.phases and not motion.clip.script.reps()
    else:
        assert len(motion.clip.script.reps()) == 2
    truth = motion.clip.truth(motion.clip.truth_frames())
    assert truth["movement"] == look_id and truth["negative_for"] == list(look.negative_for)
    assert truth["reps"] == [] and len(truth["movement_reps"]) == (0 if look.held else 2)
    assert all(v["reps"] == 0 and v["hold_s"] == 0 for v in truth["totals"].values())
    assert not any(truth["per_frame"]["in_position"])


@pytest.mark.parametrize("look_id", LOOKALIKE_IDS)
def test_the_evaluation_set_keeps_each_lookalike_in_view_and_short(look_id):
    motion_spec = lookalike_clip(look_id).spec
    clip = Clip(dataclasses.replace(motion_spec, fps=4.0), load_pose(motion_spec.pose_id))
    frames = clip.truth_frames()
    assert all(f.in_frame.all() for f in frames)
    assert 8.0 <= clip.script.duration_s <= 15.5


# -- lunges ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_static_lunge_hovers_the_back_knee_above_the_floor(seed):
    motion = performed("static_lunge", seed)
    # The back knee never touches the floor, and hovers a few centimetres above it in the hold.
    assert knee_gap(motion, motion.xyz, L.LEFT_KNEE).min() > 0.02
    held = motion.held()
    gap = knee_gap(motion, held, L.LEFT_KNEE)
    assert (gap > 0.02).all() and (gap < 0.07).all()
    # Both feet down: the back leg on its toes, the front foot flat; the front knee bent.
    assert (y(held, L.LEFT_FOOT_INDEX, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX) < ON_FLOOR_M).all()
    assert (y(held, L.LEFT_HEEL) > 0.05).all()
    front_knee = inner_angle_deg(held, L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)
    assert (abs(front_knee - 90.0) < 8.0).all()
    assert (held[:, L.RIGHT_ANKLE, 0] - held[:, L.LEFT_ANKLE, 0] > 0.6).all()


@pytest.mark.parametrize(("look_id", "way"), [("forward_lunge", 1.0), ("reverse_lunge", -1.0)])
@pytest.mark.parametrize("seed", SEEDS)
def test_stepping_lunges_step_the_right_way_and_never_kneel(look_id, way, seed):
    motion = performed(look_id, seed)
    assert knee_gap(motion, motion.xyz, *KNEES).min() > 0.03
    standing_hip = mid(motion.xyz[0], L.LEFT_HIP, L.RIGHT_HIP)
    for rep, top in enumerate(motion.tops()):
        back, front = ("LEFT", "RIGHT") if rep % 2 == 0 else ("RIGHT", "LEFT")
        # Deep at the bottom: the back knee a few centimetres off the floor, the front knee
        # bent about 90 deg, the feet far apart; legs take turns.
        assert 0.03 < knee_gap(motion, top, L[f"{back}_KNEE"]) < 0.12
        angle = inner_angle_deg(top, L[f"{front}_HIP"], L[f"{front}_KNEE"], L[f"{front}_ANKLE"])
        assert abs(angle - 90.0) < 10.0
        assert top[L[f"{front}_ANKLE"], 0] - top[L[f"{back}_ANKLE"], 0] > 0.6
        # The forward lunge carries the hips forward, the reverse lunge back.
        moved = mid(top, L.LEFT_HIP, L.RIGHT_HIP)[0] - standing_hip[0]
        assert way * moved > 0.2
    # Standing tall again at the end.
    assert y(motion.xyz[-1], L.LEFT_HIP) > 0.75


# -- lying on the back ---------------------------------------------------------------------


def lying_hip_height(motion: Motion) -> float:
    return float(motion.xyz[0, L.LEFT_HIP, 1])


@pytest.mark.parametrize("seed", SEEDS)
def test_dead_bug_never_puts_a_foot_down_and_extends_opposite_limbs(seed):
    motion = performed("dead_bug", seed)
    active = motion.frames(Phase.IN_POSE, Phase.REP_UP, Phase.REP_DOWN)
    assert (y(active, *FEET) > 0.15).all()
    for rep, top in enumerate(motion.tops()):
        leg, arm = ("LEFT", "RIGHT") if rep % 2 == 0 else ("RIGHT", "LEFT")
        other_leg = "RIGHT" if leg == "LEFT" else "LEFT"
        knee = inner_angle_deg(top, L[f"{leg}_HIP"], L[f"{leg}_KNEE"], L[f"{leg}_ANKLE"])
        bent = inner_angle_deg(
            top, L[f"{other_leg}_HIP"], L[f"{other_leg}_KNEE"], L[f"{other_leg}_ANKLE"]
        )
        assert knee > 170.0 and abs(bent - 90.0) < 5.0
        # The extended leg low over the floor, the opposite hand reaching past the head (the
        # head is toward -x lying down), the other hand up to the ceiling.
        assert 0.15 < top[L[f"{leg}_ANKLE"], 1] < 0.5
        assert top[L[f"{arm}_WRIST"], 0] < top[L.NOSE, 0] - 0.2
        assert top[L[f"{leg}_WRIST"], 1] > top[L[f"{leg}_SHOULDER"], 1] + 0.4


@pytest.mark.parametrize("seed", SEEDS)
def test_double_leg_tabletop_holds_both_thighs_up_knees_at_90(seed):
    motion = performed("double_leg_tabletop", seed)
    held = motion.held()
    for side in ("LEFT", "RIGHT"):
        hip, knee, ankle = (L[f"{side}_{j}"] for j in ("HIP", "KNEE", "ANKLE"))
        assert (from_vertical_deg(held, hip, knee) < 4.0).all()
        assert (abs(inner_angle_deg(held, hip, knee, ankle) - 90.0) < 4.0).all()
    assert (y(held, *FEET) > 0.25).all()
    assert (abs(y(held, L.LEFT_HIP) - lying_hip_height(motion)) < 0.02).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_leg_raises_lift_both_straight_legs_to_vertical(seed):
    motion = performed("leg_raises", seed)
    moving = motion.moving()
    for side in ("LEFT", "RIGHT"):
        knee = inner_angle_deg(moving, L[f"{side}_HIP"], L[f"{side}_KNEE"], L[f"{side}_ANKLE"])
        assert (knee > 170.0).all()
    for top in motion.tops():
        assert (from_vertical_deg(top[None], L.LEFT_HIP, L.LEFT_ANKLE) < 8.0).all()
        assert (y(top, L.LEFT_ANKLE, L.RIGHT_ANKLE) > y(top, L.LEFT_HIP) + 0.7).all()
    # Lowered between reps with the heels just off the floor; the back stays down.
    assert (y(motion.frames(Phase.IN_POSE), L.LEFT_HEEL, L.RIGHT_HEEL) > 0.03).all()
    assert (abs(y(moving, L.LEFT_HIP) - lying_hip_height(motion)) < 0.02).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_hollow_hold_lifts_shoulders_and_straight_legs_just_off_the_floor(seed):
    motion = performed("hollow_hold", seed)
    held, lying = motion.held(), motion.xyz[0]
    lifted = y(held, L.LEFT_SHOULDER) - y(lying, L.LEFT_SHOULDER)
    assert (lifted > 0.1).all() and (lifted < 0.3).all()
    heels = y(held, L.LEFT_HEEL, L.RIGHT_HEEL)
    assert (heels > 0.1).all() and (heels < 0.45).all()
    knee = inner_angle_deg(held, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
    assert (knee > 170.0).all()
    assert (abs(y(held, L.LEFT_HIP) - lying_hip_height(motion)) < 0.05).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_happy_baby_pulls_both_knees_wide_and_holds_the_feet(seed):
    motion = performed("happy_baby", seed)
    held = motion.held()
    knees_apart = abs(held[:, L.LEFT_KNEE, 2] - held[:, L.RIGHT_KNEE, 2])
    hips_apart = abs(held[:, L.LEFT_HIP, 2] - held[:, L.RIGHT_HIP, 2])
    assert (knees_apart > hips_apart + 0.35).all()
    for side in ("LEFT", "RIGHT"):
        hip, knee, ankle = (L[f"{side}_{j}"] for j in ("HIP", "KNEE", "ANKLE"))
        # Knees toward the armpits (past the hips toward the head), feet up above them.
        assert (held[:, knee, 0] < held[:, hip, 0] - 0.15).all()
        assert (held[:, ankle, 1] > held[:, knee, 1] + 0.3).all()
        # The hands on the feet, or on the shins as near them as the arms reach.
        reach = np.linalg.norm(held[:, L[f"{side}_WRIST"]] - held[:, ankle], axis=-1)
        assert (reach < 0.25).all()
    assert (abs(y(held, L.LEFT_HIP) - lying_hip_height(motion)) < 0.03).all()


# -- sitting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_seated_knee_tucks_sit_on_the_hands_feet_up_knees_in_and_out(seed):
    motion = performed("seated_knee_tucks", seed)
    moving = motion.moving()
    figure = motion.figure
    assert (abs(y(moving, L.LEFT_HIP) - figure.thigh_r_m) < 0.02).all()  # sitting
    assert (y(moving, *HANDS) < ON_FLOOR_M).all()  # leaning back on the hands
    assert (y(moving, *FEET) > 0.04).all()  # feet off the floor
    lean = from_vertical_deg(moving, L.LEFT_HIP, L.LEFT_SHOULDER)
    assert (lean > 30.0).all() and (lean < 50.0).all()
    rest = motion.frames(Phase.IN_POSE)
    for tucked, out in ((motion.tops(), rest),):
        near = np.linalg.norm(tucked[:, L.LEFT_KNEE] - tucked[:, L.LEFT_SHOULDER], axis=-1)
        far = np.linalg.norm(out[:, L.LEFT_KNEE] - out[:, L.LEFT_SHOULDER], axis=-1)
        assert near.max() < far.min() - 0.15
        knee = inner_angle_deg(out, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
        assert (knee > 155.0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_sit_ups_curl_up_to_sitting_with_the_feet_planted(seed):
    motion = performed("sit_ups", seed)
    moving = motion.frames(Phase.IN_POSE, Phase.REP_UP, Phase.REP_DOWN)
    assert (y(moving, L.LEFT_HEEL, L.RIGHT_HEEL) < ON_FLOOR_M).all()
    trunk = from_vertical_deg(moving, L.LEFT_HIP, L.LEFT_SHOULDER)
    assert trunk.max() > 80.0  # back down between reps
    for top in motion.tops():
        assert from_vertical_deg(top[None], L.LEFT_HIP, L.LEFT_SHOULDER)[0] < 25.0
    knee = inner_angle_deg(moving, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
    assert (abs(knee - 75.0) < 12.0).all()


# -- on hands and knees, face down ----------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_tabletop_rests_on_both_knees_and_hands_no_limb_lifted(seed):
    motion = performed("tabletop", seed)
    held = motion.held()
    assert (knee_gap(motion, held, *KNEES) < 0.005).all()
    assert (y(held, *HANDS, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX) < ON_FLOOR_M).all()
    for side in ("LEFT", "RIGHT"):
        assert (from_vertical_deg(held, L[f"{side}_KNEE"], L[f"{side}_HIP"]) < 3.0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_cat_cow_rounds_and_arches_on_hands_and_knees(seed):
    motion = performed("cat_cow", seed)
    moving = motion.moving()
    assert (knee_gap(motion, moving, *KNEES) < 0.005).all()
    assert (y(moving, *HANDS) < ON_FLOOR_M).all()
    # The head lifts in the cow and drops in the cat; the back tips with it.
    nose = y(moving, L.NOSE) - y(moving, L.LEFT_SHOULDER)
    assert np.ptp(nose) > 0.1
    assert np.ptp(from_vertical_deg(moving, L.LEFT_HIP, L.LEFT_SHOULDER)) > 8.0


@pytest.mark.parametrize("seed", SEEDS)
def test_childs_pose_sits_back_on_the_heels_chest_down_arms_forward(seed):
    motion = performed("childs_pose", seed)
    held = motion.held()
    assert (knee_gap(motion, held, *KNEES) < 0.005).all()
    assert (y(held, L.LEFT_ANKLE, L.RIGHT_ANKLE) < 0.1).all()  # the tops of the feet down
    # Sitting back: the hips over the heels, low, behind the knees; the head below the hips.
    assert (held[:, L.LEFT_HIP, 0] < held[:, L.LEFT_KNEE, 0] - 0.25).all()
    assert (abs(held[:, L.LEFT_HIP, 0] - held[:, L.LEFT_ANKLE, 0]) < 0.12).all()
    assert (y(held, L.LEFT_HIP) < 0.4).all()
    assert (y(held, L.NOSE) < y(held, L.LEFT_HIP)).all()
    # Arms stretched forward along the floor, past the head.
    assert (y(held, L.LEFT_WRIST, L.RIGHT_WRIST) < 0.08).all()
    assert (held[:, L.LEFT_WRIST, 0] > held[:, L.NOSE, 0] + 0.2).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_downward_dog_puts_the_hips_highest_on_hands_and_feet(seed):
    motion = performed("downward_dog", seed)
    held = motion.held()
    assert (y(held, *HANDS, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX) < ON_FLOOR_M).all()
    hips = y(held, L.LEFT_HIP)
    assert (hips > held[:, :, 1].max(axis=1) - 0.08).all()  # the highest part, give or take
    assert (hips > 0.65).all()
    assert (inner_angle_deg(held, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE) > 170.0).all()
    body = inner_angle_deg(held, L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_ANKLE)
    assert (body > 60.0).all() and (body < 110.0).all()  # an upside-down V


@pytest.mark.parametrize("seed", SEEDS)
def test_plank_holds_a_straight_line_on_hands_and_toes(seed):
    motion = performed("plank", seed)
    held = motion.held()
    assert (y(held, *HANDS, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX) < ON_FLOOR_M).all()
    assert (knee_gap(motion, held, *KNEES) > 0.15).all()
    line = inner_angle_deg(held, L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_ANKLE, side_on=True)
    assert (line > 175.0).all()
    slope = from_vertical_deg(held, L.LEFT_ANKLE, L.LEFT_SHOULDER)
    assert (slope > 55.0).all() and (slope < 85.0).all()
    arm = from_vertical_deg(held, L.LEFT_WRIST, L.LEFT_SHOULDER)
    assert (arm < 15.0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_cobra_keeps_hips_and_legs_down_and_lifts_the_chest(seed):
    motion = performed("cobra", seed)
    held = motion.held()
    assert (y(held, L.LEFT_HIP, L.RIGHT_HIP) < 0.15).all()
    assert (y(held, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE) < 0.12).all()
    assert (y(held, L.LEFT_SHOULDER) > 0.3).all()
    assert (y(held, *HANDS) < ON_FLOOR_M).all()
    lift = 90.0 - from_vertical_deg(held, L.LEFT_HIP, L.LEFT_SHOULDER)
    assert (lift > 25.0).all() and (lift < 50.0).all()


# -- the evaluation set, clips and the command line ---------------------------------------------


def test_the_evaluation_set_has_every_lookalike_with_its_negatives():
    clips = {c.name: c for c in eval_set_specs(seeds=2)}
    for seed in (0, 1):
        for look_id, look in LOOKALIKES.items():
            clip = clips[f"lookalike_{look_id}_s{seed}"]
            spec = clip.spec
            assert clip.negative_for == look.negative_for
            assert clip.description() == look.movement
            assert spec.movement == look_id and spec.pose_id == look.negative_for[0]
            assert spec.view == look.view and spec.seed == seed and spec.fault is None
            assert (spec.reps, spec.hold_s) == (EVAL_REPS, EVAL_HOLD_S)
            assert spec.size_wh == (480, 360) and spec.fps == 20.0
            # Its truth is judged in the first negative's own view.
            assert load_pose(spec.pose_id).view is View(look.view)
    assert not any(c.spec.movement for c in eval_set_specs(quick=True))
    assert not any(c.spec.movement for c in eval_set_specs(lookalikes=False))


def tiny(spec: ClipSpec) -> ClipSpec:
    return dataclasses.replace(spec, size_wh=(96, 72), fps=4.0, hold_s=1.0, reps=1)


def test_writing_a_lookalike_writes_its_video_truth_and_label(tmp_path):
    clip = lookalike_clip("plank")
    clip = dataclasses.replace(clip, spec=tiny(clip.spec))
    labels = json.loads(write_eval_set(tmp_path, [clip]).read_text())
    assert labels == {
        "lookalike_plank_s0.mp4": {
            "pose": None,
            "negative_for": ["bridge", "bird_dog", "pigeon"],
            "movement": LOOKALIKES["plank"].movement,
            "truth": "generated",
        }
    }
    assert (tmp_path / LABELS_NAME).is_file()
    assert (tmp_path / "lookalike_plank_s0.mp4").stat().st_size > 0
    truth = json.loads((tmp_path / "lookalike_plank_s0.truth.json").read_text())
    assert truth["pose"] == "bridge" and truth["movement"] == "plank"
    assert truth["frames"] == len(truth["per_frame"]["in_position"])
    assert not any(truth["per_frame"]["in_position"])
    assert spec_from_truth(truth) == clip.spec


def test_the_spec_names_a_movement_only_for_a_lookalike(tmp_path):
    stretch = ClipSpec("bridge", reps=1, size_wh=(96, 72), fps=4.0)
    truth = write_clip(stretch, load_pose("bridge"), tmp_path / "bridge.mp4")
    assert "movement" not in truth["spec"] and "movement" not in truth
    assert spec_from_truth(truth) == stretch
    with pytest.raises(SynthError, match="no look-alike called 'skipping'"):
        ClipSpec("bridge", movement="skipping").check()
    with pytest.raises(SynthError, match="a look-alike has no faults"):
        ClipSpec("bridge", movement="plank", fault="arched").check()


def test_synth_command_renders_a_lookalike(tmp_path, capsys):
    out = tmp_path / "dog.mp4"
    args = ["synth", "--movement", "downward_dog", "--out", str(out), "--hold", "1"]
    assert main([*args, "--size", "96x72", "--fps", "4"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "negative for: bird_dog, pigeon (truth judged as bird_dog)" in printed
    truth = json.loads((tmp_path / "dog.truth.json").read_text())
    assert truth["movement"] == "downward_dog" and truth["pose"] == "bird_dog"
    assert out.stat().st_size > 0
    # Judged by another stretch when asked.
    other = tmp_path / "dog_pigeon.mp4"
    assert main([*args[:4], str(other), "--pose", "pigeon", "--size", "96x72", "--fps", "4"]) == 0
    assert json.loads((tmp_path / "dog_pigeon.truth.json").read_text())["pose"] == "pigeon"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--movement", "plank", "--reps", "3"], "plank is held: use --hold"),
        (["--movement", "dead_bug", "--hold", "3"], "dead_bug is done in cycles: use --reps"),
        (["--movement", "plank", "--fault", "arched"], "leave out --side and --fault"),
        ([], "give the stretch to perform (--pose ID) or a --movement NAME"),
    ],
)
def test_synth_command_refuses_what_a_lookalike_cannot_do(tmp_path, capsys, args, message):
    assert main(["synth", "--out", str(tmp_path / "x.mp4"), *args]) == EXIT_ERROR
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_synth_help_lists_the_lookalikes(capsys):
    main(["synth", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(look_id in text for look_id in LOOKALIKE_IDS)


# -- the real pose model -----------------------------------------------------------------------


@pytest.mark.model
def test_the_pose_model_finds_the_performer_in_a_lookalike(tmp_path):
    from posecoach.model.estimator import create_estimator
    from posecoach.model.opening import open_source

    spec = ClipSpec(
        "bird_dog",
        hold_s=1.5,
        seed=5,
        size_wh=(320, 240),
        fps=8.0,
        movement="downward_dog",
    )
    truth = write_clip(spec, load_pose("bird_dog"), tmp_path / "dog.mp4")
    expected = np.array(truth["per_frame"]["xy_px"])
    estimator = create_estimator(None, static_images=False, threads=1)
    source = open_source(tmp_path / "dog.mp4")
    found, close = 0, 0
    try:
        for index, frame in enumerate(source):
            landmarks = estimator.estimate(frame)
            if landmarks is None:
                continue
            found += 1
            hips = [L.LEFT_HIP, L.RIGHT_HIP]
            seen = landmarks.xy_norm[hips].mean(axis=0) * np.array(spec.size_wh)
            close += math.dist(seen, expected[index][hips].mean(axis=0)) < 20.0
    finally:
        source.close()
        estimator.close()
    assert found >= 0.9 * truth["frames"] and close >= 0.8 * truth["frames"]
