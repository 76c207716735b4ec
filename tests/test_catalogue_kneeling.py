"""End to end through the real pose model: the standing and kneeling stretches of the catalogue
(standing hip flexor, low lunge twist, kneeling lunge, half-kneeling with the back foot raised,
pigeon) on generated clips, against their exact truth: hold time per side and the rules flagged,
for correct form on both sides and for each scripted fault on one side."""

import pytest
from modelruns import assert_holds_match, generated_run, small

from posecoach.coaching.coach import Status

pytestmark = [pytest.mark.model, pytest.mark.synth]

HOLD_S = 6.0
FPS = 15.0


def _xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


# Side-on, the coach reads which way the person faces from the nose ahead of the ears and the
# toes ahead of the heels. In pigeon the back foot lies on its top, toes pointing back, and the
# model puts the folded front foot's toes behind its heel too, so the feet outvote the nose:
# after a second the facing flips, ahead and behind swap, and with them the front and back legs.
_PIGEON_FACING = (
    "coach limit: the facing read from the toes (pointing back in pigeon) flips to the wrong "
    "way after a second in the hold, swapping front and back legs; measured: "
)


# -- correct form, both sides ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pose_id", "seed"),
    [
        ("standing_hip_flexor", 31),
        ("low_lunge_twist", 32),
        ("kneeling_lunge", 33),
        pytest.param(
            "half_kneeling_foot_elevated",
            34,
            marks=_xfail(
                "known limit, legs labelled the wrong way round for a whole hold: on the left "
                "side the model labels the back leg (the foot on the bench) right and the front "
                "leg left, so the left hold goes to the right side (left 0.6 s against 7.07 s "
                "true, right 8.73 s)"
            ),
        ),
        pytest.param(
            "pigeon",
            35,
            marks=_xfail(
                _PIGEON_FACING + "the facing flips on entering the pigeon on both sides (left "
                "hold 6.53 s against 7.93 s true, right 1.33 s against 7.93 s)"
            ),
        ),
    ],
)
def test_correct_form_holds_on_both_sides_and_flags_nothing(tmp_path_factory, pose_id, seed):
    run = generated_run(tmp_path_factory, small(pose_id, hold_s=HOLD_S, fps=FPS, seed=seed))
    assert run.truly_failing() == set()
    assert run.flagged() == set()
    assert_holds_match(run)


# -- each fault, on one side -------------------------------------------------------------------

# The model reads the front knee of a low lunge more open than it is (true 90 deg): it puts
# the front hip landmark up the trunk, which folds down over the front thigh.
_LUNGE_KNEE = (
    "model error, not a coach limit: the model reads the true 90 deg front knee of the low "
    "lunge at {} deg (median in position), its front hip landmark placed up the trunk folded "
    "over the thigh, so front_knee_90 (75-105 deg) is flagged as well"
)

FAULTS = [
    ("standing_hip_flexor", "torso_lean", "torso_upright", 41),
    ("standing_hip_flexor", "back_knee_bent", "back_knee_straight", 42),
    ("standing_hip_flexor", "front_knee_locked", "front_knee_soft", 43),
    pytest.param(
        "low_lunge_twist",
        "arm_not_vertical",
        "arm_vertical",
        44,
        marks=_xfail(_LUNGE_KNEE.format("106 (104-109)")),
    ),
    pytest.param(
        "low_lunge_twist",
        "chest_closed",
        "chest_turned",
        45,
        marks=_xfail(_LUNGE_KNEE.format("118 (102-125)")),
    ),
    pytest.param(
        "low_lunge_twist",
        "back_knee_bent",
        "back_leg_long",
        46,
        marks=_xfail(_LUNGE_KNEE.format("116 (111-122)")),
    ),
    ("kneeling_lunge", "hip_not_forward", "hips_forward", 47),
    ("kneeling_lunge", "torso_lean", "torso_upright", 48),
    ("kneeling_lunge", "front_foot_far", "front_knee_angle", 49),
    ("half_kneeling_foot_elevated", "torso_lean", "torso_upright", 50),
    ("half_kneeling_foot_elevated", "hip_not_forward", "hip_forward", 51),
    ("half_kneeling_foot_elevated", "front_foot_far", "front_knee_90", 52),
    ("pigeon", "back_knee_bent", "back_leg_long", 53),
    ("pigeon", "hips_high", "hips_low", 54),
    pytest.param(
        "pigeon",
        "torso_collapsed",
        "torso_supported",
        55,
        marks=_xfail(
            _PIGEON_FACING + "it flips 1.5 s into the hold; from then back_leg_long measures "
            "the folded front knee (median 8 deg) and is flagged as well, and the hold goes to "
            "the right side"
        ),
    ),
]


# Known limits: a fault the model also reads as another rule failing, about as often as not, so
# that the other rule may be flagged too (it must be the only one).
ALSO_FLAGGED = {
    # With the hips high the model reads the back leg as bent too: back_leg_long fails in
    # 41-83% of the judged frames over seeds 54-59 (flagged on 4 of 6); on seed 54's clip
    # mediapipe 0.10.21 itself gives 45%, 61% and 48% with one grey level of noise on 1% of
    # the pixels.
    ("pigeon", "hips_high"): {"back_leg_long"},
}


@pytest.mark.parametrize(("pose_id", "fault", "rule_id", "seed"), FAULTS)
def test_each_fault_is_flagged_and_nothing_else(tmp_path_factory, pose_id, fault, rule_id, seed):
    spec = small(pose_id, sides=("left",), hold_s=HOLD_S, fps=FPS, fault=fault, seed=seed)
    run = generated_run(tmp_path_factory, spec)
    assert run.truly_failing() == {rule_id}
    flagged = run.flagged()
    assert rule_id in flagged
    assert flagged - {rule_id} <= ALSO_FLAGGED.get((pose_id, fault), set())


# -- leaving the frame -------------------------------------------------------------------------


def test_hold_resumes_after_leaving_the_frame(tmp_path_factory):
    spec = small(
        "kneeling_lunge", sides=("right",), hold_s=HOLD_S, fps=FPS, fault="leave_frame", seed=36
    )
    run = generated_run(tmp_path_factory, spec)
    assert any(a.status is Status.NO_PERSON for a in run.assessments)
    assert run.flagged() == set()
    assert_holds_match(run)
