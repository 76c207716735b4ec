"""replay of several files at once: which files a command line means, their output names, the
workers' reports against single replays, the summary table, errors and interruptions."""

import json
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecoach.cli import batch, batch_worker
from posecoach.cli.batch_jobs import FileResult, batch_exit_code, batch_files, output_names
from posecoach.cli.coach_one import Coached, CoachOptions
from posecoach.cli.main import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOBODY,
    EXIT_OK,
    EXIT_TERMINATED,
    main,
)
from posecoach.config.errors import PosecoachError, Terminated
from posecoach.config.samples import bundled_samples
from posecoach.model.recording import RecordingWriter
from posecoach.output.sinks import part_path

from builders import RESOLUTION, half_kneeling

KNEEL = "half_kneeling_hip_flexor"
FPS = 30.0
REPO = Path(__file__).resolve().parent.parent


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def kneeling_recording(path: Path, frames: int = 60, knee_deg: float = 90.0) -> Path:
    """A recorded half-kneeling hold at 30 fps (no model needed to coach it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with RecordingWriter(path, model="scripted", source=path.name, fps=FPS) as writer:
        for i in range(frames):
            landmarks = half_kneeling(
                front_knee_deg=knee_deg + i % 5, timestamp_ms=i * 1000 / FPS, frame_index=i
            )
            writer.write(landmarks, i * 1000 / FPS, i, RESOLUTION)
    return path


def report_figures(path: Path) -> tuple:
    data = json.loads(path.read_text())
    return data["frames"], data["reps"], data["hold_s"], data["detected_fraction"], data["sides"]


# -- which files --------------------------------------------------------------------------------


def test_one_file_or_one_folder_of_images_is_one_ordinary_source(tmp_path):
    touch(tmp_path / "photos" / "1.jpg")
    assert batch_files([touch(tmp_path / "clip.mp4")]) is None
    assert batch_files([tmp_path / "photos"]) is None
    assert batch_files([tmp_path / "missing.mp4"]) is None  # the single replay says so


def test_a_folder_gives_its_videos_and_recordings_in_natural_order(tmp_path):
    folder = tmp_path / "clips"
    for name in ("clip10.mp4", "clip2.MOV", "clip1.webm", "take.pcrec", "notes.txt", "a.jpg"):
        touch(folder / name)
    touch(folder / ".clip3.mp4")  # hidden: a macOS resource fork, say
    touch(folder / "inner" / "deeper.mp4")  # subfolders are not searched
    names = [path.name for path in batch_files([folder])]
    assert names == ["clip1.webm", "clip2.MOV", "clip10.mp4", "take.pcrec"]


def test_several_arguments_mix_files_folders_and_image_folders(tmp_path):
    touch(tmp_path / "videos" / "b.mkv")
    touch(tmp_path / "photos" / "1.png")
    given = [touch(tmp_path / "a.avi"), tmp_path / "videos", tmp_path / "photos"]
    files = batch_files(given)
    assert files == [tmp_path / "a.avi", tmp_path / "videos" / "b.mkv", tmp_path / "photos"]


def test_a_file_named_twice_is_coached_once(tmp_path):
    clip = touch(tmp_path / "clip.mp4")
    assert batch_files([clip, tmp_path / "." / "clip.mp4", tmp_path]) == [clip]


def test_a_folder_with_nothing_to_coach_is_a_one_line_error(tmp_path):
    touch(tmp_path / "empty" / "notes.txt")
    with pytest.raises(PosecoachError) as error:
        batch_files([tmp_path / "empty"])
    message = str(error.value)
    assert "\n" not in message and str(tmp_path / "empty") in message
    assert ".mp4" in message and ".pcrec" in message and ".jpg" in message


def test_a_missing_file_among_several_is_named(tmp_path):
    with pytest.raises(PosecoachError, match=r"no such file or folder: .*gone\.mp4"):
        batch_files([touch(tmp_path / "a.mp4"), tmp_path / "gone.mp4"])


def test_output_names_are_unique(tmp_path):
    files = [
        tmp_path / "a" / "clip.mp4",
        tmp_path / "b" / "clip.mp4",
        tmp_path / "clip.pcrec",
        tmp_path / "clip-2.mp4",  # a file's own name is left to it
        tmp_path / "CLIP.mov",  # some disks do not tell case apart
        tmp_path / "other.mp4",
    ]
    names = output_names(files)
    assert names == ["clip", "clip-3", "clip-4", "clip-2", "CLIP-5", "other"]
    assert len({name.casefold() for name in names}) == len(names)


# -- outputs and exit codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"), [("--report", "all.json"), ("--signals", "s.csv"), ("--out", "v.mp4")]
)
def test_output_options_name_folders_with_several_files(tmp_path, capsys, option, value):
    clips = [kneeling_recording(tmp_path / f"{n}.pcrec", 3) for n in "ab"]
    code = main(["replay", *map(str, clips), "--pose", KNEEL, option, str(tmp_path / value)])
    assert code == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{option} {tmp_path / value}" in err[0] and "folder" in err[0]
    assert not (tmp_path / value).exists()


def coached(code: int) -> Coached:
    complete = code not in (EXIT_INTERRUPTED, EXIT_ERROR)
    skipped = 3 if code == EXIT_ERROR else 0
    return Coached("x", code, 10, 1.0, 1.0, 0, 0.0, {}, {}, None, None, complete, skipped)


def test_the_exit_code_is_the_most_serious_of_the_files():
    ok, nobody = FileResult(0, coached(EXIT_OK)), FileResult(1, coached(EXIT_NOBODY))
    error = FileResult(2, error="cannot read video x.mp4")
    stopped = FileResult(3, coached(EXIT_INTERRUPTED))
    assert batch_exit_code([ok, ok], None) == EXIT_OK
    assert batch_exit_code([ok, nobody], None) == EXIT_NOBODY
    assert batch_exit_code([nobody, error, ok], None) == EXIT_ERROR
    assert batch_exit_code([error, stopped], None) == EXIT_INTERRUPTED
    assert batch_exit_code([ok], KeyboardInterrupt()) == EXIT_INTERRUPTED
    assert batch_exit_code([ok], Terminated()) == EXIT_TERMINATED
    unstarted = FileResult(4, started=False)
    assert [r.status for r in (ok, nobody, error, stopped, unstarted)] == [
        "OK",
        "nobody found",
        "error: cannot read video x.mp4",
        "incomplete (interrupted)",
        "not started",
    ]
    assert FileResult(5, coached(EXIT_TERMINATED)).status == "incomplete (SIGTERM)"


# -- recordings through the workers (no model) --------------------------------------------------


def test_recordings_coached_by_workers_match_single_replays(tmp_path, capsys):
    folder = tmp_path / "takes"
    kneeling_recording(folder / "take1.pcrec", 120)  # a 4 s stay: held
    kneeling_recording(folder / "take2.pcrec", 45, knee_deg=120.0)  # out of position
    (folder / "broken.pcrec").write_bytes(b"not a recording")
    out = tmp_path / "out"
    args = ["--pose", KNEEL, "--workers", "2", "--report", str(out), "--out", str(out)]
    code = main(["replay", str(folder), *args, "--signals", str(out)])
    captured = capsys.readouterr()
    assert code == EXIT_ERROR

    lines = captured.out.splitlines()
    header = ["FILE", "FRAMES", "FOUND", "IN", "POSITION", "RESULT", "REPORT", "STATUS"]
    assert lines[0].split() == header
    rows = {line.split()[0]: line for line in lines[1:4]}
    assert "error: " in rows[str(folder / "broken.pcrec")]
    assert rows[str(folder / "take1.pcrec")].endswith("OK")
    assert lines[4].startswith("total: 3 files, 165 frames") and "2 OK, 1 error" in lines[4]
    assert "\x1b" not in captured.err  # not a terminal: plain lines
    assert sum(line.startswith("[") for line in captured.err.splitlines()) == 3

    for name in ("take1", "take2"):
        report = out / f"{name}_{KNEEL}.json"
        assert (out / f"{name}_{KNEEL}.mp4").stat().st_size > 0
        assert (out / f"{name}_{KNEEL}.csv").stat().st_size > 0
        alone = tmp_path / f"{name}_alone.json"
        single = ["replay", str(folder / f"{name}.pcrec"), "--pose", KNEEL, "--no-window"]
        assert main([*single, "--report", str(alone), "--out", str(tmp_path / "v.mp4")]) == 0
        assert report_figures(report) == report_figures(alone)
    assert json.loads((out / f"take1_{KNEEL}.json").read_text())["hold_s"] > 1.0
    assert not (out / f"broken_{KNEEL}.json").exists()


def test_a_workers_warnings_name_the_file_and_a_failed_file_keeps_its_report(tmp_path, capsys):
    whole = kneeling_recording(tmp_path / "whole.pcrec", 30)
    cut = kneeling_recording(tmp_path / "cut.pcrec", 30)
    cut.write_bytes(cut.read_bytes()[:-10])  # its last frame cut off
    out = tmp_path / "out"
    code = main(["replay", str(whole), str(cut), "--pose", KNEEL, "--report", str(out)])
    captured = capsys.readouterr()
    assert code == EXIT_ERROR
    assert "posecoach: warning: cut.pcrec: " in captured.err and "1 frame(s) lost" in captured.err
    (row,) = [line for line in captured.out.splitlines() if line.startswith(str(cut))]
    report = out / f"cut_{KNEEL}.json"
    assert str(report) in row and "error: " in row  # coached to its last frame, then failed
    assert json.loads(report.read_text())["frames"] == 29


def test_bars_on_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "stderr_is_terminal", lambda: True)
    clips = [kneeling_recording(tmp_path / f"{n}.pcrec", 10) for n in "ab"]
    code = main(["replay", *map(str, clips), "--pose", KNEEL, "--report", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == EXIT_OK
    assert "all files" in captured.err and "a.pcrec" in captured.err
    assert "total: 2 files, 20 frames" in captured.out


class StopAfter:
    """The batch's stop value: 0 (go on) the first `reads` times it is read, then `signum`."""

    def __init__(self, reads: int, signum: int = signal.SIGINT) -> None:
        self.reads = reads
        self.signum = signum

    @property
    def value(self) -> int:
        self.reads -= 1
        return 0 if self.reads >= 0 else self.signum


def file_options(tmp_path: Path, source: Path) -> CoachOptions:
    from posecoach.coaching.overrides import Overrides

    return CoachOptions(
        pose_id=KNEEL,
        source=source,
        overrides=Overrides.load(None, []),
        threads=1,
        report=tmp_path / "r.json",
        out=tmp_path / "v.mp4",
        window=False,
    )


@pytest.mark.parametrize(
    ("signum", "code", "ended_by"),
    [
        (signal.SIGINT, EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
        (signal.SIGTERM, EXIT_TERMINATED, "stopped by SIGTERM"),
    ],
)
def test_a_stopped_worker_writes_its_report_so_far(tmp_path, monkeypatch, signum, code, ended_by):
    channel: queue.Queue = queue.Queue()
    monkeypatch.setattr(batch_worker, "_channel", channel)
    # Read before the file, then after each of 20 frames; stopped after the 21st.
    monkeypatch.setattr(batch_worker, "_stop", StopAfter(1 + 20, signum))
    monkeypatch.setattr(batch_worker, "PROGRESS_INTERVAL_S", 0.0)
    result = batch_worker.coach_file(
        0, file_options(tmp_path, kneeling_recording(tmp_path / "t.pcrec"))
    )
    assert result.coached is not None and result.code == code
    report = json.loads((tmp_path / "r.json").read_text())
    # The 21st frame is in the report: the worker looks at the value once it is counted.
    assert report["frames"] == 21 and report["complete"] is False
    assert report["ended_by"] == ended_by
    sent = [channel.get_nowait() for _ in range(channel.qsize())]
    assert [message.done for message in sent] == list(range(1, 21))
    assert {message.total for message in sent} == {60}


def test_a_worker_stopped_before_its_turn_does_not_start(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_worker, "_stop", StopAfter(0))
    result = batch_worker.coach_file(3, file_options(tmp_path, tmp_path / "t.pcrec"))
    assert result.status == "not started" and not (tmp_path / "r.json").exists()


def run_until_first_video(tmp_path: Path, stop) -> tuple[int, str]:
    """Coach two long recordings one at a time in a posecoach process; once the first file's
    video is being written, `stop(process)`; its exit code and output."""
    clips = [kneeling_recording(tmp_path / f"{n}.pcrec", 3000) for n in ("first", "second")]
    command = [sys.executable, "-m", "posecoach", "replay", *map(str, clips), "--pose", KNEEL]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--report", str(tmp_path), "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        video = part_path(tmp_path / f"first_{KNEEL}.mp4")  # the video being written
        while not video.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        stop(process)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, out


@pytest.mark.parametrize(
    ("stop", "code", "ended_by", "status"),
    [
        pytest.param(
            lambda p: os.killpg(p.pid, signal.SIGINT),
            EXIT_INTERRUPTED,
            "interrupted (Ctrl-C)",
            "incomplete (interrupted)",
            id="ctrl-c-in-a-terminal",
        ),
        pytest.param(
            lambda p: p.send_signal(signal.SIGTERM),
            EXIT_TERMINATED,
            "stopped by SIGTERM",
            "incomplete (SIGTERM)",
            id="sigterm-to-the-parent",
        ),
    ],
)
def test_a_stopped_batch_keeps_the_report_so_far_and_starts_no_other_file(
    tmp_path, stop, code, ended_by, status
):
    returned, out = run_until_first_video(tmp_path, stop)
    assert returned == code, out
    report = json.loads((tmp_path / f"first_{KNEEL}.json").read_text())
    assert report["complete"] is False and 0 < report["frames"] < 3000
    assert report["ended_by"] == ended_by
    assert (tmp_path / f"first_{KNEEL}.mp4").stat().st_size > 0  # the video so far, finalised
    assert not (tmp_path / f"second_{KNEEL}.json").exists()
    assert status in out and "not started" in out
    assert "Traceback" not in out


# -- the real model -----------------------------------------------------------------------------


def cut(video: Path, out: Path, first: int, frames: int) -> Path:
    """`frames` frames of `video` from frame `first`, as a new clip."""
    capture = cv2.VideoCapture(str(video))
    capture.set(cv2.CAP_PROP_POS_FRAMES, first)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (480, 360))
    for _ in range(frames):
        ok, image = capture.read()
        assert ok and image.shape == (360, 480, 3)
        writer.write(image)
    writer.release()
    capture.release()
    return out


@pytest.mark.model
def test_clips_coached_by_workers_give_the_single_replay_reports(tmp_path, capsys):
    samples = bundled_samples()
    clips = tmp_path / "clips"
    clips.mkdir()
    both = cut(samples["half_kneeling_both_sides"].video, clips / "both.mp4", 60, 120)
    lean = cut(samples["half_kneeling_torso_lean"].video, clips / "lean.mp4", 60, 120)
    (clips / "broken.mp4").write_bytes(np.arange(256, dtype=np.uint8).tobytes())
    out = tmp_path / "out"
    args = ["--pose", KNEEL, "--workers", "2", "--report", str(out), "--out", str(out)]
    code = main(["replay", str(clips), *args])
    table = capsys.readouterr().out
    assert code == EXIT_ERROR
    assert "FILE" in table.splitlines()[0] and "error: cannot read video" in table
    assert "total: 3 files, 240 frames" in table
    held = 0.0
    for clip in (both, lean):
        alone = tmp_path / f"{clip.stem}.json"
        single = ["replay", str(clip), "--pose", KNEEL, "--no-window", "--report", str(alone)]
        assert main([*single, "--out", str(tmp_path / f"{clip.stem}.mp4")]) == EXIT_OK
        assert report_figures(out / f"{clip.stem}_{KNEEL}.json") == report_figures(alone)
        held += json.loads(alone.read_text())["hold_s"]
    assert held > 1.0  # the clips are not empty of holds: the comparison means something
