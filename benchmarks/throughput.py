"""How fast `posecoach replay` goes against the pose model alone, and several files coached at
once against one after another, measured in one run on the same clip(s).

Prints, in frames per second:

- raw model: the clip decoded with `cv2.VideoCapture`, each frame converted to RGB and given
  to `mp.solutions.pose.Pose(model_complexity=1)`: no posecoach code at all (it runs in a
  process of its own that never imports posecoach, `throughput.py --raw-model CLIP`); timed
  from the first read to the last result, after the model is built;
- replay: the clip coached as `posecoach replay CLIP --pose ID --no-window --out V.mp4
  --report R.json` coaches it: `run_session` with the coach, the overlay drawn on every frame
  and written to the video, and the report; timed from the start of the loop to the report
  written and the video closed, after the model is built (in this process);
- their ratio, against the goal (replay at 90% of the raw model or more);
- both again as whole commands in a fresh interpreter (start-up, imports and model load
  included), so nothing is hidden: `python throughput.py --raw-model CLIP` and `posecoach
  replay CLIP ...`; with the frames per second the replay's own report gives;
- multi-file: N clips (the bundled samples, or --copies N of --clip) coached one after
  another (`posecoach replay FILE ...` once per file) and all at once (`posecoach replay
  FILE FILE ... --workers W`), whole commands' wall time; their ratio, against the goal
  (1.6 times or more on 2 cores).

Every figure also has the CPU time it took (all threads and worker processes), in cores: CPU
seconds over wall seconds, and what the rest of the machine used meanwhile ("others", from
/proc/stat), since a shared machine makes every figure lower. Each measurement waits (up to
--max-wait) for the rest of the machine to use under 0.2 cores, and is repeated --repeats
times, the kinds taking turns; the best and the median are printed.

--try NAME applies one of the changes to posecoach proposed in benchmarks/live_loop.py
(`PROPOSED`) in this process and in the posecoach commands it runs, not in the raw model's.

Usage: python benchmarks/throughput.py [--clip VIDEO] [--pose ID] [--repeats N]
           [--files VIDEO ... | --copies N] [--workers N] [--skip-single | --skip-multi]
           [--max-wait S] [--try NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
DEFAULT_CLIP = SAMPLES / "half_kneeling_both_sides.mp4"
DEFAULT_POSE = "half_kneeling_hip_flexor"
QUIET_CORES = 0.2  # what else may run when a measurement starts
REPLAY_GOAL = 0.90  # replay's frames/s over the raw model's
MULTI_GOAL = 1.6  # several files at once over one after another


@dataclass(frozen=True)
class Run:
    """One measurement: frames done in `seconds` of wall time, using `cpu_s` of CPU time."""

    frames: int
    seconds: float
    cpu_s: float
    others_cores: float = 0.0  # CPU the rest of the machine used meanwhile, in cores

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


@dataclass
class Figure:
    """The runs of one measurement, repeated."""

    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda run: run.seconds)

    @property
    def median_s(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def median_fps(self) -> float:
        return statistics.median(run.fps for run in self.runs)

    def line(self, width: int) -> str:
        best = self.best
        return (
            f"  {self.label:<{width}}  {best.frames:5d} frames  best {best.seconds:6.2f} s "
            f"{best.fps:5.1f}/s  median {self.median_s:6.2f} s {self.median_fps:5.1f}/s  "
            f"CPU {best.cpu_s / best.seconds:4.2f} cores (others {best.others_cores:4.2f})"
        )


# --- The machine: shared, so what else runs is measured too -------------------------------------


def busy_s() -> float:
    """CPU time the whole machine has been busy since it started, in seconds (all cores)."""
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def others_cores(busy_before_s: float, seconds: float, own_cpu_s: float) -> float:
    """The cores the rest of the machine kept busy over the `seconds` since `busy_before_s`
    (a `busy_s()`), leaving out the `own_cpu_s` measured."""
    return max(busy_s() - busy_before_s - own_cpu_s, 0.0) / seconds


def wait_for_quiet(max_wait_s: float, below_cores: float = QUIET_CORES) -> None:
    """Wait (at most `max_wait_s`) until the rest of the machine uses under `below_cores`
    over a 2 s look, so each measurement starts on a machine as quiet as it gets."""
    deadline = time.monotonic() + max_wait_s
    while True:
        before = busy_s()
        time.sleep(2.0)
        others = (busy_s() - before) / 2.0
        if others < below_cores:
            return
        if time.monotonic() >= deadline:
            print(f"  (going on: the machine stayed busy, {others:.2f} cores)", file=sys.stderr)
            return


# --- The raw model: no posecoach code ---------------------------------------------------------


def raw_model(video: Path) -> Run:
    """Decode `video` and run the pose model on every frame, as MediaPipe's own example does:
    timed from the first read to the last result, after the model is built."""
    import cv2
    import mediapipe as mp

    capture = cv2.VideoCapture(str(video))
    pose = mp.solutions.pose.Pose(model_complexity=1)
    try:
        frames = 0
        started, cpu = time.perf_counter(), time.process_time()
        while True:
            ok, image = capture.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            frames += 1
        return Run(frames, time.perf_counter() - started, time.process_time() - cpu)
    finally:
        pose.close()
        capture.release()


def raw_model_command(video: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--raw-model", str(video)]


# --- posecoach --------------------------------------------------------------------------------


def replay(video: Path, pose_id: str, folder: Path) -> Run:
    """Coach `video` as `posecoach replay VIDEO --no-window --out --report` does (the same
    source, model, coach and outputs): timed from the start of the loop to the report and
    video written, after the model is built."""
    # Imported here: the raw model's process (--raw-model) must not load posecoach.
    from posecoach.coach import Coach
    from posecoach.estimator import create_estimator
    from posecoach.pipeline import Outputs, run_session
    from posecoach.posefile import load_pose
    from posecoach.sources import open_source

    pose = load_pose(pose_id)
    source = open_source(video)
    estimator = create_estimator(None, static_images=source.independent_frames)
    outputs = Outputs(report_path=folder / "replay.json", video_path=folder / "replay.mp4")
    try:
        started, cpu, busy = time.perf_counter(), time.process_time(), busy_s()
        result = run_session(source, estimator, Coach(pose), outputs, estimator.name)
        elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    finally:
        estimator.close()
    return Run(result.report["frames"], elapsed, cpu_s, others_cores(busy, elapsed, cpu_s))


def posecoach_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "posecoach", *args]


def replay_command(video: Path, pose_id: str, folder: Path) -> list[str]:
    return posecoach_command(
        "replay",
        str(video),
        "--pose",
        pose_id,
        "--no-window",
        "--out",
        str(folder / f"{video.stem}.mp4"),
        "--report",
        str(folder / f"{video.stem}.json"),
    )


def batch_command(videos: Sequence[Path], pose_id: str, workers: int, folder: Path) -> list[str]:
    return posecoach_command(
        "replay",
        *map(str, videos),
        "--pose",
        pose_id,
        "--no-window",
        "--workers",
        str(workers),
        "--out",
        str(folder),
        "--report",
        str(folder),
    )


# --- Whole commands ---------------------------------------------------------------------------


class CommandFailed(Exception):
    pass


# With --try, the posecoach commands (and their worker processes) apply the proposed changes
# as they start: Python runs a `sitecustomize` module found on its path at start-up.
SITECUSTOMIZE = """\
import os

if os.environ.get("POSECOACH_BENCHMARK_TRY"):
    from live_loop import try_proposed

    try_proposed(os.environ["POSECOACH_BENCHMARK_TRY"].split(","))
"""
PROPOSED_ENV: dict[str, str] = {}  # set by `try_in_commands`


def try_in_commands(names: list[str], folder: Path) -> None:
    """Have the posecoach commands run from here apply the proposed changes `names`."""
    site = folder / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = [str(site), str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]
    PROPOSED_ENV.update(
        PYTHONPATH=os.pathsep.join(filter(None, path)), POSECOACH_BENCHMARK_TRY=",".join(names)
    )


def run_command(command: list[str], frames: int, proposed: bool = True) -> tuple[Run, str]:
    """Run `command` to its end: its wall time and CPU time (with every process it waited
    for) as a Run of `frames`, and its standard output. CommandFailed with its last lines of
    error output when it fails. With `proposed`, the changes tried (--try) apply in it."""
    env = {**os.environ, **PROPOSED_ENV} if proposed else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, busy = time.perf_counter(), busy_s()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        noise = ("W0000", "I0000", "INFO", "WARNING")
        errors = [line for line in done.stderr.splitlines() if not line.startswith(noise)]
        raise CommandFailed(f"exit {done.returncode}: " + " | ".join(errors[-3:]))
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(frames, elapsed, cpu_s, others_cores(busy, elapsed, cpu_s)), done.stdout


def frame_count(video: Path) -> int:
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def describe(video: Path) -> str:
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps, frames = capture.get(cv2.CAP_PROP_FPS), int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    return f"{width}x{height}, {fps:g} fps, {frames} frames"


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def posecoach_version() -> str:
    """Which posecoach is measured: this checkout's commit (and whether posecoach/ has changes
    not committed), or the folder it is imported from when that is elsewhere (PYTHONPATH)."""
    spec = importlib.util.find_spec("posecoach")
    folder = Path(spec.origin).parent.parent if spec and spec.origin else None
    if folder is not None and folder.resolve() != REPO:
        return f"posecoach from {folder}"
    head = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%h"],
        capture_output=True,
        text=True,
        check=False,
    )
    changed = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "posecoach"],
        capture_output=True,
        text=True,
        check=False,
    )
    text = f"posecoach at {head.stdout.strip() or 'an unknown commit'}"
    return text + (" (+ changes not committed in posecoach/)" if changed.stdout.strip() else "")


def verdict(value: float, goal: float) -> str:
    return "met" if value >= goal else "NOT met"


# --- The two comparisons ----------------------------------------------------------------------


def single_file(clip: Path, pose_id: str, repeats: int, max_wait_s: float, folder: Path) -> None:
    """Raw model against replay, after the model is built and as whole commands."""
    raw, coached = Figure("raw model (decode + inference)"), Figure("posecoach replay")
    raw_cmd = Figure("python throughput.py --raw-model CLIP")
    replay_cmd = Figure("posecoach replay CLIP --no-window --out --report")
    reported: list[float] = []
    frames = frame_count(clip)
    for repeat in range(repeats):
        print(f"  repeat {repeat + 1}/{repeats}: {load_text()}", file=sys.stderr)
        # The raw model's time in its loop comes from its own process, which also gives the
        # whole command's.
        wait_for_quiet(max_wait_s)
        whole, output = run_command(raw_model_command(clip), frames, proposed=False)
        inner = json.loads(output.splitlines()[-1])
        raw.runs.append(Run(inner["frames"], inner["seconds"], inner["cpu_s"], whole.others_cores))
        raw_cmd.runs.append(whole)
        wait_for_quiet(max_wait_s)
        coached.runs.append(replay(clip, pose_id, folder))
        wait_for_quiet(max_wait_s)
        replay_cmd.runs.append(run_command(replay_command(clip, pose_id, folder), frames)[0])
        report = json.loads((folder / f"{clip.stem}.json").read_text())
        reported.append(report["timing"]["analysed_fps"])
    width = max(len(f.label) for f in (raw, coached, raw_cmd, replay_cmd))
    print("After the model is built (the loop only):")
    print(raw.line(width))
    print(coached.line(width))
    best, median = coached.best.fps / raw.best.fps, coached.median_fps / raw.median_fps
    print(
        f"  replay / raw model: best {best:.0%}, median {median:.0%}  "
        f"(goal >= {REPLAY_GOAL:.0%}: {verdict(best, REPLAY_GOAL)})"
    )
    print("Whole commands (fresh interpreter: start-up, imports, model load, loop, outputs):")
    print(raw_cmd.line(width))
    print(replay_cmd.line(width))
    print(
        f"  replay / raw model: best {raw_cmd.best.seconds / replay_cmd.best.seconds:.0%}, "
        f"median {raw_cmd.median_s / replay_cmd.median_s:.0%};  the replay's own report: "
        f"{max(reported):.1f} frames/s best, {statistics.median(reported):.1f} median"
    )


def multi_file(
    videos: Sequence[Path],
    pose_id: str,
    workers: int,
    repeats: int,
    max_wait_s: float,
    folder: Path,
) -> None:
    """Each file in a `posecoach replay FILE` of its own, one after another, against all of
    them in one `posecoach replay FILE FILE ... --workers N`."""
    frames = sum(frame_count(video) for video in videos)
    one_by_one = Figure(f"one after another ({len(videos)} x posecoach replay FILE)")
    at_once = Figure(f"at once (posecoach replay FILE x {len(videos)} --workers {workers})")
    for repeat in range(repeats):
        print(f"  repeat {repeat + 1}/{repeats}: {load_text()}", file=sys.stderr)
        wait_for_quiet(max_wait_s)
        runs = [run_command(replay_command(video, pose_id, folder), 0)[0] for video in videos]
        seconds = sum(run.seconds for run in runs)
        others = sum(run.others_cores * run.seconds for run in runs) / seconds
        one_by_one.runs.append(Run(frames, seconds, sum(run.cpu_s for run in runs), others))
        wait_for_quiet(max_wait_s)
        try:
            batch = batch_command(videos, pose_id, workers, folder / "batch")
            at_once.runs.append(run_command(batch, frames)[0])
        except CommandFailed as error:
            print(f"  at once: the command failed ({error})")
            return
    width = max(len(one_by_one.label), len(at_once.label))
    print(f"Whole commands over {len(videos)} files, {frames} frames:")
    print(one_by_one.line(width))
    print(at_once.line(width))
    best = one_by_one.best.seconds / at_once.best.seconds
    median = one_by_one.median_s / at_once.median_s
    print(
        f"  at once / one after another: best {best:.2f}x, median {median:.2f}x  "
        f"(goal >= {MULTI_GOAL}x: {verdict(best, MULTI_GOAL)})"
    )
    # One file at a time already keeps more than one core busy (decoding, the model, the
    # coach and drawing overlap): the gain can be no more than the cores over that.
    cores = os.cpu_count() or 1
    used = one_by_one.best.cpu_s / one_by_one.best.seconds
    print(
        f"  one after another keeps {used:.2f} cores busy: at most {cores / used:.2f}x on "
        f"{cores} cores, with the CPU time it takes"
    )


def copies(clip: Path, count: int, folder: Path) -> list[Path]:
    """`count` copies of `clip` under names of their own (the same file named twice is
    coached once)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(1, count + 1):
        copy = folder / f"{clip.stem}_{number}{clip.suffix}"
        shutil.copyfile(clip, copy)
        made.append(copy)
    return made


def timed(what: str, work: Callable[[], None]) -> None:
    started = time.perf_counter()
    work()
    print(f"  ({what}: {time.perf_counter() - started:.0f} s)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP, help="the single-file clip")
    parser.add_argument("--pose", default=DEFAULT_POSE, help=f"default {DEFAULT_POSE}")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument(
        "--files", type=Path, nargs="+", help="multi-file clips (default: the bundled samples)"
    )
    parser.add_argument("--copies", type=int, help="multi-file: this many copies of --clip")
    parser.add_argument("--workers", type=int, default=2, help="multi-file workers (default 2)")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds to wait, before each measurement, for the rest of the machine to use "
        f"under {QUIET_CORES} cores (default 120; 0: never wait)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--skip-single", action="store_true", help="only the multi-file part")
    which.add_argument("--skip-multi", action="store_true", help="only the single-file part")
    parser.add_argument(
        "--try",
        dest="proposed",
        action="append",
        default=[],
        metavar="NAME",
        help="apply a change proposed in live_loop.py (repeatable) to posecoach, not to the raw "
        "model",
    )
    parser.add_argument("--raw-model", type=Path, metavar="CLIP", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_model is not None:  # the raw model's own process
        run = raw_model(args.raw_model)
        print(json.dumps({"frames": run.frames, "seconds": run.seconds, "cpu_s": run.cpu_s}))
        return
    print(f"{posecoach_version()}; {os.cpu_count()} cores; {load_text()}")
    with tempfile.TemporaryDirectory(prefix="posecoach-throughput-") as name:
        folder = Path(name)
        if args.proposed:
            from live_loop import PROPOSED, try_proposed

            if unknown := set(args.proposed) - set(PROPOSED):
                parser.error(f"--try: expecting one of {', '.join(PROPOSED)}, got {unknown}")
            try_proposed(args.proposed)
            try_in_commands(args.proposed, folder)
        if not args.skip_single:
            print(f"\n{args.clip} ({describe(args.clip)}), pose {args.pose}, {args.repeats} runs")
            timed(
                "single file",
                lambda: single_file(args.clip, args.pose, args.repeats, args.max_wait, folder),
            )
        if not args.skip_multi:
            if args.copies:
                videos = copies(args.clip, args.copies, folder / "copies")
            else:
                videos = args.files or sorted(SAMPLES.glob("*.mp4"))
            names = ", ".join(f"{video.name} ({frame_count(video)})" for video in videos)
            print(f"\nmulti-file: {names}; pose {args.pose}, {args.repeats} runs")
            timed(
                "multi-file",
                lambda: multi_file(
                    videos, args.pose, args.workers, args.repeats, args.max_wait, folder
                ),
            )
    print(f"\n{load_text()}")


if __name__ == "__main__":
    main()
