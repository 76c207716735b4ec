"""The coaching loop: source -> estimator -> coach -> overlay -> sinks, and the report.

Whatever ends the loop (end of input, the q key, Ctrl-C, a camera that stops), the video
written so far is finalised and the report is written before the loop returns or re-raises.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecoach.coach import Coach
from posecoach.errors import SourceError
from posecoach.estimator import PoseEstimator
from posecoach.overlay import annotate, banner
from posecoach.report import SessionReport, write_json_atomic
from posecoach.sinks import ImageSink, Key, VideoSink, WindowSink, open_frame_sink
from posecoach.sources import FrameSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outputs:
    """Where a session's results go."""

    report_path: Path | None = None
    video_path: Path | None = None
    window_title: str | None = None  # None: no window
    mirror: bool = False  # mirror the window (not the video file), for live use


@dataclass
class SessionResult:
    report: SessionReport
    report_path: Path | None
    video_path: Path | None
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


def run_session(
    source: FrameSource,
    estimator: PoseEstimator,
    coach: Coach,
    outputs: Outputs,
    model_name: str,
) -> SessionResult:
    """Run the coaching loop over `source` until it ends or the user stops it."""
    pose = coach.pose
    report = SessionReport(pose=pose, source=source.name, model=model_name)
    video = open_frame_sink(outputs.video_path, source.fps) if outputs.video_path else None
    window: WindowSink | None = None
    interrupted = False
    meter = _FpsMeter()
    try:
        if outputs.window_title:
            window = WindowSink(outputs.window_title)
        for frame in source:
            landmarks = estimator.estimate(frame)
            assessment = coach.update(landmarks, frame.timestamp_ms, frame.index)
            report.add(assessment)
            fps = meter.tick()
            if video is not None:
                video.write(annotate(frame.image, landmarks, assessment, pose, fps=fps))
            if window is not None:
                shown = annotate(
                    frame.image, landmarks, assessment, pose, fps=fps, mirror=outputs.mirror
                )
                key = window.show(shown)
                if key is Key.PAUSE:
                    key = _wait_while_paused(window, shown)
                if key is Key.QUIT:
                    report.ended_by = "stopped by the user"
                    break
    except KeyboardInterrupt:
        interrupted = True
        report.ended_by = "interrupted (Ctrl-C)"
        report.complete = False
    except SourceError as error:
        report.ended_by = f"source failed: {error}"
        report.complete = False
        _finish(report, source, video, window, outputs)
        raise
    _finish(report, source, video, window, outputs)
    return SessionResult(report, outputs.report_path, outputs.video_path, interrupted)


def _wait_while_paused(window: WindowSink, shown: np.ndarray) -> Key:
    """Hold the current frame on screen until space (resume) or q (quit)."""
    paused = banner(shown, "Paused (space: resume, q: quit)")
    while True:
        key = window.show(paused, wait_ms=50)
        if key is not Key.NONE:
            return Key.NONE if key is Key.PAUSE else key


def _finish(
    report: SessionReport,
    source: FrameSource,
    video: VideoSink | ImageSink | None,
    window: WindowSink | None,
    outputs: Outputs,
) -> None:
    """Finalise the video and write the report, whatever happened."""
    source.close()
    if video is not None:
        video.close()
    if window is not None:
        window.close()
    if outputs.report_path is not None:
        write_json_atomic(
            outputs.report_path, report.to_dict(fps=None if source.live else source.fps)
        )
