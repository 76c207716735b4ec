"""Frame sources behind one iterator: webcam, video file, single image, folder of images
(and a landmark recording, in `posecoach.recording`).

Each yields `Frame`s carrying a BGR image, a timestamp in ms and a frame index. Files take
their timestamps from the frame index and frame rate; the webcam from a monotonic clock at
capture. A webcam cannot seek and has no length; a file knows both.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import PIL.Image

from posecoach.errors import CameraError, SourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".avif")
DEFAULT_IMAGE_FPS = 30.0


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # (H, W, 3) uint8, BGR
    timestamp_ms: float
    index: int

    @property
    def resolution_wh(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


class FrameSource:
    """Base of all sources: iterate for frames, close when done (also a context manager)."""

    name: str = ""
    fps: float = DEFAULT_IMAGE_FPS
    # True when frames are unrelated stills, so the model must not track between them.
    independent_frames: bool = False
    live: bool = False

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no length")

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def decode_image(path: Path) -> np.ndarray | None:
    """A BGR image, or None when neither OpenCV nor Pillow can decode the file.

    Pillow reads what OpenCV's build does not, such as AVIF (often saved under a .jpg name).
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is not None:
        return image
    try:
        with PIL.Image.open(path) as picture:
            rgb = np.asarray(picture.convert("RGB"))
    except (OSError, ValueError, PIL.Image.DecompressionBombError):
        return None
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _read_image(path: Path) -> np.ndarray:
    image = decode_image(path)
    if image is None:
        raise SourceError(
            f"cannot read image {path}: not an image format posecoach decodes "
            f"(use {', '.join(IMAGE_SUFFIXES)})"
        )
    return image


class VideoFileSource(FrameSource):
    """A video file, decoded frame by frame; timestamps from the frame index and fps."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise SourceError(f"no such video file: {self.path} (check the path)")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(
                f"cannot read video {self.path}: OpenCV could not open it "
                "(is it a complete video file?)"
            )
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not 0 < fps < 1000:
            log.warning("%s reports no frame rate; assuming %g fps", self.path, DEFAULT_IMAGE_FPS)
            fps = DEFAULT_IMAGE_FPS
        self.fps = fps
        self._frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def __len__(self) -> int:
        return self._frame_count

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            ok, image = self._capture.read()
            if not ok or image is None:
                break
            yield Frame(image, index * 1000.0 / self.fps, index)
            index += 1
        if index == 0:
            raise SourceError(f"cannot read video {self.path}: no frame could be decoded")

    def close(self) -> None:
        self._capture.release()


class ImageSource(FrameSource):
    """One still image, yielded once."""

    independent_frames = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise SourceError(f"no such image file: {self.path} (check the path)")
        self._image = _read_image(self.path)

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(self._image, 0.0, 0)


class ImageFolderSource(FrameSource):
    """Every image in a folder, in natural name order (2 before 10), one frame each."""

    independent_frames = True

    def __init__(self, path: str | Path, fps: float = DEFAULT_IMAGE_FPS) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.fps = fps
        if not self.path.is_dir():
            raise SourceError(f"no such folder: {self.path}")
        self.files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
            key=_natural_key,
        )
        if not self.files:
            raise SourceError(
                f"no images in {self.path}: expecting files ending in {', '.join(IMAGE_SUFFIXES)}"
            )

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[Frame]:
        yielded = 0
        for index, path in enumerate(self.files):
            image = decode_image(path)
            if image is None:
                log.warning("skipping %s: not an image posecoach can decode", path)
                continue
            yielded += 1
            yield Frame(image, index * 1000.0 / self.fps, index)
        if yielded == 0:
            raise SourceError(f"no image in {self.path} could be decoded (are they images?)")


class CameraSource(FrameSource):
    """A webcam through `cv2.VideoCapture(index)`; timestamps from a monotonic clock.

    Ends (raising CameraError) when the camera stops delivering frames.
    """

    live = True

    def __init__(
        self,
        index: int = 0,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        max_failed_reads: int = 30,
    ) -> None:
        self.index = index
        self.name = f"camera {index}"
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(
                f"cannot open camera {index}: is a webcam connected and free? "
                "(try another --camera number, or replay a video file instead)"
            )
        for prop, value in (
            (cv2.CAP_PROP_FRAME_WIDTH, width),
            (cv2.CAP_PROP_FRAME_HEIGHT, height),
            (cv2.CAP_PROP_FPS, fps),
        ):
            if value:
                self._capture.set(prop, float(value))
        reported = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported if 0 < reported < 1000 else (fps or DEFAULT_IMAGE_FPS)
        self.max_failed_reads = max_failed_reads

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        failures = 0
        while True:
            ok, image = self._capture.read()
            captured_ms = time.monotonic() * 1000.0
            if not ok or image is None:
                failures += 1
                if failures >= self.max_failed_reads:
                    raise CameraError(
                        f"camera {self.index} stopped delivering frames (was it unplugged?)"
                    )
                continue
            failures = 0
            yield Frame(image, captured_ms, index)
            index += 1

    def close(self) -> None:
        self._capture.release()


def open_source(spec: str | Path, image_fps: float = DEFAULT_IMAGE_FPS) -> FrameSource:
    """Open a video file, an image, a folder of images or a landmark recording (its frames
    carry the recorded landmarks: see `posecoach.recording`), chosen by what the path is."""
    # Imported here: the recording module builds on this one.
    from posecoach.recording import RecordingSource, is_recording

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
