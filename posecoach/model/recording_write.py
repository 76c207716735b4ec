"""Writing landmark recordings: `RecordingWriter` writes one frame by frame, and
`RecordingEstimator` records what a pose estimator finds as it runs.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import struct
import time
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.estimator import PoseEstimator
from posecoach.model.landmarks import Landmarks
from posecoach.model.recording_format import (
    CRC_OFFSET,
    HEADER_START,
    RECORD_DTYPE,
    RecordingError,
    RecordingHeader,
    header_bytes,
    recording_path,
)

# The longest a written record waits before the file is synced to the disk (fsync).
SYNC_INTERVAL_S = 1.0


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
        block = header_bytes(self.header)
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
        self._write(header_bytes(self.header, self._header_size), offset=0)

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
        self._write(data[:CRC_OFFSET] + struct.pack("<I", zlib.crc32(data[:CRC_OFFSET])))
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
