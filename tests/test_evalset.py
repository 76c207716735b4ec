"""The generated evaluation set: what it holds, and writing it (small clips only)."""

import dataclasses
import json

import pytest

from posecoach.coaching.posefile import Mode, load_pose
from posecoach.synth.clip import Clip, SynthError
from posecoach.synth.evalset import (
    EVAL_HOLD_S,
    EVAL_REPS,
    EvalClip,
    eval_set_specs,
    first_hold_s,
    with_dropout_in_first_hold,
    write_eval_set,
)
from posecoach.synth.stretches import STRETCH_MOTIONS

# The synthetic performer: its scripts, its renders and the coach on them.
pytestmark = pytest.mark.synth

FULL = eval_set_specs(seeds=1)
CORRECT = [c for c in FULL if c.name.endswith("_correct_s0")]


def tiny(clip: EvalClip) -> EvalClip:
    """The clip at a size and length that writes in a second or two."""
    spec = dataclasses.replace(
        clip.spec, size_wh=(96, 72), fps=5, hold_s=1.0, reps=min(clip.spec.reps, 1), dropouts=()
    )
    if clip.spec.dropouts:
        spec = with_dropout_in_first_hold(spec)
    return dataclasses.replace(clip, spec=spec)


def by_name(clips: list[EvalClip]) -> dict[str, EvalClip]:
    return {c.name: c for c in clips}


def test_the_set_covers_every_stretch_correct_and_with_each_fault():
    clips = by_name(FULL)
    for pose_id, motion in STRETCH_MOTIONS.items():
        correct = clips[f"{pose_id}_correct_s0"].spec
        assert correct.fault is None
        assert correct.sides == (("left", "right") if motion.per_side else (None,))
        assert set(motion.faults) >= {"leave_frame"}
        for fault in motion.faults:
            spec = clips[f"{pose_id}_{fault}_s0"].spec
            assert spec.fault == fault and not spec.dropouts
            assert spec.sides == (("right",) if motion.per_side else (None,))
    faults = {c.spec.fault for c in FULL}
    assert {"bounce", "partial_rep", "fast_drop", "leave_frame"} <= faults
    for clip in FULL:
        spec = clip.spec
        assert (spec.size_wh, spec.fps, spec.hold_s) == ((480, 360), 20.0, EVAL_HOLD_S)
        assert spec.view == ("front" if load_pose(spec.pose_id).view.value == "front" else "side")
    assert clips["butterfly_correct_s0"].spec.view == "front"
    assert len(by_name(FULL)) == len(FULL)  # names are unique


def test_negatives_for_the_bridge():
    clips = by_name(FULL)
    setup = clips["bridge_setup_only_s0"]
    assert setup.spec.reps == 0 and setup.spec.fault is None
    # The stretches' own clips that are negatives (look-alikes: test_synth_lookalikes.py).
    negatives = {
        c.name: c.negative_for
        for c in FULL
        if c.negative_for and not c.name.startswith("lookalike_")
    }
    assert negatives == {
        "constructive_rest_correct_s0": ("bridge",),
        "supine_knee_to_chest_correct_s0": ("bridge",),
    }
    assert clips["bridge_correct_s0"].spec.reps == EVAL_REPS
    assert load_pose("bridge").mode is Mode.REPS


def test_seeds_and_the_quick_set():
    two = eval_set_specs(seeds=2)
    assert len(two) == 2 * len(FULL)
    assert {c.spec.seed for c in two if c.name.endswith("_s1")} == {1}
    quick = by_name(eval_set_specs(quick=True))
    assert set(quick) == {
        "bridge_correct_s0",
        "bridge_partial_rep_s0",
        "bridge_setup_only_s0",
        "half_kneeling_hip_flexor_correct_s0",
        "constructive_rest_correct_s0",
    }
    assert all(c.spec.hold_s == 4.0 and c.spec.reps in (0, 2) for c in quick.values())
    assert quick["half_kneeling_hip_flexor_correct_s0"].spec.sides == ("left", "right")
    assert quick["half_kneeling_hip_flexor_correct_s0"].spec.dropouts
    with pytest.raises(SynthError, match="1 seed or more"):
        eval_set_specs(seeds=0)


@pytest.mark.parametrize("clip", CORRECT, ids=[c.name for c in CORRECT])
def test_each_correct_clip_drops_out_in_the_middle_of_its_first_hold(clip):
    ((start_s, duration_s),) = clip.spec.dropouts
    assert duration_s == pytest.approx(0.3)
    hold_start_s, hold_end_s = first_hold_s(clip.spec)
    assert start_s + duration_s / 2 == pytest.approx((hold_start_s + hold_end_s) / 2, abs=1e-3)
    # The truth, sampled a little more coarsely to keep this quick: the person is holding the
    # position all through the dropout.
    coarse = dataclasses.replace(clip.spec, fps=5.0)
    frames = Clip(coarse, load_pose(clip.spec.pose_id)).truth_frames()
    dropped = [f for f in frames if f.dropout]
    assert dropped and all(f.in_position for f in dropped)
    assert all(start_s <= f.t_s < start_s + duration_s for f in dropped)


def test_write_eval_set_writes_clips_and_labels_and_keeps_what_is_there(tmp_path):
    clips = [tiny(by_name(FULL)[name]) for name in ("constructive_rest_correct_s0",)]
    reports: list[tuple[str, bool]] = []

    def progress(done: int, total: int, clip: EvalClip, written: bool) -> None:
        reports.append((clip.name, written))

    labels_path = write_eval_set(tmp_path, clips, progress=progress)
    assert labels_path == tmp_path / "labels.json"
    assert json.loads(labels_path.read_text()) == {
        "constructive_rest_correct_s0.mp4": {
            "pose": None,
            "negative_for": ["bridge"],
            "movement": "constructive rest: lying still",
            "truth": "generated",
        }
    }
    video = tmp_path / "constructive_rest_correct_s0.mp4"
    truth = tmp_path / "constructive_rest_correct_s0.truth.json"
    assert video.stat().st_size > 0 and json.loads(truth.read_text())["per_frame"]["dropout"]
    assert reports == [("constructive_rest_correct_s0", True)]
    stamps = (video.stat().st_mtime_ns, truth.stat().st_mtime_ns)

    # Again: nothing is rendered. Labels written by hand beside the generated ones stay.
    labels = json.loads(labels_path.read_text())
    labels["real/lying.mp4"] = {"pose": None, "negative_for": ["bridge"], "truth": "hand"}
    labels_path.write_text(json.dumps(labels))
    reports.clear()
    write_eval_set(tmp_path, clips, progress=progress)
    assert reports == [("constructive_rest_correct_s0", False)]
    assert (video.stat().st_mtime_ns, truth.stat().st_mtime_ns) == stamps
    assert set(json.loads(labels_path.read_text())) == {
        "constructive_rest_correct_s0.mp4",
        "real/lying.mp4",
    }

    # A changed spec is written again.
    changed = [dataclasses.replace(clips[0], spec=dataclasses.replace(clips[0].spec, seed=3))]
    write_eval_set(tmp_path, changed)
    assert json.loads(truth.read_text())["spec"]["seed"] == 3


def test_write_eval_set_in_parallel(tmp_path):
    clips = [tiny(by_name(FULL)[n]) for n in ("bridge_partial_rep_s0", "bridge_setup_only_s0")]
    labels_path = write_eval_set(tmp_path, clips, workers=2)
    assert json.loads(labels_path.read_text()) == {}
    for clip in clips:
        truth = json.loads((tmp_path / f"{clip.name}.truth.json").read_text())
        assert truth["spec"]["fault"] == clip.spec.fault
        assert (tmp_path / f"{clip.name}.mp4").stat().st_size > 0
    setup = json.loads((tmp_path / "bridge_setup_only_s0.truth.json").read_text())
    assert setup["totals"]["all"]["reps"] == 0


def test_write_eval_set_refuses_repeated_names(tmp_path):
    clip = tiny(FULL[0])
    with pytest.raises(SynthError, match="unique"):
        write_eval_set(tmp_path, [clip, clip])
