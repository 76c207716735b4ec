"""posecoach's own BlazePose runner: the graph's arithmetic, the filters, the model files."""

from __future__ import annotations

import math
import zipfile

import cv2
import numpy as np
import pytest

from posecoach.config.errors import EstimatorError
from posecoach.inputs.sources import Frame
from posecoach.model.blazepose import graph, models
from posecoach.model.blazepose.filters import LowPass, OneEuro, TrackingSmoother, legacy_time_ns
from posecoach.model.blazepose.models import bundled_model_path, models_from_file
from posecoach.model.estimator import create_estimator

from conftest import REPO
from taskmodel import build_pose_task

# --- Anchors, decoding, suppression ----------------------------------------------------------


def test_anchors_cover_the_three_grids_in_the_detectors_order():
    anchors = graph.ssd_anchor_centres()
    assert anchors.shape == (2254, 2)
    # Stride 8: a 28 x 28 grid, 2 anchors a cell, row by row.
    assert anchors[0] == pytest.approx([0.5 / 28, 0.5 / 28])
    assert anchors[1] == pytest.approx(anchors[0])
    assert anchors[2] == pytest.approx([1.5 / 28, 0.5 / 28])
    # Stride 16 starts after 28 * 28 * 2; the three stride-32 layers share a 7 x 7 grid, 6 a cell.
    assert anchors[1568] == pytest.approx([0.5 / 14, 0.5 / 14])
    assert anchors[1568 + 392] == pytest.approx([0.5 / 7, 0.5 / 7])
    assert np.all(anchors[1568 + 392 : 1568 + 392 + 6] == anchors[1568 + 392])
    assert anchors[-1] == pytest.approx([6.5 / 7, 6.5 / 7])


def test_decoding_offsets_boxes_and_keypoints_by_the_anchor_and_keeps_scores_of_a_half():
    anchors = np.array([[0.25, 0.5], [0.75, 0.5]], dtype=np.float32)
    raw = np.zeros((2, 12), dtype=np.float32)
    raw[0, :4] = [22.4, -22.4, 44.8, 22.4]  # centre moved by (0.1, -0.1), 0.2 x 0.1 in size
    raw[0, 4:6] = [0.0, 11.2]  # first keypoint 0.05 below the anchor
    scores, boxes, keypoints = graph.decode_detections(
        raw, np.array([0.0, -0.01], dtype=np.float32), anchors
    )
    assert scores == pytest.approx([0.5])  # a logit of 0 is kept (>= 0.5), -0.01 is not
    assert boxes[0] == pytest.approx([0.35 - 0.1, 0.4 - 0.05, 0.2, 0.1])
    assert keypoints[0, 0] == pytest.approx([0.25, 0.55])


def test_weighted_suppression_averages_the_overlapping_candidates_by_score():
    scores = np.array([0.9, 0.6, 0.8])
    boxes = np.array([[0.1, 0.1, 0.4, 0.4], [0.12, 0.1, 0.4, 0.4], [0.6, 0.6, 0.3, 0.3]])
    keypoints = np.zeros((3, 4, 2))
    keypoints[:, 0] = [[0.3, 0.3], [0.4, 0.3], [0.7, 0.7]]
    best = graph.best_detection(scores, boxes, keypoints)
    assert best is not None
    assert best.score == pytest.approx(0.9)
    # The third box does not overlap the best: it takes no part.
    assert best.keypoints[0] == pytest.approx([(0.3 * 0.9 + 0.4 * 0.6) / 1.5, 0.3])
    assert best.box[0] == pytest.approx((0.1 * 0.9 + 0.12 * 0.6) / 1.5)
    assert best.box[2] == pytest.approx(0.4)
    assert graph.best_detection(np.zeros(0), np.zeros((0, 4)), np.zeros((0, 4, 2))) is None


def test_letterbox_pads_the_short_side_and_its_removal_undoes_it():
    roi, pad = graph.letterbox_square(640, 480)
    assert (roi.width * 640, roi.height * 480) == pytest.approx((640, 640))
    assert pad == pytest.approx((0.0, 0.125))
    # A point at the top of the frame sits 1/8 down the padded square.
    detection = graph.Detection(0.9, np.array([0.5, 0.125, 0.1, 0.75]), np.full((4, 2), 0.125))
    back = graph.remove_letterbox(detection, pad)
    assert back.box == pytest.approx([0.5, 0.0, 0.1, 1.0])
    assert back.keypoints[0] == pytest.approx([0.125 / 1.0, 0.0])
    _, tall = graph.letterbox_square(360, 640)
    assert tall == pytest.approx(((1 - 360 / 640) / 2, 0.0))


# --- Crops ---------------------------------------------------------------------------------


def test_crop_is_centred_on_the_hips_square_and_upright_when_the_body_stands():
    hips, head = np.array([0.5, 0.6]), np.array([0.5, 0.4])
    roi = graph.crop_roi(np.stack([hips, head]), (640, 480))
    assert (roi.x_center, roi.y_center) == pytest.approx((0.5, 0.6))
    assert roi.rotation == pytest.approx(0.0)
    side_px = 2 * 0.2 * 480 * graph.ROI_SCALE  # twice the hips-to-head distance, scaled
    assert (roi.width * 640, roi.height * 480) == pytest.approx((side_px, side_px))


def test_crop_turns_with_a_lying_body():
    # Head to the right of the hips: the body lies along x; the crop turns a quarter.
    roi = graph.crop_roi(np.array([[0.4, 0.5], [0.6, 0.5]]), (100, 100))
    assert roi.rotation == pytest.approx(math.pi / 2)
    roi = graph.crop_roi(np.array([[0.6, 0.5], [0.4, 0.5]]), (100, 100))
    assert roi.rotation == pytest.approx(-math.pi / 2)
    # Upside down (head below the hips): half a turn, kept within [-pi, pi).
    roi = graph.crop_roi(np.array([[0.5, 0.4], [0.5, 0.6]]), (100, 100))
    assert roi.rotation == pytest.approx(-math.pi)


def test_projection_takes_crop_points_back_where_the_warp_took_them():
    image = np.zeros((300, 400, 3), dtype=np.uint8)
    cv2.circle(image, (250, 120), 4, (255, 255, 255), -1)
    roi = graph.Roi(0.55, 0.45, 0.5, 0.5 * 400 / 300, 0.4)
    crop = graph.warp_crop(image, roi, 256, cv2.BORDER_REPLICATE)
    ys, xs = np.nonzero(crop[:, :, 0] > 128)
    spot = np.array([[xs.mean() / 256, ys.mean() / 256, 0.0]])
    back = graph.project_to_image(spot, roi)[0]
    assert back[0] * 400 == pytest.approx(250, abs=1.0)
    assert back[1] * 300 == pytest.approx(120, abs=1.0)


def test_world_landmarks_turn_with_the_crop():
    world = np.array([[1.0, 0.0, 0.3]])
    turned = graph.rotate_world(world, graph.Roi(0.5, 0.5, 1, 1, math.pi / 2))
    assert turned[0] == pytest.approx([0.0, 1.0, 0.3], abs=1e-6)


def test_heatmap_refinement_moves_a_point_to_a_confident_peak_only():
    heatmap = np.full((64, 64, 2), -10.0, dtype=np.float32)
    heatmap[30, 40, 0] = 10.0  # a sure peak near the first point
    heatmap[30, 40, 1] = -0.5  # an unsure one near the second
    points = np.array([[38.5 / 64, 29.2 / 64], [38.5 / 64, 29.2 / 64]])
    refined = graph.refine_with_heatmap(points, heatmap)
    assert refined[0] * 64 == pytest.approx([40.0, 30.0], abs=0.01)
    assert refined[1] == pytest.approx(points[1])
    # A peak outside the 9 x 9 window around the point is not seen.
    far = np.array([[34.5 / 64, 29.2 / 64]])
    assert graph.refine_with_heatmap(far, heatmap[:, :, :1])[0] == pytest.approx(far[0])


def test_heatmap_refinement_reaches_a_point_just_below_the_heatmap_as_mediapipe_does():
    # MediaPipe's calculator checks the column twice and never the row's upper end, so a point
    # just below the crop is refined from the rows of its window inside the heatmap.
    heatmap = np.full((64, 64, 2), -10.0, dtype=np.float32)
    heatmap[62, 20, 0] = 10.0
    heatmap[20, 62, 1] = 10.0
    below = np.array([[20.5 / 64, 64.6 / 64], [64.6 / 64, 20.5 / 64]])
    refined = graph.refine_with_heatmap(below, heatmap)
    assert refined[0] * 64 == pytest.approx([20.0, 62.0], abs=0.01)
    assert refined[1] == pytest.approx(below[1])  # past the right edge: left alone


# --- Filters -------------------------------------------------------------------------------


def test_low_pass_passes_the_first_sample_then_blends():
    low = LowPass(0.1)
    assert low.apply(np.array([1.0])) == pytest.approx([1.0])
    assert low.apply(np.array([0.0])) == pytest.approx([0.9])
    low.reset()
    assert low.apply(np.array([5.0])) == pytest.approx([5.0])


TICK = legacy_time_ns(1)


def test_one_euro_holds_still_values_and_follows_fast_moves():
    slow = OneEuro(min_cutoff=0.05, beta=80.0, derivative_cutoff=1.0)
    assert slow.apply(np.array([100.0]), TICK, 0.01) == pytest.approx([100.0])
    jitter = slow.apply(np.array([101.0]), 2 * TICK, 0.01)
    assert 100.0 < jitter[0] < 100.6  # a 1 px wobble on a 100 px body is about halved
    fast = OneEuro(min_cutoff=0.05, beta=80.0, derivative_cutoff=1.0)
    fast.apply(np.array([100.0]), TICK, 0.01)
    moved = fast.apply(np.array([150.0]), 2 * TICK, 0.01)
    assert moved[0] > 120.0  # a 50 px jump is followed most of the way at once


def test_one_euro_takes_its_rate_from_the_time_between_samples():
    # The same step after two ticks (a frame with nobody between) is a slower move: followed
    # less far than after one tick.
    one, two = (OneEuro(0.05, 80.0, 1.0) for _ in range(2))
    one.apply(np.array([100.0]), TICK, 0.01)
    two.apply(np.array([100.0]), TICK, 0.01)
    after_one = one.apply(np.array([110.0]), 2 * TICK, 0.01)[0]
    after_two = two.apply(np.array([110.0]), 3 * TICK, 0.01)[0]
    assert two.frequency_hz == pytest.approx(15.0, rel=1e-4)
    assert after_two != pytest.approx(after_one)
    # A sample not later than the last passes as it is.
    assert one.apply(np.array([50.0]), 2 * TICK, 0.01)[0] == 50.0


def test_landmark_smoother_filters_in_pixels_scaled_by_the_body():
    near = TrackingSmoother(0.05, 80.0, 1.0)
    far = TrackingSmoother(0.05, 80.0, 1.0)
    start = np.array([[0.5, 0.5, 0.0]])
    near.apply(start, TICK, (1000, 1000), 500.0)
    far.apply(start, TICK, (1000, 1000), 50.0)
    step = start + np.array([[0.005, 0.0, 0.0]])  # 5 px: little for a 500 px body, much for 50
    moved_near = near.apply(step, 2 * TICK, (1000, 1000), 500.0)[0, 0]
    assert moved_near < far.apply(step, 2 * TICK, (1000, 1000), 50.0)[0, 0]


# --- Model files ---------------------------------------------------------------------------


def test_bundled_models_pass_their_checksums():
    files = models.bundled_models()
    assert len(files.detector) == 2_959_046 and len(files.landmarks) == 6_440_512


def _fake_models_dir(tmp_path, monkeypatch, damage: str | None = None, remove: str | None = None):
    folder = tmp_path / "models"
    folder.mkdir()
    for name in (models.DETECTOR_FILE, models.LANDMARK_FILE):
        content = bytearray(bundled_model_path(name).read_bytes())
        if name == damage:
            content[1000] ^= 0xFF
        if name != remove:
            (folder / name).write_bytes(bytes(content))
    monkeypatch.setattr(models, "bundled_model_path", lambda name: folder / name)


@pytest.mark.model
def test_a_damaged_bundled_model_is_a_one_line_error(tmp_path, monkeypatch):
    _fake_models_dir(tmp_path, monkeypatch, damage=models.LANDMARK_FILE)
    with pytest.raises(EstimatorError) as error:
        create_estimator()
    message = str(error.value)
    assert "\n" not in message
    assert "pose_landmark_full.tflite is damaged" in message and "reinstall" in message


@pytest.mark.model
def test_a_missing_bundled_model_is_a_one_line_error(tmp_path, monkeypatch):
    _fake_models_dir(tmp_path, monkeypatch, remove=models.DETECTOR_FILE)
    with pytest.raises(EstimatorError, match=r"pose_detection\.tflite is missing .*reinstall"):
        create_estimator()


def test_a_task_bundle_gives_both_models(tmp_path):
    task = build_pose_task(tmp_path / "pose_landmarker_full.task")
    files = models_from_file(task)
    assert files.name == "pose_landmarker_full.task"
    assert files.landmarks == bundled_model_path(models.LANDMARK_FILE).read_bytes()
    assert files.detector == bundled_model_path(models.DETECTOR_FILE).read_bytes()


def test_a_landmark_tflite_is_used_with_the_bundled_detector(tmp_path):
    own = tmp_path / "pose_landmark_heavy.tflite"
    own.write_bytes(bundled_model_path(models.LANDMARK_FILE).read_bytes())
    files = models_from_file(own)
    assert files.name == own.name
    assert files.detector == bundled_model_path(models.DETECTOR_FILE).read_bytes()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not a model at all", "is not a TensorFlow Lite model"),
        ("zip-without-models", "has no pose_detector.tflite or pose_landmarks_detector.tflite"),
    ],
)
def test_files_that_are_not_models_are_refused_in_one_line(tmp_path, content, expected):
    path = tmp_path / "model.task"
    if content == "zip-without-models":
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("readme.txt", "hello")
    else:
        path.write_bytes(content)
    with pytest.raises(EstimatorError) as error:
        models_from_file(path)
    assert expected in str(error.value) and "\n" not in str(error.value)


@pytest.mark.model
def test_a_model_with_other_outputs_is_refused_by_name(tmp_path):
    # The detector given as the landmark model: a TensorFlow Lite file, but not the right one.
    wrong = tmp_path / "detector.tflite"
    wrong.write_bytes(bundled_model_path(models.DETECTOR_FILE).read_bytes())
    with pytest.raises(
        EstimatorError, match=r"as a pose landmark model: it takes float32 \[1, 224"
    ):
        create_estimator(wrong)


@pytest.mark.model
def test_missing_model_file_says_what_to_give(tmp_path):
    with pytest.raises(EstimatorError, match=r"no such model file: .*\.tflite or a MediaPipe"):
        create_estimator(tmp_path / "nothing.task")


@pytest.mark.model
@pytest.mark.parametrize("threads", [1, 2, None])
def test_the_interpreters_get_the_thread_count_asked_for(threads, monkeypatch):
    from ai_edge_litert import interpreter

    asked: list[int] = []
    real = interpreter.Interpreter

    def spy(*args, num_threads=None, **kwargs):
        asked.append(num_threads)
        return real(*args, num_threads=num_threads, **kwargs)

    monkeypatch.setattr(interpreter, "Interpreter", spy)
    create_estimator(threads=threads)
    expected = threads if threads is not None else models.default_threads()
    assert asked == [expected, expected]  # the detector and the landmark model


def test_the_detector_runs_on_the_first_frame_after_nobody_and_on_every_still():
    from posecoach.model.blazepose.tracker import BlazePoseTracker

    person = _sample_frame()
    nobody = np.zeros_like(person)
    video = BlazePoseTracker(models.bundled_models(), 1)
    found = [video.process(image) is not None for image in (person, person, nobody, person)]
    assert found == [True, True, False, True]
    # Frames 1 and 4: frame 2 is tracked, frame 3 tried with frame 2's crop has no pose, so
    # the detector runs again on the frame after it.
    assert video.detector_runs == 2
    stills = BlazePoseTracker(models.bundled_models(), 1, static_images=True)
    for image in (person, person, person):
        assert stills.process(image) is not None
    assert stills.detector_runs == 3


def test_visibility_filter_carries_on_across_a_frame_with_nobody():
    # In MediaPipe's graph the visibility filter is not called on a frame without a pose, so
    # it is not reset: after the gap it blends with what it had.
    from posecoach.model.blazepose.tracker import BlazePoseTracker

    person = _sample_frame()
    fresh = BlazePoseTracker(models.bundled_models(), 1).process(person)
    tracker = BlazePoseTracker(models.bundled_models(), 1)
    tracker.process(person)
    tracker.process(np.zeros_like(person))
    tracker._visibility._filter.value = np.zeros(33, dtype=np.float32)  # what it had: all 0
    again = tracker.process(person)
    assert fresh is not None and again is not None
    assert again.visibility == pytest.approx(0.1 * fresh.visibility, abs=0.01)


def _sample_frame() -> np.ndarray:
    """A frame of a bundled sample with a person in it."""
    capture = cv2.VideoCapture(str(REPO / "samples" / "half_kneeling_both_sides.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 150)
    ok, image = capture.read()
    assert ok
    return image


def test_a_damaged_task_bundle_is_a_one_line_error(tmp_path):
    task = tmp_path / "pose.task"
    with zipfile.ZipFile(task, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            bundle.writestr(name, bundled_model_path(models.DETECTOR_FILE).read_bytes()[:4000])
    data = bytearray(task.read_bytes())
    data[200:260] = bytes(60)  # inside the first entry's compressed data
    task.write_bytes(bytes(data))
    with pytest.raises(EstimatorError) as error:
        models_from_file(task)
    assert str(error.value).startswith(f"cannot read model bundle {task}: ")
    assert "\n" not in str(error.value)


@pytest.mark.model
def test_zero_threads_is_refused():
    with pytest.raises(EstimatorError, match="threads must be 1 or more"):
        create_estimator(threads=0)


@pytest.mark.model
def test_an_empty_frame_has_nobody():
    estimator = create_estimator()
    black = np.zeros((240, 320, 3), dtype=np.uint8)
    assert estimator.estimate(Frame(black, 0.0, 0)) is None
    assert estimator.estimate(Frame(black, 33.3, 1)) is None
