"""Tuning thresholds: the clip is measured once and judged again at every change."""

import cv2
import numpy as np
import pytest

from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.config.errors import PosecoachError
from posecoach.evaluation.tune import FrameImages, Tuner, TuneWindow, threshold_values, with_value

from builders import bridge, half_kneeling

FRAME_MS = 1000 / 30


def ramp(a, b, seconds):
    n = max(round(seconds * 30), 1)
    return [a + (b - a) * (i + 1) / n for i in range(n)]


def bridge_stream():
    """Two full bridges to 178 deg and one lift to 160 deg, at 30 fps."""
    rest = [130.0] * 20
    rep = lambda top: ramp(130, top, 1) + [top] * 15 + ramp(top, 130, 1)  # noqa: E731
    angles = rest + rep(178) + rest + rep(160) + rest + rep(178) + rest
    return [
        (bridge(hip_deg=hip, timestamp_ms=i * FRAME_MS, frame_index=i), i * FRAME_MS, i)
        for i, hip in enumerate(angles)
    ]


def kneeling_stream(front_knee_deg, seconds=4.0):
    return [
        (
            half_kneeling(front_knee_deg=front_knee_deg, timestamp_ms=i * FRAME_MS, frame_index=i),
            i * FRAME_MS,
            i,
        )
        for i in range(round(seconds * 30))
    ]


def test_a_lower_peak_counts_the_lower_lift_and_back_again():
    tuner = Tuner(load_pose("bridge"), bridge_stream())
    assert tuner.totals["all"].reps == 2
    tuner.set("counter.peak", 155.0)
    assert tuner.totals["all"].reps == 3
    assert tuner.changed() == {"counter.peak": 155.0}
    tuner.set("counter.peak", load_pose("bridge").counter.peak)
    assert tuner.totals["all"].reps == 2 and tuner.changed() == {}


def test_judging_again_matches_coaching_from_scratch_with_the_new_threshold():
    frames = kneeling_stream(front_knee_deg=105.0)
    tuner = Tuner(load_pose("half_kneeling_hip_flexor"), frames)
    assert tuner.failing_share("front_knee_90") == 1.0  # 105 deg: past the 100 deg maximum
    tuner.set("front_knee_90.max_deg", 110.0)
    assert tuner.failing_share("front_knee_90") == 0.0
    fresh = Coach(with_value(load_pose("half_kneeling_hip_flexor"), "front_knee_90.max_deg", 110))
    expected = [fresh.update(*frame) for frame in frames]
    assert [(a.status, a.prompt, a.totals) for a in tuner.assessments] == [
        (a.status, a.prompt, a.totals) for a in expected
    ]


def test_tightening_a_gate_stops_the_hold():
    frames = kneeling_stream(front_knee_deg=90.0)
    tuner = Tuner(load_pose("half_kneeling_hip_flexor"), frames)
    held = sum(t.hold_s for t in tuner.totals.values())
    assert held > 3.0
    gate = next(r for r in tuner.pose.rules if r.gate and r.id == "front_knee_bent")
    tuner.set(f"{gate.id}.max_deg", 80.0)  # the 90 deg knee no longer counts as bent
    assert sum(t.hold_s for t in tuner.totals.values()) == 0.0


def test_knobs_span_the_clip_and_the_threshold():
    tuner = Tuner(load_pose("bridge"), bridge_stream())
    knobs = {k.name: k for k in tuner.knobs}
    assert set(knobs) == set(threshold_values(tuner.pose))
    peak = knobs["counter.peak"]
    assert peak.low <= 130 and peak.high >= 178 and peak.low <= peak.value <= peak.high


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("front_knee_90.max_deg", 400.0, "expected 0 to 360 deg, got 400"),
        ("front_knee_90.min_deg", 120.0, "min_deg = 120 .* is above front_knee_90.max_deg"),
        ("front_knee_90.min_torso", 0.1, "has no 'min_torso': expecting one of min_deg, max_deg"),
        ("nosuch.max_deg", 1.0, "has no rule 'nosuch'"),
        # A number the rules are measured with, not a threshold: tuning moves thresholds.
        ("no_bounce.amplitude", 0.05, "not a threshold"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(name, value, message):
    tuner = Tuner(load_pose("half_kneeling_hip_flexor"), kneeling_stream(90.0, seconds=1.0))
    before = tuner.pose
    with pytest.raises(PosecoachError, match=message):
        tuner.set(name, value)
    assert tuner.pose is before


def test_render_shows_the_frame_over_a_trace_per_rule():
    pose = load_pose("bridge")
    tuner = Tuner(pose, bridge_stream())
    image = np.zeros((360, 480, 3), np.uint8)
    shown = tuner.render(40, image, width=640)
    assert shown.shape[1] == 640
    assert shown.shape[0] == 34 + 480 + 64 * len(pose.rules)
    # The trace of the counter's signal has red (failing) and green (passing) bands.
    signal_index = [r.id for r in pose.rules].index(pose.counter.signal)
    top = 34 + 480 + 64 * signal_index
    band = shown[top + 58 : top + 64]
    assert (band == (60, 170, 60)).all(axis=2).any() or (band == (50, 50, 210)).all(axis=2).any()


def test_frame_images_without_a_video_are_a_canvas():
    images = FrameImages(None, (320, 240))
    assert images.get(5).shape == (240, 320, 3)


@pytest.mark.display
def test_moving_a_slider_in_the_window_judges_again(virtual_display):
    tuner = Tuner(load_pose("bridge"), bridge_stream())
    saved = []
    window = TuneWindow(
        tuner, FrameImages(None, (320, 240)), lambda values: saved.append(values) or "saved"
    )
    try:
        knob = next(k for k in tuner.knobs if k.name == "counter.peak")
        cv2.setTrackbarPos(knob.name, window.title, round((155.0 - knob.low) / knob.step))
        window.poll()
        assert tuner.totals["all"].reps == 3
        assert "counter.peak = 155" in window.message
    finally:
        cv2.destroyAllWindows()


def test_the_counter_cannot_be_turned_round():
    tuner = Tuner(load_pose("bridge"), bridge_stream())
    with pytest.raises(PosecoachError, match="would count reps the other way round"):
        tuner.set("counter.start", 170.0)  # above the peak: the bridge counts rising reps
    assert tuner.totals["all"].reps == 2


def test_a_refused_value_names_the_slider():
    tuner = Tuner(load_pose("half_kneeling_hip_flexor"), kneeling_stream(90.0, seconds=1.0))
    with pytest.raises(PosecoachError, match=r"^the tune slider front_knee_90\.max_deg at 400: "):
        tuner.set("front_knee_90.max_deg", 400.0)
