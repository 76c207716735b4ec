"""Where annotated frames go: a window on screen, or a video file."""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path

import cv2
import numpy as np

from posecoach.errors import PosecoachError
from posecoach.sources import IMAGE_SUFFIXES


class Key(enum.Enum):
    """What a key press in the window asks for."""

    NONE = "none"
    QUIT = "quit"
    PAUSE = "pause"
    MUTE = "mute"  # cues on or off


_KEYS = {ord("q"): Key.QUIT, 27: Key.QUIT, ord(" "): Key.PAUSE, ord("m"): Key.MUTE}


def has_display() -> bool:
    """Whether a window can be shown (on Linux, an X11 or Wayland display is set)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class WindowSink:
    """An OpenCV window; `show` returns the key pressed (q or Esc quits, space pauses, m
    mutes or unmutes the cues)."""

    def __init__(self, title: str) -> None:
        if not has_display():
            raise PosecoachError("no screen to show a window on: add --no-window")
        self.title = title
        cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        self._opened = True

    def show(self, image: np.ndarray, wait_ms: int = 1) -> Key:
        cv2.imshow(self.title, image)
        return self.poll(wait_ms)

    def poll(self, wait_ms: int = 1) -> Key:
        code = cv2.waitKey(wait_ms)
        if code >= 0:
            return _KEYS.get(code & 0xFF, Key.NONE)
        if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            return Key.QUIT  # the user closed the window
        return Key.NONE

    def close(self) -> None:
        if self._opened:
            self._opened = False
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)


_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
VIDEO_SUFFIXES = tuple(_FOURCC)


class VideoSink:
    """An annotated video file, opened at the first frame (when the size is known).

    Closing finalises the file, so a session stopped early still leaves a playable video.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in _FOURCC:
            raise PosecoachError(
                f"cannot write {self.path}: expecting a name ending in "
                f"{', '.join(_FOURCC)} (a video) or {', '.join(IMAGE_SUFFIXES)} (images)"
            )
        self.fps = fps
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._size_wh = (0, 0)

    def write(self, image: np.ndarray) -> None:
        """Append a frame; frames of another size (a folder of photos) are scaled to the first."""
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            height, width = image.shape[:2]
            self._size_wh = (width, height)
            fourcc = cv2.VideoWriter.fourcc(*_FOURCC[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise PosecoachError(
                    f"cannot write video {self.path}: check the folder exists and is writable"
                )
        if (image.shape[1], image.shape[0]) != self._size_wh:
            image = cv2.resize(image, self._size_wh, interpolation=cv2.INTER_AREA)
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None


class ImageSink:
    """Annotated stills: the first frame to `path`, later ones to `<stem>_<index><suffix>`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        target = (
            self.path
            if self.frames == 0
            else self.path.with_name(f"{self.path.stem}_{self.frames:04d}{self.path.suffix}")
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(target), image):
            raise PosecoachError(f"cannot write image {target}: check the folder is writable")
        self.frames += 1

    def close(self) -> None:
        """Nothing to finalise: every image is complete when written."""


def open_frame_sink(path: str | Path, fps: float) -> VideoSink | ImageSink:
    """A video file for video names, annotated images for image names."""
    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        return ImageSink(path)
    return VideoSink(path, fps)
