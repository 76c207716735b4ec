"""Faults end cleanly and lose nothing processed: a video cut off or damaged part-way, a
recording cut off mid-write or killed, SIGTERM as well as Ctrl-C, a camera that goes away. Each
ends with a clear message and, where the work is incomplete, a non-zero exit; the report,
recording and annotated video of every frame processed so far are kept, and none of them is
ever left half-written under its own name."""

import csv
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_TERMINATED, main
from posecoach.evaluation.evaluate import find_jobs, run_job
from posecoach.evaluation.tune import load_stream
from posecoach.inputs import files as files_module
from posecoach.inputs import sources
from posecoach.model import opening as opening_module
from posecoach.model.recording import (
    HEADER_START,
    RECORD_DTYPE,
    RecordingSource,
    RecordingWriter,
    read_recording,
)
from posecoach.output.sinks import ImageSink, VideoSink, part_path

from builders import RESOLUTION, half_kneeling
from conftest import REPO
from fakes import (
    ScriptedModel,
    UnpluggedCapture,
    cut_off,
    decodable,
    faststart,
    overwrite,
    video_frames,
    write_video,
)

KNEEL = "half_kneeling_hip_flexor"
SAMPLE = REPO / "samples" / "half_kneeling_both_sides.mp4"  # 480x360, 25 fps, 592 frames
CLIP_FRAMES = 100  # 4 s of the sample

# The camera tests replace cv2.VideoCapture; videos are counted with the real one.
REAL_CAPTURE = cv2.VideoCapture


@pytest.fixture(scope="module")
def sample_frames() -> list[np.ndarray]:
    return video_frames(str(SAMPLE), limit=CLIP_FRAMES)


@pytest.fixture
def scripted_model(monkeypatch) -> list[ScriptedModel]:
    """create_estimator gives ScriptedModels (listed here as they are made)."""
    made: list[ScriptedModel] = []

    def create(model_path=None, static_images=False, threads=None):
        made.append(ScriptedModel())
        return made[-1]

    monkeypatch.setattr(opening_module, "create_estimator", create)
    return made


def count_frames(path: Path) -> int:
    capture = REAL_CAPTURE(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def replay(tmp_path: Path, source: Path, *options: str) -> tuple[int, Path, Path]:
    """`posecoach replay SOURCE` in-process: the exit code, the report and the video."""
    report, video = tmp_path / "out" / "r.json", tmp_path / "out" / "v.mp4"
    args = ["replay", str(source), "--pose", KNEEL, "--no-window"]
    code = main([*args, "--report", str(report), "--out", str(video), *options])
    return code, report, video


def leftovers(folder: Path) -> list[Path]:
    """Temporary and partial files (hidden names) left in `folder`."""
    return sorted(folder.glob(".*"))


def wait_for(done: Callable[[], bool], process: subprocess.Popen, timeout_s: float = 120.0):
    """Poll until `done()`, failing the test if the process ends first or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"posecoach ended ({process.returncode}) before it got going: {err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("posecoach made no progress in time")
        time.sleep(0.02)


def posecoach(*args: str) -> subprocess.Popen:
    """The command line in a process of its own (so it can be sent signals)."""
    return subprocess.Popen(
        [sys.executable, "-m", "posecoach", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- A video cut off or damaged part-way ---------------------------------------------------------


@pytest.mark.parametrize("name", ["streamable.mp4", "motion_jpeg.avi"])
def test_a_video_cut_off_part_way_is_coached_to_its_break_then_fails(
    tmp_path, capsys, sample_frames, scripted_model, name
):
    clip = write_video(tmp_path / name, sample_frames)
    if clip.suffix == ".mp4":
        faststart(clip)  # index first: what is left of the file still opens
    cut_off(clip, 0.6)
    good, bad = decodable(clip)
    # Measured: OpenCV decodes the frames before the cut (65 of the mp4's, 62 of the avi's),
    # then every read fails; the container still declares all 100.
    assert 40 < len(good) < 80 and not bad
    code, report, video = replay(tmp_path, clip)
    assert code == EXIT_ERROR
    expected = f"video {clip} ends early, after {len(good)} of its {CLIP_FRAMES} frames"
    assert f"posecoach: error: {expected}: the rest could not be decoded" in capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["frames"] == len(good) and data["complete"] is False
    assert data["ended_by"].startswith(f"failed: {expected}")
    assert count_frames(video) == len(good)
    assert leftovers(video.parent) == []


def test_an_mp4_cut_off_before_its_index_cannot_be_opened(tmp_path, capsys, sample_frames):
    # OpenCV writes the index (moov) last: without it nothing can be read at all.
    clip = cut_off(write_video(tmp_path / "cut.mp4", sample_frames[:20]), 0.6)
    code, report, _ = replay(tmp_path, clip)
    assert code == EXIT_ERROR
    assert "OpenCV could not open it (is it a complete video file?)" in capsys.readouterr().err
    assert not report.exists()


def test_damaged_frames_in_the_middle_are_left_out_and_the_rest_coached(
    tmp_path, caplog, sample_frames, scripted_model
):
    clip = overwrite(write_video(tmp_path / "damaged.mp4", sample_frames), 0.5, 4000)
    good, bad = decodable(clip)
    # Measured: a read fails on the damaged frame and OpenCV goes on past it.
    assert bad and len(good) + len(bad) == CLIP_FRAMES
    signals = tmp_path / "s.csv"
    code, report, video = replay(tmp_path, clip, "--signals", str(signals))
    assert code == EXIT_ERROR  # incomplete work: not a success
    data = json.loads(report.read_text())
    assert data["frames"] == len(good) and data["skipped_frames"] == len(bad)
    assert data["complete"] is False and data["ended_by"] == "end of input"
    left_out = [r.getMessage() for r in caplog.records if "were left out" in r.getMessage()]
    assert left_out == [
        f"{clip}: {len(bad)} frame(s) could not be decoded and were left out, the first at "
        f"{bad[0] / 25:.2f} s (is the file damaged?)"
    ]
    # The frames after the damage keep their own index, so their times stay right.
    with signals.open(newline="") as table:
        assert [int(row["frame"]) for row in csv.DictReader(table)] == good
    assert count_frames(video) == len(good)


# -- A recording cut off mid-write -----------------------------------------------------------------


def write_recording(path: Path, frames: int) -> None:
    with RecordingWriter(path, model="scripted", source="a test", fps=30.0) as writer:
        for i in range(frames):
            found = half_kneeling(timestamp_ms=i * 1000 / 30, frame_index=i)
            writer.write(found, i * 1000 / 30, i, RESOLUTION)


def test_coaching_a_cut_off_recording_fails_after_its_complete_frames(tmp_path, capsys):
    path = tmp_path / "cut.pcrec"
    write_recording(path, 30)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - RECORD_DTYPE.itemsize * 5 // 2])  # mid-record
    code, report, video = replay(tmp_path, path)
    assert code == EXIT_ERROR
    assert (
        f"posecoach: error: recording {path} is cut off after 27 complete frames: 3 more "
        "frame(s) are missing or damaged (was it stopped mid-write?)"
    ) in capsys.readouterr().err
    written = json.loads(report.read_text())
    assert written["frames"] == 27 and written["complete"] is False
    assert count_frames(video) == 27
    # Tuning and evaluating measure what is there.
    stream, _ = load_stream(path)
    assert len(stream) == 27
    (tmp_path / "labels.json").write_text(json.dumps({"cut.pcrec": {"pose": KNEEL}}))
    (job,) = find_jobs(tmp_path / "labels.json")
    row = run_job(job)
    assert row.skipped is None and row.frames == 27
    with RecordingSource(path, accept_cut_off=True) as source:
        assert len(list(source)) == 27


def records_in(path: Path) -> int:
    """The complete records in a recording being written (0 before its header is there)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    if len(data) < HEADER_START:
        return 0
    start = HEADER_START + int.from_bytes(data[HEADER_START - 4 : HEADER_START], "little")
    return max(len(data) - start, 0) // RECORD_DTYPE.itemsize


@pytest.mark.model
def test_a_recording_killed_mid_write_keeps_every_frame_written(tmp_path, capsys):
    out = tmp_path / "killed.pcrec"
    process = posecoach("record", str(SAMPLE), "--out", str(out), "--no-window")
    try:
        wait_for(lambda: records_in(out) >= 5, process)
        time.sleep(random.uniform(0.0, 0.5))  # a moment of no importance
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    recording = read_recording(out)
    # Measured: each record reaches the file whole as it is written; SIGKILL never leaves
    # part of one. Only the frame count, filled in when closed, is missing.
    assert len(recording) >= 5 and recording.lost_frames == 0
    assert recording.header.frame_count is None
    assert [recording.frame_index(i) for i in range(len(recording))] == list(range(len(recording)))
    code, report, _ = replay(tmp_path, out)
    assert code == EXIT_ERROR
    assert (
        f"recording {out} is cut off after {len(recording)} complete frames: it was never closed"
    ) in capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["frames"] == len(recording) and data["complete"] is False


# -- SIGTERM, as Ctrl-C ----------------------------------------------------------------------------


@pytest.mark.model
def test_sigterm_stops_a_replay_keeping_the_report_and_video_so_far(tmp_path):
    report, video = tmp_path / "r.json", tmp_path / "v.mp4"
    process = posecoach(
        "replay", str(SAMPLE), "--pose", KNEEL, "--no-window",
        "--report", str(report), "--out", str(video),
    )  # fmt: skip
    try:
        # The annotated video grows under its temporary name while frames are analysed.
        part = part_path(video)
        wait_for(lambda: part.exists() and part.stat().st_size > 40_000, process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_TERMINATED == 128 + signal.SIGTERM
    assert "posecoach: stopped by SIGTERM; the report and video so far are saved" in err
    data = json.loads(report.read_text())
    assert data["complete"] is False and data["ended_by"] == "stopped by SIGTERM"
    assert 0 < data["frames"] < len(sources.VideoFileSource(SAMPLE))
    assert count_frames(video) == data["frames"]
    assert leftovers(tmp_path) == []


class SignalledModel(ScriptedModel):
    """The scripted model, sending this process SIGTERM when it reaches frame `at`."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def estimate(self, frame):
        if frame.index == self.at:
            # Sent only while posecoach's handler is in place: the default would end pytest.
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            os.kill(os.getpid(), signal.SIGTERM)
        return super().estimate(frame)


@pytest.mark.parametrize("command", ["replay", "record"])
def test_sigterm_in_process_stops_like_ctrl_c(
    tmp_path, monkeypatch, capsys, sample_frames, command
):
    monkeypatch.setattr(opening_module, "create_estimator", lambda *a, **k: SignalledModel(40))
    clip = write_video(tmp_path / "clip.mp4", sample_frames)
    before = signal.getsignal(signal.SIGTERM)
    if command == "replay":
        code, report, video = replay(tmp_path, clip)
    else:
        recording = tmp_path / "clip.pcrec"
        code = main(["record", str(clip), "--out", str(recording), "--no-window"])
    assert code == EXIT_TERMINATED
    assert signal.getsignal(signal.SIGTERM) is before  # main puts the old handler back
    err = capsys.readouterr().err
    if command == "replay":
        assert "posecoach: stopped by SIGTERM; the report and video so far are saved" in err
        data = json.loads(report.read_text())
        assert data["ended_by"] == "stopped by SIGTERM" and data["complete"] is False
        assert 0 < data["frames"] <= 41 and count_frames(video) == data["frames"]
    else:
        assert "posecoach: stopped by SIGTERM; every frame so far is in the recording" in err
        written = read_recording(recording)
        assert 0 < len(written) <= 41 and written.header.frame_count == len(written)


# -- A camera that goes away -----------------------------------------------------------------------


def test_a_camera_unplugged_mid_session_keeps_report_video_and_recording(
    tmp_path, monkeypatch, capsys, sample_frames, scripted_model
):
    capture = UnpluggedCapture(sample_frames, serves=25, fps=50)
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: capture)
    report, video, recording = tmp_path / "r.json", tmp_path / "v.mp4", tmp_path / "s.pcrec"
    outputs = ["--report", str(report), "--out", str(video), "--record", str(recording)]
    code = main(["live", "--pose", KNEEL, "--camera", "1", "--no-window", *outputs])
    assert code == EXIT_ERROR
    assert (
        "posecoach: error: camera 1 stopped delivering frames (was it unplugged?)"
        in capsys.readouterr().err
    )
    assert capture.released
    data = json.loads(report.read_text())
    assert data["complete"] is False and data["ended_by"].startswith("failed: camera 1 stopped")
    # Every frame served was analysed, or dropped as stale while the model was busy.
    assert data["frames"] + data["timing"]["dropped_frames"] == 25 and data["frames"] > 0
    assert count_frames(video) == data["frames"]
    written = read_recording(recording)
    assert len(written) == written.header.frame_count == data["frames"]
    assert written.lost_frames == 0 and written.header.live


# -- Nothing half-written under its own name -------------------------------------------------------


@pytest.mark.parametrize("old", [b'{"an": "older report"}\n', None])
def test_a_failure_while_writing_the_report_leaves_the_old_one_whole(
    tmp_path, monkeypatch, capsys, sample_frames, scripted_model, old
):
    clip = write_video(tmp_path / "clip.mp4", sample_frames[:20])
    report = tmp_path / "out" / "r.json"
    report.parent.mkdir()
    if old is not None:
        report.write_bytes(old)

    def disk_full(data, stream, **options):
        stream.write(json.dumps(data, **options)[:200])  # part of it reaches the file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files_module.json, "dump", disk_full)
    code, _, video = replay(tmp_path, clip)
    assert code == EXIT_ERROR
    err = capsys.readouterr().err
    assert f"posecoach: error: cannot write report {report}: No space left on device" in err
    assert (report.read_bytes() if report.exists() else None) == old
    assert count_frames(video) == 20  # the video is finalised all the same
    assert leftovers(report.parent) == []


def test_a_video_gets_its_name_only_when_finalised(tmp_path, sample_frames):
    target = tmp_path / "v.mp4"
    target.write_bytes(b"an older video")
    sink = VideoSink(target, fps=25)
    for frame in sample_frames[:10]:
        sink.write(frame)
    # A process killed now leaves the older file whole and the new one under a hidden name.
    assert target.read_bytes() == b"an older video"
    assert part_path(target) == tmp_path / ".v.part.mp4" and part_path(target).exists()
    sink.close()
    sink.close()
    assert count_frames(target) == 10 and leftovers(tmp_path) == []


def test_annotated_images_are_written_whole(tmp_path, sample_frames):
    target = tmp_path / "photo.png"
    sink = ImageSink(target)
    for frame in sample_frames[:2]:
        sink.write(frame)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "photo_0001.png"]
    image = cv2.imread(str(tmp_path / "photo_0001.png"))
    assert image is not None and np.array_equal(image, sample_frames[1])
