"""The live loop on a webcam stand-in: the real CameraSource and model, frames from a clip."""

import json

import cv2
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, main
from posecoach.inputs import sources

from conftest import footage
from fakes import FakeCapture, video_frames

pytestmark = [pytest.mark.model, pytest.mark.footage]

# The tests replace cv2.VideoCapture with a stand-in camera; files are read with the real one.
REAL_CAPTURE = cv2.VideoCapture


@pytest.fixture(scope="module")
def bridge_frames():
    return video_frames(str(footage("physioplus/bridging.mp4")))


def install_camera(monkeypatch, capture):
    opened = []

    def open_camera(index):
        opened.append(index)
        return capture

    monkeypatch.setattr(sources.cv2, "VideoCapture", open_camera)
    return opened


def count_frames(path) -> int:
    capture = REAL_CAPTURE(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def test_live_counts_a_bridge_rep_from_the_camera(monkeypatch, tmp_path, bridge_frames, capsys):
    capture = FakeCapture(bridge_frames, fps=30)
    opened = install_camera(monkeypatch, capture)
    report, video = tmp_path / "live.json", tmp_path / "live.mp4"
    code = main(
        [
            "live",
            "--pose",
            "bridge",
            "--camera",
            "2",
            "--width",
            "640",
            "--height",
            "480",
            "--no-window",
            "--report",
            str(report),
            "--out",
            str(video),
        ]
    )
    # The stand-in runs dry after the clip, as an unplugged camera would.
    assert code == EXIT_ERROR
    assert "camera 2 stopped delivering frames" in capsys.readouterr().err
    assert opened == [2] and capture.released
    assert capture.settings[cv2.CAP_PROP_FRAME_WIDTH] == 640
    data = json.loads(report.read_text())
    # Every frame was analysed, or dropped as stale while the model was busy.
    assert data["frames"] + data["timing"]["dropped_frames"] == len(bridge_frames)
    assert data["frames"] >= len(bridge_frames) // 2
    assert data["reps"] == 1
    assert data["complete"] is False and "stopped delivering" in data["ended_by"]
    # Paced at 30 fps, the monotonic capture clock gives the clip's real duration.
    assert data["duration_s"] == pytest.approx(len(bridge_frames) / 30, abs=0.5)
    assert count_frames(video) == data["frames"]
    latency = data["timing"]["latency_ms"]
    assert latency["frames"] == data["frames"]
    assert 0 < latency["median"] <= latency["p95"] <= latency["max"] + 1


def test_ctrl_c_saves_the_report_and_video(monkeypatch, tmp_path, bridge_frames):
    def interrupt(index):
        if index == 40:
            raise KeyboardInterrupt

    install_camera(monkeypatch, FakeCapture(bridge_frames, on_read=interrupt))
    report, video = tmp_path / "r.json", tmp_path / "v.avi"
    code = main(
        ["live", "--pose", "bridge", "--no-window", "--report", str(report), "--out", str(video)]
    )
    assert code == EXIT_INTERRUPTED
    data = json.loads(report.read_text())
    assert data["frames"] + data["timing"]["dropped_frames"] == 40
    assert data["ended_by"] == "interrupted (Ctrl-C)"
    assert count_frames(video) == data["frames"]


def test_ctrl_c_during_replay_saves_too(monkeypatch, tmp_path):
    clip = footage("physioplus/bridging.mp4")
    original = sources.VideoFileSource.frames

    def interrupted_frames(self, stride=1):
        for frame in original(self, stride):
            if frame.index == 30:
                raise KeyboardInterrupt
            yield frame

    monkeypatch.setattr(sources.VideoFileSource, "frames", interrupted_frames)
    report, video = tmp_path / "r.json", tmp_path / "v.mp4"
    code = main(
        [
            "replay",
            str(clip),
            "--pose",
            "bridge",
            "--no-window",
            "--report",
            str(report),
            "--out",
            str(video),
        ]
    )
    assert code == EXIT_INTERRUPTED
    assert json.loads(report.read_text())["frames"] == 30
    assert count_frames(video) == 30


@pytest.mark.display
def test_live_window_on_a_virtual_screen(monkeypatch, tmp_path, bridge_frames, virtual_display):
    install_camera(monkeypatch, FakeCapture(bridge_frames[:45]))
    report = tmp_path / "r.json"
    code = main(["live", "--pose", "bridge", "--report", str(report)])
    assert code == EXIT_ERROR  # the stand-in camera runs dry
    data = json.loads(report.read_text())
    assert data["frames"] + data["timing"]["dropped_frames"] == 45
    # Latency runs to the frame on screen: some frames were drawn but never shown.
    assert 0 < data["timing"]["latency_ms"]["frames"] <= data["frames"]


@pytest.mark.display
def test_replay_with_window(tmp_path, virtual_display):
    clip = footage("physioplus/bridging.mp4")
    report = tmp_path / "r.json"
    assert (
        main(
            [
                "replay",
                str(clip),
                "--pose",
                "bridge",
                "--report",
                str(report),
                "--out",
                str(tmp_path / "v.mp4"),
            ]
        )
        == EXIT_OK
    )
    assert json.loads(report.read_text())["reps"] == 1


def test_live_from_a_video_played_as_the_camera(tmp_path, capsys):
    """`live --camera-video`: the real capture thread and live loop, frames served in real
    time; the session ends normally at the end of the video."""
    clip = footage("physioplus/bridging.mp4")
    report, video = tmp_path / "r.json", tmp_path / "v.mp4"
    argv = ["live", "--pose", "bridge", "--camera-video", str(clip), "--no-window"]
    assert main([*argv, "--report", str(report), "--out", str(video)]) == EXIT_OK
    data = json.loads(report.read_text())
    served = count_frames(clip)
    assert data["frames"] + data["timing"]["dropped_frames"] <= served
    assert data["frames"] >= served // 4  # (fewer than all when the machine is busy)
    assert data["reps"] == 1 and data["complete"] is True
    assert data["source"] == f"{clip} (as the camera)"
    # Real time: the session lasts as long as the clip.
    assert data["duration_s"] == pytest.approx(served / 30, abs=0.5)
    assert "stale frames dropped" in capsys.readouterr().out
