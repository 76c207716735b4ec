"""Each stretch's gate rules against the exercises that look like it, from a few joint angles.

A stretch is built side-on (or face-on) from the directions of its segments, then its look-
alikes; the coach must find the stretch in position and each look-alike not, naming the gate
that tells them apart.
"""

from functools import partial

import pytest

from posecoach.coaching.coach import Coach, Status
from posecoach.coaching.posefile import load_pose

from builders import front_posture, side_posture

FRAME_MS = 1000 / 30

# Directions in degrees from straight down, toward the way the person faces: 0 down, 90
# ahead, 180 up, -90 behind. Lying on the back the head is behind and the feet ahead.
LYING = -90.0
UPRIGHT = 180.0
FLAT_LEG = (90.0, 90.0)  # lying long on the floor
FOOT_PLANTED = (130.0, 10.0)  # lying, knee up, foot flat on the floor (knee about 60 deg)
LEG_UP = (180.0, 180.0)  # lying, the straight leg pointing up
TABLETOP_LEG = (180.0, 90.0)  # lying, thigh straight up, knee at 90 deg
KNEE_DOWN = (0.0, -90.0)  # on hands and knees: thigh down, shin along the floor behind
LEG_BACK = (-90.0, -90.0)  # reached straight back at hip height
ARM_DOWN = (0.0, 0.0)
ARM_FORWARD = (90.0, 90.0)

lying = partial(side_posture, torso_deg=LYING)
on_all_fours = partial(side_posture, torso_deg=90.0)

CASES = {
    "lying_leg_lift": (
        lying(near_leg=TABLETOP_LEG, far_leg=FOOT_PLANTED),
        {
            "dead bug, both legs at tabletop": (
                lying(near_leg=TABLETOP_LEG, far_leg=TABLETOP_LEG),
                "other_foot_down",
            ),
            "dead bug, one leg reaching long just off the floor": (
                lying(near_leg=TABLETOP_LEG, far_leg=(97.0, 97.0)),
                "other_knee_bent",
            ),
            "hollow hold": (
                side_posture(torso_deg=-80.0, near_leg=(110.0, 110.0), far_leg=(110.0, 110.0)),
                "other_foot_down",
            ),
            "leg raise, both straight legs up": (
                lying(near_leg=(160.0, 160.0), far_leg=(160.0, 160.0)),
                "other_foot_down",
            ),
        },
    ),
    "supine_knee_to_chest": (
        lying(near_leg=(210.0, 120.0), far_leg=FLAT_LEG),
        {
            "happy baby, both knees pulled in": (
                lying(near_leg=(215.0, 160.0), far_leg=(215.0, 160.0)),
                "other_leg_long",
            ),
            "reverse crunch, knees tucked": (
                lying(near_leg=(205.0, 100.0), far_leg=(205.0, 100.0)),
                "other_leg_long",
            ),
        },
    ),
    "bird_dog": (
        on_all_fours(near_leg=LEG_BACK, far_leg=KNEE_DOWN, near_arm=ARM_DOWN, far_arm=ARM_FORWARD),
        {
            "tabletop, no limb lifted": (
                on_all_fours(near_leg=KNEE_DOWN, far_leg=KNEE_DOWN),
                "leg_lifted",
            ),
            "tabletop, a leg swinging through bent": (
                on_all_fours(near_leg=(-90.0, 0.0), far_leg=KNEE_DOWN),
                "leg_reached_back",
            ),
            "downward dog, hips high, legs straight": (
                side_posture(
                    torso_deg=40.0,
                    near_leg=(-40.0, -40.0),
                    far_leg=(-25.0, -25.0),
                    hip=(640.0, 300.0),
                ),
                "supporting_knee_down",
            ),
            "plank on one leg": (
                side_posture(torso_deg=95.0, near_leg=(-85.0, -85.0), far_leg=(-60.0, -60.0)),
                "supporting_knee_down",
            ),
        },
    ),
    "bridge": (
        lying(near_leg=FOOT_PLANTED, far_leg=FOOT_PLANTED),
        {
            "dead bug, both legs at tabletop": (
                lying(near_leg=TABLETOP_LEG, far_leg=TABLETOP_LEG),
                "foot_planted",
            ),
            "legs stretched out": (lying(near_leg=FLAT_LEG, far_leg=FLAT_LEG), "foot_planted"),
        },
    ),
    "kneeling_lunge": (
        side_posture(torso_deg=UPRIGHT, near_leg=(90.0, 0.0), far_leg=KNEE_DOWN),
        {
            "child's pose, folded forward over the knees": (
                side_posture(torso_deg=80.0, near_leg=(60.0, -90.0), far_leg=KNEE_DOWN),
                "kneeling_up",
            ),
        },
    ),
    "butterfly": (
        front_posture(),
        {
            "happy baby seen from the feet, the torso foreshortened": (
                front_posture(torso_px=55.0),
                "sitting_up",
            ),
        },
    ),
}


def settle(pose_id, landmarks, seconds=4.0):
    """The coach's last assessment after `seconds` of the same posture at 30 fps."""
    coach = Coach(load_pose(pose_id))
    for i in range(round(seconds * 30)):
        t = i * FRAME_MS
        moved = landmarks.__class__(
            landmarks.xy_norm,
            landmarks.z,
            landmarks.visibility,
            landmarks.world_xyz_m,
            landmarks.resolution_wh,
            t,
            i,
        )
        assessment = coach.update(moved, t, i)
    return assessment


@pytest.mark.parametrize("pose_id", sorted(CASES))
def test_the_stretch_itself_passes_its_gates_and_is_held(pose_id):
    stretch, _ = CASES[pose_id]
    a = settle(pose_id, stretch)
    failing = [r.rule.id for r in a.results if r.rule.gate and not r.passed]
    assert a.status is Status.IN_POSITION, failing
    if load_pose(pose_id).mode.value == "hold":
        assert sum(t.hold_s for t in a.totals.values()) > 3.0


LOOK_ALIKES = [
    (pose_id, name, landmarks, gate)
    for pose_id, (_, alikes) in sorted(CASES.items())
    for name, (landmarks, gate) in alikes.items()
]


@pytest.mark.parametrize(
    ("pose_id", "name", "landmarks", "gate"),
    LOOK_ALIKES,
    ids=[f"{pose_id}-{name}" for pose_id, name, _, _ in LOOK_ALIKES],
)
def test_a_look_alike_fails_the_gate_that_defines_the_stretch(pose_id, name, landmarks, gate):
    a = settle(pose_id, landmarks)
    assert a.status is Status.NOT_IN_POSITION, name
    results = {r.rule.id: r for r in a.results}
    assert results[gate].rule.gate
    assert results[gate].passed is False, (name, results[gate].value)
    assert all(t.hold_s == 0 and t.reps == 0 for t in a.totals.values())


@pytest.mark.parametrize("raised", ["near", "far"])
def test_a_single_leg_bridge_is_in_position_whichever_leg_is_raised(raised):
    """The bridge's gates read either leg: one foot planted is the position, on either side."""
    legs = {"near_leg": FOOT_PLANTED, "far_leg": FOOT_PLANTED, f"{raised}_leg": LEG_UP}
    a = settle("bridge", lying(**legs))
    assert a.status is Status.IN_POSITION, [r.rule.id for r in a.results if not r.passed]
