"""Every stretch seen from the wrong view: the coach says how to turn, and judges nothing.

Each stretch of the catalogue is generated with the camera where the stretch says it must
not be (face-on for a side-view stretch, side-on for a face-on one) and run through the real
pose model.
"""

import numpy as np
import pytest
from modelruns import generated_run, small

from posecoach.coaching.coach import Status
from posecoach.coaching.posefile import View, load_pose
from posecoach.synth.stretches import STRETCH_MOTIONS

pytestmark = [pytest.mark.model, pytest.mark.synth]

# Lying down, a camera straight at the feet barely finds the person at all (see the README's
# benchmark), so floor stretches are filmed from 75 deg round toward the feet instead.
_WRONG_VIEWS = {View.SIDE: ("front", "oblique-75"), View.FRONT: ("side", "side")}


def wrong_view(pose_id: str) -> str:
    upright, on_floor = _WRONG_VIEWS[load_pose(pose_id).view]
    return on_floor if STRETCH_MOTIONS[pose_id].on_floor else upright


@pytest.mark.parametrize("pose_id", sorted(STRETCH_MOTIONS))
def test_wrong_view_is_reported_instead_of_judged(tmp_path_factory, pose_id):
    pose = load_pose(pose_id)
    sides = ("left",) if pose.per_side else (None,)
    run = generated_run(
        tmp_path_factory,
        small(pose_id, sides=sides, hold_s=5, reps=2, view=wrong_view(pose_id), fps=15.0, seed=41),
    )
    truly = np.array(run.truth["per_frame"]["in_position"])
    seen = [a for a, t in zip(run.assessments, truly, strict=True) if t and a.detected]
    assert len(seen) >= 0.5 * truly.sum(), "the model should find the person in most frames"
    statuses = [a.status for a in seen]
    assert statuses.count(Status.WRONG_VIEW) >= 0.8 * len(seen), statuses
    wrong = [a for a in run.assessments if a.status is Status.WRONG_VIEW]
    assert all(a.results == () for a in wrong)
    turn = "Face the camera" if pose.view is View.FRONT else "Turn side-on to the camera"
    # A prompt stays up for a moment after the next one is wanted; then it says how to turn.
    assert [a.prompt for a in wrong].count(turn) >= 0.7 * len(wrong)
    totals = run.totals.values()
    assert sum(t.hold_s for t in totals) <= 1.0 and sum(t.reps for t in totals) == 0
