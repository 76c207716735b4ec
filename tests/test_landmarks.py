import numpy as np
import pytest

from posecoach.model.landmarks import Landmarks


def test_shapes_are_validated_with_expected_and_got():
    with pytest.raises(ValueError, match=r"xy_norm: expected shape \(33, 2\), got \(32, 2\)"):
        Landmarks(np.zeros((32, 2)), np.zeros(33), np.ones(33), None, (640, 480), 0.0, 0)
    with pytest.raises(ValueError, match=r"world_xyz_m: expected shape \(33, 3\)"):
        Landmarks(np.zeros((33, 2)), np.zeros(33), np.ones(33), np.zeros((33, 2)), (640, 480), 0, 0)
    with pytest.raises(ValueError, match="positive sizes"):
        Landmarks(np.zeros((33, 2)), np.zeros(33), np.ones(33), None, (0, 480), 0.0, 0)


def test_pixels_scale_x_and_y_separately():
    xy = np.full((33, 2), 0.5)
    lm = Landmarks(xy, np.zeros(33), np.ones(33), None, (1280, 720), 12.5, 3)
    assert lm.xy_px[0].tolist() == [640.0, 360.0]
    assert (lm.timestamp_ms, lm.frame_index) == (12.5, 3)


class _Point:
    def __init__(self, x, y, z, visibility):
        self.x, self.y, self.z, self.visibility = x, y, z, visibility


def test_from_mediapipe_reads_both_api_shapes():
    image = [_Point(i / 33, 0.5, 0.0, 0.9) for i in range(33)]
    image[5].visibility = None  # the Tasks API may leave visibility unset
    world = [_Point(0.1, 0.2, 0.3, 1.0) for _ in range(33)]
    lm = Landmarks.from_mediapipe(image, world, (640, 480), 40.0, 1)
    assert lm.visibility[0] == pytest.approx(0.9)
    assert lm.visibility[5] == 1.0
    assert lm.world_xyz_m is not None and lm.world_xyz_m[0].tolist() == [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match="expected 33 landmarks, got 2"):
        Landmarks.from_mediapipe(image[:2], None, (640, 480), 0.0, 0)
