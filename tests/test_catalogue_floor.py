"""End to end through the real pose model on generated clips of the floor stretches (knee to
chest, leg lift, constructive rest, bird dog, butterfly): hold times per side against the
clips' exact truth, and the rules flagged against the rules the truth says fail. Each stretch
uses its own seeds (body, clothes, room and camera change with the seed)."""

import pytest
from modelruns import assert_holds_match, generated_run, small

from posecoach.coaching.coach import Status
from posecoach.synth.clip import ClipSpec

pytestmark = [pytest.mark.model, pytest.mark.synth]

HOLD_S = 6.0


def clip(pose_id: str, seed: int, fault: str | None = None, side: str | None = None) -> ClipSpec:
    """A 6 s hold: both sides at 20 fps for correct form, one side at 15 fps for a fault."""
    view = "front" if pose_id == "butterfly" else "side"
    kwargs: dict = {"sides": (side,)} if side else {}
    fps = 20.0 if fault is None else 15.0
    return small(pose_id, hold_s=HOLD_S, fault=fault, seed=seed, fps=fps, view=view, **kwargs)


CORRECT = {
    "supine_knee_to_chest": clip("supine_knee_to_chest", seed=0),
    "lying_leg_lift": clip("lying_leg_lift", seed=2),
    "constructive_rest": clip("constructive_rest", seed=4),
    "bird_dog": clip("bird_dog", seed=6),
    "butterfly": clip("butterfly", seed=8),
}

# Known limits: a fault the model also reads as another rule failing, so that the other rule
# may be flagged too (it must be the only one).
ALSO_FLAGGED = {
    # The model puts the straight leg's knee on the raised thigh. Encoded by OpenCV 4.12 or
    # newer, seed 5's clip shows it (82% of the judged frames fail other_knee_straight, with
    # mediapipe 0.10.21 as with posecoach's estimator); encoded by 4.11 it did not.
    ("supine_knee_to_chest", "knee_not_pulled_in"): {"other_knee_straight"},
}

# Each fault (on one side for a stretch done per side) and the one rule it fails.
FAULTS = [
    ("supine_knee_to_chest", "other_knee_bent", "left", 5, "other_knee_straight"),
    ("supine_knee_to_chest", "knee_not_pulled_in", "left", 5, "knee_to_chest"),
    ("lying_leg_lift", "thigh_tilted", "right", 11, "thigh_vertical"),
    ("lying_leg_lift", "knee_straight", "right", 11, "knee_90"),
    ("constructive_rest", "fidgeting", None, 12, "still"),
    ("constructive_rest", "feet_too_close", None, 12, "knees_bent"),
    ("bird_dog", "leg_low", "left", 7, "leg_level"),
    ("bird_dog", "arm_low", "left", 7, "arm_level"),
    ("bird_dog", "back_sag", "left", 7, "back_flat"),
    ("butterfly", "knees_high", None, 9, "knees_low"),
    ("butterfly", "uneven_knees", None, 9, "knees_level"),
    ("butterfly", "feet_apart", None, 9, "feet_together"),
]


@pytest.mark.parametrize(
    "pose_id",
    [pose_id for pose_id in sorted(CORRECT)],
)
def test_correct_form_holds_match_the_truth_per_side(tmp_path_factory, pose_id):
    run = generated_run(tmp_path_factory, CORRECT[pose_id])
    assert_holds_match(run)


@pytest.mark.parametrize("pose_id", sorted(CORRECT))
def test_correct_form_flags_nothing(tmp_path_factory, pose_id):
    run = generated_run(tmp_path_factory, CORRECT[pose_id])
    assert run.truly_failing() == set()
    assert run.flagged() == set()


@pytest.mark.parametrize(("pose_id", "fault", "side", "seed", "rule"), FAULTS)
def test_each_fault_is_flagged_and_no_other_rule(
    tmp_path_factory, pose_id, fault, side, seed, rule
):
    run = generated_run(tmp_path_factory, clip(pose_id, seed, fault, side))
    assert run.truly_failing() == {rule}
    flagged = run.flagged()
    assert rule in flagged
    assert flagged - {rule} <= ALSO_FLAGGED.get((pose_id, fault), set())


@pytest.mark.parametrize(
    ("pose_id", "side", "seed"), [("constructive_rest", None, 14), ("bird_dog", "right", 13)]
)
def test_leaving_the_frame_mid_hold(tmp_path_factory, pose_id, side, seed):
    run = generated_run(tmp_path_factory, clip(pose_id, seed, "leave_frame", side))
    assert any(a.status is Status.NO_PERSON for a in run.assessments)
    assert_holds_match(run)
