"""Opening what a command reads: a video, a photo, a folder of photos, or a landmark
recording (which replays the model's landmarks, so it needs no model)."""

from __future__ import annotations

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
