"""Landmark recordings: what the pose model found in every frame of a session, saved so the
session can be coached again without running the model.

A recording is a source like a video (`RecordingSource`): each of its frames carries the
recorded landmarks, so replaying one gives the same counts, hold times and verdicts as the
video it was recorded from, at the speed of the coach alone (the model is most of the cost
of coaching a video; `benchmarks/replay_speed.py` measures both).

File layout (format version 1; numbers little-endian):

    bytes 0-11    MAGIC, b"POSECOACHREC"
    bytes 12-15   H, the header's length in bytes (uint32)
    next H bytes  the header: a UTF-8 JSON object, padded with spaces
    then          one record of RECORD_DTYPE per frame, to the end of the file

The header names the format and its version and says where the landmarks came from (see
`RecordingHeader`). Records have a fixed size and are read with a numpy structured dtype;
nothing in a recording is executed or unpickled. Each record ends with the CRC-32 of its
other bytes.

The header is written when the file is opened and each record as soon as its frame has been
estimated, without buffering, so a recording stopped by Ctrl-C, SIGTERM, a camera that goes
away or a killed process keeps every frame written so far; the file is synced to the disk at
least every SYNC_INTERVAL_S, so a power cut loses little more. Closing fills in the frame
count (the header is padded so it can be rewritten in place). A reader stops at the first
cut-off or damaged record, loads every frame before it and says how many were lost; coaching
a recording that was cut off (or never closed) ends with an error after its last complete
frame, while `tune` and `eval` use what is there.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import math
import os
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from posecoach import __version__
from posecoach.config.errors import SourceError
from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.estimator import PoseEstimator
from posecoach.model.landmarks import NUM_LANDMARKS, Landmarks

log = logging.getLogger(__name__)

RECORDING_SUFFIX = ".pcrec"
FORMAT_NAME = "posecoach-recording"
FORMAT_VERSION = 1
MAGIC = b"POSECOACHREC"
_LENGTH = struct.Struct("<I")
HEADER_START = len(MAGIC) + _LENGTH.size
# Room left in the header for what is known only later (the frame size, the frame count).
HEADER_SPARE_BYTES = 128
MAX_HEADER_BYTES = 1 << 20
# The longest a written record waits before the file is synced to the disk (fsync).
SYNC_INTERVAL_S = 1.0

# One frame. Landmarks absent (nobody found, or no world landmarks) are stored as NaN.
RECORD_DTYPE = np.dtype(
    [
        ("timestamp_ms", "<f8"),
        ("frame_index", "<i8"),
        ("width", "<u4"),  # the frame's size in pixels
        ("height", "<u4"),
        ("present", "u1"),  # 1: a person was found
        ("has_world", "u1"),  # 1: world landmarks were given
        ("image_xyz", "<f8", (NUM_LANDMARKS, 3)),  # x, y normalised to the frame; z
        ("visibility", "<f8", (NUM_LANDMARKS,)),
        ("world_xyz_m", "<f8", (NUM_LANDMARKS, 3)),  # metres, around the hip centre
        ("crc32", "<u4"),  # CRC-32 of the record's bytes before this field
    ]
)
_CRC_OFFSET = RECORD_DTYPE.itemsize - RECORD_DTYPE["crc32"].itemsize  # the CRC comes last

# What a canvas for drawing a recorded frame is filled with (BGR grey).
CANVAS_GREY = 60

# (landmarks or None when nobody was found, timestamp in ms, frame index) per frame.
StreamFrame = tuple[Landmarks | None, float, int]


class RecordingError(SourceError):
    """A recording that cannot be written or read."""


def is_recording(path: str | Path) -> bool:
    """Whether `path` is named as a recording (by its suffix)."""
    return Path(path).suffix.lower() == RECORDING_SUFFIX


def recording_path(path: str | Path) -> Path:
    """`path` as the name of a recording to write; RecordingError unless it ends in the
    recording suffix (sources are told apart by their suffix)."""
    path = Path(path)
    if not is_recording(path):
        raise RecordingError(
            f"cannot write recording {path}: expecting a name ending in {RECORDING_SUFFIX}"
        )
    return path


def _record_fields() -> list[list[Any]]:
    """The record layout as the header documents it: [name, numpy type, shape] per field."""
    fields = []
    for name in RECORD_DTYPE.names or ():
        field_dtype = RECORD_DTYPE[name]
        fields.append([name, field_dtype.base.str, list(field_dtype.shape)])
    return fields


@dataclass(frozen=True)
class RecordingHeader:
    """What a recording says about itself.

    size_wh: the first frame's width and height in pixels (None before the first frame; each
        record also has its own frame's size). fps: the source's frame rate.
    independent_frames: the frames are unrelated stills (an image folder).
    live: recorded from a camera, timestamps from its capture clock.
    created: when recording started (ISO 8601, UTC).
    frame_count: the frames written, filled in when the recording is closed (None when it
        was not closed: stopped by a crash, or still being written).
    """

    model: str
    source: str
    size_wh: tuple[int, int] | None
    fps: float
    independent_frames: bool
    live: bool
    created: str
    frame_count: int | None = None
    version: int = FORMAT_VERSION
    posecoach_version: str = __version__

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "posecoach_version": self.posecoach_version,
            "model": self.model,
            "source": self.source,
            "size_wh": list(self.size_wh) if self.size_wh is not None else None,
            "fps": self.fps,
            "independent_frames": self.independent_frames,
            "live": self.live,
            "created": self.created,
            "frame_count": self.frame_count,
            "record_size": RECORD_DTYPE.itemsize,
            "record_fields": _record_fields(),
        }

    @classmethod
    def from_json(cls, data: Any, path: Path) -> RecordingHeader:
        """The header of a file of this format version; RecordingError naming the key when
        a value is not what the format says."""

        def damaged(key: str, expected: str) -> RecordingError:
            found = data.get(key) if isinstance(data, dict) else None
            return RecordingError(
                f"{path}: damaged recording header: {key}: expected {expected}, got {found!r}"
            )

        def get(key: str, kind: type | tuple[type, ...], expected: str) -> Any:
            value = data.get(key)
            if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
                raise damaged(key, expected)
            return value

        size = data.get("size_wh")
        if size is not None and not (
            isinstance(size, list)
            and len(size) == 2
            and all(isinstance(v, int) and v > 0 for v in size)
        ):
            raise damaged("size_wh", "[width, height] in pixels, or null")
        fps = get("fps", (int, float), "a frame rate above 0")
        if not (math.isfinite(fps) and fps > 0):
            raise damaged("fps", "a frame rate above 0")
        count = data.get("frame_count")
        if count is not None and not (isinstance(count, int) and count >= 0):
            raise damaged("frame_count", "a whole number of 0 or more, or null")
        if data.get("record_size") != RECORD_DTYPE.itemsize:
            raise damaged("record_size", str(RECORD_DTYPE.itemsize))
        return cls(
            model=get("model", str, "the model's name"),
            source=get("source", str, "the source's name"),
            size_wh=(size[0], size[1]) if size is not None else None,
            fps=float(fps),
            independent_frames=get("independent_frames", bool, "true or false"),
            live=get("live", bool, "true or false"),
            created=get("created", str, "a date and time"),
            frame_count=count,
            version=data["version"],
            posecoach_version=get("posecoach_version", str, "a version"),
        )


def _header_bytes(header: RecordingHeader, size: int | None = None) -> bytes:
    """The header block: magic, length and JSON padded with spaces to `size` bytes (by
    default, its own length plus room for later changes)."""
    text = json.dumps(header.to_json(), separators=(",", ":")).encode("utf-8")
    size = len(text) + HEADER_SPARE_BYTES if size is None else size
    if len(text) > size:
        raise ValueError(f"recording header of {len(text)} bytes does not fit in {size}")
    return MAGIC + _LENGTH.pack(size) + text.ljust(size, b" ")


# --- Writing -----------------------------------------------------------------------------------


class RecordingWriter:
    """Writes a recording frame by frame: the header when opened, then a record per `write`.

    Every record reaches the file when `write` returns (a killed process loses none of them),
    and the disk at least every SYNC_INTERVAL_S; `close` fills in the frame count. `frames`
    and `found` count the frames written and those with a person.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        model: str,
        source: str,
        fps: float,
        independent_frames: bool = False,
        live: bool = False,
        size_wh: tuple[int, int] | None = None,
    ) -> None:
        self.path = recording_path(path)
        self.header = RecordingHeader(
            model=model,
            source=source,
            size_wh=size_wh,
            fps=float(fps),
            independent_frames=independent_frames,
            live=live,
            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        )
        self.frames = 0
        self.found = 0
        self._record = np.zeros(1, RECORD_DTYPE)
        block = _header_bytes(self.header)
        self._header_size = len(block) - HEADER_START
        try:
            self._file: BinaryIO | None = open(self.path, "wb", buffering=0)  # noqa: SIM115
        except OSError as error:
            raise self._error(error) from error
        self._synced_at = time.monotonic()
        self._write(block)

    @classmethod
    def for_source(cls, path: str | Path, source: FrameSource, model: str) -> RecordingWriter:
        """A writer for the landmarks `model` finds in `source`."""
        return cls(
            path,
            model=model,
            source=source.name,
            fps=source.fps,
            independent_frames=source.independent_frames,
            live=source.live,
        )

    def _error(self, error: OSError) -> RecordingError:
        return RecordingError(f"cannot write recording {self.path}: {error.strerror or error}")

    def _write(self, data: bytes, offset: int | None = None) -> None:
        if self._file is None:
            raise ValueError(f"recording {self.path} is closed")
        try:
            if offset is not None:
                self._file.seek(offset)
            remaining = memoryview(data)
            while remaining:  # an unbuffered write may take only part of the bytes
                remaining = remaining[self._file.write(remaining) :]
            if offset is not None:
                self._file.seek(0, 2)
        except OSError as error:
            raise self._error(error) from error

    def _rewrite_header(self) -> None:
        self._write(_header_bytes(self.header, self._header_size), offset=0)

    def _sync(self) -> None:
        if self._file is None:
            return
        try:
            os.fsync(self._file.fileno())
        except OSError as error:
            raise self._error(error) from error
        self._synced_at = time.monotonic()

    def write(
        self,
        landmarks: Landmarks | None,
        timestamp_ms: float,
        frame_index: int,
        resolution_wh: tuple[int, int],
    ) -> None:
        """Append one frame: its time, index and size, and what was found (None: nobody)."""
        if landmarks is not None and (
            landmarks.timestamp_ms != timestamp_ms
            or landmarks.frame_index != frame_index
            or landmarks.resolution_wh != tuple(resolution_wh)
        ):
            raise ValueError(
                f"landmarks of frame {landmarks.frame_index} at {landmarks.timestamp_ms} ms "
                f"({landmarks.resolution_wh}) given for frame {frame_index} at {timestamp_ms} ms "
                f"({tuple(resolution_wh)})"
            )
        record = self._record
        record["timestamp_ms"] = timestamp_ms
        record["frame_index"] = frame_index
        record["width"], record["height"] = resolution_wh
        record["present"] = landmarks is not None
        record["has_world"] = landmarks is not None and landmarks.world_xyz_m is not None
        if landmarks is None:
            record["image_xyz"] = math.nan
            record["visibility"] = math.nan
            record["world_xyz_m"] = math.nan
        else:
            record["image_xyz"][0, :, :2] = landmarks.xy_norm
            record["image_xyz"][0, :, 2] = landmarks.z
            record["visibility"] = landmarks.visibility
            world = landmarks.world_xyz_m
            record["world_xyz_m"] = math.nan if world is None else world
        data = record.tobytes()
        self._write(data[:_CRC_OFFSET] + struct.pack("<I", zlib.crc32(data[:_CRC_OFFSET])))
        self.frames += 1
        self.found += landmarks is not None
        if self.header.size_wh is None:
            width, height = resolution_wh
            self.header = dataclasses.replace(self.header, size_wh=(int(width), int(height)))
            self._rewrite_header()
        if time.monotonic() - self._synced_at >= SYNC_INTERVAL_S:
            self._sync()

    def close(self) -> None:
        """Fill in the frame count and close the file; safe to call twice."""
        if self._file is None:
            return
        try:
            self.header = dataclasses.replace(self.header, frame_count=self.frames)
            self._rewrite_header()
            self._sync()
        finally:
            self._file.close()
            self._file = None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordingEstimator:
    """A pose estimator that also records: every frame it is given, with what the wrapped
    estimator found in it (a person or nobody), goes to `writer`. Closing closes both."""

    def __init__(self, estimator: PoseEstimator, writer: RecordingWriter) -> None:
        self.estimator = estimator
        self.writer = writer
        self.name = estimator.name

    def estimate(self, frame: Frame) -> Landmarks | None:
        landmarks = self.estimator.estimate(frame)
        self.writer.write(landmarks, frame.timestamp_ms, frame.index, frame.resolution_wh)
        return landmarks

    def close(self) -> None:
        try:
            self.estimator.close()
        finally:
            self.writer.close()


def recording_estimator(
    estimator: PoseEstimator, path: str | Path, source: FrameSource
) -> RecordingEstimator:
    """`estimator`, recording what it finds in `source` to `path`; when the recording cannot
    be written the estimator is closed and RecordingError raised."""
    try:
        writer = RecordingWriter.for_source(path, source, estimator.name)
    except BaseException:
        estimator.close()
        raise
    return RecordingEstimator(estimator, writer)


# --- Reading -----------------------------------------------------------------------------------


def _not_a_recording(path: Path, why: str) -> RecordingError:
    return RecordingError(
        f"{path} is not a posecoach recording ({why}): make one with "
        f"'posecoach record SOURCE --out NAME{RECORDING_SUFFIX}'"
    )


def _read_header(data: bytes, path: Path) -> tuple[RecordingHeader, int]:
    """The header and where the records start."""
    if not data.startswith(MAGIC):
        why = "the file is empty" if not data else f"it does not start with {MAGIC!r}"
        raise _not_a_recording(path, why)
    if len(data) < HEADER_START:
        raise _not_a_recording(path, "the file ends inside its header")
    (size,) = _LENGTH.unpack_from(data, len(MAGIC))
    if size > MAX_HEADER_BYTES or len(data) < HEADER_START + size:
        raise _not_a_recording(path, "the file ends inside its header")
    try:
        fields = json.loads(data[HEADER_START : HEADER_START + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordingError(f"{path}: damaged recording header: not JSON ({error})") from error
    if not isinstance(fields, dict) or fields.get("format") != FORMAT_NAME:
        raise _not_a_recording(path, f"its header does not name the format {FORMAT_NAME!r}")
    version = fields.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RecordingError(
            f"{path}: damaged recording header: version: expected a whole number, got {version!r}"
        )
    if version > FORMAT_VERSION:
        made_by = fields.get("posecoach_version")
        raise RecordingError(
            f"{path} is a version {version} recording (made by posecoach {made_by}); this "
            f"posecoach {__version__} reads version {FORMAT_VERSION}: upgrade posecoach"
        )
    return RecordingHeader.from_json(fields, path), HEADER_START + size


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
    header, start = _read_header(data, path)
    size = RECORD_DTYPE.itemsize
    complete, leftover = divmod(len(data) - start, size)
    records = np.frombuffer(data, RECORD_DTYPE, count=complete, offset=start)
    good = complete
    for i in range(complete):
        record = data[start + i * size : start + (i + 1) * size]
        if zlib.crc32(record[:_CRC_OFFSET]) != int(records["crc32"][i]):
            good = i  # damaged (a crash can leave zeros at the end): stop before it
            break
    lost = complete - good + (1 if leftover else 0)
    if header.frame_count is not None:
        lost = max(lost, header.frame_count - good)
    return Recording(path, header, records[:good], lost)


# --- A recording as a source -------------------------------------------------------------------


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
