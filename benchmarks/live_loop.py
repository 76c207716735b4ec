"""The live loop at 720p: frames analysed per second and the latency from capture to feedback,
with a generated 1280x720 30 fps clip played in real time, looped, as the camera.

The camera stand-in: `posecoach synth` makes a clip of the half-kneeling hip-flexor stretch
(both sides, 1280x720, 30 fps; generated once into a cache folder, --cache), which
`VideoCamera(loop=True)` serves at its frame rate as a webcam would. It goes through the real
live path, as `posecoach live --camera-video CLIP --out V.mp4 --report R.json` runs it:
`CameraSource` (the webcam class: a capture thread keeping the newest frame, stale ones
dropped) and `run_session` with the coach, the overlay, the report and the annotated video,
and a window (mirrored, as live shows it) when `DISPLAY` is set: a virtual screen will do,
`xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/live_loop.py`. Without a screen
it runs without a window, and says so.

Prints the frames analysed per second, the latency (capture to the feedback on screen, or
drawn and written without a window: median, 95th percentile, maximum), the stale frames
dropped, each against its goal (25 frames/s or more, median latency under 50 ms), the CPU used, the
share of it the stand-in camera's decoding took (a webcam delivers its frames decoded, or
nearly) and what the rest of the machine used meanwhile (the session starts once that is under
0.2 cores, or after --max-wait). With --stages, the time each stage took per call, and where
each frame's latency went (capture to model, model, coach, waiting to be drawn, drawing and
writing, waiting to be shown).

--threads N runs the model on N interpreter threads (as `posecoach live --threads N`; the
default is 2 on a machine with 2 cores or more), to compare. --try NAME applies a change to
posecoach proposed here (`PROPOSED`, below), for comparison.

Usage: python benchmarks/live_loop.py [--seconds S] [--no-window] [--no-video] [--stages]
           [--threads N] [--try NAME ...] [--max-wait S] [--cache DIR]
"""

from __future__ import annotations

import argparse
import collections
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from throughput import busy_s, others_cores, wait_for_quiet

from posecoach.coaching.coach import Assessment, Coach
from posecoach.coaching.posefile import load_pose
from posecoach.inputs.sources import CameraSource, VideoCamera
from posecoach.model.estimator import BlazePoseEstimator, create_estimator
from posecoach.output import overlay
from posecoach.output.sinks import VideoSink, WindowSink, has_display
from posecoach.run import render
from posecoach.run.pipeline import Outputs, SessionResult, run_session

POSE = "half_kneeling_hip_flexor"
SIZE = "1280x720"
FPS = 30
HOLD_S = 6  # per side: a 24 s clip, kneeling down, both sides held, a switch, getting up
SEED = 3
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
FPS_GOAL = 25.0
LATENCY_GOAL_MS = 50.0


def camera_clip(cache: Path) -> Path:
    """The generated 720p clip the stand-in camera plays, made on first use (about 10 s)."""
    folder = cache / "posecoach-benchmarks"
    clip = folder / f"{POSE}_{SIZE}_{FPS}fps_hold{HOLD_S}_seed{SEED}.mp4"
    if clip.is_file():
        return clip
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as making:
        made = Path(making) / clip.name
        command = [sys.executable, "-m", "posecoach", "synth", "--pose", POSE, "--out", str(made)]
        command += ["--size", SIZE, "--fps", str(FPS), "--hold", str(HOLD_S), "--seed", str(SEED)]
        print(f"generating the camera clip: {' '.join(command[1:])}", file=sys.stderr)
        subprocess.run(command, check=True, capture_output=True)
        made.rename(clip)  # whole or not at all
    return clip


class TimedCamera:
    """A `VideoCamera` that ends `seconds` after its first read, as a camera's video stand-in
    ends (`CameraSource` ends the session at a failed read while `ended` is set). Counts the
    CPU time its reads took: the stand-in's decoding, which a webcam does not cost."""

    def __init__(self, camera: VideoCamera, seconds: float) -> None:
        self._camera = camera
        self._seconds = seconds
        self._deadline: float | None = None
        self.cpu_s = 0.0

    @property
    def ended(self) -> bool:
        return self._camera.ended or (
            self._deadline is not None and time.monotonic() >= self._deadline
        )

    def read(self) -> tuple[bool, np.ndarray | None]:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        if now >= self._deadline:
            return False, None
        cpu = time.thread_time()
        try:
            return self._camera.read()
        finally:
            self.cpu_s += time.thread_time() - cpu

    def isOpened(self) -> bool:
        return self._camera.isOpened()

    def set(self, prop: int, value: float) -> bool:
        return self._camera.set(prop, value)

    def get(self, prop: int) -> float:
        return self._camera.get(prop)

    def release(self) -> None:
        self._camera.release()


@dataclass
class LiveRun:
    result: SessionResult
    seconds: float  # wall time of the session
    cpu_s: float  # the process's CPU time over it (every thread)
    camera_cpu_s: float  # the part of it the stand-in camera's reads took
    window: bool
    others_cores: float  # what the rest of the machine used meanwhile


def live_session(
    clip: Path,
    seconds: float,
    folder: Path,
    window: bool,
    video: bool = True,
    on_frame: Callable[[Assessment], None] | None = None,
    coach: Coach | None = None,
    threads: int | None = None,
) -> LiveRun:
    """Coach `clip`, looped as the camera, for `seconds` through the live path (`posecoach live
    --camera-video`): report and annotated video in `folder`, a mirrored window if `window`;
    the model on `threads` interpreter threads (None: posecoach's default)."""
    pose = load_pose(POSE)
    camera = TimedCamera(VideoCamera(clip, loop=True), seconds)
    source = CameraSource(capture=camera, name=f"{clip.name} (as the camera)")
    estimator = create_estimator(None, threads=threads)
    outputs = Outputs(
        report_path=folder / "live.json",
        video_path=folder / "live.mp4" if video else None,
        window_title=f"posecoach - {pose.name}" if window else None,
        mirror=True,
        on_frame=on_frame,
    )
    try:
        started, cpu, busy = time.perf_counter(), time.process_time(), busy_s()
        result = run_session(source, estimator, coach or Coach(pose), outputs, estimator.name)
        elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    finally:
        estimator.close()
    others = others_cores(busy, elapsed, cpu_s)
    return LiveRun(result, elapsed, cpu_s, camera.cpu_s, window, others)


def window_wanted(no_window: bool) -> bool:
    """Whether to show the window, saying why not when there is none."""
    if no_window:
        print("window: none (--no-window)")
        return False
    if not has_display():
        print(
            "window: none: no screen (DISPLAY is not set); run under xvfb-run for the window's "
            "cost, e.g. xvfb-run -a -s '-screen 0 1920x1080x24' python benchmarks/live_loop.py"
        )
        return False
    print(f"window: shown on DISPLAY={os.environ.get('DISPLAY')} (mirrored, as live shows it)")
    return True


# --- Per-stage times (--stages) ---------------------------------------------------------------


# The latency's parts: each the gap from one moment of a frame to the next (None: its capture).
LATENCY_PARTS = (
    ("capture -> model starts", "model_start", None),
    ("model (estimate)", "model_end", "model_start"),
    ("model done -> coach done", "coached", "model_end"),
    ("coach done -> drawing starts", "draw_start", "coached"),
    ("drawing and video writing", "draw_end", "draw_start"),
    ("drawn -> shown or written", "shown", "draw_end"),
)


class Stages:
    """Where the time goes, gathered by wrapping the functions each stage of the loop calls
    (the pose model, the coach, drawing and video writing, the window): each call's wall and
    CPU time, and for each camera frame (known by its capture time) when each stage took it
    up and let it go, for the latency's parts."""

    def __init__(self) -> None:
        self.wall_s: dict[str, list[float]] = collections.defaultdict(list)
        self.cpu_s: dict[str, float] = collections.defaultdict(float)
        self.moments: dict[float, dict[str, float]] = collections.defaultdict(dict)
        self._lock = threading.Lock()
        self._undo: list[tuple[Any, str, Any]] = []

    def _mark(self, timestamp_ms: float, moment: str) -> None:
        """A moment of the frame captured at `timestamp_ms`: the first time it is reached
        for a start (`*_start`), the last for an end (a frame may be drawn twice)."""
        marks = self.moments[timestamp_ms]
        if moment not in marks or not moment.endswith("_start"):
            marks[moment] = time.monotonic() * 1000.0

    def _wrap(
        self,
        owner: Any,
        name: str,
        label: str | None,
        moments: tuple[str | None, str | None] = (None, None),
        timestamp: Callable[..., float] | None = None,
    ) -> None:
        """Time each call of `owner.name` under `label`; mark `moments` (at its start and end)
        for the frame whose capture time `timestamp(*args)` gives."""
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            key = timestamp(*args) if timestamp is not None else None
            if key is not None and moments[0] is not None:
                self._mark(key, moments[0])
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                wall, used = time.perf_counter() - started, time.thread_time() - cpu
                with self._lock:
                    if label is not None:
                        self.wall_s[label].append(wall)
                        self.cpu_s[label] += used
                    if key is not None and moments[1] is not None:
                        self._mark(key, moments[1])

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    @contextmanager
    def installed(self) -> Iterator[Stages]:
        """Time the stages while inside (the originals come back at the end)."""
        self._wrap(
            BlazePoseEstimator,
            "estimate",
            "model (estimate)",
            ("model_start", "model_end"),
            lambda _self, frame: frame.timestamp_ms,
        )
        self._wrap(
            Coach,
            "update",
            "coach (measure + judge)",
            (None, "coached"),
            lambda _self, _landmarks, timestamp_ms, *_: timestamp_ms,
        )
        self._wrap(
            render,
            "draw_screen",
            "screen (draw_screen)",
            ("draw_start", "draw_end"),
            lambda _image, _landmarks, assessment, *_, **__: assessment.timestamp_ms,
        )
        self._wrap(VideoSink, "write", "video (encode + write)")
        self._wrap(WindowSink, "show", "window (imshow + waitKey)")
        self._wrap(
            render.Timing,
            "shown",
            None,
            ("shown", None),
            lambda _self, timestamp_ms: timestamp_ms,
        )
        try:
            yield self
        finally:
            for owner, name, original in reversed(self._undo):
                setattr(owner, name, original)
            self._undo.clear()

    def print(self, seconds: float) -> None:
        print(f"  {'each call':<30} {'calls':>6} {'median ms':>10} {'p95 ms':>8} {'CPU cores':>10}")
        for label, walls in self.wall_s.items():
            times_ms = np.array(walls) * 1000
            print(
                f"  {label:<30} {len(walls):6d} {np.median(times_ms):10.2f} "
                f"{np.percentile(times_ms, 95):8.2f} {self.cpu_s[label] / seconds:10.2f}"
            )
        print(f"  {'latency, per frame':<30} {'frames':>6} {'median ms':>10} {'p95 ms':>8}")
        for label, end, start in LATENCY_PARTS:
            gaps = [
                marks[end] - (captured if start is None else marks[start])
                for captured, marks in self.moments.items()
                if end in marks and (start is None or start in marks)
            ]
            if gaps:
                print(
                    f"  {label:<30} {len(gaps):6d} {np.median(gaps):10.2f} "
                    f"{np.percentile(gaps, 95):8.2f}"
                )


# --- Changes proposed for posecoach, tried here by monkeypatching (--try NAME) -------------------


class TextSprites:
    """`overlay._text` drawing each text once and reusing it: putText with anti-aliasing is
    most of the overlay's cost at 720p (each text is drawn twice, outline then colour). A
    text's drawing is kept as what to keep of the picture under it and what to add, and laid
    over the frame with two saturating uint8 operations. The least recently used drawings go
    past `max_bytes` (the timing line changes every frame)."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self._drawn: collections.OrderedDict[tuple[Any, ...], tuple[Any, Any, tuple[int, int]]]
        self._drawn = collections.OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes

    def _sprite(
        self, text: str, scale: float, color: tuple[int, int, int], thickness: int
    ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
        key = (text, scale, color, thickness)
        if (sprite := self._drawn.get(key)) is not None:
            self._drawn.move_to_end(key)
            return sprite
        (width, height), baseline = cv2.getTextSize(text, overlay.FONT, scale, thickness + 2)
        pad = thickness + 2
        outline = np.zeros((height + baseline + 2 * pad, width + 2 * pad), np.uint8)
        fill = np.zeros_like(outline)
        origin = (pad, pad + height)
        cv2.putText(outline, text, origin, overlay.FONT, scale, (255,), thickness + 2, cv2.LINE_AA)
        cv2.putText(fill, text, origin, overlay.FONT, scale, (255,), thickness, cv2.LINE_AA)
        outline_a, fill_a = outline / 255.0, fill / 255.0
        keep = np.repeat(((1 - outline_a) * (1 - fill_a) * 255 + 0.5).astype(np.uint8), 3)
        add = (fill_a[..., None] * np.array(color, dtype=np.float64) + 0.5).astype(np.uint8)
        sprite = (keep.reshape(add.shape), add, origin)
        self._drawn[key] = sprite
        self._bytes += 2 * add.nbytes
        while self._bytes > self._max_bytes and len(self._drawn) > 1:
            _, (_, dropped, _) = self._drawn.popitem(last=False)
            self._bytes -= 2 * dropped.nbytes
        return sprite

    def __call__(
        self,
        image: np.ndarray,
        text: str,
        origin: tuple[int, int],
        scale: float,
        color: tuple[int, int, int],
        thickness: int,
    ) -> None:
        keep, add, at = self._sprite(text, scale, tuple(color), thickness)  # type: ignore[arg-type]
        x0, y0 = origin[0] - at[0], origin[1] - at[1]
        x1, y1 = min(x0 + add.shape[1], image.shape[1]), min(y0 + add.shape[0], image.shape[0])
        cx0, cy0 = max(x0, 0), max(y0, 0)
        if x1 <= cx0 or y1 <= cy0:
            return
        region = image[cy0:y1, cx0:x1]
        inside = (slice(cy0 - y0, y1 - y0), slice(cx0 - x0, x1 - x0))
        cv2.multiply(region, keep[inside], dst=region, scale=1 / 255)
        cv2.add(region, add[inside], dst=region)


def panel_from_cached_shade() -> Callable[..., None]:
    """`overlay._panel` blending with a slice of a frame-sized shade made once per size, not
    one filled for every panel (filling it from a colour tuple is most of the panel's cost)."""
    shades: dict[tuple[Any, ...], np.ndarray] = {}

    def panel(image: np.ndarray, top_left: Any, bottom_right: Any, style: Any) -> None:
        x0, y0 = max(top_left[0], 0), max(top_left[1], 0)
        x1, y1 = min(bottom_right[0], image.shape[1]), min(bottom_right[1], image.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        key = (image.shape, style.panel)
        if (shade := shades.get(key)) is None:
            shade = shades[key] = np.full(image.shape, style.panel, dtype=np.uint8)
        region = image[y0:y1, x0:x1]
        alpha = style.panel_alpha
        cv2.addWeighted(shade[y0:y1, x0:x1], alpha, region, 1 - alpha, 0, dst=region)

    return panel


def renderer_class() -> Any:
    """The renderer (the class with `submit` and `newest`), whatever its name."""
    for value in vars(render).values():
        if isinstance(value, type) and hasattr(value, "submit") and hasattr(value, "newest"):
            return value
    raise SystemExit("posecoach.run.render has no renderer with submit and newest: changed?")


def render_queue_one_deep() -> None:
    """For a camera, the renderer's queue holds one frame, not four: when drawing falls
    behind, frames then wait at the camera (and the stale ones are dropped there) instead of
    in a queue, where each waiting frame adds a frame's time to every frame's latency."""
    renderer = renderer_class()
    init = renderer.__init__

    def patched(self: Any, *args: Any, **kwargs: Any) -> None:
        realtime = any(
            isinstance(arg, render.Timing) and arg.realtime for arg in (*args, *kwargs.values())
        )
        if not realtime:
            init(self, *args, **kwargs)
            return
        one_deep = types.SimpleNamespace(
            Queue=lambda maxsize=0: queue.Queue(1), Full=queue.Full, Empty=queue.Empty
        )
        render.queue = one_deep  # type: ignore[assignment]
        try:
            init(self, *args, **kwargs)
        finally:
            render.queue = queue

    renderer.__init__ = patched


def show_when_drawn(wait_ms: float = 40.0) -> None:
    """The window shows a frame's drawing as soon as it is drawn. run_session asks for the
    newest drawing right after it hands the renderer a frame, and finds the previous frame's:
    each frame is shown a frame's time late. Here it waits (at most `wait_ms`) for the
    drawing of the frame just handed over; the model meanwhile works on the next frame."""
    renderer = renderer_class()
    submit, newest = renderer.submit, renderer.newest

    def patched_submit(self: Any, item: Any, *rest: Any) -> None:
        frame = getattr(item, "frame", item)  # a frame, or a drawing of one
        self.submitted_ms = frame.timestamp_ms
        submit(self, item, *rest)

    def patched_newest(self: Any) -> tuple[np.ndarray, float] | None:
        found = newest(self)
        deadline = time.monotonic() + wait_ms / 1000
        while (found is None or found[1] < self.submitted_ms) and time.monotonic() < deadline:
            time.sleep(0.001)
            found = newest(self) or found
        return found

    renderer.submit = patched_submit
    renderer.newest = patched_newest


def window_first() -> None:
    """With a window, the renderer draws the window's picture and hands it over first, then
    draws and writes the video's: the video is not waited for, the window is. (Mirrored, the
    two are separate drawings; today the video's is made and written first.)"""
    renderer = renderer_class()
    draw = renderer._draw

    class Unseen:  # stands in for the timing while the video's drawing is made
        def shown(self, timestamp_ms: float) -> None:
            pass

    def patched(self: Any, *args: Any) -> None:
        if not self._window or self._video is None:
            draw(self, *args)
            return
        video, self._video = self._video, None
        try:
            draw(self, *args)  # the window's drawing only
        finally:
            self._video = video
        timing, self._timing, self._window = self._timing, Unseen(), False
        try:
            draw(self, *args)  # the video's drawing, written
        finally:
            self._timing, self._window = timing, True

    renderer._draw = patched


def switch_interval_1ms() -> None:
    """Python hands the GIL between threads every 1 ms instead of every 5 ms: the model's
    thread, back from the native inference, waits less for the coach or drawing thread to
    let go of it (`sys.setswitchinterval`, for the whole process)."""
    sys.setswitchinterval(0.001)


PROPOSED = {
    "text-sprites": lambda: setattr(overlay, "_text", TextSprites()),
    "panel-shade": lambda: setattr(overlay, "_panel", panel_from_cached_shade()),
    "render-queue-1": render_queue_one_deep,
    "show-when-drawn": show_when_drawn,
    "window-first": window_first,
    "switch-interval-1ms": switch_interval_1ms,
}


def try_proposed(names: list[str]) -> None:
    """Apply the proposed changes named (for this process)."""
    for name in names:
        PROPOSED[name]()
    if names:
        print(f"trying proposed changes: {', '.join(names)}")


def print_live(run: LiveRun) -> bool:
    """The session's figures against the goals; whether both are met."""
    timing = run.result.report.timing
    fps, latency = timing["analysed_fps"], timing["latency_ms"]
    frames = run.result.report.frames
    fps_met, latency_met = fps >= FPS_GOAL, latency["median"] < LATENCY_GOAL_MS
    print(
        f"  analysed: {frames} frames in {run.seconds:.1f} s, {fps:.1f} frames/s "
        f"(goal >= {FPS_GOAL:g}: {'met' if fps_met else 'NOT met'})"
    )
    print(
        f"  latency, capture to {'window' if run.window else 'drawn and written'}: median "
        f"{latency['median']:.0f} ms, p95 {latency['p95']:.0f} ms, max {latency['max']:.0f} ms "
        f"over {latency['frames']} frames (goal < {LATENCY_GOAL_MS:g} ms: "
        f"{'met' if latency_met else 'NOT met'})"
    )
    offered = frames + timing["dropped_frames"]
    print(
        f"  dropped: {timing['dropped_frames']} stale frames of {offered} captured "
        f"({timing['dropped_frames'] / max(offered, 1):.0%})"
    )
    print(
        f"  CPU: {run.cpu_s / run.seconds:.2f} cores of {os.cpu_count()}, of which the stand-in "
        f"camera's decoding {run.camera_cpu_s / run.seconds:.2f}; the rest of the machine "
        f"meanwhile {run.others_cores:.2f}"
    )
    return fps_met and latency_met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default 60)")
    parser.add_argument("--no-window", action="store_true", help="no window even with a screen")
    parser.add_argument("--no-video", action="store_true", help="write no annotated video")
    parser.add_argument("--stages", action="store_true", help="time each stage of the loop")
    parser.add_argument(
        "--threads",
        type=int,
        help="the model's interpreter threads (default: posecoach's, as `live --threads`)",
    )
    parser.add_argument(
        "--try",
        dest="proposed",
        action="append",
        default=[],
        choices=sorted(PROPOSED),
        help="apply a proposed change (repeatable): see the functions of the same name",
    )
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds to wait for the rest of the machine to be quiet first (default 120)",
    )
    args = parser.parse_args()
    clip = camera_clip(args.cache)
    window = window_wanted(args.no_window)
    try_proposed(args.proposed)
    print(f"camera: {clip} looped in real time ({SIZE}, {FPS} fps), for {args.seconds:g} s")
    print(f"video: {'none (--no-video)' if args.no_video else 'annotated, written'}")
    print(f"model threads: {args.threads or 'the default'}")
    wait_for_quiet(args.max_wait)
    stages = Stages()
    with tempfile.TemporaryDirectory(prefix="posecoach-live-") as name:
        if args.stages:
            with stages.installed():
                run = live_session(
                    clip, args.seconds, Path(name), window, not args.no_video, threads=args.threads
                )
        else:
            run = live_session(
                clip, args.seconds, Path(name), window, not args.no_video, threads=args.threads
            )
    print_live(run)
    if args.stages:
        stages.print(run.seconds)


if __name__ == "__main__":
    main()
