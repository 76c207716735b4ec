"""End to end through the real pose model on generated clips: counts, hold times and verdicts
against the clips' exact truth. Uses the bundled samples and clips generated here with other
seeds, so nothing rests on one particular clip."""

import json
from pathlib import Path

import pytest
from modelruns import KNEEL, assert_holds_match, generated_run, sample_run, small

from posecoach.cli.main import EXIT_OK, main
from posecoach.coaching.coach import Status

pytestmark = [pytest.mark.model, pytest.mark.synth]

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


def test_generated_bouncing_hold_is_flagged_and_still_timed(tmp_path_factory):
    # Pulsing deeper twice a second: the hips move about 0.15 torso lengths forward and back.
    run = generated_run(tmp_path_factory, small(KNEEL, hold_s=8, fault="bounce", seed=2))
    assert run.truly_failing() == {"no_bounce"}
    assert run.flagged() == {"no_bounce"}
    assert_holds_match(run)
    assert "Hold still: don't bounce" in {a.prompt for a in run.assessments}


@pytest.mark.xfail(
    # Not strict: whether the visibility crosses 0.5 varies with imperceptible changes.
    strict=False,
    reason="known limit: on the right side the model's visibility for the far (front) leg "
    "can drop below 0.5 for about 2 s, the front_knee_bent gate becomes unknown and the hold "
    "stops; and the first second on the new side is not credited while the working side "
    "settles. Unknown gates should not stop a hold by themselves. It comes and goes with the "
    "model's noise: mediapipe 0.10.21 itself held the right side 7.4, 5.2, 6.9 and 4.4 s "
    "(truth 7.2) on the same clip, as is and with one grey level of noise on 1% of the pixels",
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
