"""The landmark recording format: its constants, the record layout and the header.

File layout (format version 1; numbers little-endian):

    bytes 0-11    MAGIC, b"POSECOACHREC"
    bytes 12-15   H, the header's length in bytes (uint32)
    next H bytes  the header: a UTF-8 JSON object, padded with spaces
    then          one record of RECORD_DTYPE per frame, to the end of the file

The header names the format and its version and says where the landmarks came from (see
`RecordingHeader`). Records have a fixed size and are read with a numpy structured dtype;
nothing in a recording is executed or unpickled. Each record ends with the CRC-32 of its
other bytes (the bytes before CRC_OFFSET).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posecoach import __version__
from posecoach.config.errors import SourceError
from posecoach.model.landmarks import NUM_LANDMARKS, Landmarks

RECORDING_SUFFIX = ".pcrec"
FORMAT_NAME = "posecoach-recording"
FORMAT_VERSION = 1
MAGIC = b"POSECOACHREC"
_LENGTH = struct.Struct("<I")
HEADER_START = len(MAGIC) + _LENGTH.size
# Room left in the header for what is known only later (the frame size, the frame count).
HEADER_SPARE_BYTES = 128
MAX_HEADER_BYTES = 1 << 20

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
CRC_OFFSET = RECORD_DTYPE.itemsize - RECORD_DTYPE["crc32"].itemsize  # the CRC comes last

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


def header_bytes(header: RecordingHeader, size: int | None = None) -> bytes:
    """The header block: magic, length and JSON padded with spaces to `size` bytes (by
    default, its own length plus room for later changes)."""
    text = json.dumps(header.to_json(), separators=(",", ":")).encode("utf-8")
    size = len(text) + HEADER_SPARE_BYTES if size is None else size
    if len(text) > size:
        raise ValueError(f"recording header of {len(text)} bytes does not fit in {size}")
    return MAGIC + _LENGTH.pack(size) + text.ljust(size, b" ")


def _not_a_recording(path: Path, why: str) -> RecordingError:
    return RecordingError(
        f"{path} is not a posecoach recording ({why}): make one with "
        f"'posecoach record SOURCE --out NAME{RECORDING_SUFFIX}'"
    )


def read_header(data: bytes, path: Path) -> tuple[RecordingHeader, int]:
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
