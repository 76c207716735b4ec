"""Drawing on a small canvas, checked against the primitives it should have drawn."""

import numpy as np

from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.model.landmarks import Landmark
from posecoach.output.overlay import OverlayStyle, annotate, banner, counter_text

from builders import half_kneeling

STYLE = OverlayStyle()


def _has_color(patch: np.ndarray, color) -> bool:
    return bool(np.any(np.all(np.abs(patch.astype(int) - np.array(color)) <= 30, axis=-1)))


def _around(image: np.ndarray, xy, radius: int = 6) -> np.ndarray:
    x, y = round(float(xy[0])), round(float(xy[1]))
    return image[max(y - radius, 0) : y + radius, max(x - radius, 0) : x + radius]


def test_failing_joint_is_red_and_passing_joint_green():
    pose = load_pose("half_kneeling_hip_flexor")
    landmarks = half_kneeling(torso_lean_deg=30)
    assessment = Coach(pose).update(landmarks, 0.0, 0)
    canvas = np.zeros((720, 1280, 3), np.uint8)
    out = annotate(canvas, landmarks, assessment, pose, timing="30 fps")
    assert out.shape == canvas.shape and not np.any(canvas)  # the input is not drawn on
    shoulder = landmarks.xy_px[Landmark.LEFT_SHOULDER]
    front_ankle = landmarks.xy_px[Landmark.LEFT_ANKLE]  # the back leg is the right one
    assert _has_color(_around(out, shoulder), STYLE.failed)  # torso_upright fails
    assert _has_color(_around(out, front_ankle), STYLE.passed)
    assert not _has_color(_around(out, front_ankle), STYLE.failed)


def test_mirror_flips_the_drawing_not_the_text():
    pose = load_pose("half_kneeling_hip_flexor")
    landmarks = half_kneeling()
    assessment = Coach(pose).update(landmarks, 0.0, 0)
    canvas = np.zeros((720, 1280, 3), np.uint8)
    plain = annotate(canvas, landmarks, assessment, pose)
    mirrored = annotate(canvas, landmarks, assessment, pose, mirror=True)
    knee = landmarks.xy_px[Landmark.LEFT_KNEE]
    assert _has_color(_around(plain, knee), STYLE.passed)
    assert _has_color(_around(mirrored, (1279 - knee[0], knee[1])), STYLE.passed)
    # The panel (top-left) is drawn unflipped in both.
    assert np.array_equal(plain[:40, :200], mirrored[:40, :200])


def test_counter_text_and_banner():
    pose = load_pose("half_kneeling_hip_flexor")
    assessment = Coach(pose).update(half_kneeling(), 0.0, 0)
    assert counter_text(pose, assessment) == "Hold 0.0/30 s"
    out = banner(np.zeros((120, 320, 3), np.uint8), "Paused")
    assert np.any(out[50:70] != 0) and not np.any(out[:20])
