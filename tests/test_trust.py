"""Joint trust (label swaps, jumps, bone lengths) and landmark smoothing, frame by frame."""

import dataclasses

import numpy as np
import pytest

from posecoach.coaching.smoothing import LandmarkSmoother, OneEuroParams
from posecoach.coaching.trust import JointTrust
from posecoach.model.landmarks import Landmark, Landmarks

from builders import half_kneeling, swap_left_right

FRAME_MS = 1000 / 30
L = Landmark


def at(lm: Landmarks, i: int) -> Landmarks:
    return dataclasses.replace(lm, timestamp_ms=i * FRAME_MS, frame_index=i)


def moved(lm: Landmarks, joint: Landmark, dx_px: float, dy_px: float = 0.0) -> Landmarks:
    xy = lm.xy_norm.copy()
    xy[joint] += np.array([dx_px, dy_px]) / np.array(lm.resolution_wh)
    return dataclasses.replace(lm, xy_norm=xy)


def with_world(lm: Landmarks) -> Landmarks:
    """World landmarks in metres from the image (1 px = 2 mm), for the bone-length check."""
    world = np.zeros((33, 3))
    world[:, :2] = lm.xy_px * 0.002
    return dataclasses.replace(lm, world_xyz_m=world)


def test_labels_swapped_for_two_frames_are_swapped_back():
    trust = JointTrust()
    lm = half_kneeling()
    swapped_frames = []
    for i in range(10):
        frame = at(swap_left_right(lm) if i in (4, 5) else lm, i)
        result = trust.update(frame)
        swapped_frames.append(result.swapped)
        np.testing.assert_allclose(result.landmarks.xy_norm[L.LEFT_KNEE], lm.xy_norm[L.LEFT_KNEE])
    assert swapped_frames[4] == swapped_frames[5] == ("legs",)
    assert all(s == () for i, s in enumerate(swapped_frames) if i not in (4, 5))


def test_a_swap_that_lasts_is_taken_as_the_labels():
    trust = JointTrust()
    lm = half_kneeling()
    for i in range(5):
        trust.update(at(lm, i))
    results = [trust.update(at(swap_left_right(lm), i)) for i in range(5, 50)]
    assert results[0].swapped == ("legs",)
    assert results[-1].swapped == ()
    knee = results[-1].landmarks.xy_norm[L.LEFT_KNEE]
    np.testing.assert_allclose(knee, lm.xy_norm[L.RIGHT_KNEE])


def test_a_one_frame_jump_is_not_trusted_and_the_joint_comes_back():
    trust = JointTrust()
    lm = half_kneeling()
    trusted = []
    for i in range(10):
        frame = moved(lm, L.LEFT_ANKLE, 200) if i == 5 else lm
        trusted.append(bool(trust.update(at(frame, i)).trusted[L.LEFT_ANKLE]))
    assert trusted == [True] * 5 + [False] + [True] * 4


def test_a_joint_that_moves_and_stays_is_trusted_again():
    trust = JointTrust()
    lm = half_kneeling()
    for i in range(5):
        trust.update(at(lm, i))
    far = moved(lm, L.LEFT_WRIST, 200)
    trusted = [bool(trust.update(at(far, i)).trusted[L.LEFT_WRIST]) for i in range(5, 25)]
    assert not trusted[0] and trusted[-1]
    assert trusted.index(True) <= 9  # at the latest after jump_settle_s (0.3 s at 30 fps)


def test_a_bone_far_off_its_usual_length_marks_its_far_end():
    trust = JointTrust()
    lm = with_world(half_kneeling())
    for i in range(20):
        assert trust.update(at(lm, i)).trusted.all()
    # The right shin twice as long in 3D (the image is unchanged: no jump).
    world = lm.world_xyz_m.copy()
    world[L.RIGHT_ANKLE] += (world[L.RIGHT_ANKLE] - world[L.RIGHT_KNEE]) * 1.0
    result = trust.update(at(dataclasses.replace(lm, world_xyz_m=world), 20))
    assert set(np.flatnonzero(result.implausible)) == {
        L.RIGHT_ANKLE,
        L.RIGHT_HEEL,
        L.RIGHT_FOOT_INDEX,
    }


def test_low_visibility_and_out_of_frame_are_not_trusted():
    lm = half_kneeling(visibility={L.LEFT_KNEE: 0.2})
    lm = moved(lm, L.RIGHT_WRIST, 0, -800)
    result = JointTrust().update(lm)
    assert not result.trusted[L.LEFT_KNEE] and not result.trusted[L.RIGHT_WRIST]
    assert result.trusted[L.RIGHT_KNEE]


def test_smoothing_steadies_a_still_joint():
    rng = np.random.default_rng(0)
    lm = half_kneeling()
    smoother = LandmarkSmoother()
    raw, smooth = [], []
    for i in range(120):
        noisy = moved(lm, L.LEFT_KNEE, *rng.normal(0, 3.0, 2))
        raw.append(noisy.xy_px[L.LEFT_KNEE])
        smooth.append(smoother.update(at(noisy, i)).xy_px[L.LEFT_KNEE])
    raw_sd = np.std(np.array(raw[30:]), axis=0).mean()
    smooth_sd = np.std(np.array(smooth[30:]), axis=0).mean()
    assert smooth_sd < raw_sd / 2


def test_smoothing_follows_a_moving_joint_with_little_lag():
    # The knee sweeps 300 px in a second (half the body height): the smoothed knee trails
    # by under 40 ms worth of movement.
    lm = half_kneeling()
    smoother = LandmarkSmoother()
    lags = []
    for i in range(60):
        dx = 10.0 * i
        out = smoother.update(at(moved(lm, L.LEFT_KNEE, dx), i))
        lags.append(lm.xy_px[L.LEFT_KNEE, 0] + dx - out.xy_px[L.LEFT_KNEE, 0])
    lag_ms = np.mean(lags[20:]) / 10.0 * FRAME_MS
    assert 0 <= lag_ms < 40


def test_smoothing_lag_grows_without_the_speed_term():
    lm = half_kneeling()
    lags = {}
    for beta in (0.0, 10.0):
        smoother = LandmarkSmoother(OneEuroParams(beta=beta))
        for i in range(60):
            out = smoother.update(at(moved(lm, L.LEFT_KNEE, 10.0 * i), i))
        lags[beta] = lm.xy_px[L.LEFT_KNEE, 0] + 590 - out.xy_px[L.LEFT_KNEE, 0]
    assert lags[10.0] < lags[0.0] / 3


def test_untrusted_joints_keep_their_smoothed_place():
    lm = half_kneeling()
    smoother = LandmarkSmoother()
    smoother.update(at(lm, 0))
    keep = np.ones(33, bool)
    keep[L.LEFT_ANKLE] = False
    out = smoother.update(at(moved(lm, L.LEFT_ANKLE, 200), 1), keep)
    assert out.xy_px[L.LEFT_ANKLE] == pytest.approx(lm.xy_px[L.LEFT_ANKLE])
