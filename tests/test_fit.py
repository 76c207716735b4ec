"""Fitting thresholds to labelled clips."""

import numpy as np
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_OK, main
from posecoach.coaching.posefile import load_pose, load_pose_file, tomllib
from posecoach.evaluation.fit import FitClip, accuracy, fit, load_fit_clips, result_lines
from posecoach.evaluation.tune import Tuner
from posecoach.synth.clip import ClipSpec, write_clip

from builders import bridge, half_kneeling

FRAME_MS = 1000 / 30
KNEEL = "half_kneeling_hip_flexor"


def knee_sweep():
    """The front knee opening slowly from 70 to 130 deg and back, at 30 fps."""
    angles = np.concatenate([np.linspace(70, 130, 90), np.linspace(130, 70, 90)])
    stream = [
        (half_kneeling(front_knee_deg=a, timestamp_ms=i * FRAME_MS, frame_index=i), i * FRAME_MS, i)
        for i, a in enumerate(angles)
    ]
    return angles, stream


def test_a_rule_threshold_is_fitted_to_per_frame_labels():
    pose = load_pose(KNEEL)
    angles, stream = knee_sweep()
    # Labelled as if the front knee were fine up to 112 deg (the pose says 100).
    labels = np.array([80 <= a <= 112 for a in angles], dtype=object)
    clip = FitClip("sweep", Tuner(pose, stream), verdicts={"front_knee_90": labels})
    result = fit(pose, [clip])
    assert result.changed["front_knee_90.max_deg"][0] == 100
    assert result.changed["front_knee_90.max_deg"][1] == pytest.approx(112, abs=2)
    assert "front_knee_90.min_deg" not in result.changed  # 80 already agrees
    assert result.after.agreement["front_knee_90"] > result.before.agreement["front_knee_90"]
    # Not quite all: the smoothed signal trails the sweep by a frame or so at each crossing.
    assert result.after.agreement["front_knee_90"] >= 0.95
    assert any("front_knee_90.max_deg: 100 -> 11" in line for line in result_lines(result))


def test_rules_without_labels_and_thresholds_that_agree_are_kept():
    pose = load_pose(KNEEL)
    _, stream = knee_sweep()
    result = fit(pose, [FitClip("sweep", Tuner(pose, stream))])
    assert result.changed == {} and result.pose == pose


def test_the_counter_is_fitted_to_rep_counts():
    pose = load_pose("bridge")

    def lift(top):
        return [130.0] * 20 + [*np.linspace(130, top, 30), *[top] * 15, *np.linspace(top, 130, 30)]

    angles = lift(178) + lift(162) + lift(178) + [130.0] * 20
    stream = [
        (bridge(hip_deg=a, timestamp_ms=i * FRAME_MS, frame_index=i), i * FRAME_MS, i)
        for i, a in enumerate(angles)
    ]
    clip = FitClip("lifts", Tuner(pose, stream), reps={"all": 3})  # the 162 deg lift counts
    before = accuracy(pose, [clip])
    assert before.rep_error == 1
    result = fit(pose, [clip])
    assert result.after.rep_error == 0
    assert result.pose.counter.peak <= 162


@pytest.mark.model
@pytest.mark.synth
def test_fit_recovers_the_threshold_generated_clips_were_judged_with(tmp_path, capsys):
    # The truth of these clips comes from a pose file whose front knee may open to 112 deg;
    # kneeling down, the knee closes through 112 deg, so the labels pin that threshold.
    text = (load_pose(KNEEL).path).read_text().replace("max_deg = 100\n", "max_deg = 112\n")
    assert "max_deg = 112" in text
    shifted_path = tmp_path / f"{KNEEL}.toml"
    shifted_path.write_text(text)
    shifted = load_pose_file(shifted_path)
    clips = tmp_path / "clips"
    for seed in (1, 2):
        spec = ClipSpec(KNEEL, sides=("right",), hold_s=4, seed=seed, size_wh=(480, 360), fps=20)
        write_clip(spec, shifted, clips / f"kneel_{seed}.mp4")
    pose = load_pose(KNEEL)
    result = fit(pose, load_fit_clips(pose, clips))
    assert result.changed["front_knee_90.max_deg"][1] == pytest.approx(112, abs=3)
    assert result.after.agreement["front_knee_90"] > result.before.agreement["front_knee_90"]

    # From the command line: printed, and written to the overrides file only when asked.
    overrides = tmp_path / "overrides.toml"
    argv = ["tune", "--pose", KNEEL, "--fit", str(clips), "--overrides", str(overrides)]
    assert main(argv) == EXIT_OK
    assert "front_knee_90.max_deg: 100 -> 11" in capsys.readouterr().out
    assert not overrides.exists()
    assert main([*argv, "--write"]) == EXIT_OK
    assert f"to {overrides}" in capsys.readouterr().out
    fitted = tomllib.loads(overrides.read_text())[KNEEL]["front_knee_90"]["max_deg"]
    assert fitted == pytest.approx(112, abs=3)
    shown = ["poses", "show", KNEEL, "--overrides", str(overrides)]
    assert main(shown) == EXIT_OK
    assert "[o]" in capsys.readouterr().out


def test_tune_needs_a_clip_or_labels_and_write_needs_fit(capsys, monkeypatch):
    assert main(["tune", "--pose", KNEEL]) == EXIT_ERROR
    assert (
        "give a clip to tune on (SOURCE), or labelled clips with --fit" in capsys.readouterr().err
    )
    assert main(["tune", "--pose", KNEEL, "x.mp4", "--write"]) == EXIT_ERROR
    assert "--write saves what --fit finds" in capsys.readouterr().err
    monkeypatch.setattr("posecoach.output.sinks.has_display", lambda: False)
    assert main(["tune", "--pose", KNEEL, "x.mp4"]) == EXIT_ERROR
    assert "tune needs a screen" in capsys.readouterr().err


def test_tune_starts_when_the_overrides_file_it_will_write_does_not_exist(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("POSECOACH_OVERRIDES", str(tmp_path / "new.toml"))
    monkeypatch.setattr("posecoach.output.sinks.has_display", lambda: False)
    # Past the overrides (no "not a file" error): stopped only by the missing screen.
    assert main(["tune", "--pose", KNEEL, "x.mp4"]) == EXIT_ERROR
    assert "tune needs a screen" in capsys.readouterr().err
