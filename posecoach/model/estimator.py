"""The pose model: the only module the coaching pipeline asks for landmarks.

posecoach runs MediaPipe's BlazePose models itself (`posecoach.model.blazepose`) on Google's LiteRT
interpreter, with the detection, tracking and landmark filtering of MediaPipe's pose graph, so
the landmarks are those mediapipe 0.10.21's legacy API gave. Nothing is downloaded and nothing
leaves the machine: the models ship inside the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from posecoach.config.errors import EstimatorError
from posecoach.inputs.sources import Frame
from posecoach.model.landmarks import Landmarks


class PoseEstimator(Protocol):
    """Finds one person's landmarks in a frame."""

    name: str

    def estimate(self, frame: Frame) -> Landmarks | None: ...

    def close(self) -> None: ...


class BlazePoseEstimator:
    """BlazePose (detector and landmark model) on LiteRT.

    `static_images` runs the detector on every frame and filters nothing, for unrelated
    stills; otherwise the body is tracked from frame to frame. `threads`: the interpreter's
    threads (None: `default_threads()`).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        static_images: bool = False,
        threads: int | None = None,
    ) -> None:
        from posecoach.model.blazepose.models import (
            bundled_models,
            default_threads,
            models_from_file,
        )
        from posecoach.model.blazepose.tracker import BlazePoseTracker

        if threads is not None and threads < 1:
            raise EstimatorError(f"model threads must be 1 or more, got {threads}")
        models = bundled_models() if model_path is None else models_from_file(model_path)
        self.threads = default_threads() if threads is None else threads
        self._tracker = BlazePoseTracker(models, self.threads, static_images)
        self.name = models.name

    def estimate(self, frame: Frame) -> Landmarks | None:
        found = self._tracker.process(frame.image)
        if found is None:
            return None
        return Landmarks(
            xy_norm=found.xyz[:, :2],
            z=found.xyz[:, 2],
            visibility=found.visibility,
            world_xyz_m=found.world_xyz_m,
            resolution_wh=frame.resolution_wh,
            timestamp_ms=frame.timestamp_ms,
            frame_index=frame.index,
        )

    def close(self) -> None:
        """Nothing to release but memory; kept for the PoseEstimator protocol."""


def create_estimator(
    model_path: str | Path | None = None,
    static_images: bool = False,
    threads: int | None = None,
) -> PoseEstimator:
    """The bundled full model, or the model at `model_path` (a landmark `.tflite` or a
    `.task` bundle), with `threads` interpreter threads (None: the default)."""
    return BlazePoseEstimator(model_path, static_images=static_images, threads=threads)
