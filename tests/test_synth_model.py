"""End to end through the real pose model on generated clips: counts, hold times and verdicts
against the clips' exact truth. Uses the bundled samples and clips generated here with other
seeds, so nothing rests on one particular clip."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posecoach.cli import EXIT_OK, main
from posecoach.coach import Assessment, Coach, Status
from posecoach.estimator import create_estimator
from posecoach.posefile import PoseSpec, load_pose
from posecoach.samples import bundled_samples
from posecoach.sources import open_source
from posecoach.synth.clip import ClipSpec, write_clip

pytestmark = pytest.mark.model

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
            for frame in source:
                landmarks = estimator.estimate(frame)
                assessments.append(coach.update(landmarks, frame.timestamp_ms, frame.index))
    finally:
        estimator.close()
    assert len(assessments) == truth["frames"]
    return Run(pose, truth, assessments)


_RUNS: dict[str, Run] = {}


def sample_run(name: str) -> Run:
    if name not in _RUNS:
        _RUNS[name] = coach_clip(bundled_samples()[name].video)
    return _RUNS[name]


_GENERATED: dict[ClipSpec, Run] = {}


def generated_run(tmp_path_factory, spec: ClipSpec) -> Run:
    if spec not in _GENERATED:
        out = tmp_path_factory.mktemp("clips") / f"{spec.pose_id}_{spec.fault}_{spec.seed}.mp4"
        write_clip(spec, load_pose(spec.pose_id), out)
        _GENERATED[spec] = coach_clip(out)
    return _GENERATED[spec]


def assert_holds_match(run: Run, tolerance_s: float = 1.0) -> None:
    for side, true in run.truth["totals"].items():
        measured = run.totals[side].hold_s
        assert abs(measured - true["hold_s"]) <= tolerance_s, (side, measured, true["hold_s"])


def small(pose_id: str, **kwargs) -> ClipSpec:
    sides = ("left", "right") if pose_id == KNEEL else (None,)
    return ClipSpec(pose_id, sides=sides, size_wh=(480, 360), fps=25.0, **kwargs)


# -- the bundled samples -----------------------------------------------------------------------


def test_sample_bridge_set_counts_its_true_reps():
    run = sample_run("bridge_partial_rep")
    assert run.truth["totals"]["all"]["reps"] == 3  # four lifts, one of them partial
    assert run.totals["all"].reps == 3


def test_sample_hold_time_per_side_within_a_second():
    run = sample_run("half_kneeling_both_sides")
    assert_holds_match(run)
    assert run.flagged() == set() == run.truly_failing()


def test_sample_faulty_hold_flags_the_rendered_fault_only():
    run = sample_run("half_kneeling_torso_lean")
    assert run.truly_failing() == {"torso_upright"}
    assert run.flagged() == {"torso_upright"}
    assert_holds_match(run)


# -- clips generated here, other seeds ---------------------------------------------------------


def test_generated_bridge_with_a_partial_rep(tmp_path_factory):
    run = generated_run(tmp_path_factory, small("bridge", reps=4, fault="partial_rep", seed=21))
    assert run.totals["all"].reps == run.truth["totals"]["all"]["reps"] == 3


def test_generated_bridge_leaving_the_frame(tmp_path_factory):
    run = generated_run(tmp_path_factory, small("bridge", reps=4, fault="leave_frame", seed=23))
    assert any(a.status is Status.NO_PERSON for a in run.assessments)
    assert run.totals["all"].reps == run.truth["totals"]["all"]["reps"] == 4


def test_generated_hold_leaving_the_frame(tmp_path_factory):
    run = generated_run(tmp_path_factory, small(KNEEL, hold_s=6, fault="leave_frame", seed=24))
    assert any(a.status is Status.NO_PERSON for a in run.assessments)
    assert_holds_match(run)


SITTING_BACK = small(KNEEL, hold_s=6, fault="hip_not_forward", seed=8)


def test_generated_faulty_hold_hip_not_forward(tmp_path_factory):
    run = generated_run(tmp_path_factory, SITTING_BACK)
    assert run.truly_failing() == {"hip_forward"}
    assert run.flagged() == {"hip_forward"}
    left = run.truth["totals"]["left"]["hold_s"]
    assert abs(run.totals["left"].hold_s - left) <= 1.0


@pytest.mark.xfail(
    strict=True,
    reason="known limit: on the right side the model's visibility for the far (front) leg "
    "drops below 0.5 for about 2 s, the front_knee_bent gate becomes unknown and the hold "
    "stops; and the first second on the new side is not credited while the working side "
    "settles. Unknown gates should not stop a hold by themselves",
)
def test_generated_faulty_hold_time_on_the_second_side(tmp_path_factory):
    run = generated_run(tmp_path_factory, SITTING_BACK)
    assert_holds_match(run)


@pytest.mark.xfail(
    strict=True,
    reason="known limit: with dark trousers on a dark mat the model gives the two legs each "
    "other's labels for the whole left-side hold, so its time goes to the right side; the "
    "working side needs cues beyond the model's labels",
)
def test_generated_hold_with_legs_labelled_the_wrong_way_round(tmp_path_factory):
    run = generated_run(tmp_path_factory, small(KNEEL, hold_s=6, seed=1))
    assert_holds_match(run)


# -- posecoach demo ----------------------------------------------------------------------------


def test_demo_runs_headless_and_says_where_its_outputs_are(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["demo", "bridge_partial_rep"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "running without a window" in captured.err
    report = tmp_path / "posecoach_out" / "bridge_partial_rep_bridge.json"
    video = tmp_path / "posecoach_out" / "bridge_partial_rep_bridge.mp4"
    assert f"report: {Path('posecoach_out') / report.name}" in captured.out
    assert report.is_file() and video.stat().st_size > 0
    assert json.loads(report.read_text())["reps"] == 3
    assert "truth: 3 reps" in captured.out
