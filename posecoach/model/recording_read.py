"""Reading landmark recordings: `read_recording` loads one into memory (`Recording`), and
`RecordingSource` replays one as a frame source.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.landmarks import Landmarks
from posecoach.model.recording_format import (
    CRC_OFFSET,
    RECORD_DTYPE,
    RecordingError,
    RecordingHeader,
    StreamFrame,
    read_header,
)

log = logging.getLogger(__name__)

# What a canvas for drawing a recorded frame is filled with (BGR grey).
CANVAS_GREY = 60


class Recording:
    """A recording read into memory: its header and every complete frame.

    `lost_frames`: how many frames the file should hold but does not (cut off or damaged at
    the end); 0 for a complete recording. `closed`: the writer closed the file (it did not
    stop mid-write).
    """

    def __init__(self, path: Path, header: RecordingHeader, records: np.ndarray, lost: int):
        self.path = path
        self.header = header
        self.lost_frames = lost
        self._timestamps_ms = records["timestamp_ms"].astype(np.float64)
        self._indices = records["frame_index"].astype(np.int64)
        self._sizes = np.stack([records["width"], records["height"]], axis=1).astype(np.int64)
        self._present = records["present"].astype(bool)
        self._has_world = records["has_world"].astype(bool)
        self._image_xyz = np.ascontiguousarray(records["image_xyz"], dtype=np.float64)
        self._visibility = np.ascontiguousarray(records["visibility"], dtype=np.float64)
        self._world = np.ascontiguousarray(records["world_xyz_m"], dtype=np.float64)

    def __len__(self) -> int:
        return len(self._timestamps_ms)

    @property
    def closed(self) -> bool:
        return self.header.frame_count is not None

    @property
    def cut_off(self) -> str | None:
        """How the recording falls short, in words, or None when it is complete."""
        if self.lost_frames:
            return f"{self.lost_frames} more frame(s) are missing or damaged"
        if not self.closed:
            return "it was never closed"
        return None

    @property
    def found(self) -> int:
        """The frames in which a person was found."""
        return int(self._present.sum())

    def timestamp_ms(self, i: int) -> float:
        return float(self._timestamps_ms[i])

    def frame_index(self, i: int) -> int:
        return int(self._indices[i])

    def resolution_wh(self, i: int) -> tuple[int, int]:
        width, height = self._sizes[i]
        return int(width), int(height)

    def landmarks(self, i: int) -> Landmarks | None:
        """The landmarks of the i-th frame as the model gave them, or None (nobody found)."""
        if not self._present[i]:
            return None
        xyz = self._image_xyz[i]
        return Landmarks(
            xy_norm=xyz[:, :2].copy(),
            z=xyz[:, 2].copy(),
            visibility=self._visibility[i].copy(),
            world_xyz_m=self._world[i].copy() if self._has_world[i] else None,
            resolution_wh=self.resolution_wh(i),
            timestamp_ms=self.timestamp_ms(i),
            frame_index=self.frame_index(i),
        )

    def stream(self) -> list[StreamFrame]:
        """Every frame as (landmarks or None, timestamp in ms, frame index)."""
        return [
            (self.landmarks(i), self.timestamp_ms(i), self.frame_index(i)) for i in range(len(self))
        ]


def read_recording(path: str | Path) -> Recording:
    """Read a recording; RecordingError with one line saying why when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"no such recording: {path} (check the path)")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RecordingError(f"cannot read recording {path}: {error.strerror or error}") from error
    header, start = read_header(data, path)
    size = RECORD_DTYPE.itemsize
    complete, leftover = divmod(len(data) - start, size)
    records = np.frombuffer(data, RECORD_DTYPE, count=complete, offset=start)
    good = complete
    for i in range(complete):
        record = data[start + i * size : start + (i + 1) * size]
        if zlib.crc32(record[:CRC_OFFSET]) != int(records["crc32"][i]):
            good = i  # damaged (a crash can leave zeros at the end): stop before it
            break
    lost = complete - good + (1 if leftover else 0)
    if header.frame_count is not None:
        lost = max(lost, header.frame_count - good)
    return Recording(path, header, records[:good], lost)


@dataclass(frozen=True)
class RecordedFrame(Frame):
    """A frame of a recording: the landmarks found when it was recorded (None: nobody) and,
    as the image, a plain canvas of the recorded size."""

    landmarks: Landmarks | None = None


class RecordingSource(FrameSource):
    """A recording replayed as a source. No model runs: each frame carries its recorded
    landmarks (`RecordedFrame.landmarks`).

    The image of every frame is a plain canvas of the recorded size, made once per size and
    read-only: whatever draws on it draws on a copy. A recording made from a camera replays
    as live (`live`), so its report is timed by the capture clock as the live session was.

    A recording that was cut off (`Recording.cut_off`) yields every complete frame, then
    raises RecordingError saying so, as a video that ends early does: coaching it ends with
    that error, its report covering the complete frames. With `accept_cut_off` (for
    measuring, as `eval` does) it just ends there, after a warning.
    """

    def __init__(self, path: str | Path, accept_cut_off: bool = False) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.recording = read_recording(self.path)
        header = self.recording.header
        self.fps = header.fps
        self.independent_frames = header.independent_frames
        self.live = header.live
        self.model_name = header.model
        self.accept_cut_off = accept_cut_off
        self._canvases: dict[tuple[int, int], np.ndarray] = {}
        if self.recording.lost_frames:
            log.warning(
                "%s is cut off: %d frame(s) lost; replaying the %d complete ones",
                self.path,
                self.recording.lost_frames,
                len(self.recording),
            )
        elif not self.recording.closed:
            log.warning(
                "%s was never closed (stopped mid-write?); replaying its %d frames",
                self.path,
                len(self.recording),
            )

    def __len__(self) -> int:
        return len(self.recording)

    def canvas(self, size_wh: tuple[int, int]) -> np.ndarray:
        """The plain, read-only picture for frames of this size."""
        canvas = self._canvases.get(size_wh)
        if canvas is None:
            canvas = np.full((size_wh[1], size_wh[0], 3), CANVAS_GREY, np.uint8)
            canvas.flags.writeable = False
            self._canvases[size_wh] = canvas
        return canvas

    def __iter__(self) -> Iterator[Frame]:
        recording = self.recording
        for i in range(len(recording)):
            yield RecordedFrame(
                self.canvas(recording.resolution_wh(i)),
                recording.timestamp_ms(i),
                recording.frame_index(i),
                recording.landmarks(i),
            )
        why = recording.cut_off
        if why is not None and not self.accept_cut_off:
            raise RecordingError(
                f"recording {self.path} is cut off after {len(recording)} complete frames: "
                f"{why} (was it stopped mid-write?)"
            )
