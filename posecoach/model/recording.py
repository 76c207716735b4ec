"""Landmark recordings: what the pose model found in every frame of a session, saved so the
session can be coached again without running the model.

A recording is a source like a video (`RecordingSource`): each of its frames carries the
recorded landmarks, so replaying one gives the same counts, hold times and verdicts as the
video it was recorded from, at the speed of the coach alone (the model is most of the cost
of coaching a video; `benchmarks/replay_speed.py` measures both).

The format (its layout, the header) is in `posecoach.model.recording_format`, writing in
`posecoach.model.recording_write`, reading and replaying in `posecoach.model.recording_read`;
every public name of the three is importable from here.

The header is written when the file is opened and each record as soon as its frame has been
estimated, without buffering, so a recording stopped by Ctrl-C, SIGTERM, a camera that goes
away or a killed process keeps every frame written so far; the file is synced to the disk at
least every SYNC_INTERVAL_S, so a power cut loses little more. Closing fills in the frame
count (the header is padded so it can be rewritten in place). A reader stops at the first
cut-off or damaged record, loads every frame before it and says how many were lost; coaching
a recording that was cut off (or never closed) ends with an error after its last complete
frame, while `tune` and `eval` use what is there.
"""

from posecoach.model.recording_format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_SPARE_BYTES,
    HEADER_START,
    MAGIC,
    MAX_HEADER_BYTES,
    RECORD_DTYPE,
    RECORDING_SUFFIX,
    RecordingError,
    RecordingHeader,
    StreamFrame,
    is_recording,
    recording_path,
)
from posecoach.model.recording_read import (
    CANVAS_GREY,
    RecordedFrame,
    Recording,
    RecordingSource,
    read_recording,
)
from posecoach.model.recording_write import (
    SYNC_INTERVAL_S,
    RecordingEstimator,
    RecordingWriter,
    recording_estimator,
)

__all__ = [
    "CANVAS_GREY",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "HEADER_SPARE_BYTES",
    "HEADER_START",
    "MAGIC",
    "MAX_HEADER_BYTES",
    "RECORDING_SUFFIX",
    "RECORD_DTYPE",
    "SYNC_INTERVAL_S",
    "RecordedFrame",
    "Recording",
    "RecordingError",
    "RecordingEstimator",
    "RecordingHeader",
    "RecordingSource",
    "RecordingWriter",
    "StreamFrame",
    "is_recording",
    "read_recording",
    "recording_estimator",
    "recording_path",
]
