"""Showing the coaching as it goes: the drawing thread (`FeedbackRenderer`) that draws each analysed
frame's feedback and writes the video, the window shown from the coach's thread (`Screen`,
`wait_while_paused`), the best and worst moments kept as pictures (`Snapshots`), and how
fast it all went (`Timing`, `FpsMeter`).
"""

from __future__ import annotations

import collections
import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posecoach.coaching.coach import Assessment, Status
from posecoach.coaching.posefile import PoseSpec
from posecoach.inputs.sources import Frame
from posecoach.output.layout import ScreenView, draw_screen, video_canvas_wh
from posecoach.output.overlay import banner
from posecoach.output.sinks import ImageSink, Key, VideoSink, WindowSink
from posecoach.run.interrupts import StopRequest


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


@dataclass
class ScreenState:
    """What the screen shows besides the coaching, changed by keys while it runs: the
    developer overlay (d), the target picture also in position (p), and where the pictures
    of the stretches come from (`pictures(pose)`: None when there is none)."""

    developer: bool = False
    always_picture: bool = False
    pictures: Callable[[PoseSpec], np.ndarray | None] | None = None
    _found: dict[tuple[str, Path], np.ndarray | None] = dataclasses.field(default_factory=dict)

    def view(self, pose: PoseSpec) -> ScreenView:
        key = (pose.id, pose.path)
        if key not in self._found:  # found once per stretch, not per frame
            self._found[key] = self.pictures(pose) if self.pictures is not None else None
        return ScreenView(self.developer, self._found[key], self.always_picture)


class FeedbackRenderer:
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
        state: ScreenState | None = None,
    ) -> None:
        self._video = video
        self._window = window
        self._mirror = mirror
        self._timing = timing
        self.state = state or ScreenState()
        # The window's size, as last seen from the thread that owns it (None: the video's).
        self.window_wh: tuple[int, int] | None = None
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
        frame_h, frame_w = item.frame.image.shape[:2]
        video_wh = video_canvas_wh((frame_w, frame_h))
        view = self.state.view(item.pose)

        def drawn(canvas_wh: tuple[int, int], mirror: bool = False) -> np.ndarray:
            image = draw_screen(
                item.frame.image,
                item.assessment.smoothed,  # what the rules read: drawn steady
                item.assessment,
                item.pose,
                canvas_wh,
                timing=item.timing,
                mirror=mirror,
                view=view,
            )
            return image if item.message is None else banner(image, item.message)

        if self._video is not None:
            recorded = drawn(video_wh)
            self._video.write(recorded)
        score = form_score(item.assessment)
        if item.snapshot_t_s is not None and score is not None:
            (item.snapshots or self.snapshots).offer(
                item.snapshot_t_s,
                score,
                lambda: recorded if recorded is not None else drawn(video_wh),
            )
        if self._window:
            # Laid out for the window; the video is never mirrored.
            window_wh = self.window_wh or video_wh
            same = recorded is not None and not self._mirror and window_wh == video_wh
            shown = recorded if same and recorded is not None else drawn(window_wh, self._mirror)
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


_VIEW_KEYS = (Key.FULL_SCREEN, Key.DEVELOPER, Key.PICTURE)


class Screen:
    """The window, shown from the coach's thread: the newest drawing as soon as it is ready,
    also while the coach waits for the model (`refresh` is called then), and the keys
    pressed meanwhile, kept for the loop (`key`)."""

    def __init__(self, window: WindowSink, renderer: FeedbackRenderer) -> None:
        self.window = window
        self.renderer = renderer
        self.shown: np.ndarray | None = None  # the drawing on screen
        self._keys: collections.deque[Key] = collections.deque()

    def refresh(self) -> None:
        self.renderer.window_wh = self.window.size()
        key, drawn = self.renderer.show_in(self.window)
        if drawn is not None:
            self.shown = drawn
        if key in _VIEW_KEYS:
            self.change_view(key)
        elif key is not Key.NONE:
            self._keys.append(key)

    def change_view(self, key: Key) -> None:
        """f: full screen or a window; d: the developer overlay; p: the target picture."""
        if key is Key.FULL_SCREEN:
            self.window.toggle_full_screen()
        elif key is Key.DEVELOPER:
            self.renderer.state.developer = not self.renderer.state.developer
        elif key is Key.PICTURE:
            self.renderer.state.always_picture = not self.renderer.state.always_picture

    def key(self) -> Key:
        """The first key pressed and not handled yet (Key.NONE: none)."""
        self.refresh()
        return self._keys.popleft() if self._keys else Key.NONE


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
