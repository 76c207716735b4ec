"""Memory over a long live session: the generated 720p clip looped as the camera for --minutes
(default 30) through the live path, as benchmarks/live_loop.py runs it (CameraSource,
run_session, the coach, the overlay, the report and the annotated video; a window when
`DISPLAY` is set), with the process's resident memory sampled every --interval seconds.

Prints the resident memory (VmRSS) after a warm-up (--warmup, default 1 minute) and at the
end, the growth between them, the linear trend per 10 minutes (least squares over the samples
after the warm-up), against the goal (growth under 50 MB); and, at the warm-up and the end,
the sizes of what could grow with the session: the report's cues and events, every list,
dict, set and deque the coach holds (their items, summed), the Python objects alive and the
threads. --csv FILE writes every sample.

Each sample is taken between two frames, on the thread that runs the coach, so the coach is
never read in the middle of an update.

Usage: python benchmarks/soak.py [--minutes M] [--interval S] [--warmup S] [--csv FILE]
           [--no-window] [--try NAME ...] [--cache DIR]
"""

from __future__ import annotations

import argparse
import collections
import csv
import gc
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from live_loop import (
    DEFAULT_CACHE,
    POSE,
    PROPOSED,
    camera_clip,
    live_session,
    print_live,
    try_proposed,
    window_wanted,
)

from posecoach.coaching.coach import Assessment, Coach
from posecoach.coaching.posefile import load_pose

GROWTH_GOAL_MB = 50.0
MIB = 1024 * 1024
PROGRESS_EVERY = 30  # samples between two progress lines


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / MIB
    raise RuntimeError("no VmRSS in /proc/self/status")


def held_items(root: object, name: str = "coach") -> collections.Counter[str]:
    """The items of every list, dict, set and deque reachable from `root` through posecoach
    objects and containers, by where they are held (`coach._timers[...]._window`; numpy
    arrays, fixed in size, are not counted)."""
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [(name, root)]
    items: collections.Counter[str] = collections.Counter()
    while stack:
        path, thing = stack.pop()
        if id(thing) in seen:
            continue
        seen.add(id(thing))
        if isinstance(thing, dict):
            if not path.endswith("__dict__"):  # an object's attributes: not a container
                items[path] += len(thing)
            for key, value in thing.items():
                stack.append((path + "[...]", key))
                stack.append((path + (f".{key}" if path.endswith("__dict__") else "[...]"), value))
        elif isinstance(thing, list | set | frozenset | collections.deque):
            items[path] += len(thing)
            stack.extend((path + "[...]", item) for item in thing)
        elif isinstance(thing, tuple):
            stack.extend((path, item) for item in thing)
        elif type(thing).__module__.startswith("posecoach"):
            if hasattr(thing, "__dict__"):
                stack.append((path + ".__dict__", vars(thing)))
            for slot in getattr(type(thing), "__slots__", ()):
                stack.append((f"{path}.{slot}", getattr(thing, slot, None)))
    return collections.Counter({path.replace(".__dict__", ""): n for path, n in items.items()})


@dataclass
class Sample:
    t_s: float  # since the session started
    rss_mb: float
    frames: int  # analysed so far
    cues: int  # new cues so far (the report's list)
    events: int  # events so far (the report's list, rep peaks included)
    coach_items: int  # items in the coach's containers
    objects: int  # Python objects the collector tracks
    threads: int


class Sampler:
    """Called with every frame's assessment (`Outputs.on_frame`): counts what the report
    accumulates, and takes a sample every `interval_s`."""

    def __init__(self, coach: Coach, interval_s: float, warmup_s: float) -> None:
        self._coach = coach
        self._interval_s = interval_s
        self._warmup_s = warmup_s
        self._started = time.monotonic()
        self._next = self._started
        self.frames = self.cues = self.events = 0
        self.samples: list[Sample] = []
        # Where the coach's items are held: at the first sample after the warm-up, and now.
        self.held_at_warmup: collections.Counter[str] = collections.Counter()
        self.held_now: collections.Counter[str] = collections.Counter()

    def __call__(self, assessment: Assessment) -> None:
        self.frames += 1
        self.cues += int(bool(assessment.prompt_is_new and assessment.prompt))
        self.events += len(assessment.events)
        now = time.monotonic()
        if now >= self._next:
            self._next += self._interval_s
            self.samples.append(sample := self.sample(now))
            if len(self.samples) % PROGRESS_EVERY == 1:  # a line now and then, to follow
                print(
                    f"  {sample.t_s / 60:5.1f} min: {sample.rss_mb:.1f} MB, "
                    f"{sample.frames:,} frames",
                    flush=True,
                )

    def sample(self, now: float) -> Sample:
        t_s = now - self._started
        self.held_now = held_items(self._coach)
        if t_s >= self._warmup_s and not self.held_at_warmup:
            self.held_at_warmup = self.held_now
        return Sample(
            t_s=round(t_s, 1),
            rss_mb=round(rss_mb(), 1),
            frames=self.frames,
            cues=self.cues,
            events=self.events,
            coach_items=sum(self.held_now.values()),
            objects=len(gc.get_objects()),
            threads=threading.active_count(),
        )


def trend_mb_per_10_min(samples: list[Sample]) -> float:
    """The least-squares slope of the resident memory over time, per 10 minutes."""
    if len(samples) < 2:
        return float("nan")
    t_s = np.array([s.t_s for s in samples])
    mb = np.array([s.rss_mb for s in samples])
    slope, _ = np.polyfit(t_s, mb, 1)
    return float(slope * 600)


def write_csv(path: Path, samples: list[Sample]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(asdict(samples[0])))
        writer.writeheader()
        writer.writerows(asdict(sample) for sample in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline")
    parser.add_argument("--csv", type=Path, help="write the samples to this CSV file")
    parser.add_argument("--no-window", action="store_true", help="no window even with a screen")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}"
    )
    parser.add_argument(
        "--try",
        dest="proposed",
        action="append",
        default=[],
        choices=sorted(PROPOSED),
        help="apply a change proposed in live_loop.py (repeatable)",
    )
    args = parser.parse_args()
    clip = camera_clip(args.cache)
    window = window_wanted(args.no_window)
    try_proposed(args.proposed)
    print(f"camera: {clip} looped in real time, for {args.minutes:g} min; pid {os.getpid()}")
    print(f"memory before the session: {rss_mb():.1f} MB", flush=True)
    coach = Coach(load_pose(POSE))
    sampler = Sampler(coach, args.interval, args.warmup)
    with tempfile.TemporaryDirectory(prefix="posecoach-soak-") as name:
        run = live_session(
            clip, args.minutes * 60, Path(name), window, on_frame=sampler, coach=coach
        )
    after = rss_mb()
    samples = sampler.samples
    if args.csv is not None:
        write_csv(args.csv, samples)
    settled = [s for s in samples if s.t_s >= args.warmup] or samples[-1:]
    first, last = settled[0], samples[-1]
    growth = last.rss_mb - first.rss_mb
    print(f"{len(samples)} samples over {run.seconds / 60:.1f} min:")
    print_live(run)
    print(f"  memory at the first frame: {samples[0].rss_mb:.1f} MB")
    print(f"  memory after {first.t_s:.0f} s (warm-up): {first.rss_mb:.1f} MB")
    print(f"  memory at the end ({last.t_s:.0f} s): {last.rss_mb:.1f} MB")
    print(f"  memory once the session was closed: {after:.1f} MB")
    print(f"  highest sample: {max(s.rss_mb for s in samples):.1f} MB")
    print(
        f"  growth after the warm-up: {growth:+.1f} MB (goal < {GROWTH_GOAL_MB:g} MB: "
        f"{'met' if growth < GROWTH_GOAL_MB else 'NOT met'}); trend "
        f"{trend_mb_per_10_min(settled):+.2f} MB per 10 min"
    )
    report = run.result.report
    print(f"  {'':<28} {'warm-up':>10} {'end':>10}")
    for label, key in (
        ("frames analysed", "frames"),
        ("cues (report)", "cues"),
        ("events (report)", "events"),
        ("items the coach holds", "coach_items"),
        ("Python objects", "objects"),
        ("threads", "threads"),
    ):
        print(f"  {label:<28} {getattr(first, key):>10,} {getattr(last, key):>10,}")
    print(f"  the written report: {len(report.cues)} cues, {len(report.events)} events")
    print("  the coach's largest containers (items):")
    for path, items in sampler.held_now.most_common(5):
        print(f"    {path:<40} {sampler.held_at_warmup[path]:>8,} {items:>10,}")
    if args.csv is not None:
        print(f"  samples: {args.csv}")


if __name__ == "__main__":
    main()
