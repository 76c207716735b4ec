"""Running the coach with the real pose model over clips, and comparing with their truth."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecoach.coaching.coach import Assessment, Coach, Status
from posecoach.coaching.posefile import PoseSpec, load_pose
from posecoach.config.samples import bundled_samples
from posecoach.model.estimator import create_estimator
from posecoach.model.opening import open_source
from posecoach.run.pipeline import assess
from posecoach.synth.clip import ClipSpec, write_clip

from conftest import cached_folder, cached_value

KNEEL = "half_kneeling_hip_flexor"
FLAGGED = 0.5  # a rule is flagged when it fails in at least half the frames in position


@dataclass
class Run:
    pose: PoseSpec
    truth: dict
    assessments: list[Assessment]

    @property
    def totals(self) -> dict:
        return self.assessments[-1].totals

    def flagged(self) -> set[str]:
        """Form rules failing in most of the frames the coach judged in position."""
        judged = [a for a in self.assessments if a.status is Status.IN_POSITION]
        assert judged, "never in position"
        return {
            rule.id
            for rule in self.pose.rules
            if not rule.gate and np.mean([_passed(a, rule.id) is False for a in judged]) >= FLAGGED
        }

    def truly_failing(self) -> set[str]:
        """Form rules the truth says fail in most of the frames truly in position."""
        frames = self.truth["per_frame"]
        where = np.array(frames["in_position"])
        return {
            rule.id
            for rule in self.pose.rules
            if not rule.gate
            and np.mean(np.array(frames["passes"][rule.id], dtype=object)[where] == False)  # noqa: E712
            >= FLAGGED
        }


def _passed(assessment: Assessment, rule_id: str) -> bool | None:
    return next(r.passed for r in assessment.results if r.rule.id == rule_id)


def coach_clip(video: Path) -> Run:
    truth = json.loads(video.with_name(f"{video.stem}.truth.json").read_text())
    pose = load_pose(truth["pose"])
    coach = Coach(pose)
    estimator = create_estimator(None, static_images=False)
    assessments = []
    try:
        with open_source(video) as source:
            assessments += [a for _, a in assess(source, estimator, coach)]
    finally:
        estimator.close()
    assert len(assessments) == truth["frames"]
    return Run(pose, truth, assessments)


_RUNS: dict[str, Run] = {}


def sample_run(name: str) -> Run:
    if name not in _RUNS:
        _RUNS[name] = coach_clip(bundled_samples()[name].video)
    return _RUNS[name]


# A generated clip and the run on it are made once per test session, by whichever worker
# asks first (see conftest.cached_folder), and kept in each process that uses them.
_GENERATED: dict[ClipSpec, Run] = {}


def generated_clip(tmp_path_factory, spec: ClipSpec) -> Path:
    """The clip of `spec` (and its truth beside it), rendered once per test session."""
    name = f"{spec.pose_id}_{spec.fault}_{spec.seed}"
    key = f"clip_{name}_{hashlib.sha256(repr(spec).encode()).hexdigest()[:12]}"
    folder = cached_folder(
        tmp_path_factory,
        key,
        lambda out: write_clip(spec, load_pose(spec.pose_id), out / f"{name}.mp4"),
    )
    return folder / f"{name}.mp4"


def generated_run(tmp_path_factory, spec: ClipSpec) -> Run:
    if spec not in _GENERATED:
        clip = generated_clip(tmp_path_factory, spec)
        _GENERATED[spec] = cached_value(
            tmp_path_factory, f"run_{clip.parent.name}", lambda: coach_clip(clip)
        )
    return _GENERATED[spec]


def assert_holds_match(run: Run, tolerance_s: float = 1.0) -> None:
    for side, true in run.truth["totals"].items():
        measured = run.totals[side].hold_s
        assert abs(measured - true["hold_s"]) <= tolerance_s, (side, measured, true["hold_s"])


def small(pose_id: str, **kwargs) -> ClipSpec:
    """A 480x360 clip at 25 fps, both sides for a stretch done per side."""
    sides = ("left", "right") if load_pose(pose_id).per_side else (None,)
    kwargs.setdefault("sides", sides)
    kwargs.setdefault("size_wh", (480, 360))
    kwargs.setdefault("fps", 25.0)
    return ClipSpec(pose_id, **kwargs)
