import math

import numpy as np
import pytest

from posecoach.coaching.geometry import (
    Direction,
    angle_deg,
    angle_toward_deg,
    direction_vector,
    inclination_deg,
    offset_along,
)
from posecoach.model.landmarks import Landmarks

P = np.array


def test_right_angle():
    assert angle_deg(P([0.0, -10.0]), P([0.0, 0.0]), P([10.0, 0.0])) == pytest.approx(90.0)


def test_straight_line_and_degenerate():
    assert angle_deg(P([-5.0, 0.0]), P([0.0, 0.0]), P([7.0, 0.0])) == pytest.approx(180.0)
    assert math.isnan(angle_deg(P([0.0, 0.0]), P([0.0, 0.0]), P([1.0, 0.0])))


def test_angle_toward_tells_arching_from_sagging():
    hip = P([0.0, 0.0])
    knee = P([10.0, -10.0])  # up and to the right (image y grows down)
    shoulder_flat = P([-10.0, 0.0])
    up = direction_vector(Direction.UP, facing=1)
    assert angle_toward_deg(shoulder_flat, hip, knee, up) == pytest.approx(135.0)
    # Hips pushed above the shoulder-knee line: the upper-side angle passes 180.
    shoulder_low = P([-10.0, 10.0 * math.tan(math.radians(60))])
    assert angle_toward_deg(shoulder_low, hip, knee, up) == pytest.approx(195.0)
    down = direction_vector(Direction.DOWN, facing=1)
    assert angle_toward_deg(shoulder_low, hip, knee, down) == pytest.approx(165.0)


def test_inclination_from_vertical_and_horizontal():
    start, end = P([0.0, 0.0]), P([10.0, -10.0])
    assert inclination_deg(start, end, "vertical") == pytest.approx(45.0)
    assert inclination_deg(P([0.0, 0.0]), P([0.0, -5.0]), "vertical") == pytest.approx(0.0)
    assert inclination_deg(P([0.0, 0.0]), P([0.0, -5.0]), "horizontal") == pytest.approx(90.0)
    with pytest.raises(ValueError, match="expected 'vertical' or 'horizontal'"):
        inclination_deg(start, end, "diagonal")


def test_offset_along_facing_direction_in_torso_lengths():
    ahead_right = direction_vector(Direction.AHEAD, facing=1)
    ahead_left = direction_vector(Direction.AHEAD, facing=-1)
    knee, ankle = P([120.0, 0.0]), P([100.0, 50.0])
    assert offset_along(knee, ankle, ahead_right, scale=200.0) == pytest.approx(0.1)
    assert offset_along(knee, ankle, ahead_left, scale=200.0) == pytest.approx(-0.1)
    above = direction_vector(Direction.UP, facing=1)
    assert offset_along(knee, ankle, above, scale=100.0) == pytest.approx(0.5)


def test_angles_use_pixels_not_normalised_coordinates():
    # In a 1280x720 frame these three points make 45 deg in pixels; the same normalised
    # coordinates give about 29 deg, which a coach must never use.
    xy_px = np.array([[640.0, 200.0], [640.0, 400.0], [840.0, 200.0]])
    xy_norm = xy_px / np.array([1280.0, 720.0])
    full = np.zeros((33, 2))
    full[:3] = xy_norm
    lm = Landmarks(full, np.zeros(33), np.ones(33), None, (1280, 720), 0.0, 0)
    a, b, c = lm.xy_px[:3]
    assert angle_deg(a, b, c) == pytest.approx(45.0)
    assert angle_deg(*xy_norm) == pytest.approx(29.4, abs=0.2)
