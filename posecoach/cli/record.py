"""`posecoach record`: save the landmarks the model finds in a video, image folder or camera,
to coach them again without the model."""

from __future__ import annotations

import argparse
import sys

from posecoach.cli.common import CameraOptions, camera, writable
from posecoach.cli.exitcodes import ExitCode, stopped_code
from posecoach.config.errors import PosecoachError, stop_reason


def run(args: argparse.Namespace) -> int:
    """Record the landmarks of SOURCE or --camera N into --out, with a preview window unless
    --no-window; the exit code."""
    from posecoach.model.opening import open_input, open_source
    from posecoach.model.recording import (
        RecordingSource,
        recording_estimator,
        recording_path,
    )
    from posecoach.output.sinks import has_display
    from posecoach.run.interrupts import sigint_deferred
    from posecoach.run.record import record_source

    out = writable(recording_path(args.out), "recording")
    from_camera = args.camera is not None
    if from_camera:
        source = camera(CameraOptions.from_args(args))
    else:
        source = open_source(args.source, image_fps=args.image_fps)
    if isinstance(source, RecordingSource):
        source.close()
        raise PosecoachError(
            f"{source.name} is already a recording: coach it with "
            f"'posecoach replay {source.name} --pose ID'"
        )
    opened = open_input(source, args.model, args.threads)
    try:
        assert opened.estimator is not None  # not a recording (refused above)
        recorder = recording_estimator(opened.estimator, out, source)  # closes it on failure
    except BaseException:
        source.close()
        raise
    show_window = not args.no_window
    if show_window and not has_display():
        print("posecoach: no screen found, running without a window", file=sys.stderr)
        show_window = False
    title = f"posecoach - recording {source.name}" if show_window else None
    writer = recorder.writer
    try:
        interrupted = record_source(source, recorder, title, mirror=from_camera)
    finally:
        with sigint_deferred():  # the frame count goes into the header whatever comes
            recorder.close()
        notes = [f"person found in {writer.found / writer.frames:.0%}"] if writer.frames else []
        if source.dropped:
            notes.append(f"{source.dropped} camera frames dropped while the model was busy")
        found = f" ({'; '.join(notes)})" if notes else ""
        print(f"recorded {writer.frames} frames{found} to {out}")
    if interrupted:
        print(
            f"posecoach: {stop_reason(interrupted)}; every frame so far is in the recording",
            file=sys.stderr,
        )
        return stopped_code(interrupted)
    if writer.frames > 0 and writer.found == 0:
        print(
            f"posecoach: nobody was found in {source.name}: make sure the whole body is in view "
            "and well lit",
            file=sys.stderr,
        )
        return ExitCode.NOBODY
    return ExitCode.OK
