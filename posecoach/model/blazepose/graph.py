"""The arithmetic of MediaPipe's BlazePose graph (mediapipe 0.10.21, `pose_landmark_cpu`), in
numpy: detector anchors and decoding, weighted non-max suppression, detection -> crop,
landmarks -> next crop, the crop itself, heatmap refinement and projection back to the image.

Every number here is the graph's own; each function names the calculator it stands for, so a
reader can compare. Coordinates are normalised to the frame (x by width, y by height) unless a
name says `_px`. A crop (`Roi`) is a rotated rectangle, normalised the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Detector input and its SSD anchors (pose_detection_cpu.pbtxt: SsdAnchorsCalculator).
DETECTOR_SIZE = 224
NUM_ANCHORS = 2254
DETECTION_VALUES = 12  # box x, y, w, h, then 4 keypoints x, y
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
# Two anchors a cell on every layer (aspect 1 and the interpolated scale); with a fixed
# anchor size only their centres matter.
ANCHORS_PER_LAYER = 2
ANCHOR_OFFSET = 0.5
# TensorsToDetectionsCalculator.
SCORE_CLIP = 100.0
MIN_DETECTION_SCORE = 0.5
NUM_DETECTION_KEYPOINTS = 4
# NonMaxSuppressionCalculator: WEIGHTED, intersection over union.
NMS_MIN_IOU = 0.3
# PoseDetectionToRoi / PoseLandmarksToRoi: AlignmentPointsRectsCalculator (keypoint 0 -> 1
# pointing up) then RectTransformationCalculator (square on the long side, scaled 1.25).
ROI_TARGET_ANGLE_RAD = math.pi / 2
ROI_SCALE = 1.25
# Landmark model (pose_landmark_by_roi_cpu.pbtxt).
LANDMARK_SIZE = 256
NUM_MODEL_LANDMARKS = 39  # 33 body landmarks, then 2 auxiliary ones (hips, scale) and 4 more
LANDMARK_VALUES = 5  # x, y, z, visibility, presence
HEATMAP_SIZE = 64
NUM_BODY_LANDMARKS = 33
AUX_LANDMARKS = slice(33, 35)
MIN_POSE_PRESENCE = 0.5  # a pose exists when the presence flag is strictly above this
# RefineLandmarksFromHeatmapCalculator. The pbtxt sets a kernel of 7, but the 0.10.21 wheel
# averages a 9x9 window (ends inclusive); with 7 the result is off by up to 30 px.
HEATMAP_HALF_WINDOW = 4
MIN_HEATMAP_CONFIDENCE = 0.5


F32 = np.float32
# The calculators compute in float (32 bits); so does this module where it matters: the crop
# of one frame comes from the landmarks of the one before, so a difference in the last bit
# grows from frame to frame.
TARGET_ANGLE_F32 = F32(ROI_TARGET_ANGLE_RAD)


@dataclass(frozen=True)
class Roi:
    """A rotated crop: centre and size normalised to the frame, rotation in radians."""

    x_center: np.float32
    y_center: np.float32
    width: np.float32
    height: np.float32
    rotation: np.float32


@dataclass(frozen=True)
class Detection:
    """One person found by the detector: score, box (xmin, ymin, width, height) and the 4
    keypoints (hip centre, a point fixing the body's scale and direction, and two more),
    normalised to the frame."""

    score: float
    box: np.ndarray  # (4,)
    keypoints: np.ndarray  # (4, 2)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, in float64 (its callers clip the logits first)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def ssd_anchor_centres() -> np.ndarray:
    """(2254, 2) anchor centres in [0, 1], in the order the detector outputs its boxes.

    Layers with the same stride share a grid (their anchors interleave per cell)."""
    centres = []
    layer = 0
    while layer < len(ANCHOR_STRIDES):
        stride = ANCHOR_STRIDES[layer]
        anchors_per_cell = 0
        while layer < len(ANCHOR_STRIDES) and ANCHOR_STRIDES[layer] == stride:
            anchors_per_cell += ANCHORS_PER_LAYER
            layer += 1
        cells = math.ceil(DETECTOR_SIZE / stride)
        grid = (np.arange(cells, dtype=np.float32) + ANCHOR_OFFSET) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell_centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell_centres, anchors_per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def letterbox_square(width: int, height: int) -> tuple[Roi, tuple[float, float]]:
    """The whole frame padded to a square (ImageToTensorCalculator, keep_aspect_ratio): the
    crop, and the padding (left/right, top/bottom) as fractions of that square."""
    roi_aspect = np.float32(height) / np.float32(width)
    if roi_aspect < 1.0:  # wider than high: pad top and bottom
        side = float(width)
        pad = (0.0, float((1.0 - roi_aspect) / 2.0))
    else:
        side = float(height)
        pad = (float((1.0 - 1.0 / roi_aspect) / 2.0), 0.0)
    return Roi(F32(0.5), F32(0.5), F32(side / width), F32(side / height), F32(0.0)), pad


def decode_detections(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TensorsToDetectionsCalculator: the candidates scoring at least MIN_DETECTION_SCORE.

    raw_boxes: (2254, 12), raw_scores: (2254,). Returns scores (N,), boxes (N, 4) as xmin,
    ymin, width, height, and keypoints (N, 4, 2), in the detector's square input."""
    scores = sigmoid(np.clip(raw_scores.astype(np.float32), -SCORE_CLIP, SCORE_CLIP))
    keep = np.flatnonzero(scores >= MIN_DETECTION_SCORE)
    raw = raw_boxes[keep].astype(np.float32) / np.float32(DETECTOR_SIZE)
    centre = anchors[keep]
    box_centre = raw[:, 0:2] + centre
    size = raw[:, 2:4]
    boxes = np.concatenate([box_centre - size / 2, size], axis=1)
    keypoints = raw[:, 4:].reshape(-1, NUM_DETECTION_KEYPOINTS, 2) + centre[:, None, :]
    valid = (size >= 0).all(axis=1)
    return scores[keep][valid], boxes[valid], keypoints[valid]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2])
    y1 = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3])
    intersection = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, intersection / union, 0.0)


def best_detection(
    scores: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray
) -> Detection | None:
    """The first detection of the WEIGHTED non-max suppression: the best-scoring candidate,
    its box and keypoints averaged, weighted by score, over every candidate overlapping it by
    more than NMS_MIN_IOU (itself included). None when there is no candidate."""
    if scores.size == 0:
        return None
    top = int(np.argmax(scores))
    overlapping = _iou(boxes[top], boxes) > NMS_MIN_IOU
    weights = scores[overlapping]
    total = weights.sum()
    corners = np.concatenate(
        [boxes[overlapping, :2], boxes[overlapping, :2] + boxes[overlapping, 2:]], axis=1
    )
    mean_corners = (corners * weights[:, None]).sum(axis=0) / total
    mean_keypoints = (keypoints[overlapping] * weights[:, None, None]).sum(axis=0) / total
    box = np.concatenate([mean_corners[:2], mean_corners[2:] - mean_corners[:2]])
    return Detection(float(scores[top]), box, mean_keypoints)


def remove_letterbox(detection: Detection, pad: tuple[float, float]) -> Detection:
    """DetectionLetterboxRemovalCalculator: from the padded square back to the frame."""
    pad_xy = np.asarray(pad, dtype=np.float32)
    scale = 1.0 - 2.0 * pad_xy
    box = detection.box.copy()
    box[:2] = (box[:2] - pad_xy) / scale
    box[2:] = box[2:] / scale
    keypoints = (detection.keypoints - pad_xy) / scale
    return Detection(detection.score, box, keypoints)


def _normalize_radians(angle: np.float32) -> np.float32:
    """NormalizeRadians: into [-pi, pi), in double as the calculator does, kept as float."""
    value = float(angle)
    return F32(value - 2 * math.pi * math.floor((value + math.pi) / (2 * math.pi)))


def alignment_box(
    centre_xy: np.ndarray, scale_xy: np.ndarray, resolution_wh: tuple[int, int]
) -> Roi:
    """AlignmentPointsRectsCalculator: a square crop centred on `centre_xy`, twice as wide
    as the distance to `scale_xy` (both normalised), turned so that the line between them
    points up."""
    width, height = F32(resolution_wh[0]), F32(resolution_wh[1])
    x0, y0 = F32(centre_xy[0]) * width, F32(centre_xy[1]) * height
    x1, y1 = F32(scale_xy[0]) * width, F32(scale_xy[1]) * height
    box_size = np.sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)) * F32(2.0)
    rotation = _normalize_radians(TARGET_ANGLE_F32 - np.arctan2(-(y1 - y0), x1 - x0))
    return Roi(x0 / width, y0 / height, box_size / width, box_size / height, rotation)


def enlarge(roi: Roi, resolution_wh: tuple[int, int]) -> Roi:
    """RectTransformationCalculator: square on the long side, then scaled by ROI_SCALE."""
    width, height = F32(resolution_wh[0]), F32(resolution_wh[1])
    long_side = max(F32(roi.width) * width, F32(roi.height) * height)
    return Roi(
        roi.x_center,
        roi.y_center,
        long_side / width * F32(ROI_SCALE),
        long_side / height * F32(ROI_SCALE),
        roi.rotation,
    )


def crop_roi(keypoints: np.ndarray, resolution_wh: tuple[int, int]) -> Roi:
    """The crop for the landmark model from two alignment points (a detection's keypoints 0
    and 1, or the auxiliary landmarks 33 and 34)."""
    return enlarge(alignment_box(keypoints[0], keypoints[1], resolution_wh), resolution_wh)


def warp_crop(image: np.ndarray, roi: Roi, size: int, border: int) -> np.ndarray:
    """ImageToTensorCalculator (OpenCV converter): the rotated crop `roi` of `image` (uint8,
    H x W x C), resampled to `size` x `size` by a perspective warp corner to corner
    (INTER_LINEAR), uint8 like its input."""
    height, width = image.shape[:2]
    rect = (
        (float(F32(roi.x_center) * F32(width)), float(F32(roi.y_center) * F32(height))),
        (float(F32(roi.width) * F32(width)), float(F32(roi.height) * F32(height))),
        # rotation * 180.f / M_PI: the product in float, the division in double.
        float(F32(float(F32(roi.rotation) * F32(180.0)) / math.pi)),
    )
    src = cv2.boxPoints(rect).astype(np.float32)
    dst = np.array([[0, size], [0, 0], [size, 0], [size, size]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border
    )


def refine_with_heatmap(xy_crop: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """RefineLandmarksFromHeatmapCalculator: each point (normalised to the crop) moves to the
    confidence-weighted mean of the heatmap window around it, when the window's highest
    confidence reaches MIN_HEATMAP_CONFIDENCE. heatmap: (64, 64, N) logits; xy_crop: (N, 2)."""
    rows, cols, channels = heatmap.shape
    count = min(channels, len(xy_crop))
    refined = xy_crop.astype(F32)
    # C++ truncation toward zero, as int(x * width) in the calculator.
    centre_cols = np.trunc(refined[:count, 0] * F32(cols)).astype(np.int64)
    centre_rows = np.trunc(refined[:count, 1] * F32(rows)).astype(np.int64)
    # The calculator tests the column twice and the row's upper end never (its check reads
    # `center_col >= hm_height`): a point just below the heatmap is refined from the rows
    # of its window that are inside. Kept, to give what mediapipe gave.
    inside = (centre_cols >= 0) & (centre_cols < cols) & (centre_rows >= 0) & (centre_cols < rows)
    points = np.flatnonzero(inside)
    if points.size == 0:
        return refined
    half = HEATMAP_HALF_WINDOW
    offsets = np.arange(-half, half + 1)
    window_rows = centre_rows[points, None] + offsets  # (P, 9)
    window_cols = centre_cols[points, None] + offsets
    # The window stops at the heatmap's edges: cells outside count for nothing.
    row_ok = (window_rows >= 0) & (window_rows < rows)
    col_ok = (window_cols >= 0) & (window_cols < cols)
    logits = heatmap[
        np.clip(window_rows, 0, rows - 1)[:, :, None],
        np.clip(window_cols, 0, cols - 1)[:, None, :],
        points[:, None, None],
    ].astype(F32)
    with np.errstate(over="ignore"):  # a very negative logit: exp overflows, gives 0
        confidence = F32(1.0) / (F32(1.0) + np.exp(-logits))
    confidence *= row_ok[:, :, None] & col_ok[:, None, :]
    total = confidence.sum(axis=(1, 2))
    sure = (confidence.max(axis=(1, 2)) >= MIN_HEATMAP_CONFIDENCE) & (total > 0)
    weighted_cols = (confidence * window_cols[:, None, :].astype(F32)).sum(axis=(1, 2))
    weighted_rows = (confidence * window_rows[:, :, None].astype(F32)).sum(axis=(1, 2))
    chosen = points[sure]
    refined[chosen, 0] = weighted_cols[sure] / F32(cols) / total[sure]
    refined[chosen, 1] = weighted_rows[sure] / F32(rows) / total[sure]
    return refined


def project_to_image(xyz_crop: np.ndarray, roi: Roi) -> np.ndarray:
    """LandmarkProjectionCalculator: points normalised to the crop -> normalised to the
    frame (rotated about the crop's centre, scaled by its size; z scaled as x)."""
    angle = F32(roi.rotation)
    cos, sin = np.cos(angle), np.sin(angle)
    points = xyz_crop.astype(F32)
    x = points[:, 0] - F32(0.5)
    y = points[:, 1] - F32(0.5)
    out = np.empty_like(points)
    out[:, 0] = (cos * x - sin * y) * F32(roi.width) + F32(roi.x_center)
    out[:, 1] = (sin * x + cos * y) * F32(roi.height) + F32(roi.y_center)
    out[:, 2] = points[:, 2] * F32(roi.width)
    return out


def rotate_world(world_xyz: np.ndarray, roi: Roi) -> np.ndarray:
    """WorldLandmarkProjectionCalculator: x and y turned by the crop's rotation."""
    angle = F32(roi.rotation)
    cos, sin = np.cos(angle), np.sin(angle)
    points = world_xyz.astype(F32)
    out = points.copy()
    out[:, 0] = cos * points[:, 0] - sin * points[:, 1]
    out[:, 1] = sin * points[:, 0] + cos * points[:, 1]
    return out
