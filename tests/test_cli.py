"""The command line in-process: exit codes and one-line messages."""

import json

import cv2
import numpy as np
import pytest

from posecoach import sources
from posecoach.cli import EXIT_ERROR, EXIT_NOBODY, EXIT_OK, EXIT_USAGE, main

from fakes import FakeCapture


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_poses_lists_ids_and_names(capsys):
    assert main(["poses"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "bridge" in out and "Glute bridge" in out
    assert "half_kneeling_hip_flexor" in out and "Half-kneeling hip-flexor stretch" in out


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
    assert "unknown pose 'squat'" in line and "bridge, half_kneeling_hip_flexor" in line


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
