"""What drawing the coach's screen costs per frame, against the frame-sized overlay it
replaced (`overlay.annotate`, kept as the developer's view), on the same assessed frames, in
one run, the kinds taking turns:

- the window at 1920x1080 and at 1280x720 (the picture scaled into it, the panel beside);
- the annotated video's canvas (the frame unscaled, the panel beside) for a 480x360 and a
  1920x1080 frame;
- the reference: `annotate` on the frame itself.

    .venv/bin/python benchmarks/screen_cost.py [--repeats 5] [--frames 200]

Prints milliseconds per frame (median of the repeats) and each one's ratio to the reference
on the same frame, and how busy the rest of the machine was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.output.layout import ScreenView, draw_screen, video_canvas_wh
from posecoach.output.overlay import annotate

from builders import half_kneeling


def busy_s() -> float:
    """CPU time the whole machine has been busy since it started, in seconds (all cores)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = list(map(int, stat.readline().split()[1:9]))
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def timed(draw: Callable[[int], np.ndarray], frames: int) -> tuple[float, float]:
    """Milliseconds per frame of `draw(i)` over `frames` frames, and the cores the rest of the
    machine used meanwhile."""
    before_busy, before_cpu, start = busy_s(), time.process_time(), time.perf_counter()
    for index in range(frames):
        draw(index)
    seconds = time.perf_counter() - start
    own = time.process_time() - before_cpu
    others = max(busy_s() - before_busy - own, 0.0) / seconds
    return seconds * 1000 / frames, others


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()

    pose = load_pose("half_kneeling_hip_flexor")
    coach = Coach(pose)
    # A faulty hold: red and green joints, a cue, a checklist with a cross.
    assessed = []
    for index in range(args.frames):
        landmarks = half_kneeling(torso_lean_deg=25 + 10 * np.sin(index / 15))
        assessed.append((landmarks, coach.update(landmarks, index * 33.3, index)))
    rng = np.random.default_rng(0)
    frames = {
        (480, 360): rng.integers(0, 255, (360, 480, 3), np.uint8),
        (1920, 1080): rng.integers(0, 255, (1080, 1920, 3), np.uint8),
    }
    view = ScreenView(picture=rng.integers(0, 255, (360, 480, 3), np.uint8))

    def screen(frame_wh: tuple[int, int], canvas_wh: tuple[int, int] | None) -> Callable:
        frame = frames[frame_wh]
        canvas = canvas_wh or video_canvas_wh(frame_wh)

        def draw(index: int) -> np.ndarray:
            landmarks, assessment = assessed[index]
            return draw_screen(frame, landmarks, assessment, pose, canvas, view=view)

        return draw

    def reference(frame_wh: tuple[int, int]) -> Callable:
        frame = frames[frame_wh]

        def draw(index: int) -> np.ndarray:
            landmarks, assessment = assessed[index]
            return annotate(frame, landmarks, assessment, pose, timing="30 fps")

        return draw

    kinds: dict[str, tuple[Callable, tuple[int, int]]] = {
        "annotate, 480x360 frame (reference)": (reference((480, 360)), (480, 360)),
        "annotate, 1920x1080 frame (reference)": (reference((1920, 1080)), (1920, 1080)),
        "video canvas, 480x360 frame": (screen((480, 360), None), (480, 360)),
        "video canvas, 1920x1080 frame": (screen((1920, 1080), None), (1920, 1080)),
        "window 1920x1080, 480x360 frame": (screen((480, 360), (1920, 1080)), (480, 360)),
        "window 1920x1080, 1920x1080 frame": (screen((1920, 1080), (1920, 1080)), (1920, 1080)),
        "window 1280x720, 480x360 frame": (screen((480, 360), (1280, 720)), (480, 360)),
    }
    for draw, _ in kinds.values():  # text sprites and fonts made once, before timing
        draw(0)
    times: dict[str, list[float]] = {name: [] for name in kinds}
    others: list[float] = []
    for _ in range(args.repeats):
        for name, (draw, _) in kinds.items():
            ms, busy = timed(draw, args.frames)
            times[name].append(ms)
            others.append(busy)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.frames} frames x {args.repeats} repeats, in turns; the rest of the machine used")
    print(f"{statistics.median(others):.2f} cores (median), at most {max(others):.2f}")
    print(f"  {'what':<40} {'ms/frame':>9} {'x reference':>12}")
    for name, (_, frame_wh) in kinds.items():
        base = medians[f"annotate, {frame_wh[0]}x{frame_wh[1]} frame (reference)"]
        print(f"  {name:<40} {medians[name]:9.2f} {medians[name] / base:12.2f}")


if __name__ == "__main__":
    main()
