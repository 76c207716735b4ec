"""Stand-ins for a webcam: objects with cv2.VideoCapture's interface serving known frames."""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np


class FakeCapture:
    """A webcam that serves `frames`, paced at `fps`, then fails like an unplugged camera.

    `on_read(index)` runs before each frame is served (a test raises KeyboardInterrupt there).
    """

    def __init__(
        self,
        frames: list[np.ndarray],
        fps: float = 30.0,
        opened: bool = True,
        on_read: Callable[[int], None] | None = None,
        paced: bool = True,
    ) -> None:
        self.frames = frames
        self.fps = fps
        self.opened = opened
        self.on_read = on_read
        self.paced = paced
        self.index = 0
        self.settings: dict[int, float] = {}
        self.released = False
        self._next_time = time.monotonic()

    def isOpened(self) -> bool:
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.settings[prop] = value
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS:
            return self.fps
        return self.settings.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.on_read is not None:
            self.on_read(self.index)
        if self.index >= len(self.frames):
            return False, None
        if self.paced:
            delay = self._next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_time = max(self._next_time, time.monotonic()) + 1 / self.fps
        frame = self.frames[self.index]
        self.index += 1
        return True, frame.copy()

    def release(self) -> None:
        self.released = True


def video_frames(path: str, limit: int | None = None) -> list[np.ndarray]:
    capture = cv2.VideoCapture(path)
    frames = []
    while limit is None or len(frames) < limit:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames
