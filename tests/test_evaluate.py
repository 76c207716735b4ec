"""`posecoach eval`: the accuracy metrics on hand-made frames and rows, the labels loader and
its errors, and end to end through the real model on generated clips and real footage."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_OK, main
from posecoach.coaching.coach import Status
from posecoach.coaching.posefile import load_pose, load_pose_file
from posecoach.evaluation.evaluate import (
    Expected,
    FrameRecord,
    Job,
    Kind,
    LabelsError,
    Row,
    coach_flagged,
    form_window_share,
    hold_flagged,
    jobs_from_labels,
    load_labels,
    measure,
    measured_reps,
    reps_flagged,
    summarize,
    summary_lines,
    truth_failing,
    verdict_agreement,
)

from conftest import footage

HOLD_POSE = """
id = "test_hold"
name = "Test hold"
description = "Kneel with the front knee at 90 degrees, torso upright."
view = "side"
mode = "hold"
per_side = true
working = "back"

[target]
hold_s = 20

[[rules]]
id = "knee_90"
label = "Front knee at 90°"
kind = "angle"
joints = ["front_hip", "front_knee", "front_ankle"]
min_deg = 80
max_deg = 100
gate = true
priority = 1
cue = "Knee at 90"

[[rules]]
id = "upright"
label = "Torso upright"
kind = "inclination"
segment = ["mid_hip", "mid_shoulder"]
max_deg = 15
priority = 2
cue = "Chest up"

[[rules]]
id = "stance"
label = "Feet close together"
kind = "distance"
between = ["front_ankle", "back_knee"]
max_torso = 0.05
priority = 3
cue = "Bring your feet closer"
"""

REPS_POSE = """
id = "test_reps"
name = "Test lifts"
description = "Lie on your back and lift the hips."
view = "side"
mode = "reps"

[target]
reps = 10

[counter]
signal = "lift"
start = 150
peak = 165

[[rules]]
id = "lying"
label = "Lying on your back"
kind = "inclination"
segment = ["mid_hip", "mid_shoulder"]
min_deg = 45
gate = true
priority = 1
cue = "Lie down"

[[rules]]
id = "lift"
label = "Hips up in a line"
kind = "angle"
joints = ["near_shoulder", "near_hip", "near_knee"]
open_toward = "up"
min_deg = 170
when = "top"
priority = 2
cue = "Hips higher"

[[rules]]
id = "no_arch"
label = "Back not arched"
kind = "angle"
joints = ["near_shoulder", "near_hip", "near_knee"]
open_toward = "up"
max_deg = 195
when = "top"
priority = 1
cue = "Don't arch"
"""

IN = Status.IN_POSITION
OUT = Status.NOT_IN_POSITION


@pytest.fixture
def pose_dir(tmp_path) -> Path:
    folder = tmp_path / "poses"
    folder.mkdir()
    (folder / "test_hold.toml").write_text(HOLD_POSE, encoding="utf-8")
    (folder / "test_reps.toml").write_text(REPS_POSE, encoding="utf-8")
    return folder


@pytest.fixture
def poses(pose_dir):
    return {p: load_pose_file(pose_dir / f"{p}.toml") for p in ("test_hold", "test_reps")}


def frame(index, status=IN, side="all", rep=False, fps=10.0, **verdicts):
    """One frame as the coach left it: status, side key, rule verdicts, a rep counted."""
    return FrameRecord(index, index / fps, status, side, verdicts, rep)


def truth(in_position, passes, fps=10.0, reps=(), totals=None):
    """A generated clip's truth with only what the metrics read."""
    return {
        "truth_version": 1,
        "fps": fps,
        "frames": len(in_position),
        "totals": totals or {"all": {"reps": 0, "hold_s": 0.0}},
        "reps": [{"top_s": top_s, "full": full} for top_s, full in reps],
        "per_frame": {"in_position": list(in_position), "passes": passes},
    }


# -- fault flagging ------------------------------------------------------------------------------


def test_hold_rule_flagged_when_failing_in_half_the_frames_in_position():
    frames = [
        {"upright": False, "stance": False},
        {"upright": False, "stance": True},
        {"upright": True, "stance": None},  # not judged: not a failure
        {"upright": True, "stance": None},
    ]
    assert hold_flagged(["upright", "stance"], frames) == {"upright"}
    assert hold_flagged(["upright"], []) == set()


def test_reps_rule_flagged_when_failing_on_any_rep():
    tops = [{"lift": True, "no_arch": True}, {"lift": False, "no_arch": None}]
    assert reps_flagged(["lift", "no_arch"], tops) == {"lift"}


def test_coach_flags_a_hold_rule_only_over_frames_it_judged_in_position(poses):
    pose = poses["test_hold"]
    frames = [
        frame(0, OUT, "left", upright=False, stance=False, knee_90=False),
        frame(1, OUT, "left", upright=False, stance=False, knee_90=False),
        frame(2, IN, "left", upright=False, stance=True, knee_90=True),
        frame(3, IN, "left", upright=True, stance=True, knee_90=True),
        frame(4, IN, "left", upright=True, stance=True, knee_90=True),
    ]
    assert coach_flagged(pose, frames) == set()  # upright fails in 1 of 3 in position
    frames.append(frame(5, IN, "left", upright=False, stance=True, knee_90=True))
    assert coach_flagged(pose, frames) == {"upright"}  # 2 of 4


def test_coach_flags_a_top_rule_on_counted_reps_only(poses):
    pose = poses["test_reps"]
    frames = [
        frame(0, lift=True, no_arch=False),  # a stale verdict, no rep counted here
        frame(1, rep=True, lift=True, no_arch=True),
        frame(2, rep=True, lift=False, no_arch=True),
    ]
    assert coach_flagged(pose, frames) == {"lift"}
    assert coach_flagged(pose, frames, rep_window_frames=(0, 1)) == set()


def test_truth_fails_a_hold_rule_in_half_the_frames_truly_in_position(poses):
    clip = truth(
        [False, True, True, True, True],
        {
            "knee_90": [False, True, True, True, True],
            "upright": [False, False, False, True, True],
            "stance": [False, False, True, True, True],
        },
    )
    assert truth_failing(poses["test_hold"], clip) == {"upright"}


def test_truth_fails_a_top_rule_at_the_top_of_a_full_rep(poses):
    clip = truth(
        [True] * 6,
        {
            "lying": [True] * 6,
            "lift": [True, True, False, True, True, True],
            "no_arch": [True, True, True, True, False, True],
        },
        reps=[(0.2, False), (0.41, True)],  # frames 2 (partial: ignored) and 4
    )
    assert truth_failing(poses["test_reps"], clip) == {"no_arch"}


# -- per-frame comparisons -----------------------------------------------------------------------


def test_verdict_agreement_over_frames_in_position_for_both(poses):
    pose = poses["test_hold"]
    clip = truth(
        [True, True, True, False],
        {
            "knee_90": [True] * 4,
            "upright": [True, True, False, True],
            "stance": [True, None, True, True],
        },
    )
    frames = [
        frame(0, upright=True, stance=None, knee_90=True),  # 1 agrees, 1 not judged
        frame(1, upright=False, stance=True, knee_90=True),  # 1 disagrees (stance truth None)
        frame(2, upright=False, stance=True, knee_90=True),  # 2 agree
        frame(3, upright=False, stance=False, knee_90=True),  # not truly in position
        frame(4, upright=False, stance=False, knee_90=True),  # past the truth's end
    ]
    agreement, unknown = verdict_agreement(pose, frames, clip)
    assert agreement == pytest.approx(3 / 4)
    assert unknown == pytest.approx(1 / 5)
    assert verdict_agreement(pose, [frame(3)], clip) == (None, None)


def test_reps_counted_per_side_and_within_the_window(poses):
    hold, reps = poses["test_hold"], poses["test_reps"]
    frames = [frame(3, rep=True), frame(10, rep=True), frame(20, rep=True)]
    assert measured_reps(reps, frames) == {"all": 3}
    assert measured_reps(reps, frames, rep_window_frames=(0, 10)) == {"all": 2}
    sided = [frame(1, side="left", rep=True), frame(2, side=None, rep=True)]
    assert measured_reps(hold, sided) == {"left": 1, "right": 0}


def test_form_window_share_counts_frames_in_position_failing_a_form_rule(poses):
    pose = poses["test_hold"]
    frames = [
        frame(0, upright=False, stance=True, knee_90=True),  # t 0.0
        frame(5, upright=True, stance=True, knee_90=True),  # t 0.5
        frame(10, OUT, upright=False, stance=False, knee_90=False),  # not in position
        frame(20, upright=True, stance=False, knee_90=True),  # t 2.0
    ]
    assert form_window_share(pose, frames, [(0.0, 1.0)]) == pytest.approx(0.5)
    assert form_window_share(pose, frames, [(0.0, 0.2), (1.5, 2.5)]) == 1.0
    assert form_window_share(pose, frames, [(0.9, 1.1)]) is None


def test_measure_a_generated_hold_against_its_truth(poses):
    pose = poses["test_hold"]
    clip = truth(
        [False, True, True, True],
        {
            "knee_90": [False, True, True, True],
            "upright": [True, False, False, True],
            "stance": [True, True, True, True],
        },
        totals={"left": {"reps": 0, "hold_s": 0.3}, "right": {"reps": 0, "hold_s": 0.0}},
    )
    frames = [
        frame(0, Status.NO_PERSON, None),
        frame(1, IN, "left", knee_90=True, upright=False, stance=True),
        frame(2, IN, "left", knee_90=True, upright=True, stance=True),
        frame(3, IN, "left", knee_90=True, upright=True, stance=True),
    ]
    job = Job("a.mp4", Path("a.mp4"), "test_hold", Kind.GENERATED, truth_path=Path("a.truth.json"))
    row = measure(job, pose, frames, {"left": 0.2, "right": 0.0}, clip, still=False)
    assert row.hold_s == {
        "left": {"expected": 0.3, "measured": 0.2},
        "right": {"expected": 0.0, "measured": 0.0},
    }
    assert row.reps == {}
    assert (row.frames, row.found_frames, row.in_position_frames) == (4, 3, 3)
    assert row.failing == ["upright"]  # 2 of 3 frames truly in position
    assert row.flagged == []  # 1 of 3 judged in position
    assert row.agreement == pytest.approx(5 / 6)
    assert row.note is None


# -- the summary ---------------------------------------------------------------------------------


def counts(*pairs):
    return {side: {"expected": want, "measured": got} for side, want, got in pairs}


def test_summary_from_rows():
    rows = [
        Row("a.mp4", "p_reps", "generated", "reps", reps=counts(("all", 4, 4))),
        Row("b.mp4", "p_reps", "labelled", "reps", reps=counts(("all", 3, 4))),
        Row("c.mp4", "p_reps", "labelled", "reps", reps=counts(("all", 5, 2))),
        Row("d.mp4", "p_reps", "labelled", "reps", reps=counts(("all", None, 7))),
        Row(
            "e.mp4",
            "p_hold",
            "generated",
            "hold",
            hold_s=counts(("left", 8.0, 7.7), ("right", 8.0, 9.0)),
            agreement=0.9,
            unknown_share=0.1,
            form_rules=["upright", "stance"],
            flagged=["upright"],
            failing=["upright"],
        ),
        Row(
            "f.mp4",
            "p_hold",
            "generated",
            "hold",
            hold_s=counts(("left", 8.0, 8.0), ("right", 0.0, 0.0)),
            agreement=0.7,
            unknown_share=0.0,
            form_rules=["upright", "stance"],
            flagged=["stance"],
            failing=["upright"],
        ),
        # Only the left side performed, the right side credited 0.6 s.
        Row("f2.mp4", "p_hold", "generated", "hold",
            hold_s=counts(("left", 6.0, 6.0), ("right", 0.0, 0.6))),
        Row("g.mp4", "p_reps", "negative", "reps", reps=counts(("all", 0, 2))),
        Row("g.mp4", "p_hold", "negative", "hold", hold_s=counts(("total", 0.0, 1.5))),
        Row("h.mp4", "p_reps", "negative", "reps", reps=counts(("all", 0, 0))),
        Row("i.jpg", "p_hold", "near miss", "hold", still=True, frames=1, in_position_frames=1,
            still_in_position=False, hold_s=counts(("total", 0.0, 0.0))),
        Row("j.jpg", "p_hold", "labelled", "hold", still=True, frames=3, in_position_frames=2,
            still_in_position=True),
        Row("k.mp4", "p_reps", "labelled", skipped="not found: k.mp4"),
    ]  # fmt: skip
    summary = summarize(rows)
    reps = summary["rep_counts"]
    assert (reps["counts"], reps["clips"]) == (3, 3)  # d has no truth; negatives apart
    assert reps["exact_rate"] == pytest.approx(1 / 3)
    assert reps["off_by_one_rate"] == pytest.approx(1 / 3)
    assert reps["mean_abs_error"] == pytest.approx((0 + 1 + 3) / 3)
    assert reps["largest_error"] == 3
    hold = summary["hold"]
    # Sides performed or credited: f's right side (not done, nothing credited) does not count.
    assert hold["sides"] == 5 and hold["clips"] == 3
    assert hold["mean_abs_error_s"] == pytest.approx((0.3 + 1.0 + 0 + 0 + 0.6) / 5)
    assert hold["largest_error_s"] == pytest.approx(1.0)
    assert hold["close_rate"] == pytest.approx(3 / 5)
    negatives = summary["negatives"]
    assert negatives["pairs"] == 4
    assert (negatives["false_reps"], negatives["pairs_with_false_reps"]) == (2, 1)
    assert (negatives["false_hold_s"], negatives["pairs_with_false_hold"]) == (1.5, 1)
    assert summary["stills"] == {
        "expected_in_position": {"clips": 1, "frames": 3, "in_position": 2},
        "expected_never": {"clips": 1, "frames": 1, "in_position": 1},
    }
    faults = summary["faults"]
    assert (faults["clips"], faults["pairs"]) == (2, 4)
    assert (faults["tp"], faults["fp"], faults["fn"]) == (1, 1, 1)
    assert faults["per_rule"]["p_hold.upright"] == {
        "tp": 1, "fp": 0, "fn": 1, "precision": 1.0, "recall": 0.5
    }  # fmt: skip
    assert faults["per_rule"]["p_hold.stance"]["precision"] == 0.0
    assert faults["per_rule"]["p_hold.stance"]["recall"] is None
    assert summary["agreement"]["mean"] == pytest.approx(0.8)
    assert summary["agreement"]["mean_unknown_share"] == pytest.approx(0.05)
    assert summary["skipped"] == {"count": 1, "clips": ["k.mp4"]}
    text = "\n".join(summary_lines(summary))
    assert "exact 33%, mean abs error 1.33, off by one 33%, largest error 3" in text
    assert "false reps 2 (in 1), false hold 1.5 s (in 1)" in text
    assert "p_hold.upright: precision 100% (1/1), recall 50% (1/2)" in text


def test_summary_says_n_a_where_nothing_was_measured():
    rows = [Row("k.mp4", "bridge", "labelled", skipped="not found")]
    summary = summarize(rows)
    assert summary["rep_counts"]["exact_rate"] is None
    assert summary["faults"]["precision"] is None
    lines = summary_lines(summary)
    assert lines[0] == "Summary: 1 clip, 1 clip-stretch pair, 1 skipped"
    for start in ("rep counts", "hold time", "negatives", "stills", "fault", "verdict"):
        line = next(line for line in lines if line.strip().startswith(start))
        assert "n/a" in line, line


# -- labels --------------------------------------------------------------------------------------


def write_labels(folder: Path, labels: dict, files=()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    path = folder / "labels.json"
    path.write_text(json.dumps(labels))
    return path


def test_labels_become_clip_stretch_pairs(tmp_path, poses):
    (tmp_path / "stills").mkdir()
    path = write_labels(
        tmp_path,
        {
            "_comment": "ignored",
            "lift.mp4": {"pose": "test_reps", "reps": 3, "view": "side", "cycle_end_frames": [1]},
            "kneel.jpg": {"pose": "test_hold", "form": "correct", "truth": "estimated"},
            "hold.mp4": {"pose": "test_hold", "hold_s": {"left": 20, "right": 18.5}},
            "split.jpg": {"pose": None, "near_miss_of": "test_hold"},
            "squat.mp4": {"movement": "squat", "reps": 2, "rep_window_frames": [0, 176]},
            "tilt.mp4": {"pose": None, "negative_for": ["test_hold", "test_reps"],
                         "movement": "pelvic tilt"},
            "tutorial.mp4": {"pose": "test_reps", "wrong_form_s": [[0, 4.5]],
                             "right_form_s": [[20, 26], [30, 40]], "faults": ["no_arch"]},
            "stills/": {"pose": "test_hold"},
            "gone.mp4": {"pose": "test_reps", "reps": 1},
        },
        files=["lift.mp4", "kneel.jpg", "hold.mp4", "split.jpg", "squat.mp4", "tilt.mp4",
               "tutorial.mp4"],
    )  # fmt: skip
    labels = load_labels(path, poses)
    assert [label.key for label in labels][:2] == ["lift.mp4", "kneel.jpg"]
    jobs = jobs_from_labels(labels, poses)
    pairs = [(j.clip, j.pose_id, j.kind) for j in jobs]
    assert pairs == [
        ("lift.mp4", "test_reps", Kind.LABELLED),
        ("kneel.jpg", "test_hold", Kind.LABELLED),
        ("hold.mp4", "test_hold", Kind.LABELLED),
        ("split.jpg", "test_hold", Kind.NEAR_MISS),
        ("squat.mp4", "test_reps", Kind.NEGATIVE),  # a movement: a negative for reps stretches
        ("tilt.mp4", "test_hold", Kind.NEGATIVE),
        ("tilt.mp4", "test_reps", Kind.NEGATIVE),  # once, though also a movement
        ("tutorial.mp4", "test_reps", Kind.LABELLED),
        ("stills/", "test_hold", Kind.LABELLED),
        ("gone.mp4", "test_reps", Kind.LABELLED),
    ]
    by_clip = {j.clip: j for j in jobs}
    assert by_clip["lift.mp4"].expected.reps == {"all": 3}
    assert by_clip["kneel.jpg"].expected.faults == frozenset()
    assert by_clip["lift.mp4"].expected.faults is None
    assert by_clip["hold.mp4"].expected.hold_s == {"left": 20.0, "right": 18.5}
    assert by_clip["split.jpg"].expected.hold_s == {"total": 0.0}
    assert by_clip["split.jpg"].expected.still_in_position is False
    assert by_clip["squat.mp4"].expected.reps == {"all": 0}  # its own reps are the squat's
    assert by_clip["squat.mp4"].expected.rep_window_frames == (0, 176)
    assert by_clip["tutorial.mp4"].expected.wrong_form_s == ((0.0, 4.5),)
    assert by_clip["tutorial.mp4"].expected.faults == frozenset({"no_arch"})
    assert by_clip["stills/"].path == tmp_path / "stills"
    assert [j.skip is None for j in jobs].count(False) == 1
    assert "not found" in by_clip["gone.mp4"].skip
    assert "partial" in by_clip["gone.mp4"].skip


def test_labels_give_in_position_intervals_views_and_ranges(tmp_path, poses):
    path = write_labels(
        tmp_path,
        {
            "stretch.mp4": {
                "pose": "test_hold",
                "hold_s": 7.0,
                "hold_s_range": [7.0, 14.1],
                "in_pose_s": [[0.0, 14.1]],
                "views_s": {"oblique": [[0.0, 6.8]], "side": [[7.1, 14.1]]},
            },
            "lunge.mp4": {"pose": None, "negative_for": ["test_hold"], "in_pose_s": []},
            "bridge.mp4": {"pose": "test_reps", "reps_range": [5, 6]},
        },
        files=["stretch.mp4", "lunge.mp4", "bridge.mp4"],
    )
    by_clip = {j.clip: j for j in jobs_from_labels(load_labels(path, poses), poses)}
    stretch = by_clip["stretch.mp4"].expected
    assert stretch.in_pose_s == ((0.0, 14.1),)
    assert stretch.own_view_s == ((7.1, 14.1),)  # the stretch's own view: side
    assert stretch.hold_s_range == (7.0, 14.1)
    assert by_clip["bridge.mp4"].expected.reps_range == (5, 6)
    assert by_clip["bridge.mp4"].expected.in_pose_s is None  # nothing said
    assert by_clip["lunge.mp4"].expected.in_pose_s is None  # a negative: holds and reps say it


def test_in_position_per_frame_is_compared_in_the_stretchs_own_view(poses):
    # 10 frames a second; truly in position 0.5-1.5 s; the side view from 1.0 s on; the coach
    # judges frames 8-17 (0.8-1.7 s) in position.
    frames = [frame(i, IN if 8 <= i <= 17 else OUT, "left") for i in range(20)]
    expected = Expected(in_pose_s=((0.5, 1.5),), own_view_s=((1.0, 1.9),))
    job = Job("a.mp4", Path("a.mp4"), "test_hold", Kind.LABELLED, expected)
    row = measure(job, poses["test_hold"], frames, {"left": 0.8, "right": 0.0}, None, False)
    # In view (frames 10-19): truly in position 10-15, judged 10-17.
    assert (row.in_pose_frames, row.in_position_in_view, row.in_pose_hits) == (6, 8, 6)
    position = summarize([row])["in_position"]
    assert position["precision"] == pytest.approx(6 / 8) and position["recall"] == 1.0
    text = "\n".join(summary_lines(summarize([row])))
    assert "precision 75% (6/8), recall 100% (6/6)" in text
    # Without view windows every frame counts.
    whole = dataclasses.replace(job, expected=Expected(in_pose_s=((0.5, 1.5),)))
    row = measure(whole, poses["test_hold"], frames, {"left": 0.8, "right": 0.0}, None, False)
    assert (row.in_pose_frames, row.in_position_in_view, row.in_pose_hits) == (11, 10, 8)


def test_generated_truth_gives_in_position_per_frame(poses):
    sides = {"left": {"reps": 0, "hold_s": 0.2}, "right": {"reps": 0, "hold_s": 0.0}}
    passes = {"knee_90": [True] * 4, "upright": [True] * 4, "stance": [True] * 4}
    clip = truth([False, True, True, False], passes, totals=sides)
    clip["spec"] = {"view": "side"}
    frames = [frame(0, OUT), frame(1, IN), frame(2, OUT), frame(3, IN)]
    job = Job("a.mp4", Path("a.mp4"), "test_hold", Kind.GENERATED, truth_path=Path("a.truth.json"))
    row = measure(job, poses["test_hold"], frames, {"left": 0.0, "right": 0.0}, clip, False)
    assert (row.in_pose_frames, row.in_position_in_view, row.in_pose_hits) == (2, 2, 1)
    clip["spec"] = {"view": "oblique-45"}  # not the stretch's view: no frame counts
    row = measure(job, poses["test_hold"], frames, {"left": 0.0, "right": 0.0}, clip, False)
    assert (row.in_pose_frames, row.in_position_in_view, row.in_pose_hits) == (0, 0, 0)


def test_hold_and_rep_goals_per_clip():
    rows = [
        # Within max(1 s, 10%) of the truth: 20 s wanted, 21.8 s is inside 2 s.
        Row("a.mp4", "p", "labelled", "hold", hold_s=counts(("total", 20.0, 21.8))),
        Row("b.mp4", "p", "labelled", "hold", hold_s=counts(("total", 5.0, 6.2))),
        # A range wins over the single value.
        Row("c.mp4", "p", "labelled", "hold", hold_s=counts(("total", 7.0, 13.0)),
            hold_s_range=[7.0, 14.1]),
        Row("d.mp4", "r", "labelled", "reps", reps=counts(("all", 5, 6)), reps_range=[5, 6]),
        Row("e.mp4", "r", "labelled", "reps", reps=counts(("all", 3, 4))),
        Row("f.mp4", "p", "negative", "hold", hold_s=counts(("total", 0.0, 0.4))),
        Row("g.mp4", "p", "negative", "hold", hold_s=counts(("total", 0.0, 6.0))),
        Row("h.mp4", "r", "negative", "reps", reps=counts(("all", 0, 1))),
    ]  # fmt: skip
    summary = summarize(rows)
    hold, reps, negatives = summary["hold"], summary["rep_counts"], summary["negatives"]
    assert (hold["within_goal"], hold["goal_clips"], hold["outside_goal"]) == (2, 3, ["b.mp4"])
    assert (reps["within_goal"], reps["goal_clips"], reps["outside_goal"]) == (1, 2, ["e.mp4"])
    assert negatives["largest_false_hold_s"] == 6.0
    # Over 0.5 s or with a rep, reps first: f's 0.4 s is under the limit.
    assert [(p["clip"], p["hold_s"], p["reps"]) for p in negatives["credited"]] == [
        ("h.mp4", 0.0, 1),
        ("g.mp4", 6.0, 0),
    ]
    text = "\n".join(summary_lines(summary))
    assert (
        "clip totals within max(1 s, 10%) (or inside the label's hold_s_range): 67% (2/3)" in text
    )
    assert "not: b.mp4" in text and "g.mp4 as p: 6.0 s held, 0 reps" in text


def test_labels_accept_absolute_paths(tmp_path, poses):
    clip = tmp_path / "elsewhere" / "lift.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"")
    path = write_labels(tmp_path / "labels", {str(clip): {"pose": "test_reps", "reps": 1}})
    (label,) = load_labels(path, poses)
    assert label.path == clip


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ({"pose": "test_rep"}, "pose", "unknown pose 'test_rep': expecting one of test_hold"),
        ({"pose": "test_reps", "reps": "three"}, "reps", "expecting a whole number"),
        ({"pose": "test_reps", "reps": 2.5}, "reps", "expecting a whole number"),
        ({"pose": "test_reps", "reps": -1}, "reps", "expecting a whole number of 0 or more"),
        ({"pose": "test_reps", "reps": {"left": 1}}, "reps", "not done per side"),
        ({"pose": "test_hold", "hold_s": {"front": 3}}, "hold_s", "per side"),
        ({"pose": "test_hold", "reps": 3}, "reps", "test_hold is a hold: give hold_s"),
        ({"pose": "test_reps", "faults": ["lying"]}, "faults", "not a form rule of test_reps"),
        ({"pose": "test_reps", "form": "good"}, "form", "expecting one of correct, incorrect"),
        ({"negative_for": ["nope"]}, "negative_for", "unknown pose 'nope'"),
        ({"near_miss_of": 3}, "near_miss_of", "expecting a pose id"),
        ({"pose": "test_reps", "wrong_form_s": [[4, 2]]}, "wrong_form_s", "start < end"),
        ({"movement": "squat", "rep_window_frames": [9]}, "rep_window_frames", "[first, last]"),
        ({"pose": "test_hold", "in_pose_s": [[3, 1]]}, "in_pose_s", "start < end"),
        ({"pose": "test_hold", "views_s": ["side"]}, "views_s", 'expecting {"side"'),
        ({"pose": "test_hold", "views_s": {"side": [[5, 2]]}}, "views_s.side", "start < end"),
        ({"pose": "test_hold", "hold_s_range": [9, 4]}, "hold_s_range", "lowest <= highest"),
        ({"pose": "test_hold", "hold_s_range": 4}, "hold_s_range", "[lowest, highest]"),
        ({"pose": "test_reps", "reps_range": [1, 2.5]}, "reps_range", "a whole number"),
        ({"pose": "test_hold", "reps_range": [1, 2]}, "reps_range", "is a hold"),
        ({"pose": "test_reps", "hold_s_range": [1, 2]}, "hold_s_range", "counted in reps"),
    ],
)
def test_malformed_label_names_file_entry_and_key(tmp_path, poses, entry, key, message):
    path = write_labels(tmp_path, {"clip.mp4": entry})
    with pytest.raises(LabelsError) as caught:
        load_labels(path, poses)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f'{path}: "clip.mp4": {key}: ')
    assert message in text


def test_every_malformed_entry_is_listed_at_once(tmp_path, poses):
    path = write_labels(tmp_path, {"a.mp4": {"pose": "x"}, "": {"pose": "test_reps"}, "b": 3})
    with pytest.raises(LabelsError) as caught:
        load_labels(path, poses)
    assert [p.split(":")[0] for p in caught.value.problems] == ['"a.mp4"', '""', '"b"']
    assert '"": path: missing' in str(caught.value)
    assert '"b": labels: expecting an object' in str(caught.value)


# -- the command line, without the model ---------------------------------------------------------


def eval_error(capsys, *argv) -> str:
    assert main(["eval", *map(str, argv)]) == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("posecoach: error: ")
    return err[0]


def test_eval_errors_say_what_to_give(tmp_path, capsys):
    line = eval_error(capsys, tmp_path / "absent")
    assert "no such file or folder" in line and "labels file (.json)" in line
    (tmp_path / "notes.txt").write_text("hello")
    assert "is not a folder or a .json labels file" in eval_error(capsys, tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    line = eval_error(capsys, tmp_path / "empty")
    assert "no generated clips" in line and "posecoach synth --pose ID --out" in line
    (tmp_path / "broken.json").write_text("{")
    assert "not valid JSON" in eval_error(capsys, tmp_path / "broken.json")


def test_eval_malformed_labels_is_one_line(tmp_path, capsys):
    path = write_labels(tmp_path, {"clip.mp4": {"pose": "brdge", "reps": 1}})
    line = eval_error(capsys, path)
    assert f"{path}: \"clip.mp4\": pose: unknown pose 'brdge'" in line


def test_eval_reads_your_own_stretches_with_poses(tmp_path, capsys, pose_dir):
    path = write_labels(tmp_path / "clips", {"gone.mp4": {"pose": "test_reps", "reps": 1}})
    assert main(["eval", str(path), "--poses", str(pose_dir)]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "unknown pose" not in captured.err
    assert "gone.mp4  test_reps  labelled" in captured.out


def test_eval_skips_missing_clips_with_a_warning(tmp_path, capsys):
    path = write_labels(tmp_path, {"gone.mp4": {"pose": "bridge", "reps": 1}})
    assert main(["eval", str(path)]) == EXIT_ERROR  # nothing at all could be run
    captured = capsys.readouterr()
    assert "gone.mp4" in captured.out and "skipped: not found" in captured.out
    assert "posecoach: warning: gone.mp4: skipped: not found" in captured.err
    assert "posecoach: error: no clip of" in captured.err


def test_eval_folder_whose_truth_has_no_video(tmp_path, capsys):
    (tmp_path / "lone.truth.json").write_text(json.dumps({"truth_version": 1, "pose": "bridge"}))
    assert main(["eval", str(tmp_path)]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "skipped: no video beside lone.truth.json" in captured.out


# -- end to end through the real model -----------------------------------------------------------


def row_by_clip(report: dict, clip: str, pose: str) -> dict:
    return next(r for r in report["rows"] if r["clip"] == clip and r["pose"] == pose)


@pytest.mark.model
@pytest.mark.synth
def test_eval_generated_clips_against_their_truth(tmp_path, capsys):
    from posecoach.synth.clip import ClipSpec, write_clip

    clips = tmp_path / "clips"
    bridge = ClipSpec("bridge", reps=2, size_wh=(320, 240), fps=15)
    kneel = ClipSpec(
        "half_kneeling_hip_flexor", sides=("left",), hold_s=3, size_wh=(320, 240), fps=15
    )
    for spec in (bridge, kneel):
        write_clip(spec, load_pose(spec.pose_id), clips / f"{spec.pose_id}.mp4")
    report_path = tmp_path / "out" / "eval.json"
    assert main(["eval", str(clips), "--report", str(report_path)]) == EXIT_OK
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split()[:3] == ["CLIP", "POSE", "KIND"]
    frames = json.loads((clips / "bridge.truth.json").read_text())["frames"]
    assert lines[1].split()[:4] == ["bridge.mp4", "bridge", "generated", str(frames)]
    assert lines[2].startswith("half_kneeling_hip_flexor.mp4")
    assert "[2/2]" in captured.err

    report = json.loads(report_path.read_text())
    assert report["eval_version"] == 1 and len(report["rows"]) == 2
    bridge_row = row_by_clip(report, "bridge.mp4", "bridge")
    assert bridge_row["reps"]["all"]["expected"] == 2
    kneel_row = row_by_clip(report, "half_kneeling_hip_flexor.mp4", "half_kneeling_hip_flexor")
    truth = json.loads((clips / "half_kneeling_hip_flexor.truth.json").read_text())
    assert kneel_row["hold_s"]["left"]["expected"] == truth["totals"]["left"]["hold_s"]
    assert kneel_row["failing"] == [] and kneel_row["agreement"] is not None

    # The measured count is what `posecoach replay` reports for the same clip.
    replayed = tmp_path / "bridge.json"
    argv = ["replay", str(clips / "bridge.mp4"), "--pose", "bridge", "--no-window"]
    assert main([*argv, "--report", str(replayed), "--out", str(tmp_path / "bridge.mp4")]) == 0
    replay = json.loads(replayed.read_text())
    assert bridge_row["frames"] == replay["frames"]
    assert bridge_row["reps"]["all"]["measured"] == replay["reps"]

    summary = report["summary"]
    measured = bridge_row["reps"]["all"]["measured"]
    assert summary["rep_counts"]["counts"] == 1
    assert summary["rep_counts"]["exact_rate"] == (1.0 if measured == 2 else 0.0)
    assert summary["rep_counts"]["largest_error"] == abs(measured - 2)
    # Only the left side is performed: the right one counts only if the coach credited it.
    errors = [
        abs(c["measured"] - c["expected"])
        for c in kneel_row["hold_s"].values()
        if c["expected"] > 0 or c["measured"] > 0
    ]
    credited_right = kneel_row["hold_s"]["right"]["measured"] > 0
    assert summary["hold"]["sides"] == len(errors) == (2 if credited_right else 1)
    assert summary["hold"]["mean_abs_error_s"] == pytest.approx(np.mean(errors), abs=1e-3)
    assert summary["faults"]["clips"] == 2
    assert summary["skipped"]["count"] == 0
    assert "rep counts (1 count in 1 clip)" in captured.out


@pytest.mark.model
@pytest.mark.footage
def test_eval_real_footage_counts_the_bridge_and_no_squat_reps(tmp_path, capsys):
    bridging = footage("physioplus/bridging.mp4")
    squat = footage("kaiakol_computervision/squat_correct_010.mp4")
    labels = write_labels(
        tmp_path,
        {
            str(bridging): {"pose": "bridge", "view": "side", "reps": 1, "truth": "source"},
            str(squat): {"movement": "squat", "view": "side", "reps": 1, "form": "correct"},
        },
    )
    report_path = tmp_path / "eval.json"
    assert main(["eval", str(labels), "--workers", "2", "--report", str(report_path)]) == EXIT_OK
    report = json.loads(report_path.read_text())
    bridge_row = row_by_clip(report, str(bridging), "bridge")
    assert bridge_row["kind"] == "labelled"
    assert bridge_row["reps"] == {"all": {"expected": 1, "measured": 1}}
    negative = row_by_clip(report, str(squat), "bridge")
    assert negative["kind"] == "negative"
    assert negative["reps"] == {"all": {"expected": 0, "measured": 0}}
    assert report["summary"]["rep_counts"]["exact_rate"] == 1.0
    assert report["summary"]["negatives"]["false_reps"] == 0
