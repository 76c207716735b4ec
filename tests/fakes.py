"""Stand-ins for a webcam (objects with cv2.VideoCapture's interface serving known frames) and
for the pose model, and sources that fail on purpose: a camera that goes away, videos cut off
or damaged part-way."""

from __future__ import annotations

import dataclasses
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from posecoach.model.landmarks import Landmarks

from builders import half_kneeling


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


class UnpluggedCapture(FakeCapture):
    """A webcam unplugged after `serves` frames: from then on every read fails at once and the
    device reports itself closed, as a V4L2 camera does once it is gone."""

    def __init__(self, frames: list[np.ndarray], serves: int, fps: float = 30.0) -> None:
        super().__init__(frames, fps=fps)
        self.serves = serves

    def isOpened(self) -> bool:
        return self.index < self.serves and super().isOpened()

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.index >= self.serves:
            return False, None
        return super().read()


class ScriptedModel:
    """Stands in for the pose model: a half-kneeling body in every frame, at the frame's own
    time, index and size (fast, so fault tests need no real model)."""

    name = "scripted model"

    def __init__(self) -> None:
        self.estimated = 0
        self.closed = False

    def estimate(self, frame) -> Landmarks | None:
        self.estimated += 1
        body = half_kneeling(front_knee_deg=88.0 + frame.index % 5)
        return dataclasses.replace(
            body,
            resolution_wh=frame.resolution_wh,
            timestamp_ms=frame.timestamp_ms,
            frame_index=frame.index,
        )

    def close(self) -> None:
        self.closed = True


# -- Videos that fail on purpose ----------------------------------------------------------------


def write_video(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    """`frames` as a video: mp4 (MPEG-4 part 2, moov at the end, as OpenCV writes it) or, for
    an .avi name, Motion JPEG."""
    fourcc = "MJPG" if path.suffix == ".avi" else "mp4v"
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The mp4 boxes between `start` and `end`: (type, offset, size)."""
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        yield kind, start, size
        start += size


def faststart(path: Path) -> Path:
    """Move an mp4's index (the moov box) before its media data, as streaming tools do, so a
    copy cut off part-way can still be opened. The chunk offsets (stco) move along."""
    data = path.read_bytes()
    top = list(_boxes(data, 0, len(data)))
    (start, size) = next((o, n) for kind, o, n in top if kind == b"moov")
    moov = bytearray(data[start : start + size])

    def shift(begin: int, end: int) -> None:
        for kind, offset, length in _boxes(moov, begin, end):
            if kind in (b"trak", b"mdia", b"minf", b"stbl"):
                shift(offset + 8, offset + length)
            elif kind == b"stco":
                (count,) = struct.unpack(">I", moov[offset + 12 : offset + 16])
                for i in range(count):
                    at = offset + 16 + 4 * i
                    (chunk,) = struct.unpack(">I", moov[at : at + 4])
                    struct.pack_into(">I", moov, at, chunk + size)

    shift(8, size)
    out = bytearray()
    for kind, offset, length in top:
        if kind == b"mdat":
            out += moov
        if kind != b"moov":
            out += data[offset : offset + length]
    path.write_bytes(bytes(out))
    return path


def cut_off(path: Path, fraction: float) -> Path:
    """Keep only the first `fraction` of the file's bytes, as a copy stopped mid-way does."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def overwrite(path: Path, at_fraction: float, length: int, seed: int = 0) -> Path:
    """Overwrite `length` bytes in the middle of the file with noise (a bad disk sector)."""
    data = bytearray(path.read_bytes())
    start = int(len(data) * at_fraction)
    noise = np.random.default_rng(seed).integers(0, 256, length, dtype=np.uint8)
    data[start : start + length] = noise.tobytes()
    path.write_bytes(bytes(data))
    return path


def decodable(path: Path) -> tuple[list[int], list[int]]:
    """What OpenCV makes of a video, read to the end (past failed reads): the indices of the
    frames it decodes and of those it cannot, before the end."""
    capture = cv2.VideoCapture(str(path))
    good: list[int] = []
    bad: list[int] = []
    index = 0
    misses = 0
    while misses < 50:
        if capture.read()[0]:
            good.append(index)
            misses = 0
        else:
            bad.append(index)
            misses += 1
        index += 1
    capture.release()
    return good, [i for i in bad if i < good[-1]] if good else []
