"""The coaching loop: source -> estimator -> coach -> overlay -> sinks, and the report.

Whatever ends the loop (end of input, the q key, Ctrl-C, a camera that stops), the video
written so far is finalised and the report is written before the loop returns or re-raises.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posecoach.coach import Assessment, Coach
from posecoach.errors import PosecoachError
from posecoach.estimator import PoseEstimator
from posecoach.overlay import annotate, banner
from posecoach.recording import RecordedFrame
from posecoach.report import SessionReport, write_json_atomic
from posecoach.sinks import ImageSink, Key, VideoSink, WindowSink, open_frame_sink
from posecoach.sources import Frame, FrameSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outputs:
    """Where a session's results go."""

    report_path: Path | None = None
    video_path: Path | None = None
    window_title: str | None = None  # None: no window
    mirror: bool = False  # mirror the window (not the video file), for live use
    # Called with every frame's assessment as it is made (the signal table's `add`).
    on_frame: Callable[[Assessment], None] | None = None


@dataclass
class SessionResult:
    report: dict[str, Any]  # the report's content, as written
    report_path: Path | None
    video_path: Path | None  # None when no frame was written
    interrupted: bool


class _FpsMeter:
    """Frames per second over a short sliding window of wall-clock times (display only)."""

    def __init__(self, size: int = 30) -> None:
        self._times: list[float] = []
        self._size = size

    def tick(self) -> float | None:
        self._times.append(time.perf_counter())
        del self._times[: -self._size]
        if len(self._times) < 2:
            return None
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


def assess(
    source: FrameSource, estimator: PoseEstimator | None, coach: Coach
) -> Iterator[tuple[Frame, Assessment]]:
    """Every frame of `source` with the coach's assessment of it: the loop every command runs.
    Unrelated stills (an image folder) are judged each on its own: nothing carries over.
    A recording's frames carry the landmarks found when it was made: no model runs for them
    (`estimator` may then be None)."""
    for frame in source:
        if source.independent_frames:
            coach.new_scene()
        if isinstance(frame, RecordedFrame):
            landmarks = frame.landmarks
        elif estimator is not None:
            landmarks = estimator.estimate(frame)
        else:
            raise ValueError(f"{source.name} gives images, not landmarks: it needs an estimator")
        yield frame, coach.update(landmarks, frame.timestamp_ms, frame.index)


def run_session(
    source: FrameSource,
    estimator: PoseEstimator | None,
    coach: Coach,
    outputs: Outputs,
    model_name: str,
) -> SessionResult:
    """Run the coaching loop over `source` until it ends or the user stops it.

    However the loop ends, the report is written and the video finalised before this returns
    or re-raises.
    """
    pose = coach.pose
    report = SessionReport(pose=pose, source=source.name, model=model_name)
    video: VideoSink | ImageSink | None = None
    window: WindowSink | None = None
    interrupted = False
    meter = _FpsMeter()
    try:
        if outputs.video_path is not None:
            video = open_frame_sink(outputs.video_path, source.fps)
        if outputs.window_title:
            window = WindowSink(outputs.window_title)
        for frame, assessment in assess(source, estimator, coach):
            landmarks = assessment.smoothed  # what the rules read: drawn steady
            report.add(assessment)
            if outputs.on_frame is not None:
                outputs.on_frame(assessment)
            fps = meter.tick()
            recorded = None
            if video is not None:
                recorded = annotate(frame.image, landmarks, assessment, pose, fps=fps)
                video.write(recorded)
            if window is not None:
                # The video is never mirrored; draw again only when the window is.
                shown = (
                    recorded
                    if recorded is not None and not outputs.mirror
                    else annotate(
                        frame.image, landmarks, assessment, pose, fps=fps, mirror=outputs.mirror
                    )
                )
                key = window.show(shown)
                if key is Key.MUTE:
                    coach.muted = not coach.muted
                if key is Key.PAUSE:
                    key = _wait_while_paused(window, shown)
                if key is Key.QUIT:
                    report.ended_by = "stopped by the user"
                    break
    except KeyboardInterrupt:
        interrupted = True
        report.ended_by = "interrupted (Ctrl-C)"
        report.complete = False
    except BaseException as error:
        report.ended_by = f"failed: {error}"
        report.complete = False
        raise
    finally:
        report_data = _finish(report, source, video, window, outputs)
    written = outputs.video_path if video is not None and video.frames > 0 else None
    return SessionResult(report_data, outputs.report_path, written, interrupted)


def _wait_while_paused(window: WindowSink, shown: np.ndarray) -> Key:
    """Hold the current frame on screen until space (resume) or q (quit)."""
    paused = banner(shown, "Paused (space: resume, q: quit)")
    while True:
        key = window.show(paused, wait_ms=50)
        if key is Key.PAUSE:
            return Key.NONE
        if key is Key.QUIT:
            return key


def _finish(
    report: SessionReport,
    source: FrameSource,
    video: VideoSink | ImageSink | None,
    window: WindowSink | None,
    outputs: Outputs,
) -> dict[str, Any]:
    """Write the report, finalise the video, release the source and window.

    The report comes first and a second Ctrl-C is held off meanwhile, so an impatient user
    does not lose it.
    """
    data = report.to_dict(fps=None if source.live else source.fps)
    with sigint_deferred():
        try:
            if outputs.report_path is not None:
                try:
                    write_json_atomic(outputs.report_path, data)
                except OSError as error:
                    raise PosecoachError(
                        f"cannot write report {outputs.report_path}: {error.strerror or error}"
                    ) from error
        finally:
            if video is not None:
                video.close()
            if window is not None:
                window.close()
            source.close()
    return data


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Ignore Ctrl-C for the duration (main thread only; elsewhere signals can't be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
