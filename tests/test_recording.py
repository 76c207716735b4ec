"""Landmark recordings: the file round-trips the model's landmarks exactly, survives being cut
off, refuses newer versions, and replays through every command without loading the model."""

import dataclasses
import json
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from posecoach.coaching.coach import Assessment, Coach
from posecoach.coaching.posefile import load_pose
from posecoach.config.samples import bundled_samples
from posecoach.evaluation.evaluate import find_jobs, read_truth, run_job
from posecoach.evaluation.tune import load_stream
from posecoach.inputs import sources
from posecoach.model import opening as opening_module
from posecoach.model.landmarks import NUM_LANDMARKS, Landmark, Landmarks
from posecoach.model.opening import open_source
from posecoach.model.recording import (
    FORMAT_VERSION,
    RECORD_DTYPE,
    RECORDING_SUFFIX,
    RecordedFrame,
    RecordingError,
    RecordingSource,
    RecordingWriter,
    read_recording,
)
from posecoach.output.overlay import OverlayStyle, annotate, skeleton_preview
from posecoach.run import pipeline
from posecoach.run.pipeline import assess

from builders import RESOLUTION, half_kneeling
from fakes import FakeCapture

KNEEL = "half_kneeling_hip_flexor"
FPS = 30.0
GAP = range(40, 46)  # frames where nobody is found


def session(frames: int = 90, gap: range = GAP) -> list[Landmarks | None]:
    """A half-kneeling hold seen at 30 fps, the knee angle wavering, with a gap of nobody."""
    return [
        None
        if i in gap
        else half_kneeling(front_knee_deg=88.0 + i % 5, timestamp_ms=i * 1000 / FPS, frame_index=i)
        for i in range(frames)
    ]


def write_session(path, landmarks: list[Landmarks | None], **header) -> None:
    header = {"model": "scripted", "source": "a test session", "fps": FPS, **header}
    with RecordingWriter(path, **header) as writer:
        for i, found in enumerate(landmarks):
            writer.write(found, i * 1000 / FPS, i, RESOLUTION)


def assert_same_landmarks(read: Landmarks | None, written: Landmarks | None) -> None:
    if written is None:
        assert read is None
        return
    assert read is not None
    for name in ("xy_norm", "z", "visibility"):
        assert np.array_equal(getattr(read, name), getattr(written, name)), name
    if written.world_xyz_m is None:
        assert read.world_xyz_m is None
    else:
        assert read.world_xyz_m is not None
        assert np.array_equal(read.world_xyz_m, written.world_xyz_m)
    assert read.resolution_wh == written.resolution_wh
    assert read.timestamp_ms == written.timestamp_ms
    assert read.frame_index == written.frame_index


def verdicts(assessment: Assessment) -> tuple:
    """What a frame's coaching comes to: status, cue, side, counts, events, every verdict."""
    return (
        assessment.timestamp_ms,
        assessment.frame_index,
        assessment.status,
        assessment.prompt,
        assessment.side,
        assessment.reps,
        assessment.hold_s,
        assessment.totals,
        assessment.events,
        tuple((r.rule.id, r.value, r.passed) for r in assessment.results),
    )


class ScriptedEstimator:
    """Stands in for the model: the builders' half-kneeling body in every frame but each third
    (nobody found there), at the frame's own time and size, with world landmarks."""

    name = "scripted model"

    def __init__(self) -> None:
        self.closed = False
        self.found: list[Landmarks | None] = []

    def estimate(self, frame) -> Landmarks | None:
        landmarks = None
        if frame.index % 3 != 2:
            body = half_kneeling(front_knee_deg=85.0 + frame.index % 7)
            world = np.random.default_rng(frame.index).normal(size=(NUM_LANDMARKS, 3))
            landmarks = dataclasses.replace(
                body,
                world_xyz_m=world,
                resolution_wh=frame.resolution_wh,
                timestamp_ms=frame.timestamp_ms,
                frame_index=frame.index,
            )
        self.found.append(landmarks)
        return landmarks

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def scripted_model(monkeypatch) -> list[ScriptedEstimator]:
    """create_estimator gives ScriptedEstimators (listed here as they are made)."""
    made: list[ScriptedEstimator] = []

    def create(model_path=None, static_images=False, threads=None):
        made.append(ScriptedEstimator())
        return made[-1]

    monkeypatch.setattr(opening_module, "create_estimator", create)
    return made


@pytest.fixture
def no_model(monkeypatch) -> None:
    """Loading the pose model fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the pose model was loaded to coach a recording")

    monkeypatch.setattr(opening_module, "create_estimator", refuse)


def small_video(path, frames: int = 6, size_wh=(64, 48)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, size_wh)
    for i in range(frames):
        writer.write(np.full((size_wh[1], size_wh[0], 3), 20 * i, np.uint8))
    writer.release()


def count_frames(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# -- the format ---------------------------------------------------------------------------------


def test_round_trip_gives_back_every_landmark_exactly(tmp_path):
    rng = np.random.default_rng(7)
    written: list[Landmarks | None] = []
    for i in range(12):
        if i in (3, 4):
            written.append(None)
            continue
        # Full float64 precision, world landmarks in some frames only, the size changing
        # (photos of a folder), a time that is no round number of ms.
        written.append(
            Landmarks(
                xy_norm=rng.random((NUM_LANDMARKS, 2)) * 1.2 - 0.1,
                z=rng.normal(size=NUM_LANDMARKS),
                visibility=rng.random(NUM_LANDMARKS),
                world_xyz_m=rng.normal(size=(NUM_LANDMARKS, 3)) if i % 2 else None,
                resolution_wh=(640, 480) if i < 6 else (1080, 1920),
                timestamp_ms=i * 1000 / 3 + 0.1,
                frame_index=i,
            )
        )
    path = tmp_path / f"photos{RECORDING_SUFFIX}"
    with RecordingWriter(
        path, model="model x", source="photos/", fps=3.0, independent_frames=True
    ) as writer:
        for i, landmarks in enumerate(written):
            size = (640, 480) if i < 6 else (1080, 1920)
            writer.write(landmarks, i * 1000 / 3 + 0.1, i, size)
        assert (writer.frames, writer.found) == (12, 10)

    recording = read_recording(path)
    header = recording.header
    assert (header.version, header.model, header.source) == (FORMAT_VERSION, "model x", "photos/")
    assert (header.size_wh, header.fps, header.frame_count) == ((640, 480), 3.0, 12)
    assert header.independent_frames and not header.live and header.created
    assert len(recording) == 12 and recording.found == 10 and recording.lost_frames == 0
    for i, landmarks in enumerate(written):
        assert_same_landmarks(recording.landmarks(i), landmarks)
        assert recording.timestamp_ms(i) == i * 1000 / 3 + 0.1
        assert recording.resolution_wh(i) == ((640, 480) if i < 6 else (1080, 1920))


def test_header_is_json_that_documents_the_record_layout(tmp_path):
    path = tmp_path / "a.pcrec"
    write_session(path, session(3))
    data = path.read_bytes()
    length = int.from_bytes(data[12:16], "little")
    header = json.loads(data[16 : 16 + length])
    assert data.startswith(b"POSECOACHREC")
    assert header["format"] == "posecoach-recording" and header["version"] == 1
    assert header["record_size"] == RECORD_DTYPE.itemsize
    assert [field[0] for field in header["record_fields"]][:3] == [
        "timestamp_ms",
        "frame_index",
        "width",
    ]
    assert len(data) == 16 + length + 3 * RECORD_DTYPE.itemsize


def test_a_recording_cut_off_mid_record_loads_its_complete_frames(tmp_path):
    path = tmp_path / "cut.pcrec"
    written = session(10, gap=range(0))
    write_session(path, written)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3 * RECORD_DTYPE.itemsize - RECORD_DTYPE.itemsize // 2])
    recording = read_recording(path)
    assert len(recording) == 6
    assert recording.lost_frames == 4  # the header, closed, says 10 frames were written
    for i in range(6):
        assert_same_landmarks(recording.landmarks(i), written[i])


def test_a_recording_that_was_never_closed_keeps_every_frame_written(tmp_path):
    # A crash: the writer never closes, its last record is half written.
    crashed = tmp_path / "crashed.pcrec"
    written = session(5, gap=range(2, 3))
    with RecordingWriter(tmp_path / "live.pcrec", model="m", source="camera 0", fps=FPS) as writer:
        for i, landmarks in enumerate(written):
            writer.write(landmarks, i * 1000 / FPS, i, RESOLUTION)
        shutil.copy(writer.path, crashed)  # every record is on disk as soon as it is written
    whole = crashed.read_bytes()
    crashed.write_bytes(whole + whole[-RECORD_DTYPE.itemsize :][:100])
    recording = read_recording(crashed)
    assert recording.header.frame_count is None
    assert len(recording) == 5 and recording.lost_frames == 1
    assert recording.landmarks(2) is None
    # A tail of zeros (left by a crash on some file systems) is no frame either.
    crashed.write_bytes(whole + bytes(2 * RECORD_DTYPE.itemsize))
    recording = read_recording(crashed)
    assert len(recording) == 5 and recording.lost_frames == 2


def test_replaying_a_cut_off_recording_says_how_many_frames_were_lost(tmp_path, caplog, no_model):
    path = tmp_path / "cut.pcrec"
    write_session(path, session(30, gap=range(0)))
    path.write_bytes(path.read_bytes()[:-10])
    report = tmp_path / "r.json"
    args = ["replay", str(path), "--pose", KNEEL, "--no-window", "--report", str(report)]
    # Coached to its last complete frame, then an error: the session is incomplete.
    assert main([*args, "--out", str(tmp_path / "v.mp4")]) == EXIT_ERROR
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "cut off: 1 frame(s) lost; replaying the 29 complete ones" in warning.getMessage()
    assert json.loads(report.read_text())["frames"] == 29


def test_a_newer_format_version_is_refused_with_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "future.pcrec"
    write_session(path, session(3))
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"version":1,', b'"version":2,', 1))
    with pytest.raises(RecordingError, match=r"version 2 recording .* upgrade posecoach"):
        read_recording(path)
    assert main(["replay", str(path), "--pose", KNEEL, "--no-window"]) == EXIT_ERROR
    line = error_line(capsys)
    assert line.startswith(f"posecoach: error: {path} is a version 2 recording")
    assert line.endswith("reads version 1: upgrade posecoach")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b"just some notes\n", "it does not start with b'POSECOACHREC'"),
        (b"POSECOACHREC\x10\x00\x00\x00{}", "the file ends inside its header"),
        (b'POSECOACHREC\x0f\x00\x00\x00{"format":"x"}  ', "its header does not name the format"),
    ],
)
def test_a_file_that_is_not_a_recording(tmp_path, capsys, content, why):
    path = tmp_path / "notes.pcrec"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match="is not a posecoach recording"):
        read_recording(path)
    assert main(["replay", str(path), "--pose", KNEEL, "--no-window"]) == EXIT_ERROR
    line = error_line(capsys)
    assert f"{path} is not a posecoach recording ({why}" in line
    assert "make one with 'posecoach record SOURCE --out NAME.pcrec'" in line


# -- a recording as a source --------------------------------------------------------------------


def test_frames_carry_the_recorded_landmarks_on_one_read_only_canvas(tmp_path):
    path = tmp_path / "s.pcrec"
    written = session(50)
    write_session(path, written)
    with open_source(path) as source:
        assert isinstance(source, RecordingSource)
        assert (len(source), source.fps, source.model_name) == (50, FPS, "scripted")
        frames = list(source)
    assert all(isinstance(frame, RecordedFrame) for frame in frames)
    for frame, landmarks in zip(frames, written, strict=True):
        assert_same_landmarks(frame.landmarks, landmarks)
    canvas = frames[0].image
    assert canvas.shape == (RESOLUTION[1], RESOLUTION[0], 3)
    assert all(frame.image is canvas for frame in frames)  # made once
    assert not canvas.flags.writeable
    # Drawing copies: the canvas stays plain.
    pose = load_pose(KNEEL)
    assessment = Coach(pose).update(written[0], 0.0, 0)
    drawn = annotate(canvas, written[0], assessment, pose)
    assert np.any(drawn != canvas) and np.all(canvas == canvas.flat[0])


def test_coaching_a_recording_gives_what_coaching_its_landmarks_gives(tmp_path):
    path = tmp_path / "s.pcrec"
    written = session(120)
    write_session(path, written)
    pose = dataclasses.replace(load_pose(KNEEL), stay_s=0.0)  # 4 s with a gap: short stays
    direct = Coach(pose)
    expected = [verdicts(direct.update(lm, i * 1000 / FPS, i)) for i, lm in enumerate(written)]
    with open_source(path) as source:
        replayed = [verdicts(a) for _, a in assess(source, None, Coach(pose))]
    assert replayed == expected
    assert expected[-1][6] > 2.0  # held: the comparison is not of empty sessions


def test_replay_of_a_recording_writes_report_and_video_without_the_model(
    tmp_path, capsys, no_model
):
    path = tmp_path / "s.pcrec"
    write_session(path, session(60))
    report, video = tmp_path / "r.json", tmp_path / "v.mp4"
    args = ["replay", str(path), "--pose", KNEEL, "--no-window", "--report", str(report)]
    code = main([*args, "--out", str(video)])
    assert code == EXIT_OK
    data = json.loads(report.read_text())
    assert data["frames"] == 60 and data["model"] == "scripted" and data["source"] == str(path)
    assert data["detected_fraction"] == pytest.approx(54 / 60, abs=1e-4)
    assert data["duration_s"] == pytest.approx(2.0)
    assert count_frames(video) == 60
    assert f"video:  {video}" in capsys.readouterr().out


def test_a_recording_cannot_be_given_another_model_or_recorded_again(tmp_path, capsys, no_model):
    path = tmp_path / "s.pcrec"
    write_session(path, session(5))
    base = ["replay", str(path), "--pose", KNEEL, "--no-window"]
    assert main([*base, "--model", "heavy.task"]) == EXIT_ERROR
    line = error_line(capsys)
    assert "--model" in line and "is a recording" in line and "leave out --model" in line
    assert main([*base, "--record", str(tmp_path / "again.pcrec")]) == EXIT_ERROR
    assert "leave out --record" in error_line(capsys)


def test_eval_coaches_a_recording_named_in_a_labels_file(tmp_path, no_model):
    write_session(tmp_path / "kneel.pcrec", session(90))
    (tmp_path / "labels.json").write_text(json.dumps({"kneel.pcrec": {"pose": KNEEL}}))
    (job,) = find_jobs(tmp_path / "labels.json")
    row = run_job(job)
    assert row.skipped is None
    assert (row.frames, row.found_frames) == (90, 84)
    assert row.in_position_frames > 0


def test_tune_reads_a_recordings_landmarks_without_the_model(tmp_path, no_model):
    path = tmp_path / "s.pcrec"
    written = session(20)
    write_session(path, written)
    stream, stills = load_stream(path)
    assert not stills and len(stream) == 20
    for i, (landmarks, timestamp_ms, index) in enumerate(stream):
        assert_same_landmarks(landmarks, written[i])
        assert (timestamp_ms, index) == (i * 1000 / FPS, i)


# -- posecoach record ---------------------------------------------------------------------------


def test_record_a_video(tmp_path, capsys, scripted_model):
    video, out = tmp_path / "clip.mp4", tmp_path / "recs" / "clip.pcrec"
    small_video(video, frames=6)
    assert main(["record", str(video), "--out", str(out), "--no-window"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == (f"recorded 6 frames (person found in 67%) to {out}")
    (model,) = scripted_model
    assert model.closed
    recording = read_recording(out)
    header = recording.header
    assert (header.model, header.source, header.size_wh) == ("scripted model", str(video), (64, 48))
    assert (header.fps, header.frame_count, header.live) == (FPS, 6, False)
    assert not header.independent_frames
    for i, landmarks in enumerate(model.found):
        assert_same_landmarks(recording.landmarks(i), landmarks)


def test_record_a_folder_of_photos_as_stills(tmp_path, scripted_model):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        cv2.imwrite(str(photos / f"{i}.png"), np.zeros((40 + i, 50, 3), np.uint8))
    out = tmp_path / "photos.pcrec"
    code = main(["record", str(photos), "--out", str(out), "--no-window", "--image-fps", "2"])
    assert code == EXIT_OK
    recording = read_recording(out)
    assert recording.header.independent_frames and recording.header.fps == 2.0
    assert [recording.resolution_wh(i) for i in range(3)] == [(50, 40), (50, 41), (50, 42)]
    assert [recording.timestamp_ms(i) for i in range(3)] == [0.0, 500.0, 1000.0]


def test_record_from_a_camera_until_ctrl_c(tmp_path, monkeypatch, capsys, scripted_model):
    def interrupt(index):
        if index == 7:
            raise KeyboardInterrupt

    frames = [np.zeros((48, 64, 3), np.uint8)] * 20
    capture = FakeCapture(frames, fps=50, on_read=interrupt)
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: capture)
    out = tmp_path / "cam.pcrec"
    assert main(["record", "--camera", "1", "--out", str(out), "--no-window"]) == EXIT_INTERRUPTED
    captured = capsys.readouterr()
    recorded, dropped = recorded_and_dropped(captured.out, out)
    assert recorded + dropped == 7
    assert "every frame so far is in the recording" in captured.err
    assert capture.released
    recording = read_recording(out)
    assert (len(recording), recording.header.frame_count, recording.lost_frames) == (
        recorded,
        recorded,
        0,
    )
    assert recording.header.live and recording.header.source == "camera 1"


def recorded_and_dropped(out: str, path: Path) -> tuple[int, int]:
    """The frames `posecoach record` says it recorded, and the camera frames it dropped
    (a camera's stale frames are dropped when the model falls behind)."""
    found = re.search(
        rf"recorded (\d+) frames \(person found in \d+%(?:; (\d+) camera frames dropped "
        rf"while the model was busy)?\) to {re.escape(str(path))}",
        out,
    )
    assert found is not None, out
    return int(found[1]), int(found[2] or 0)


def test_record_from_a_camera_that_goes_away_keeps_its_frames(
    tmp_path, monkeypatch, capsys, scripted_model
):
    capture = FakeCapture([np.zeros((48, 64, 3), np.uint8)] * 9, fps=50)
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: capture)
    out = tmp_path / "cam.pcrec"
    assert main(["record", "--camera", "0", "--out", str(out), "--no-window"]) == EXIT_ERROR
    captured = capsys.readouterr()
    recorded, dropped = recorded_and_dropped(captured.out, out)
    assert recorded + dropped == 9
    assert "camera 0 stopped delivering frames" in captured.err
    assert len(read_recording(out)) == recorded


def test_replay_with_record_saves_the_landmark_stream(tmp_path, capsys, scripted_model):
    video, out = tmp_path / "clip.mp4", tmp_path / "clip.pcrec"
    small_video(video, frames=5)
    args = ["replay", str(video), "--pose", KNEEL, "--no-window", "--record", str(out)]
    code = main([*args, "--report", str(tmp_path / "r.json"), "--out", str(tmp_path / "v.mp4")])
    assert code == EXIT_OK
    assert f"recording: {out}" in capsys.readouterr().out
    (model,) = scripted_model
    recording = read_recording(out)
    assert len(recording) == 5 and recording.header.frame_count == 5
    for i, landmarks in enumerate(model.found):
        assert_same_landmarks(recording.landmarks(i), landmarks)


def test_record_errors_are_one_line(tmp_path, capsys, scripted_model):
    video = tmp_path / "clip.mp4"
    small_video(video)
    assert main(["record", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "a.pcrec")]) == 1
    assert "no such file or folder" in error_line(capsys)
    assert not (tmp_path / "a.pcrec").exists()
    assert main(["record", str(video), "--out", str(tmp_path / "a.mp4")]) == EXIT_ERROR
    assert "expecting a name ending in .pcrec" in error_line(capsys)
    assert main(["record", str(video), "--out", "/proc/posecoach/a.pcrec"]) == EXIT_ERROR
    assert "cannot write recording /proc/posecoach/a.pcrec" in error_line(capsys)
    (tmp_path / "folder.pcrec").mkdir()
    assert main(["record", str(video), "--out", str(tmp_path / "folder.pcrec")]) == EXIT_ERROR
    assert "it is a folder; give a file name" in error_line(capsys)
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    assert main(["record", str(broken), "--out", str(tmp_path / "b.pcrec")]) == EXIT_ERROR
    assert "cannot read video" in error_line(capsys)
    write_session(tmp_path / "s.pcrec", session(3))
    code = main(["record", str(tmp_path / "s.pcrec"), "--out", str(tmp_path / "c.pcrec")])
    assert code == EXIT_ERROR
    assert "is already a recording: coach it with 'posecoach replay" in error_line(capsys)
    assert not scripted_model or all(model.closed for model in scripted_model)


def test_record_needs_one_source(tmp_path, capsys):
    out = str(tmp_path / "a.pcrec")
    assert main(["record", "--out", out]) == EXIT_USAGE
    assert "one of the arguments SOURCE --camera is required" in capsys.readouterr().err
    assert main(["record", "clip.mp4", "--camera", "0", "--out", out]) == EXIT_USAGE
    assert "not allowed with argument" in capsys.readouterr().err


def test_record_preview_draws_the_skeleton_and_a_line_of_text():
    landmarks = half_kneeling()
    canvas = np.zeros((RESOLUTION[1], RESOLUTION[0], 3), np.uint8)
    shown = skeleton_preview(canvas, landmarks, "Recording: 3 frames")
    assert not np.any(canvas)  # the input is not drawn on
    knee = np.round(landmarks.xy_px[Landmark.LEFT_KNEE]).astype(int)
    bone = np.array(OverlayStyle().bone)
    patch = shown[knee[1] - 3 : knee[1] + 4, knee[0] - 3 : knee[0] + 4].astype(int)
    assert np.any(np.all(np.abs(patch - bone) <= 30, axis=-1))
    assert np.any(shown[:30] != 0)  # the text strip
    nobody = skeleton_preview(canvas, None, "Recording: 4 frames, nobody found")
    assert not np.any(nobody[100:])


@pytest.mark.display
def test_record_with_its_preview_window(tmp_path, scripted_model, virtual_display):
    video, out = tmp_path / "clip.mp4", tmp_path / "clip.pcrec"
    small_video(video, frames=4)
    assert main(["record", str(video), "--out", str(out)]) == EXIT_OK
    assert len(read_recording(out)) == 4


# -- through the real model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_recorded(tmp_path_factory):
    """The two-sided half-kneeling sample replayed through the model once, recording its
    landmark stream (--record): its report, every frame's assessment and the recording."""
    sample = bundled_samples()["half_kneeling_both_sides"]
    folder = tmp_path_factory.mktemp("recorded")
    recording = folder / "half_kneeling_both_sides.pcrec"
    seen: list[Assessment] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "assess", _spying(seen))
        outputs = ["--report", str(folder / "video.json"), "--out", str(folder / "video.mp4")]
        args = ["replay", str(sample.video), "--pose", sample.pose_id, "--no-window", *outputs]
        code = main([*args, "--record", str(recording)])
    assert code == EXIT_OK
    return sample, recording, json.loads((folder / "video.json").read_text()), seen


def _spying(seen: list[Assessment]):
    """pipeline.assess, keeping each assessment it yields in `seen`."""
    original = pipeline.assess

    def spy(source, estimator, coach, *args, **kwargs):
        for frame, assessment in original(source, estimator, coach, *args, **kwargs):
            seen.append(assessment)
            yield frame, assessment

    return spy


@pytest.mark.model
def test_replaying_the_recording_of_a_sample_gives_the_same_session(
    sample_recorded, tmp_path, monkeypatch, no_model
):
    sample, recording, from_video, video_frames = sample_recorded
    replayed: list[Assessment] = []
    monkeypatch.setattr(pipeline, "assess", _spying(replayed))
    report, video = tmp_path / "rec.json", tmp_path / "rec.mp4"
    args = ["replay", str(recording), "--pose", sample.pose_id, "--no-window"]
    code = main([*args, "--report", str(report), "--out", str(video)])
    assert code == EXIT_OK
    from_recording = json.loads(report.read_text())
    assert from_recording.pop("source") == str(recording)
    assert from_video.pop("source") == str(sample.video)
    assert from_recording.pop("timing").keys() == from_video.pop("timing").keys()
    assert from_recording == from_video  # totals, sides, rules, cues, events, model
    assert len(replayed) == len(video_frames) == read_truth(sample.truth)["frames"]
    assert [verdicts(a) for a in replayed] == [verdicts(a) for a in video_frames]
    assert from_video["hold_s"] > 10 and from_video["events"]
    assert count_frames(video) == len(replayed)


@pytest.mark.model
def test_eval_takes_a_recording_beside_its_truth(sample_recorded, tmp_path, no_model):
    sample, recording, _, _ = sample_recorded
    shutil.copy(recording, tmp_path / "clip.pcrec")
    shutil.copy(sample.truth, tmp_path / "clip.truth.json")
    (job,) = find_jobs(tmp_path)
    assert job.path == tmp_path / "clip.pcrec"
    row = run_job(job)
    truth = read_truth(sample.truth)
    assert row.skipped is None and row.note is None and row.frames == truth["frames"]
    for side, held in row.hold_s.items():
        assert abs(held["measured"] - held["expected"]) <= 1.0, side
    assert row.agreement is not None and row.agreement > 0.9
