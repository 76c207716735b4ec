"""How much faster a landmark recording replays than its video, on one bundled sample.

Prints, in frames per second:

- model: decoding the sample video and running the pose model on every frame (the bundled
  full model, as `posecoach replay VIDEO` runs it); the landmarks found are then written to
  a recording (not timed);
- replay: coaching that recording through the full coach, as `posecoach replay REC
  --no-window` does without writing a video (reading the file, trust, smoothing, rules,
  holds and reps, the report); the best of --repeats runs;
- judging again: the recording's frames measured once, then judged again with a form rule's
  threshold changed, as `posecoach tune` does at such a change (best of --repeats);
- reading: the recording's frames alone, the source's share of the replay (best of
  --repeats);

and each figure's ratio to the model's. Each figure is one `Speed` in the list `main` prints,
so a figure for another stage is one more function returning a `Speed`.

Usage: python benchmarks/replay_speed.py [--sample NAME] [--repeats N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from posecoach.coaching.coach import Coach, rejudge
from posecoach.coaching.posefile import load_pose
from posecoach.config.samples import bundled_samples
from posecoach.evaluation.tune import threshold_values, with_value
from posecoach.model.estimator import create_estimator
from posecoach.model.landmarks import Landmarks
from posecoach.model.opening import open_source
from posecoach.model.recording import RecordingSource, RecordingWriter
from posecoach.run.pipeline import Outputs, run_session

DEFAULT_SAMPLE = "half_kneeling_both_sides"


@dataclass(frozen=True)
class Speed:
    """How fast one stage went over the sample's frames."""

    label: str
    frames: int
    seconds: float

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


def model_speed(video: Path, recording: Path) -> Speed:
    """Decode `video` and run the pose model on every frame (timed); then write what it found
    to `recording` (not timed)."""
    found: list[tuple[Landmarks | None, float, int, tuple[int, int]]] = []
    with open_source(video) as source:
        estimator = create_estimator(None, static_images=source.independent_frames)
        try:
            started = time.perf_counter()
            for frame in source:
                landmarks = estimator.estimate(frame)
                found.append((landmarks, frame.timestamp_ms, frame.index, frame.resolution_wh))
            elapsed = time.perf_counter() - started
        finally:
            estimator.close()
        with RecordingWriter.for_source(recording, source, estimator.name) as writer:
            for landmarks, timestamp_ms, index, size in found:
                writer.write(landmarks, timestamp_ms, index, size)
    return Speed("model (decode + inference)", len(found), elapsed)


def replay_speed(recording: Path, pose_id: str, report: Path, repeats: int) -> Speed:
    """Coach `recording` as `posecoach replay REC --no-window` does, without a video: the
    fastest of `repeats` runs."""
    pose = load_pose(pose_id)
    best = None
    for _ in range(repeats):
        started = time.perf_counter()
        source = RecordingSource(recording)
        result = run_session(
            source, None, Coach(pose), Outputs(report_path=report), source.model_name
        )
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return Speed("replay of the recording (full coach)", result.report.frames, best)


def rejudge_speed(recording: Path, pose_id: str, repeats: int) -> Speed:
    """Judge the recording's measured frames again with one threshold changed, as `posecoach
    tune` does at every slider move and `--fit` at every candidate value (the frames are
    measured once, not timed): the fastest of `repeats` runs."""
    pose = load_pose(pose_id)
    coach, measured = Coach(pose), []
    with RecordingSource(recording) as source:
        for frame in source:
            measured.append(coach.measure(frame.landmarks, frame.timestamp_ms, frame.index))
            coach.judge(measured[-1])
    # A form rule's threshold: changing a gate of a stretch with motion or bounce rules
    # measures again instead (those rules look only at the time in position).
    name, value = next(
        (name, value)
        for name, value in threshold_values(pose).items()
        if name.startswith("counter.") or not pose.rule(name.split(".")[0]).gate
    )
    changed = with_value(pose, name, value + 1)
    best = None
    for _ in range(repeats):
        started = time.perf_counter()
        rejudge(changed, measured)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return Speed(f"judging again ({name} changed)", len(measured), best)


def reading_speed(recording: Path, repeats: int) -> Speed:
    """Read `recording` and build every frame's landmarks, with no coaching: the fastest of
    `repeats` runs."""
    best = None
    for _ in range(repeats):
        started = time.perf_counter()
        with RecordingSource(recording) as source:
            frames = sum(1 for _ in source)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return Speed("reading the recording (no coach)", frames, best)


def print_speeds(speeds: list[Speed], baseline: Speed) -> None:
    width = max(len(speed.label) for speed in speeds)
    for speed in speeds:
        ratio = speed.fps / baseline.fps
        print(
            f"  {speed.label:<{width}}  {speed.frames:5d} frames in {speed.seconds:7.3f} s  "
            f"{speed.fps:9,.0f} frames/s  {ratio:7.1f}x the model"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default=DEFAULT_SAMPLE, help=f"default {DEFAULT_SAMPLE}")
    parser.add_argument("--repeats", type=int, default=3, help="replays timed (default 3)")
    args = parser.parse_args()
    sample = bundled_samples()[args.sample]
    with tempfile.TemporaryDirectory() as folder:
        recording = Path(folder) / f"{sample.name}.pcrec"
        model = model_speed(sample.video, recording)
        replay = replay_speed(recording, sample.pose_id, Path(folder) / "report.json", args.repeats)
        again = rejudge_speed(recording, sample.pose_id, args.repeats)
        reading = reading_speed(recording, args.repeats)
        size_kb = recording.stat().st_size / 1024
    print(f"{sample.name} ({sample.description}), recording {size_kb:,.0f} KB:")
    print_speeds([model, replay, again, reading], baseline=model)


if __name__ == "__main__":
    main()
