"""MediaPipe Pose: the only module that imports mediapipe.

Two back ends give the same `Landmarks`:
- `SolutionsPoseEstimator`: the BlazePose *full* model bundled in the mediapipe wheel,
  through the legacy `mp.solutions.pose` API; works offline right after install.
- `TaskPoseEstimator`: a pose landmarker `.task` file (lite, full or heavy) through the
  MediaPipe Tasks API, for users who have one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import cv2

from posecoach.errors import EstimatorError
from posecoach.landmarks import Landmarks
from posecoach.sources import Frame

# Detection and tracking confidences (MediaPipe's own defaults).
MIN_DETECTION_CONFIDENCE = 0.5
MIN_TRACKING_CONFIDENCE = 0.5
BUNDLED_MODEL_NAME = "mediapipe-pose-full (bundled)"


class PoseEstimator(Protocol):
    """Finds one person's landmarks in a frame."""

    name: str

    def estimate(self, frame: Frame) -> Landmarks | None: ...

    def close(self) -> None: ...


def _rgb(frame: Frame) -> Any:
    return cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)


class SolutionsPoseEstimator:
    """The bundled BlazePose full model via `mp.solutions.pose`.

    `static_images` turns tracking off, for unrelated stills.
    """

    def __init__(self, static_images: bool = False) -> None:
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static_images,
            model_complexity=1,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=MIN_DETECTION_CONFIDENCE,
            min_tracking_confidence=MIN_TRACKING_CONFIDENCE,
        )
        self.name = BUNDLED_MODEL_NAME

    def estimate(self, frame: Frame) -> Landmarks | None:
        result = self._pose.process(_rgb(frame))
        if result.pose_landmarks is None:
            return None
        world = result.pose_world_landmarks.landmark if result.pose_world_landmarks else None
        return Landmarks.from_mediapipe(
            result.pose_landmarks.landmark,
            world,
            frame.resolution_wh,
            frame.timestamp_ms,
            frame.index,
        )

    def close(self) -> None:
        self._pose.close()


class TaskPoseEstimator:
    """A pose landmarker `.task` model via the MediaPipe Tasks API.

    Runs in VIDEO mode (tracking between frames, timestamps strictly increasing) or, for
    unrelated stills, in IMAGE mode.
    """

    def __init__(self, model_path: str | Path, static_images: bool = False) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise EstimatorError(f"no such model file: {path} (give a pose landmarker .task file)")
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.vision import (
            PoseLandmarker,
            PoseLandmarkerOptions,
            RunningMode,
        )

        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=RunningMode.IMAGE if static_images else RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=MIN_DETECTION_CONFIDENCE,
            min_tracking_confidence=MIN_TRACKING_CONFIDENCE,
        )
        try:
            self._landmarker = PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as error:
            first_line = (str(error).splitlines() or ["unknown error"])[0]
            raise EstimatorError(
                f"cannot load model {path}: {first_line} "
                "(expecting a MediaPipe pose landmarker .task file)"
            ) from error
        self._mp = mp
        self._static = static_images
        self._last_ms = -1
        self.name = path.name

    def estimate(self, frame: Frame) -> Landmarks | None:
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=_rgb(frame))
        if self._static:
            result = self._landmarker.detect(image)
        else:
            # The Tasks API needs strictly increasing integer timestamps.
            timestamp_ms = max(round(frame.timestamp_ms), self._last_ms + 1)
            self._last_ms = timestamp_ms
            result = self._landmarker.detect_for_video(image, timestamp_ms)
        if not result.pose_landmarks:
            return None
        world = result.pose_world_landmarks[0] if result.pose_world_landmarks else None
        return Landmarks.from_mediapipe(
            result.pose_landmarks[0], world, frame.resolution_wh, frame.timestamp_ms, frame.index
        )

    def close(self) -> None:
        self._landmarker.close()


def create_estimator(
    model_path: str | Path | None = None, static_images: bool = False
) -> PoseEstimator:
    """The bundled full model, or the `.task` model at `model_path`."""
    if model_path is None:
        return SolutionsPoseEstimator(static_images=static_images)
    return TaskPoseEstimator(model_path, static_images=static_images)
