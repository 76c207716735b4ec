"""Builds a MediaPipe pose landmarker `.task` bundle from the models posecoach ships.

A `.task` is a zip of `pose_detector.tflite` and `pose_landmarks_detector.tflite`; posecoach
reads the two models out of it (MediaPipe's own bundles also carry metadata in the models,
which posecoach does not need).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from posecoach.model.blazepose.models import DETECTOR_FILE, LANDMARK_FILE, bundled_model_path


def build_pose_task(out_path: Path) -> Path:
    """Write a pose landmarker bundle (the full model) to `out_path`."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_STORED) as bundle:
        bundle.write(bundled_model_path(DETECTOR_FILE), "pose_detector.tflite")
        bundle.write(bundled_model_path(LANDMARK_FILE), "pose_landmarks_detector.tflite")
    return out_path
