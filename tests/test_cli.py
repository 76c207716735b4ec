"""The command line in-process: exit codes and one-line messages."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_NOBODY, EXIT_OK, EXIT_USAGE, main
from posecoach.coaching.posefile import builtin_pose_dir, load_pose_file, pose_paths
from posecoach.inputs import sources

from fakes import FakeCapture

USER_LUNGE = """
id = "my_lunge"
name = "My lunge"
description = "Kneel, one foot forward, and keep the front foot still."
view = "side"
mode = "hold"
per_side = true
working = "back"

[target]
hold_s = 20

[[rules]]
id = "front_knee"
label = "Front knee at 90°"
kind = "angle"
joints = ["front_hip", "front_knee", "front_ankle"]
min_deg = 80
max_deg = 100
gate = true
priority = 1
cue = "Knee at 90"

[[rules]]
id = "stance"
label = "Feet close together"
kind = "distance"
between = ["front_ankle", "back_knee"]
max_torso = 0.05
priority = 2
cue = "Bring your feet closer"
"""


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rows_by_id(out: str) -> dict[str, str]:
    """The lines of the `poses` table, by the id in their first column."""
    table = out.split("\n\n")[0].splitlines()
    assert table[0].split() == ["ID", "NAME", "VIEW", "MODE", "TARGET", "FROM"]
    return {line.split()[0]: line for line in table[1:]}


def rule_blocks(out: str) -> dict[str, str]:
    """`poses show` output: each rule's block of lines, by rule id."""
    blocks = {}
    for block in out.split("\n\n"):
        first = block.splitlines()[0]
        if first.startswith("  ") and not first.startswith("   ") and ": " in first:
            blocks[first.strip().split(":")[0]] = block
    return blocks


def test_poses_lists_every_file_in_the_pose_folder(capsys):
    assert main(["poses"]) == EXIT_OK
    out = capsys.readouterr().out
    rows = rows_by_id(out)
    files = sorted(builtin_pose_dir().glob("*.toml"))
    assert files and sorted(rows) == [path.stem for path in files]
    for path in files:
        spec = load_pose_file(path)
        row = rows[spec.id]
        for cell in (spec.name, spec.view.value, spec.mode.value, spec.target_label, "built in"):
            assert f"  {cell}" in row, (cell, row)
    assert str(builtin_pose_dir()) in out  # the folders read


def test_poses_lists_a_broken_file_without_hiding_the_others(tmp_path, monkeypatch, capsys):
    user = tmp_path / "mine"
    broken = write(user, "broken.toml", 'id = "broken"\nname = "Broken"\nview = "sideways"\n')
    write(user, "my_lunge.toml", USER_LUNGE)
    monkeypatch.setenv("POSECOACH_POSES", str(user))
    assert main(["poses"]) == EXIT_ERROR
    captured = capsys.readouterr()
    rows = rows_by_id(captured.out)
    assert set(pose_paths()) | {"my_lunge", "broken"} == set(rows)
    assert "My lunge" in rows["my_lunge"] and "cannot be loaded" in rows["broken"]
    errors = [line for line in captured.err.splitlines() if str(broken) in line]
    assert len(errors) == 1
    assert "view: 'sideways' is not valid" in errors[0] and "rules: missing" in errors[0]
    assert "posecoach poses check" in captured.err.splitlines()[-1]


def test_poses_show_bridge_explains_every_rule(capsys):
    assert main(["poses", "show", "bridge"]) == EXIT_OK
    out = capsys.readouterr().out
    spec = load_pose_file(builtin_pose_dir() / "bridge.toml")
    assert out.startswith(f"{spec.name} (bridge)")
    assert "rep counter  hips_high (deg) rises from 150 or less to 165 or more" in out
    blocks = rule_blocks(out)
    assert list(blocks) == [rule.id for rule in spec.rules]
    for rule in spec.rules:
        block = blocks[rule.id]
        low, high = rule.min_value, rule.max_value
        unit = {"angle": "deg", "inclination": "deg", "relation": "torso lengths"}[rule.kind]
        if low is not None and high is not None:
            threshold = f"{low:g} to {high:g} {unit}"
        elif low is not None:
            threshold = f"at least {low:g} {unit}"
        else:
            threshold = f"at most {high:g} {unit}"
        assert f"passes at   {threshold}\n" in block + "\n", block
        assert block.splitlines()[0] == f'  {rule.id}: "{rule.label}"'
        assert f'cue         "{rule.cue}"' in block
        assert ("gate (defines the position)" in block) == rule.gate
        assert ("judged at the top of each rep" in block) == (rule.when.value == "top")
        assert f"priority {rule.priority}" in block
        assert f"kind        {rule.kind}: " in block
    measures = " ".join(blocks["hips_high"].split())
    assert (
        "joints near shoulder, near hip, near knee; open_toward up; on either side, whichever "
        "does better" in measures
    )


def test_poses_show_a_user_stretch_with_a_new_rule_kind(tmp_path, capsys):
    write(tmp_path, "my_lunge.toml", USER_LUNGE)
    assert main(["poses", "show", "my_lunge", "--poses", str(tmp_path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "20 s hold per side" in out and "the working side is the back leg's side" in out
    stance = rule_blocks(out)["stance"]
    assert stance.splitlines()[:2] == [
        '  stance: "Feet close together"',
        "    is          a form check, judged in every frame, priority 2",
    ]
    assert "distance: distance between two roles" in stance
    assert "between front ankle, back knee; axis any (default)" in stance
    assert "passes at   at most 0.05 torso lengths" in stance and "form check" in stance


def test_poses_show_unknown_id(capsys):
    assert main(["poses", "show", "squat"]) == EXIT_ERROR
    line = error_line(capsys)
    assert "unknown pose 'squat': expecting one of " + ", ".join(sorted(pose_paths())) in line


def test_poses_check_good_file(tmp_path, capsys):
    path = write(tmp_path, "my_lunge.toml", USER_LUNGE)
    assert main(["poses", "check", str(path)]) == EXIT_OK
    assert capsys.readouterr().out == f"{path}: ok (my_lunge, 2 rules)\n"


def test_poses_check_malformed_file_lists_every_problem(tmp_path, capsys):
    good = write(tmp_path, "my_lunge.toml", USER_LUNGE)
    bad = write(
        tmp_path,
        "bad.toml",
        USER_LUNGE.replace('id = "my_lunge"', 'id = "bad"')
        .replace('view = "side"', 'view = "sideways"')
        .replace("max_torso = 0.05", "max_deg = 5"),
    )
    assert main(["poses", "check", str(good), str(bad)]) == EXIT_ERROR
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{good}: ok (my_lunge, 2 rules)"
    assert f"{bad}: view: 'sideways' is not valid, expecting one of side, front, any" in lines
    assert any(line.startswith(f"{bad}: rules[1] (stance).max_deg: unknown key") for line in lines)
    assert len(lines) == 4  # the ok line, and the three problems with bad.toml
    assert all(line.startswith(f"{bad}: ") for line in lines[1:])


def test_poses_check_file_name_must_match_the_id(tmp_path, capsys):
    path = write(tmp_path, "lunge.toml", USER_LUNGE)
    assert main(["poses", "check", str(path)]) == EXIT_ERROR
    assert capsys.readouterr().out == (
        f"{path}: id: 'my_lunge' must match the file name 'lunge': "
        "rename the file to my_lunge.toml or change the id\n"
    )


def test_poses_check_warns_when_a_built_in_is_shadowed(tmp_path, capsys):
    text = (builtin_pose_dir() / "bridge.toml").read_text()
    path = write(tmp_path, "bridge.toml", text)
    assert main(["poses", "check", str(path), str(builtin_pose_dir() / "bridge.toml")]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}: ok (bridge, 6 rules)"
    assert lines[1].startswith(f"{path}: warning: id 'bridge' is also a built-in stretch")
    assert lines[2:] == [f"{builtin_pose_dir() / 'bridge.toml'}: ok (bridge, 6 rules)"]


def test_poses_check_folder_and_missing_file(tmp_path, capsys):
    write(tmp_path / "mine", "my_lunge.toml", USER_LUNGE)
    missing = tmp_path / "absent.toml"
    assert main(["poses", "check", str(tmp_path / "mine"), str(missing)]) == EXIT_ERROR
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'mine' / 'my_lunge.toml'}: ok (my_lunge, 2 rules)",
        f"{missing}: no such file",
    ]


def test_user_pose_folder_adds_and_overrides_stretches(tmp_path, monkeypatch, capsys):
    user = tmp_path / "mine"
    write(user, "my_lunge.toml", USER_LUNGE)
    bridge = (builtin_pose_dir() / "bridge.toml").read_text()
    write(user, "bridge.toml", bridge.replace('name = "Glute bridge"', 'name = "My bridge"'))
    monkeypatch.setenv("POSECOACH_POSES", str(user))

    assert main(["poses"]) == EXIT_OK
    out = capsys.readouterr().out
    rows = rows_by_id(out)
    assert "My lunge" in rows["my_lunge"] and rows["my_lunge"].endswith("yours")
    assert "My bridge" in rows["bridge"] and "Glute bridge" not in out
    assert rows["bridge"].endswith("yours (replaces the built-in)")
    assert f"yours     {user}" in out

    assert main(["poses", "show", "my_lunge"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("My lunge (my_lunge)") and str(user / "my_lunge.toml") in out
    assert main(["poses", "show", "bridge"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("My bridge (bridge)")


def test_poses_dir_wins_over_the_user_folder(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mine", "my_lunge.toml", USER_LUNGE)
    write(tmp_path / "given", "my_lunge.toml", USER_LUNGE.replace("My lunge", "Given lunge"))
    monkeypatch.setenv("POSECOACH_POSES", str(tmp_path / "mine"))
    assert main(["poses", "--poses", str(tmp_path / "given"), "show", "my_lunge"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("Given lunge (my_lunge)")


def test_user_folder_from_xdg_config_home(tmp_path, monkeypatch, capsys):
    write(tmp_path / "config" / "posecoach" / "poses", "my_lunge.toml", USER_LUNGE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["poses"]) == EXIT_OK
    assert "my_lunge" in rows_by_id(capsys.readouterr().out)


def test_missing_pose_folders_are_errors(tmp_path, monkeypatch, capsys):
    assert main(["poses", "--poses", str(tmp_path / "nope")]) == EXIT_ERROR
    assert f"--poses {tmp_path / 'nope'}: no such folder" in error_line(capsys)
    monkeypatch.setenv("POSECOACH_POSES", str(tmp_path / "nope"))
    assert main(["poses"]) == EXIT_ERROR
    line = error_line(capsys)
    assert "POSECOACH_POSES is set to" in line and "create it, or unset POSECOACH_POSES" in line


def test_missing_video(tmp_path, capsys):
    assert (
        main(["replay", str(tmp_path / "nope.mp4"), "--pose", "bridge", "--no-window"])
        == EXIT_ERROR
    )
    assert "no such file or folder" in error_line(capsys)


def test_unreadable_video(tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_text("this is not a video")
    assert (
        main(
            [
                "replay",
                str(bad),
                "--pose",
                "bridge",
                "--no-window",
                "--report",
                str(tmp_path / "r.json"),
            ]
        )
        == EXIT_ERROR
    )
    line = error_line(capsys)
    assert line.startswith("posecoach: error: cannot read video") and str(bad) in line


def test_unreadable_image(tmp_path, capsys):
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"\x00not a jpeg")
    assert main(["replay", str(bad), "--pose", "bridge", "--no-window"]) == EXIT_ERROR
    assert "cannot read image" in error_line(capsys)


def test_unknown_pose_lists_valid_ids(tmp_path, capsys):
    image = tmp_path / "blank.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    assert main(["replay", str(image), "--pose", "squat", "--no-window"]) == EXIT_ERROR
    line = error_line(capsys)
    assert "unknown pose 'squat': expecting one of " + ", ".join(sorted(pose_paths())) in line


def test_malformed_pose_file(tmp_path, capsys):
    pose = tmp_path / "bridge.toml"
    pose.write_text('id = "bridge"\nname = "B"\nmode = "sometimes"\n')
    image = tmp_path / "blank.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    code = main(["replay", str(image), "--pose", "bridge", "--pose-file", str(pose), "--no-window"])
    assert code == EXIT_ERROR
    line = error_line(capsys)
    assert str(pose) in line
    assert "mode: 'sometimes' is not valid, expecting one of hold, reps" in line
    assert "description: missing" in line and "rules: missing" in line


def test_camera_that_cannot_be_opened(monkeypatch, capsys):
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: FakeCapture([], opened=False))
    assert main(["live", "--pose", "bridge", "--camera", "3", "--no-window"]) == EXIT_ERROR
    line = error_line(capsys)
    assert "cannot open camera 3" in line and "--camera" in line


def test_usage_error_exit_code(capsys):
    assert main(["replay"]) == EXIT_USAGE


@pytest.mark.model
def test_nobody_in_frame(tmp_path, capsys):
    image = tmp_path / "empty_room.png"
    cv2.imwrite(str(image), np.full((240, 320, 3), 200, np.uint8))
    report = tmp_path / "r.json"
    assert (
        main(["replay", str(image), "--pose", "bridge", "--no-window", "--report", str(report)])
        == EXIT_NOBODY
    )
    assert "nobody was found" in capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["detected_fraction"] == 0.0 and data["cues"][0]["text"] == "Step into view"


def test_debug_shows_the_traceback(tmp_path, capsys):
    assert (
        main(["--debug", "replay", str(tmp_path / "x.mp4"), "--pose", "bridge", "--no-window"])
        == EXIT_ERROR
    )
    assert "Traceback" in capsys.readouterr().err


def test_report_path_that_is_a_folder_is_refused_before_the_run(tmp_path, capsys):
    image = tmp_path / "blank.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    code = main(
        ["replay", str(image), "--pose", "bridge", "--no-window", "--report", str(tmp_path)]
    )
    assert code == EXIT_ERROR
    assert "it is a folder; give a file name" in error_line(capsys)


def test_image_fps_must_be_positive(tmp_path, capsys):
    assert main(["replay", str(tmp_path), "--pose", "bridge", "--image-fps", "0"]) == EXIT_USAGE
    assert "expected a number above 0" in capsys.readouterr().err


@pytest.mark.model
def test_folder_without_a_readable_image(tmp_path, capsys):
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    report = tmp_path / "out" / "r.json"
    code = main(
        ["replay", str(tmp_path), "--pose", "bridge", "--no-window", "--report", str(report)]
    )
    assert code == EXIT_ERROR
    assert "could be decoded" in capsys.readouterr().err
    assert json.loads(report.read_text())["frames"] == 0  # the report is written all the same


@pytest.mark.model
def test_unwritable_video_still_leaves_the_report(tmp_path, capsys):
    image = tmp_path / "blank.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    report = tmp_path / "r.json"
    code = main(
        [
            "replay",
            str(image),
            "--pose",
            "bridge",
            "--no-window",
            "--report",
            str(report),
            "--out",
            "/proc/posecoach_test.mp4",
        ]
    )
    assert code == EXIT_ERROR
    assert "cannot write video /proc/posecoach_test.mp4" in error_line(capsys)
    assert json.loads(report.read_text())["complete"] is False
