"""How fast posecoach goes against the legacy mediapipe loop it replaced, measured in one run
on the same clip(s), the measurements taking turns.

For each clip (by default the bundled sample and, where ../shared/footage is, a 1080p clip)
it prints, in frames per second after the model is built (timed from the first read to the
last result):

- legacy mediapipe loop (only with --legacy-python PATH, a Python with mediapipe 0.10.21):
  the clip decoded with `cv2.VideoCapture`, each frame converted to RGB and given to
  `mp.solutions.pose.Pose(model_complexity=1, smooth_landmarks=True).process`; a small
  self-contained function (`legacy_loop`) run by that Python in isolated mode (`-I -c`), from
  a folder of its own: it never imports posecoach;
- raw estimator: the clip decoded with `cv2.VideoCapture` and every frame given to
  `create_estimator().estimate(Frame(...))`: the model, no coach, no drawing, in a process of
  its own (`throughput.py --raw-estimator CLIP --threads N`), with the interpreter on 2
  threads (the default on 2 cores or more) and on 1 (the threads comparison, unless
  --skip-threads);
- replay: the clip coached as `posecoach replay CLIP --pose ID --no-window --out V.mp4
  --report R.json` coaches it: `run_session` with the coach, the overlay drawn on every frame
  and written to the video, and the report; timed from the start of the loop to the report
  written and the video closed, after the model is built (in this process);
- their ratios against the goals: the raw estimator 1.5 times the legacy loop or more, the
  replay 1.3 times or more; and the replay against the raw estimator (posecoach's own cost);
- the same again as whole commands from a fresh interpreter (start-up, imports, model load
  included): the legacy loop's process, the raw estimator's and `posecoach replay CLIP ...`;
- decoding alone (`cv2.VideoCapture` + BGR to RGB, no model) with each Python: the two venvs
  carry different OpenCV builds, and decoding is part of every figure above;
- multi-file: N clips (the bundled samples, or --copies N of the first --clip) coached one
  after another (`posecoach replay FILE ...` once per file) and all at once (`posecoach replay
  FILE FILE ... --workers W`), whole commands' wall time; their ratio, against the goal (1.8
  times or more on 2 cores).

Every figure also has the CPU time it took (all threads and worker processes), in cores: CPU
seconds over wall seconds, and what the rest of the machine used meanwhile ("others", from
/proc/stat), since a shared machine makes every figure lower. Each measurement waits (up to
--max-wait) for the rest of the machine to use under 0.2 cores, and is repeated --repeats
times, the kinds taking turns (each repeat starting with the next kind); the best and the
median are printed.

--try NAME applies one of the changes to posecoach proposed in benchmarks/live_loop.py
(`PROPOSED`) in this process and in the posecoach commands it runs, not in the legacy loop's
or the raw estimator's.

Usage: python benchmarks/throughput.py [--legacy-python PATH] [--clip VIDEO ...] [--pose ID]
           [--repeats N] [--files VIDEO ... | --copies N] [--workers N]
           [--skip-single | --skip-multi] [--skip-threads] [--max-wait S] [--try NAME ...]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
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
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
DEFAULT_CLIP = SAMPLES / "half_kneeling_both_sides.mp4"
# A real 1080p clip (1920x1080, 59.94 fps, 845 frames), used where the footage is: never
# copied into the repository.
FOOTAGE_CLIP = REPO.parent / "shared/footage/fitbod_clips/kneeling-hip-flexor-stretch.mp4"
DEFAULT_POSE = "half_kneeling_hip_flexor"
QUIET_CORES = 0.2  # what else may run when a measurement starts
RAW_GOAL = 1.5  # the raw estimator's frames/s over the legacy loop's
REPLAY_GOAL = 1.3  # replay's frames/s over the legacy loop's
MULTI_GOAL = 1.8  # several files at once over one after another
THREADS = (2, 1)  # the raw estimator's interpreter threads: the default on 2 cores, then 1


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

    def add(self, run: Run) -> None:
        """Keep `run`, and say it (on standard error) as it comes."""
        self.runs.append(run)
        print(
            f"    {self.label}: {run.seconds:.2f} s, {run.fps:.1f}/s, CPU "
            f"{run.cpu_s / run.seconds:.2f} cores, others {run.others_cores:.2f}",
            file=sys.stderr,
        )

    @property
    def max_others(self) -> float:
        return max(run.others_cores for run in self.runs)

    def line(self, width: int) -> str:
        best = self.best
        return (
            f"  {self.label:<{width}}  {best.frames:5d} frames  best {best.seconds:6.2f} s "
            f"{best.fps:6.1f}/s  median {self.median_s:6.2f} s {self.median_fps:6.1f}/s  "
            f"CPU {best.cpu_s / best.seconds:4.2f} cores (others {best.others_cores:4.2f}, "
            f"at most {self.max_others:4.2f})"
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


# --- The legacy mediapipe loop: run by another Python, no posecoach code ------------------------


def legacy_loop(clip: str, infer: bool = True) -> dict[str, Any]:
    """Decode `clip` and run mediapipe's legacy pose solution on every frame, as posecoach did
    before it ran the model itself (model_complexity=1, smooth_landmarks=True): timed from the
    first read to the last result, after the model is built. With `infer` False, decoding and
    the conversion to RGB alone. Self-contained: its source is run by another Python
    (`legacy_command`), so it imports all it uses, and nothing of posecoach."""
    import platform
    import sys
    import time

    import cv2

    versions = {"python": platform.python_version(), "opencv": cv2.__version__}
    capture = cv2.VideoCapture(clip)
    pose = None
    if infer:
        import mediapipe as mp
        import numpy

        versions.update(mediapipe=mp.__version__, numpy=numpy.__version__)
        pose = mp.solutions.pose.Pose(model_complexity=1, smooth_landmarks=True)
    frames = found = 0
    started, cpu = time.perf_counter(), time.process_time()
    while True:
        ok, image = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if pose is not None:
            found += pose.process(rgb).pose_landmarks is not None
        frames += 1
    seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    if pose is not None:
        pose.close()
    capture.release()
    return {
        "frames": frames,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "found": found,
        "versions": versions,
        "posecoach_loaded": any(name.split(".")[0] == "posecoach" for name in sys.modules),
    }


def legacy_command(python: str, clip: Path, infer: bool = True) -> list[str]:
    """`python` running `legacy_loop` on `clip` in isolated mode (-I: no PYTHONPATH, no user
    site, not the current folder), printing its result as a JSON line."""
    source = "from typing import Any\n\n" + inspect.getsource(legacy_loop)
    source += (
        "\nimport json, sys\nprint(json.dumps(legacy_loop(sys.argv[1], sys.argv[2] == 'infer')))\n"
    )
    return [python, "-I", "-c", source, str(clip), "infer" if infer else "decode"]


# --- The raw estimator: posecoach's model, no coach, no drawing -----------------------------------


def raw_estimator(video: Path, threads: int | None) -> dict[str, Any]:
    """Decode `video` with `cv2.VideoCapture` and give every frame to posecoach's estimator:
    timed from the first read to the last result, after the model is built."""
    import platform

    import cv2
    import numpy

    from posecoach.inputs.sources import Frame
    from posecoach.model.estimator import create_estimator

    try:
        from importlib.metadata import version

        litert = version("ai-edge-litert")
    except Exception:  # pragma: no cover - only a label
        litert = "?"
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    estimator = create_estimator(None, static_images=False, threads=threads)
    try:
        frames = found = 0
        started, cpu = time.perf_counter(), time.process_time()
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frame = Frame(image, frames * 1000.0 / fps, frames)
            found += estimator.estimate(frame) is not None
            frames += 1
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    finally:
        estimator.close()
        capture.release()
    versions = {
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "ai-edge-litert": litert,
        "numpy": numpy.__version__,
    }
    return {
        "frames": frames,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "found": found,
        "versions": versions,
        "threads": getattr(estimator, "threads", threads),
    }


def raw_estimator_command(video: Path, threads: int) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--raw-estimator",
        str(video),
        "--threads",
        str(threads),
    ]


# --- posecoach --------------------------------------------------------------------------------


def replay(video: Path, pose_id: str, folder: Path) -> Run:
    """Coach `video` as `posecoach replay VIDEO --no-window --out --report` does (the same
    source, model, coach and outputs): timed from the start of the loop to the report and
    video written, after the model is built."""
    # Imported here: the raw estimator's process (--raw-estimator) needs none of it.
    from posecoach.coaching.coach import Coach
    from posecoach.coaching.posefile import load_pose
    from posecoach.model.estimator import create_estimator
    from posecoach.model.opening import open_source
    from posecoach.run.pipeline import Outputs, run_session

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
    return Run(result.report.frames, elapsed, cpu_s, others_cores(busy, elapsed, cpu_s))


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


def run_command(
    command: list[str], frames: int, proposed: bool = True, cwd: Path | None = None
) -> tuple[Run, str]:
    """Run `command` to its end: its wall time and CPU time (with every process it waited
    for) as a Run of `frames`, and its standard output. CommandFailed with its last lines of
    error output when it fails. With `proposed`, the changes tried (--try) apply in it."""
    env = {**os.environ, **PROPOSED_ENV} if proposed else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, busy = time.perf_counter(), busy_s()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=cwd)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        noise = ("W0000", "I0000", "INFO", "WARNING")
        errors = [line for line in done.stderr.splitlines() if not line.startswith(noise)]
        raise CommandFailed(f"exit {done.returncode}: " + " | ".join(errors[-3:]))
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(frames, elapsed, cpu_s, others_cores(busy, elapsed, cpu_s)), done.stdout


def inner_run(command: list[str], frames: int, cwd: Path | None = None) -> tuple[Run, Run, dict]:
    """Run a command that times its own loop and prints it as its last line (JSON): the
    loop's Run (with what the rest of the machine used over the whole command), the whole
    command's Run, and what it printed."""
    whole, output = run_command(command, frames, proposed=False, cwd=cwd)
    inner = json.loads(output.splitlines()[-1])
    run = Run(inner["frames"], inner["seconds"], inner["cpu_s"], whole.others_cores)
    return run, whole, inner


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


def tree_state() -> str:
    """This checkout's commit and a digest of its changes to posecoach/ not committed: when
    they differ at the end of the run from its start, posecoach changed under it."""
    done = subprocess.run(
        ["git", "-C", str(REPO), "diff", "HEAD", "--", "posecoach", "pyproject.toml"],
        capture_output=True,
        check=False,
    )
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{head.stdout.strip()}+{hashlib.sha1(done.stdout).hexdigest()[:10]}"


def verdict(value: float, goal: float) -> str:
    return "met" if value >= goal else "NOT met"


def ratio_line(label: str, top: Figure, bottom: Figure, goal: float | None = None) -> str:
    """`top`'s frames per second over `bottom`'s, best over best and median over median,
    against `goal` (a factor) if given."""
    best, median = top.best.fps / bottom.best.fps, top.median_fps / bottom.median_fps
    text = f"  {label}: best {best:.2f}x, median {median:.2f}x"
    if goal is not None:
        text += f"  (goal >= {goal}x: best {verdict(best, goal)}, median {verdict(median, goal)})"
    return text


def versions_text(versions: dict[str, str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in versions.items())


# --- The comparisons --------------------------------------------------------------------------


def single_file(
    clip: Path,
    pose_id: str,
    repeats: int,
    max_wait_s: float,
    folder: Path,
    legacy_python: str | None,
    threads: Sequence[int],
) -> None:
    """The legacy loop, the raw estimator and replay, after the model is built and as whole
    commands, taking turns; decoding alone with each Python."""
    frames = frame_count(clip)
    loops: dict[str, Figure] = {}  # the loop only, by kind
    wholes: dict[str, Figure] = {}  # whole commands, by kind
    decodes: dict[str, Figure] = {}
    versions: dict[str, dict[str, str]] = {}
    found: dict[str, set[int]] = {}
    reported: list[float] = []
    outside = folder / "outside"  # the legacy Python's working folder: nothing to import
    outside.mkdir(exist_ok=True)

    def measure_inner(key: str, loop_label: str, whole_label: str, command: list[str]) -> None:
        run, whole, inner = inner_run(command, frames, cwd=outside)
        if inner.get("posecoach_loaded"):
            raise SystemExit(f"{key}: posecoach was imported, which it must not be")
        if not inner["frames"]:
            raise SystemExit(f"{key}: read no frame of {clip}")
        loops.setdefault(key, Figure(loop_label)).add(run)
        wholes.setdefault(key, Figure(whole_label)).add(whole)
        versions[key] = inner["versions"]
        found.setdefault(key, set()).add(inner["found"])

    def legacy() -> None:
        assert legacy_python is not None
        measure_inner(
            "legacy",
            "legacy mediapipe loop",
            "legacy: python -I -c LEGACY_LOOP CLIP",
            legacy_command(legacy_python, clip),
        )

    def raw(count: int) -> Callable[[], None]:
        def measure() -> None:
            measure_inner(
                f"raw{count}",
                f"raw estimator, {count} thread{'s' if count > 1 else ''}",
                f"throughput.py --raw-estimator CLIP --threads {count}",
                raw_estimator_command(clip, count),
            )

        return measure

    def coached() -> None:
        loops.setdefault("replay", Figure("posecoach replay (overlay video + report)"))
        loops["replay"].add(replay(clip, pose_id, folder))

    def coached_command() -> None:
        label = "posecoach replay CLIP --no-window --out --report"
        run = run_command(replay_command(clip, pose_id, folder), frames)[0]
        wholes.setdefault("replay", Figure(label)).add(run)
        report = json.loads((folder / f"{clip.stem}.json").read_text())
        reported.append(report["timing"]["analysed_fps"])

    def decode(key: str, python: str) -> Callable[[], None]:
        def measure() -> None:
            run, _, inner = inner_run(legacy_command(python, clip, infer=False), frames, outside)
            label = f"{key} venv: OpenCV {inner['versions']['opencv']}"
            decodes.setdefault(key, Figure(label)).add(run)

        return measure

    kinds: list[Callable[[], None]] = []
    if legacy_python:
        kinds.append(legacy)
    kinds += [raw(count) for count in threads]
    kinds += [coached, coached_command]
    if legacy_python:
        kinds.append(decode("legacy", legacy_python))
    kinds.append(decode("project", sys.executable))
    for repeat in range(repeats):
        print(f"  repeat {repeat + 1}/{repeats}: {load_text()}", file=sys.stderr)
        start = repeat % len(kinds)  # each repeat starts with the next kind
        for kind in kinds[start:] + kinds[:start]:
            wait_for_quiet(max_wait_s)
            kind()

    for key, what in versions.items():
        print(f"  {key}: {versions_text(what)}")
    counts = ", ".join(f"{key} {'/'.join(map(str, sorted(n)))}" for key, n in found.items())
    print(f"  frames with a pose found: {counts} (of {frames})")
    order = [key for key in ("legacy", *(f"raw{count}" for count in threads), "replay")]
    width = max(len(f.label) for f in (*loops.values(), *wholes.values(), *decodes.values()))
    print("After the model is built (the loop only), frames per second:")
    for key in order:
        if key in loops:
            print(loops[key].line(width))
    default_raw = f"raw{threads[0]}" if threads else None
    if "legacy" in loops:
        if default_raw:
            print(
                ratio_line("raw estimator / legacy", loops[default_raw], loops["legacy"], RAW_GOAL)
            )
        print(ratio_line("replay / legacy", loops["replay"], loops["legacy"], REPLAY_GOAL))
    if default_raw:
        print(ratio_line("replay / raw estimator", loops["replay"], loops[default_raw]))
    if "raw2" in loops and "raw1" in loops:
        print(ratio_line("raw estimator, 2 threads / 1 thread", loops["raw2"], loops["raw1"]))
        if "legacy" in loops:
            print(ratio_line("raw estimator, 1 thread / legacy", loops["raw1"], loops["legacy"]))
    print("Whole commands (fresh interpreter: start-up, imports, model load, loop, outputs):")
    for key in order:
        if key in wholes:
            print(wholes[key].line(width))
    if "legacy" in wholes:
        if default_raw:
            print(ratio_line("raw estimator / legacy", wholes[default_raw], wholes["legacy"]))
        print(ratio_line("replay / legacy", wholes["replay"], wholes["legacy"]))
    print(
        f"  the replay's own report: {max(reported):.1f} frames/s best, "
        f"{statistics.median(reported):.1f} median"
    )
    print("Decoding alone (cv2.VideoCapture + BGR to RGB, no model):")
    for figure in decodes.values():
        print(figure.line(width))


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
        kinds = ["one by one", "at once"]
        for kind in kinds[repeat % 2 :] + kinds[: repeat % 2]:
            wait_for_quiet(max_wait_s)
            if kind == "one by one":
                try:
                    runs = [run_command(replay_command(v, pose_id, folder), 0)[0] for v in videos]
                except CommandFailed as error:
                    print(f"  one after another: a command failed ({error})")
                    return
                seconds = sum(run.seconds for run in runs)
                others = sum(run.others_cores * run.seconds for run in runs) / seconds
                cpu_s = sum(run.cpu_s for run in runs)
                one_by_one.add(Run(frames, seconds, cpu_s, others))
                continue
            try:
                batch = batch_command(videos, pose_id, workers, folder / "batch")
                at_once.add(run_command(batch, frames)[0])
            except CommandFailed as error:
                print(f"  at once: the command failed ({error})")
                return
    width = max(len(one_by_one.label), len(at_once.label))
    print(f"Whole commands over {len(videos)} files, {frames} frames:")
    print(one_by_one.line(width))
    print(at_once.line(width))
    print(ratio_line("at once / one after another", at_once, one_by_one, MULTI_GOAL))
    # One file at a time already keeps more than one core busy (decoding, the model on 2
    # threads, the coach and drawing overlap): the gain can be no more than the cores over
    # that.
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


def default_clips() -> list[Path]:
    """The bundled sample, and the 1080p footage clip where it is."""
    return [DEFAULT_CLIP, *([FOOTAGE_CLIP] if FOOTAGE_CLIP.is_file() else [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--legacy-python",
        metavar="PATH",
        help="a Python with mediapipe 0.10.21 (e.g. /work/venvs/legacy/bin/python): measure "
        "the legacy mediapipe loop with it",
    )
    parser.add_argument(
        "--clip",
        type=Path,
        action="append",
        help="a single-file clip (repeatable; default: the bundled sample, and "
        f"{FOOTAGE_CLIP.name} where ../shared/footage is)",
    )
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
        "--skip-threads",
        action="store_true",
        help="the raw estimator on its default threads only (not 2 and 1)",
    )
    parser.add_argument(
        "--try",
        dest="proposed",
        action="append",
        default=[],
        metavar="NAME",
        help="apply a change proposed in live_loop.py (repeatable) to posecoach, not to the "
        "legacy loop or the raw estimator",
    )
    parser.add_argument("--raw-estimator", type=Path, metavar="CLIP", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_estimator is not None:  # the raw estimator's own process
        print(json.dumps(raw_estimator(args.raw_estimator, args.threads)))
        return
    clips = [clip.resolve() for clip in args.clip or default_clips()]
    if missing := [str(clip) for clip in clips if not clip.is_file()]:
        parser.error(f"--clip: no such file: {', '.join(missing)}")
    if args.legacy_python and not Path(args.legacy_python).is_file():
        parser.error(f"--legacy-python: no such file: {args.legacy_python}")
    print(f"{posecoach_version()}; {os.cpu_count()} cores; {load_text()}")
    state = tree_state()
    if not args.legacy_python:
        print("(no --legacy-python: the legacy mediapipe loop is not measured)")
    threads = THREADS[:1] if args.skip_threads else THREADS
    with tempfile.TemporaryDirectory(prefix="posecoach-throughput-") as name:
        folder = Path(name)
        if args.proposed:
            from live_loop import PROPOSED, try_proposed

            if unknown := set(args.proposed) - set(PROPOSED):
                parser.error(f"--try: expecting one of {', '.join(PROPOSED)}, got {unknown}")
            try_proposed(args.proposed)
            try_in_commands(args.proposed, folder)
        if not args.skip_single:
            for clip in clips:
                print(f"\n{clip} ({describe(clip)}), pose {args.pose}, {args.repeats} runs")
                timed(
                    f"single file {clip.name}",
                    lambda clip=clip: single_file(
                        clip,
                        args.pose,
                        args.repeats,
                        args.max_wait,
                        folder,
                        args.legacy_python,
                        threads,
                    ),
                )
        if not args.skip_multi:
            if args.copies:
                videos = copies(clips[0], args.copies, folder / "copies")
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
    if tree_state() != state:
        print(f"WARNING: posecoach changed during the run ({state} -> {tree_state()})")


if __name__ == "__main__":
    main()
