"""The coaching loop: source -> estimator -> coach -> overlay -> sinks, and the report.

Whatever ends the loop (end of input, the q key, Ctrl-C, a camera that stops), the video
written so far is finalised and the report is written before the loop returns or re-raises.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import cv2
import numpy as np

from posecoach.coaching.coach import Assessment, Coach, Status
from posecoach.coaching.posefile import PoseSpec
from posecoach.config.errors import PosecoachError, stop_reason
from posecoach.inputs.files import write_json_atomic
from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.estimator import PoseEstimator
from posecoach.model.landmarks import Landmarks
from posecoach.model.recording import RecordedFrame
from posecoach.output.overlay import annotate, banner
from posecoach.output.sinks import ImageSink, Key, VideoSink, WindowSink, open_frame_sink
from posecoach.output.speech import Voice
from posecoach.reports.report import SessionReport
from posecoach.run.interrupts import StopRequest, sigint_deferred

log = logging.getLogger(__name__)

T = TypeVar("T")


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


@dataclass
class SessionResult:
    report: dict[str, Any]  # the report's content, as written
    report_path: Path | None
    video_path: Path | None  # None when no frame was written
    # The Ctrl-C, or SIGTERM (errors.Terminated), that stopped the session; None otherwise.
    interrupted: KeyboardInterrupt | None
    snapshots: Snapshots | None = None  # the best and worst moments in position, drawn


class FpsMeter:
    """Frames per second over a short sliding window of wall-clock times (display only)."""

    def __init__(self, size: int = 30) -> None:
        self._times: collections.deque[float] = collections.deque(maxlen=size)

    def tick(self) -> float | None:
        self._times.append(time.perf_counter())
        if len(self._times) < 2:
            return None
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


class Timing:
    """How fast a session went: frames analysed per second and, for a camera, each frame's
    latency from capture to the moment its feedback was shown (or written, without a window)
    and the stale frames dropped. Memory stays the same however long the session: latencies
    go into 1 ms bins."""

    BINS_MS = 2000  # latencies of 2 s or more share the last bin

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime
        self.started = time.perf_counter()
        self.analysed = 0
        self.dropped = 0
        self._bins = np.zeros(self.BINS_MS + 1, dtype=np.int64)
        self._recent: collections.deque[float] = collections.deque(maxlen=30)
        self._max_ms = 0.0
        self._lock = threading.Lock()

    def shown(self, timestamp_ms: float) -> None:
        """The feedback for the frame captured at `timestamp_ms` (monotonic) is on screen."""
        if not self.realtime:
            return
        latency = max(time.monotonic() * 1000.0 - timestamp_ms, 0.0)
        with self._lock:
            self._bins[min(int(latency), self.BINS_MS)] += 1
            self._recent.append(latency)
            self._max_ms = max(self._max_ms, latency)

    def recent_latency_ms(self) -> float | None:
        with self._lock:
            return float(np.median(self._recent)) if self._recent else None

    def _percentile(self, fraction: float) -> float:
        cumulative = np.cumsum(self._bins)
        return float(np.searchsorted(cumulative, fraction * cumulative[-1]))

    def summary(self) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.started
        data: dict[str, Any] = {
            "analysed_fps": round(self.analysed / elapsed, 2) if elapsed > 0 else None
        }
        if self.realtime:
            shown = int(self._bins.sum())
            data["dropped_frames"] = self.dropped
            data["latency_ms"] = (
                {
                    "frames": shown,
                    "median": self._percentile(0.5),
                    "p95": self._percentile(0.95),
                    "max": round(self._max_ms, 1),
                }
                if shown
                else None
            )
        return data

    def text(self, fps: float | None) -> str | None:
        """The overlay's speed line: frames per second, and latency and drops for a camera."""
        parts = [] if fps is None else [f"{fps:.0f} fps"]
        if self.realtime:
            latency = self.recent_latency_ms()
            if latency is not None:
                parts.append(f"{latency:.0f} ms")
            parts.append(f"{self.dropped} dropped")
        return "  ".join(parts) or None


@dataclass(frozen=True)
class Snapshot:
    """One moment of a session, drawn: its time, how good the form was (the fraction of the
    form rules judged that passed) and the annotated frame as JPEG."""

    t_s: float
    score: float
    jpeg: bytes


class Snapshots:
    """The best and the worst moment in position (by `Snapshot.score`; the first of equals),
    kept as drawn. Only frames that beat the best or undercut the worst are encoded."""

    def __init__(self) -> None:
        self.best: Snapshot | None = None
        self.worst: Snapshot | None = None
        self._lock = threading.Lock()

    def offer(self, t_s: float, score: float, image: Callable[[], np.ndarray]) -> None:
        """A moment with its score; `image()` draws it (called only when it is kept)."""
        with self._lock:
            better = self.best is None or score > self.best.score
            worse = self.worst is None or score < self.worst.score
        if not (better or worse):
            return
        ok, encoded = cv2.imencode(".jpg", image(), [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            return
        shot = Snapshot(round(t_s, 2), round(score, 3), encoded.tobytes())
        with self._lock:
            if better:
                self.best = shot
            if worse:
                self.worst = shot


def form_score(assessment: Assessment) -> float | None:
    """The fraction of form (non-gate) rules judged in this frame that passed, in position;
    None out of position or when none was judged."""
    if assessment.status is not Status.IN_POSITION:
        return None
    judged = [r.passed for r in assessment.results if not r.rule.gate and r.passed is not None]
    return sum(judged) / len(judged) if judged else None


@dataclass(frozen=True)
class Drawing:
    """What to draw for one analysed frame: the frame, its assessment under `pose`, the speed
    line, a message across the middle (a guided session's "Switch sides"), and the time to
    record a snapshot under (None: not a candidate) and where."""

    frame: Frame
    assessment: Assessment
    pose: PoseSpec
    timing: str | None = None
    message: str | None = None
    snapshot_t_s: float | None = None
    snapshots: Snapshots | None = None  # where the snapshot goes (None: the renderer's)


class Renderer:
    """Draws the feedback over each analysed frame and writes it to the video, in a thread of
    its own, so the analysis never waits for drawing or encoding. With a window, the newest
    drawing is kept for the window to show (from the thread that owns it). Snapshots of the
    best and worst moments go to `snapshots` (replace it to start another stretch's).

    A failure (say, the disk is full) is raised to the analysis at its next `submit`.
    """

    def __init__(
        self,
        video: VideoSink | ImageSink | None,
        window: bool,
        mirror: bool,
        timing: Timing,
    ) -> None:
        self._video = video
        self._window = window
        self._mirror = mirror
        self._timing = timing
        self.snapshots = Snapshots()
        self._queue: queue.Queue[Drawing | None] = queue.Queue(4)
        self._lock = threading.Lock()
        self._newest: tuple[np.ndarray, float] | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="posecoach-render", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is None:
                return
            if self.error is not None:
                continue  # keep taking, so the analysis is never stuck on a full queue
            try:
                self._draw(item)
            except BaseException as error:
                self.error = error

    def _draw(self, item: Drawing) -> None:
        recorded: np.ndarray | None = None

        def drawn(mirror: bool = False) -> np.ndarray:
            image = annotate(
                item.frame.image,
                item.assessment.smoothed,  # what the rules read: drawn steady
                item.assessment,
                item.pose,
                timing=item.timing,
                mirror=mirror,
            )
            return image if item.message is None else banner(image, item.message)

        if self._video is not None:
            recorded = drawn()
            self._video.write(recorded)
        score = form_score(item.assessment)
        if item.snapshot_t_s is not None and score is not None:
            (item.snapshots or self.snapshots).offer(
                item.snapshot_t_s, score, lambda: recorded if recorded is not None else drawn()
            )
        if self._window:
            # The video is never mirrored; draw again only when the window is.
            shown = recorded if recorded is not None and not self._mirror else drawn(self._mirror)
            with self._lock:
                self._newest = (shown, item.frame.timestamp_ms)
        else:
            self._timing.shown(item.frame.timestamp_ms)

    def submit(self, item: Drawing, stop: StopRequest) -> None:
        """Queue a frame to draw (waiting while the queue is full, unless asked to stop)."""
        while True:
            if self.error is not None:
                raise self.error
            stop.check()
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def show_in(self, window: WindowSink) -> tuple[Key, np.ndarray | None]:
        """Show the newest drawing not shown yet in `window` (its latency noted), or just
        read the keys: the key pressed, and the drawing shown (None: nothing new)."""
        newest = self.newest()
        if newest is None:
            return window.poll(), None
        key = window.show(newest[0])
        self._timing.shown(newest[1])
        return key, newest[0]

    def newest(self) -> tuple[np.ndarray, float] | None:
        """The newest drawing not shown yet, with its frame's capture time."""
        with self._lock:
            newest, self._newest = self._newest, None
        return newest

    def close(self) -> None:
        """Draw and write every frame queued so far, then stop."""
        self._queue.put(None)  # the queue is drained meanwhile: there is always room soon
        self._thread.join()
        if self.error is not None:
            raise self.error


class Screen:
    """The window, shown from the coach's thread: the newest drawing as soon as it is ready,
    also while the coach waits for the model (`refresh` is called then), and the keys
    pressed meanwhile, kept for the loop (`key`)."""

    def __init__(self, window: WindowSink, renderer: Renderer) -> None:
        self.window = window
        self.renderer = renderer
        self.shown: np.ndarray | None = None  # the drawing on screen
        self._keys: collections.deque[Key] = collections.deque()

    def refresh(self) -> None:
        key, drawn = self.renderer.show_in(self.window)
        if drawn is not None:
            self.shown = drawn
        if key is not Key.NONE:
            self._keys.append(key)

    def key(self) -> Key:
        """The first key pressed and not handled yet (Key.NONE: none)."""
        self.refresh()
        return self._keys.popleft() if self._keys else Key.NONE


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


@contextlib.contextmanager
def landmark_stream(
    source: FrameSource,
    estimator: PoseEstimator | None,
    stride: int = 1,
    threads: bool = False,
    stop: StopRequest | None = None,
    idle: Callable[[], None] | None = None,
) -> Iterator[Iterator[tuple[Frame, Landmarks | None]]]:
    """Every `stride`th frame of `source` with the landmarks found in it (see `assess`: with
    `threads`, decoded ahead and run through the model in threads of their own, which stop
    when the block ends). `idle` is called every few milliseconds while the reader waits for
    the model (a window's drawing is shown then)."""
    stages: list[_Prefetch[Any]] = []
    check = stop.check if stop is not None else None
    try:
        frames: Iterator[Frame] = source.frames(stride)
        if threads and not source.realtime:
            stages.append(_Prefetch(frames, depth=4, name="posecoach-decode", on_wait=check))
            frames = stages[-1]
        found: Iterator[tuple[Frame, Landmarks | None]] = _landmarks(frames, estimator, source.name)
        if threads:
            depth = 1 if source.realtime else 2
            waiting = check
            if idle is not None:

                def waiting() -> None:
                    if check is not None:
                        check()
                    idle()

            stages.append(
                _Prefetch(
                    found,
                    depth=depth,
                    name="posecoach-model",
                    on_wait=waiting,
                    wait_s=0.005 if idle is not None else 0.1,
                )
            )
            found = stages[-1]
        yield found
    finally:
        for stage in reversed(stages):  # the model stops before the frames it reads do
            stage.close()


def _landmarks(
    frames: Iterable[Frame], estimator: PoseEstimator | None, name: str
) -> Iterator[tuple[Frame, Landmarks | None]]:
    """Each frame with the landmarks found in it (or recorded with it)."""
    for frame in frames:
        if isinstance(frame, RecordedFrame):
            yield frame, frame.landmarks
        elif estimator is not None:
            yield frame, estimator.estimate(frame)
        else:
            raise ValueError(f"{name} gives images, not landmarks: give an estimator")


class _Prefetch(Generic[T]):
    """Iterates `items` in a thread, up to `depth` items ahead of the reader. Whatever ends
    them (an error, Ctrl-C in a test's stand-in) is raised to the reader after the items
    before it."""

    _END = object()

    def __init__(
        self,
        items: Iterator[T],
        depth: int,
        name: str,
        on_wait: Callable[[], None] | None = None,
        wait_s: float = 0.1,
    ) -> None:
        self._items = items
        self._on_wait = on_wait  # called every wait_s while the reader waits (may raise)
        self._wait_s = wait_s
        self._queue: queue.Queue[Any] = queue.Queue(depth)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
        except BaseException as error:  # raised to the reader in its turn
            self._put(_Raised(error))
            return
        self._put(self._END)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        while True:
            try:
                item = self._queue.get(timeout=self._wait_s)
                break
            except queue.Empty:
                if self._stopping.is_set():
                    raise StopIteration from None
                if self._on_wait is not None:
                    self._on_wait()
        if item is self._END:
            self._queue.put(item)  # a second call ends too
            raise StopIteration
        if isinstance(item, _Raised):
            raise item.error
        return cast(T, item)

    def close(self) -> None:
        """Stop working ahead and wait for the thread (what it reads may then be closed)."""
        self._stopping.set()
        self._thread.join(timeout=10.0)


@dataclass(frozen=True)
class _Raised:
    error: BaseException


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
    pose = coach.pose
    report = SessionReport(pose=pose, source=source.name, model=model_name, stride=stride)
    video: VideoSink | ImageSink | None = None
    window: WindowSink | None = None
    renderer: Renderer | None = None
    interrupted: KeyboardInterrupt | None = None
    meter = FpsMeter()
    timing = Timing(realtime=source.realtime)
    stop = StopRequest()
    screen: Screen | None = None

    def idle() -> None:
        if screen is not None:
            screen.refresh()

    with stop.handling():
        stream = assess(source, estimator, coach, stride, threads=True, stop=stop, idle=idle)
        try:
            if outputs.video_path is not None:
                video = open_frame_sink(outputs.video_path, source.fps / stride)
            if outputs.window_title:
                window = WindowSink(outputs.window_title)
            renderer = Renderer(video, window is not None, outputs.mirror, timing)
            if window is not None:
                screen = Screen(window, renderer)
            first_ms: float | None = None
            for frame, assessment in stream:
                stop.check()
                timing.analysed += 1
                timing.dropped = source.dropped
                # Queued for the video before it counts in the report: a stop while this
                # waits for room leaves the frame out of both.
                t_s = (frame.timestamp_ms - first_ms) / 1000 if first_ms is not None else 0.0
                first_ms = frame.timestamp_ms if first_ms is None else first_ms
                drawing = Drawing(frame, assessment, pose, timing.text(meter.tick()), None, t_s)
                renderer.submit(drawing, stop)
                report.add(assessment)
                if outputs.voice is not None:
                    outputs.voice.announce(assessment)
                if outputs.on_frame is not None:
                    outputs.on_frame(assessment)
                if screen is None:
                    continue
                key = screen.key()
                if key is Key.MUTE:
                    coach.muted = not coach.muted
                if key is Key.VOICE and outputs.voice is not None:
                    outputs.voice.muted = not outputs.voice.muted
                if key is Key.PAUSE and screen.shown is not None:
                    key = wait_while_paused(screen.window, screen.shown, stop)
                if key is Key.QUIT:
                    report.ended_by = "stopped by the user"
                    break
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (errors.Terminated)
            interrupted = interrupt
            report.ended_by = stop_reason(interrupt)
            report.complete = False
        except BaseException as error:
            report.ended_by = f"failed: {error}"
            report.complete = False
            raise
        finally:
            stream.close()  # stops the reading threads before the source is released
            report_data = _finish(report, timing, source, renderer, video, window, outputs)
    written = outputs.video_path if video is not None and video.frames > 0 else None
    snapshots = renderer.snapshots if renderer is not None else None
    return SessionResult(report_data, outputs.report_path, written, interrupted, snapshots)


def wait_while_paused(
    window: WindowSink,
    shown: np.ndarray,
    stop: StopRequest,
    text: str = "Paused (space: resume, q: quit)",
    keys: tuple[Key, ...] = (Key.QUIT,),
) -> Key:
    """Hold the current frame on screen, with `text`, until space (resume: Key.NONE) or one
    of `keys` (returned)."""
    paused = banner(shown, text)
    while True:
        stop.check()
        key = window.show(paused, wait_ms=50)
        if key is Key.PAUSE:
            return Key.NONE
        if key in keys:
            return key


def _finish(
    report: SessionReport,
    timing: Timing,
    source: FrameSource,
    renderer: Renderer | None,
    video: VideoSink | ImageSink | None,
    window: WindowSink | None,
    outputs: Outputs,
) -> dict[str, Any]:
    """Draw and write the frames still queued, write the report, finalise the video, release
    the source and window.

    A second Ctrl-C is held off meanwhile, so an impatient user loses nothing. A video that
    could not be written marks the report incomplete and is raised once the report is saved.
    """
    with sigint_deferred():
        failure: BaseException | None = None
        try:
            if renderer is not None:
                renderer.close()
        except BaseException as error:
            failure = error
            report.ended_by = f"failed: {error}"
            report.complete = False
        report.skipped = source.skipped
        if source.skipped:  # frames of a damaged video that could not be decoded: not covered
            report.complete = False
        report.timing = timing.summary()
        data = report.to_dict(fps=None if source.live else source.fps / report.stride)
        try:
            if outputs.report_path is not None:
                try:
                    write_json_atomic(outputs.report_path, data)
                except OSError as error:
                    raise PosecoachError(
                        f"cannot write report {outputs.report_path}: {error.strerror or error}"
                    ) from error
        finally:
            release(video, window, source)
        if failure is not None:
            raise failure
    return data


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
