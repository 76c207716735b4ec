"""Opening what a command reads, with its pose model: a video, a photo, a folder of photos,
or a landmark recording (which replays the model's landmarks, so it needs no model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posecoach.config.errors import SourceError
from posecoach.inputs.sources import (
    DEFAULT_IMAGE_FPS,
    IMAGE_SUFFIXES,
    FrameSource,
    ImageFolderSource,
    ImageSource,
    VideoFileSource,
)
from posecoach.model.estimator import PoseEstimator, create_estimator
from posecoach.model.recording import RecordingSource, is_recording


def open_source(spec: str | Path, image_fps: float = DEFAULT_IMAGE_FPS) -> FrameSource:
    """Open a video file, an image, a folder of images or a landmark recording (its frames
    carry the recorded landmarks: see `posecoach.model.recording`), chosen by what the path is."""
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, fps=image_fps)
    if not path.exists():
        raise SourceError(f"no such file or folder: {path} (check the path)")
    if is_recording(path):
        return RecordingSource(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoFileSource(path)


def estimator_for(
    source: FrameSource, model: str | Path | None = None, threads: int | None = None
) -> tuple[PoseEstimator | None, str]:
    """The pose model for `source` (the bundled one, or `model`), set for its kind of frames
    (unrelated stills, or a tracked video), and the model's name. A recording carries the
    landmarks found when it was made: no model is loaded for it (None), and the name is that
    of the model that found them."""
    if isinstance(source, RecordingSource):
        return None, source.model_name
    estimator = create_estimator(model, static_images=source.independent_frames, threads=threads)
    return estimator, estimator.name


@dataclass
class Input:
    """A source opened with its pose model (None for a recording), closed together."""

    source: FrameSource
    estimator: PoseEstimator | None
    model_name: str

    def close(self) -> None:
        try:
            if self.estimator is not None:
                self.estimator.close()
        finally:
            self.source.close()

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_input(
    spec: str | Path | FrameSource,
    model: str | Path | None = None,
    threads: int | None = None,
    image_fps: float = DEFAULT_IMAGE_FPS,
) -> Input:
    """Open a path (see `open_source`) or take an open source, with the model it needs; the
    source is closed again if the model cannot be loaded."""
    source = spec if isinstance(spec, FrameSource) else open_source(spec, image_fps)
    try:
        estimator, model_name = estimator_for(source, model, threads)
    except BaseException:
        source.close()
        raise
    return Input(source, estimator, model_name)
