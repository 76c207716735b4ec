"""The frame loop every coaching session runs, whatever it leads: read a frame, find the
landmarks, let the lead (one coach over one stretch, or a guided routine) judge it, draw and
write the feedback, show the window and act on its keys.

Whatever ends the loop (end of input, the q key, Ctrl-C, SIGTERM, a camera that stops, an
error), the frames queued are drawn and written, the lead's report is saved, the video
finalised and the source and window released before `run_loop` returns or re-raises.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from posecoach.config.errors import PosecoachError, stop_reason
from posecoach.inputs.files import write_json_atomic
from posecoach.inputs.sources import Frame, FrameSource
from posecoach.output.sinks import ImageSink, Key, VideoSink, WindowSink, open_frame_sink
from posecoach.run.interrupts import StopRequest, sigint_deferred
from posecoach.run.render import (
    Drawing,
    FeedbackRenderer,
    FpsMeter,
    Screen,
    ScreenState,
    Snapshots,
    Timing,
    wait_while_paused,
)


class Report(Protocol):
    """What a lead gives to save: its JSON content by `to_dict()`."""

    def to_dict(self) -> dict[str, Any]: ...


M = TypeVar("M")  # what a lead makes of one frame
R = TypeVar("R", bound=Report)  # the report a lead gives


class Lead(abc.ABC, Generic[M, R]):
    """What the frame loop drives: it makes something (`M`) of every frame, says what to draw,
    acts on the window's keys, and, however the loop ends, gives the report to save."""

    report_path: Path | None = None  # where the report goes (None: not written)
    report_name = "report"  # the report in an error message: "cannot write report ..."
    pause_text = "Paused (space: resume, q: quit)"
    pause_keys: tuple[Key, ...] = (Key.QUIT,)  # the keys that end a pause, besides space

    @abc.abstractmethod
    def frames(
        self, stop: StopRequest, idle: Callable[[], None] | None
    ) -> AbstractContextManager[Iterator[tuple[Frame, M]]]:
        """The frames to coach, each with what the lead made of it, in a block that stops the
        threads reading them when it ends. `stop` is checked and `idle` called (None: no
        window) while waiting for the model."""

    @abc.abstractmethod
    def drawing(self, frame: Frame, moment: M) -> Drawing:
        """What to draw for the frame (the loop adds the speed line)."""

    @abc.abstractmethod
    def drawn(self, moment: M) -> bool:
        """The frame is queued for drawing: note it (report, voice); True ends the loop."""

    @abc.abstractmethod
    def key(self, key: Key) -> bool:
        """Act on a key pressed in the window (Key.NONE: none); True ends the loop."""

    def ended(self) -> None:
        """The loop ended without an error or interrupt (input over, quit, or done)."""

    @abc.abstractmethod
    def stop(self, reason: str) -> None:
        """The loop was stopped by an interrupt or failed: `reason` says which."""

    def fail(self, reason: str) -> None:
        """The frames queued could not be drawn or written after the loop (`reason`)."""
        self.stop(reason)

    @abc.abstractmethod
    def report(self, source: FrameSource, timing: Timing) -> R:
        """The report to save (as its `to_dict()`), once every frame is drawn."""


@dataclass
class LoopEnd(Generic[R]):
    """How the loop ended: the report saved, the Ctrl-C or SIGTERM (errors.Terminated) that
    stopped it (None otherwise), and what was drawn."""

    report: R
    interrupted: KeyboardInterrupt | None
    video_frames: int  # frames written to the video (0: none, or no video)
    snapshots: Snapshots | None  # the renderer's best and worst moments (None: no renderer)


def run_loop(
    source: FrameSource,
    lead: Lead[M, R],
    video_path: Path | None,
    video_fps: float,
    window_title: str | None,
    mirror: bool,
    state: ScreenState | None = None,
) -> LoopEnd[R]:
    """Coach `source` with `lead` until the input ends, the lead is done or the user stops it.

    Four threads share the work: one reads frames (the camera's newest, or a file's next
    few decoded ahead), one runs the model, this one runs the lead and shows the window
    (`window_title`; None: no window, `mirror`ed for live use), one draws and writes the
    video (`video_path` at `video_fps`), as `state` says (the developer overlay, the target
    pictures). Ctrl-C and SIGTERM are acted on between frames.
    """
    video: VideoSink | ImageSink | None = None
    window: WindowSink | None = None
    renderer: FeedbackRenderer | None = None
    interrupted: KeyboardInterrupt | None = None
    meter = FpsMeter()
    timing = Timing(realtime=source.realtime)
    stop = StopRequest()
    with stop.handling():
        try:
            if video_path is not None:
                video = open_frame_sink(video_path, video_fps)
            if window_title:
                window = WindowSink(window_title)
            renderer = FeedbackRenderer(video, window is not None, mirror, timing, state)
            screen = Screen(window, renderer) if window is not None else None
            idle = screen.refresh if screen is not None else None
            with lead.frames(stop, idle) as found:
                for frame, moment in found:
                    stop.check()
                    timing.analysed += 1
                    timing.dropped = source.dropped
                    drawing = lead.drawing(frame, moment)
                    drawing = dataclasses.replace(drawing, timing=timing.text(meter.tick()))
                    # Queued for the video before the lead notes it: a stop while this waits
                    # for room leaves the frame out of both.
                    renderer.submit(drawing, stop)
                    if lead.drawn(moment):
                        break
                    if screen is None:
                        continue
                    key = screen.key()
                    if key is Key.PAUSE and screen.shown is not None:
                        key = wait_while_paused(
                            screen.window, screen.shown, stop, lead.pause_text, lead.pause_keys
                        )
                    if lead.key(key):
                        break
            lead.ended()
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (errors.Terminated)
            interrupted = interrupt
            lead.stop(stop_reason(interrupt))
        except BaseException as error:
            lead.stop(f"failed: {error}")
            raise
        finally:
            report = _finish(lead, timing, source, renderer, video, window)
    video_frames = video.frames if video is not None else 0
    snapshots = renderer.snapshots if renderer is not None else None
    return LoopEnd(report, interrupted, video_frames, snapshots)


def _finish(
    lead: Lead[Any, R],
    timing: Timing,
    source: FrameSource,
    renderer: FeedbackRenderer | None,
    video: VideoSink | ImageSink | None,
    window: WindowSink | None,
) -> R:
    """Draw and write the frames still queued, save the lead's report, finalise the video,
    release the source and window.

    A second Ctrl-C is held off meanwhile, so an impatient user loses nothing. A video that
    could not be written is told to the lead (its report then says so) and raised once the
    report is saved.
    """
    with sigint_deferred():
        failure: BaseException | None = None
        try:
            if renderer is not None:
                renderer.close()
        except BaseException as error:
            failure = error
            lead.fail(f"failed: {error}")
        report = lead.report(source, timing)
        try:
            if lead.report_path is not None:
                try:
                    write_json_atomic(lead.report_path, report.to_dict())
                except OSError as error:
                    raise PosecoachError(
                        f"cannot write {lead.report_name} {lead.report_path}: "
                        f"{error.strerror or error}"
                    ) from error
        finally:
            release(video, window, source)
        if failure is not None:
            raise failure
    return report


def release(
    video: VideoSink | ImageSink | None, window: WindowSink | None, source: FrameSource
) -> None:
    """Finalise the video, close the window, release the source: each one even when one
    before it fails (its error is raised after)."""
    try:
        if video is not None:
            video.close()
    finally:
        try:
            if window is not None:
                window.close()
        finally:
            source.close()
