"""Coaching one stretch: source -> estimator -> coach -> overlay -> sinks, and the report.

`assess` is the loop every command runs (frames in, assessments out); `run_session` runs it in
the threaded frame loop of `posecoach.run.loop`, with a window, a video and a report. Whatever
ends the session (end of input, the q key, Ctrl-C, a camera that stops), the video written so
far is finalised and the report is written before it returns or re-raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from posecoach.coaching.coach import Assessment, Coach
from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.estimator import PoseEstimator
from posecoach.output.sinks import Key
from posecoach.output.speech import Voice
from posecoach.reports.report import SessionReport
from posecoach.reports.summary import StretchSummary
from posecoach.run.interrupts import StopRequest
from posecoach.run.loop import Lead, run_loop
from posecoach.run.render import (
    Drawing,
    FeedbackRenderer,
    FpsMeter,
    Screen,
    ScreenState,
    Snapshot,
    Snapshots,
    Timing,
    form_score,
    wait_while_paused,
)
from posecoach.run.stream import landmark_stream

__all__ = [
    "Drawing",
    "FeedbackRenderer",
    "FpsMeter",
    "Outputs",
    "Screen",
    "SessionResult",
    "Snapshot",
    "Snapshots",
    "Timing",
    "assess",
    "form_score",
    "landmark_stream",
    "run_session",
    "wait_while_paused",
]


@dataclass(frozen=True)
class Outputs:
    """Where a session's results go."""

    report_path: Path | None = None
    video_path: Path | None = None
    window_title: str | None = None  # None: no window
    mirror: bool = False  # mirror the window (not the video file), for live use
    # Called with every frame's assessment as it is made (the signal table's `add`).
    on_frame: Callable[[Assessment], None] | None = None
    # Says each new prompt aloud (the screen's cue policy; v in the window turns it off or
    # on). Opened and closed by the caller, not by the session.
    voice: Voice | None = None
    # The developer overlay and the target pictures (keys change it while it runs).
    screen: ScreenState | None = None


@dataclass
class SessionResult:
    report: StretchSummary  # what the session came to: its `to_dict()` is the report written
    report_path: Path | None
    video_path: Path | None  # None when no frame was written
    # The Ctrl-C, or SIGTERM (errors.Terminated), that stopped the session; None otherwise.
    interrupted: KeyboardInterrupt | None
    snapshots: Snapshots | None = None  # the best and worst moments in position, drawn


def assess(
    source: FrameSource,
    estimator: PoseEstimator | None,
    coach: Coach,
    stride: int = 1,
    threads: bool = False,
    stop: StopRequest | None = None,
    idle: Callable[[], None] | None = None,
) -> Generator[tuple[Frame, Assessment], None, None]:
    """Every `stride`th frame of `source` with the coach's assessment of it: the loop every
    command runs. Unrelated stills (an image folder) are judged each on its own: nothing
    carries over. A recording's frames carry the landmarks found when it was made: no model
    runs for them (`estimator` may then be None).

    With `threads`, the work is a pipeline: a file's frames are decoded a few ahead in one
    thread, the model runs in another, and the coach judges in the caller's, each on the
    frame after the other's. A camera (`source.realtime`) keeps its newest frame for the
    model: it is never more than one frame ahead of the coach. `stop` is checked while
    waiting for the threads.
    """
    with landmark_stream(source, estimator, stride, threads, stop, idle) as found:
        for frame, landmarks in found:
            if source.independent_frames:
                coach.new_scene()
            yield frame, coach.update(landmarks, frame.timestamp_ms, frame.index)


class _OneStretch(Lead[Assessment, StretchSummary]):
    """One coach over one stretch, its report written to `outputs.report_path`."""

    def __init__(
        self,
        source: FrameSource,
        estimator: PoseEstimator | None,
        coach: Coach,
        outputs: Outputs,
        model_name: str,
        stride: int,
    ) -> None:
        self.source, self.estimator, self.coach = source, estimator, coach
        self.outputs = outputs
        self.stride = stride
        self.report_path = outputs.report_path
        self.session = SessionReport(
            pose=coach.pose, source=source.name, model=model_name, stride=stride
        )
        self._first_ms: float | None = None

    @contextlib.contextmanager
    def frames(
        self, stop: StopRequest, idle: Callable[[], None] | None
    ) -> Iterator[Iterator[tuple[Frame, Assessment]]]:
        # Given an idle call even without a window: the model's frames are then awaited in
        # short waits either way.
        stream = assess(
            self.source,
            self.estimator,
            self.coach,
            self.stride,
            threads=True,
            stop=stop,
            idle=idle if idle is not None else _nothing,
        )
        try:
            yield stream
        finally:
            stream.close()  # stops the reading threads before the source is released

    def drawing(self, frame: Frame, moment: Assessment) -> Drawing:
        first_ms = self._first_ms
        t_s = (frame.timestamp_ms - first_ms) / 1000 if first_ms is not None else 0.0
        self._first_ms = frame.timestamp_ms if first_ms is None else first_ms
        return Drawing(frame, moment, self.coach.pose, None, None, t_s)

    def drawn(self, moment: Assessment) -> bool:
        self.session.add(moment)
        if self.outputs.voice is not None:
            self.outputs.voice.announce(moment)
        if self.outputs.on_frame is not None:
            self.outputs.on_frame(moment)
        return False

    def key(self, key: Key) -> bool:
        voice = self.outputs.voice
        if key is Key.MUTE:
            self.coach.muted = not self.coach.muted
        if key is Key.VOICE and voice is not None:
            voice.muted = not voice.muted
        if key is Key.QUIT:
            self.session.ended_by = "stopped by the user"
            return True
        return False

    def stop(self, reason: str) -> None:
        self.session.ended_by = reason
        self.session.complete = False

    def report(self, source: FrameSource, timing: Timing) -> StretchSummary:
        report = self.session
        report.skipped = source.skipped
        if source.skipped:  # frames of a damaged video that could not be decoded: not covered
            report.complete = False
        report.timing = timing.summary()
        return report.summary(fps=None if source.live else source.fps / report.stride)


def _nothing() -> None:
    pass


def run_session(
    source: FrameSource,
    estimator: PoseEstimator | None,
    coach: Coach,
    outputs: Outputs,
    model_name: str,
    stride: int = 1,
) -> SessionResult:
    """Run the coaching loop over `source` until it ends or the user stops it.

    Four threads share the work: one reads frames (the camera's newest, or a file's next
    few decoded ahead), one runs the model, this one runs the coach and shows the window,
    one draws and writes the video. Ctrl-C and SIGTERM are acted on between frames. However
    the loop ends, the report is written and the video finalised before this returns or
    re-raises.
    """
    lead = _OneStretch(source, estimator, coach, outputs, model_name, stride)
    end = run_loop(
        source,
        lead,
        outputs.video_path,
        source.fps / stride,
        outputs.window_title,
        outputs.mirror,
        outputs.screen,
    )
    written = outputs.video_path if end.video_frames > 0 else None
    return SessionResult(end.report, outputs.report_path, written, end.interrupted, end.snapshots)
