"""Rule kinds that compare two points and look back in time, and the legs' high/low roles."""

import math
from pathlib import Path

import numpy as np
import pytest

from posecoach.coaching.body import BodyTracker, Side
from posecoach.coaching.posefile import parse_pose, tomllib
from posecoach.coaching.rules import RecentFrames, Rule, When, count_turns
from posecoach.config.errors import PoseFileError

from builders import L, landmarks_from_points


def rule(kind: str, **params) -> Rule:
    return Rule("r", kind, "cue", 1, False, When.ALWAYS, None, None, params)


def lying(timestamp_ms: float = 0.0, knee_lift_px: float = 0.0, shift_px: float = 0.0):
    """A person lying on the back seen side-on, head to the left; the left knee lifted."""
    points = {
        L.LEFT_SHOULDER: np.array([300.0, 500.0]),
        L.RIGHT_SHOULDER: np.array([300.0, 500.0]),
        L.LEFT_HIP: np.array([470.0, 500.0]),
        L.RIGHT_HIP: np.array([470.0, 500.0]),
        L.LEFT_KNEE: np.array([600.0, 500.0 - knee_lift_px]),
        L.RIGHT_KNEE: np.array([620.0, 500.0]),
        L.LEFT_ANKLE: np.array([700.0, 500.0 - knee_lift_px / 2]),
        L.RIGHT_ANKLE: np.array([760.0, 500.0]),
        L.NOSE: np.array([240.0, 480.0]),
    }
    moved = {k: v + np.array([shift_px, 0.0]) for k, v in points.items()}
    return landmarks_from_points(moved, near_left=False, timestamp_ms=timestamp_ms)


def test_distance_is_in_torso_lengths_along_the_chosen_axis():
    landmarks = lying()
    body = BodyTracker(None, 1.0).update(landmarks)
    feet = ["left_ankle", "right_ankle"]  # 60 px apart; the torso is 170 px
    assert rule("distance", between=feet).measure(landmarks, body) == pytest.approx(60 / 170)
    assert rule("distance", between=feet, axis="vertical").measure(landmarks, body) == 0


def test_motion_is_the_spread_over_the_window_and_needs_enough_history():
    tracker, history = BodyTracker(None, 1.0), RecentFrames()
    still = rule("motion", roles=["mid_hip", "left_knee"], window_s=1.0)
    value = math.nan
    for index in range(30):  # 1.5 s at 20 fps, lying still
        landmarks = lying(timestamp_ms=index * 50.0)
        body = tracker.update(landmarks)
        history.add(landmarks, body)
        value = still.measure(landmarks, body, history)
        if index == 5:
            assert math.isnan(value)  # 0.25 s of history is too little to judge 1 s
    assert value == pytest.approx(0.0)
    for index in range(30, 50):  # then the knee swings up and down by 85 px
        lift = 85.0 * (index % 2)
        landmarks = lying(timestamp_ms=index * 50.0, knee_lift_px=lift)
        body = tracker.update(landmarks)
        history.add(landmarks, body)
        value = still.measure(landmarks, body, history)
    # Half the swing from the middle, up to the whole swing from one end (torso 170 px).
    assert 85 / 2 / 170 <= value <= 85 / 170 + 1e-9
    history.clear()
    assert math.isnan(still.measure(landmarks, body, history))


def test_turns_count_reversals_of_at_least_the_amplitude():
    assert count_turns(np.array([0.0, 1.0, 0.0, 1.0, 0.0]), 0.5) == 3
    # Wiggles smaller than the amplitude on the way are not turns.
    assert count_turns(np.array([0.0, 0.3, 0.2, 0.6, 0.5, 1.0, 0.1]), 0.5) == 1
    assert count_turns(np.array([0.0, 0.2, 0.0, 0.2, 0.0]), 0.5) == 0
    assert count_turns(np.array([]), 0.5) == 0


def follow_knee(history, tracker, times_s, lift_px, shift_px=0.0, in_position=True):
    """Add frames of the lying person with the left knee at `lift_px(t)`; the last value."""
    bounce = rule("bounce", roles=["left_knee"], reference="mid_hip", window_s=2.0, amplitude=0.1)
    value = math.nan
    for t in times_s:
        landmarks = lying(
            timestamp_ms=t * 1000, knee_lift_px=lift_px(t), shift_px=shift_px * math.sin(9 * t)
        )
        body = tracker.update(landmarks)
        history.add(landmarks, body)
        value = bounce.measure(landmarks, body, history)
        history.follow(t * 1000, in_position)
    return value


def test_bounce_counts_turns_relative_to_the_reference():
    tracker, history = BodyTracker(None, 1.0), RecentFrames()
    times = np.arange(0, 2.0, 0.05)
    # The knee pulses 34 px (0.2 torso lengths) twice a second: 2 turns a pulse, about 8 in 2 s.
    pulsing = follow_knee(history, tracker, times, lambda t: 34 * abs(math.sin(2 * math.pi * t)))
    assert 7 <= pulsing <= 8
    history.clear()
    # The whole body sliding back and forth moves the knee and the reference alike: no turns.
    sliding = follow_knee(history, tracker, times, lambda t: 0.0, shift_px=60.0)
    assert sliding == 0


def test_windows_judge_a_stay_in_position_only_after_it_settles():
    tracker, history = BodyTracker(None, 1.0), RecentFrames(settle_s=1.0)
    pulse = lambda t: 34 * abs(math.sin(2 * math.pi * t))  # noqa: E731
    # Getting into position (out of it): nothing to judge.
    getting_in = follow_knee(history, tracker, np.arange(0, 1, 0.05), pulse, in_position=False)
    assert math.isnan(getting_in)
    # In position from 1 s: the first second is settling, then half the 2 s window is needed.
    values = [follow_knee(history, tracker, [t], pulse) for t in np.arange(1, 4, 0.05)]
    judged = [v for v in values if not math.isnan(v)]
    assert len(values) - len(judged) == pytest.approx(2.0 / 0.05, abs=1)
    # Only the turns since settling count: at 3 s, 1 s of pulsing (about 4 turns).
    assert 3 <= values[round(2.0 / 0.05)] <= 4
    # Unknown frames (None) do not end the stay; out of position ends it.
    assert not math.isnan(follow_knee(history, tracker, [4.0], pulse, in_position=None))
    follow_knee(history, tracker, [4.05], pulse, in_position=False)
    assert math.isnan(follow_knee(history, tracker, [4.1], pulse))


def test_high_leg_follows_the_geometry_not_the_labels():
    tracker = BodyTracker("high", side_switch_s=1.0)
    body = tracker.update(lying(knee_lift_px=120.0))
    assert body.sides["high"] is Side.LEFT and body.sides["low"] is Side.RIGHT
    assert body.sides["working"] is Side.LEFT and body.working_side is Side.LEFT


def test_working_side_is_not_decided_before_the_legs_are_seen_apart():
    tracker = BodyTracker("high", side_switch_s=1.0)
    assert tracker.update(lying(knee_lift_px=0.0)).working_side is None


POSE = """
id = "rest"
name = "Rest"
description = "Lie still."
view = "side"
mode = "hold"
[target]
hold_s = 60
[[rules]]
id = "still"
label = "Resting still"
kind = "motion"
roles = {roles}
window_s = {window}
max_torso = 0.1
priority = 1
cue = "Rest still"
[[rules]]
id = "feet"
label = "Feet together"
kind = "distance"
between = ["left_ankle", "right_ankle"]
axis = "{axis}"
max_torso = 0.5
priority = 2
cue = "Feet together"
"""


def test_pose_file_with_the_new_kinds_loads():
    spec = parse_pose_text(roles='["mid_hip"]', window="3", axis="horizontal")
    assert spec.rule("still").params == {"roles": ["mid_hip"], "window_s": 3.0}
    assert spec.rule("feet").params["axis"] == "horizontal"


def test_pose_file_problems_with_the_new_kinds_are_all_named():
    with pytest.raises(PoseFileError) as error:
        parse_pose_text(roles="[]", window="0", axis="sideways")
    text = str(error.value)
    assert "rules[0] (still).roles: expected a list of one or more roles" in text
    assert "rules[0] (still).window_s: expected 0.2 to 30 s, got 0" in text
    assert "rules[1] (feet).axis: 'sideways' is not valid" in text


def parse_pose_text(**fields):
    return parse_pose(tomllib.loads(POSE.format(**fields)), Path("rest.toml"))


def test_lifted_leg_swapped_labels_for_two_frames_change_nothing():
    """The roles follow the geometry in every frame; the working side does not flip."""
    from builders import swap_left_right

    tracker = BodyTracker("high", side_switch_s=1.0)
    for index in range(30):
        landmarks = lying(timestamp_ms=index * 50.0, knee_lift_px=120.0)
        if index in (12, 13):
            landmarks = swap_left_right(landmarks)
        body = tracker.update(landmarks)
        assert body.working_side is Side.LEFT
        # The lifted knee is where the "high" role points, whatever its label says.
        knee = body.point_px(landmarks, "high_knee")
        assert knee[1] == pytest.approx(500.0 - 120.0)
        assert body.side_settled is (index not in (12, 13))


def test_a_rule_on_either_side_is_judged_on_the_side_that_does_best():
    rule = Rule("knee", "angle", "cue", 1, True, When.ALWAYS, 60.0, 100.0, {}, either_side=True)
    assert rule.choose((150.0, 70.0)) == 70.0  # the other side passes
    assert rule.choose((150.0, 110.0)) == 110.0  # neither: the nearer to passing
    assert rule.choose((80.0, 70.0)) == 80.0  # both pass: the rule as written
    assert rule.choose(()) is None
    body = BodyTracker("back", 0.5).update(
        landmarks_from_points(
            {L.LEFT_HIP: np.array([400.0, 300.0]), L.RIGHT_HIP: np.array([420.0, 300.0])},
            near_left=True,
        )
    )
    swapped = body.swapped()
    assert all(swapped.sides[q] is body.sides[q].other for q in body.sides)
    assert rule.sides(body)[1] == swapped
