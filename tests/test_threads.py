"""The threaded loop: a camera's newest frame, decoding ahead, --stride, timing, bounded
memory; with stand-in cameras and a stand-in model (no pose model here)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time

import cv2
import numpy as np
import pytest

from posecoach.cli.main import EXIT_NOBODY, EXIT_TERMINATED, main
from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.config.errors import CameraError, Terminated
from posecoach.inputs.sources import CameraSource, ImageFolderSource, VideoCamera
from posecoach.model.opening import open_source
from posecoach.reports.report import Reservoir
from posecoach.run.interrupts import StopRequest
from posecoach.run.pipeline import Outputs, Timing, run_session
from posecoach.run.stream import _Prefetch

from fakes import FakeCapture

FPS = 25.0


def write_video(path, frames: int, fps: float = FPS, size_wh=(64, 48)) -> None:
    """A clip whose frame i is filled with grey level 5 * i, modulo 256 (so any of its first 52
    frames can be told by its brightness)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size_wh)
    for i in range(frames):
        writer.write(np.full((size_wh[1], size_wh[0], 3), (5 * i) % 256, np.uint8))
    writer.release()


class SlowModel:
    """Stands in for the model: finds nobody, taking `seconds` per frame; keeps the indices
    of the frames it saw."""

    name = "slow stand-in"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.seen: list[int] = []

    def estimate(self, frame):
        time.sleep(self.seconds)
        self.seen.append(frame.index)
        return None

    def close(self) -> None:
        pass


def frames_of(count: int) -> list[np.ndarray]:
    return [np.full((24, 32, 3), i % 256, np.uint8) for i in range(count)]


def test_a_camera_gives_its_newest_frame_and_counts_the_stale_ones():
    capture = FakeCapture(frames_of(60), fps=200)
    source = CameraSource(capture=capture)
    taken = []
    with pytest.raises(CameraError, match="stopped delivering frames"):
        for frame in source:
            taken.append(frame.index)
            time.sleep(0.02)  # a model four times slower than the camera
    assert taken == sorted(set(taken))
    assert taken[-1] == 59  # the last frame is not lost when the camera stops
    assert len(taken) + source.dropped == 60
    assert source.dropped > 20
    source.close()
    assert capture.released


def test_a_video_standing_in_for_the_camera_is_served_in_real_time_then_ends(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, frames=10, fps=50.0)
    started = time.monotonic()
    source = CameraSource(capture=VideoCamera(path), name="stand-in")
    frames = list(source)
    elapsed = time.monotonic() - started
    indices = [f.index for f in frames]
    # A reader keeping up misses none (a very busy machine may skip one, as a camera would).
    assert indices == sorted(set(indices)) and indices[-1] == 9 and len(indices) >= 8
    assert elapsed >= 9 / 50  # frame 9 is not due before 0.18 s
    # Capture times follow the video's rate.
    gaps = np.diff([f.timestamp_ms for f in frames])
    assert np.median(gaps) == pytest.approx(20, abs=8)


def test_a_looped_video_camera_goes_on_past_its_end(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, frames=4, fps=200.0)
    camera = VideoCamera(path, loop=True)
    levels = [round(int(camera.read()[1][0, 0, 0]) / 5) for _ in range(12)]  # type: ignore[index]
    assert not camera.ended
    # Frames 0-3 over and over (a late read may skip some, as a camera's would).
    assert set(levels) <= {0, 1, 2, 3}
    assert any(later < earlier for earlier, later in itertools.pairwise(levels))


def test_a_video_camera_skips_the_frames_a_late_reader_missed(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, frames=20, fps=100.0)
    camera = VideoCamera(path)
    first = camera.read()[1]
    time.sleep(0.1)  # about 10 frames' time
    later = camera.read()[1]
    assert first is not None and later is not None
    skipped = (int(later[0, 0, 0]) - int(first[0, 0, 0])) / 5
    assert skipped >= 5


def test_prefetch_hands_over_every_item_then_the_error_that_ended_them():
    def items():
        yield from range(5)
        raise CameraError("gone")

    ahead = _Prefetch(items(), depth=2, name="test")
    got = []
    with pytest.raises(CameraError, match="gone"):
        for item in ahead:
            got.append(item)
    assert got == [0, 1, 2, 3, 4]
    ahead.close()


def test_closing_prefetch_early_stops_its_thread():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    ahead = _Prefetch(endless(), depth=3, name="test-endless")
    assert next(ahead) == 0
    ahead.close()
    count = len(produced)
    time.sleep(0.05)
    assert len(produced) == count  # nothing more is read once closed
    assert count <= 6  # never more than the depth ahead (plus the items in hand)
    assert not any(t.name == "test-endless" for t in threading.enumerate())


def test_stride_keeps_every_nth_frame_with_its_own_index_and_time(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, frames=10)
    with open_source(path) as source:
        frames = list(source.frames(3))
    assert [f.index for f in frames] == [0, 3, 6, 9]
    assert [f.timestamp_ms for f in frames] == [i * 1000 / FPS for i in (0, 3, 6, 9)]
    assert [round(int(f.image[0, 0, 0]) / 5) for f in frames] == [0, 3, 6, 9]

    folder = tmp_path / "stills"
    folder.mkdir()
    for i in range(5):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((8, 8, 3), 40 * i, np.uint8))
    assert [f.index for f in ImageFolderSource(folder).frames(2)] == [0, 2, 4]


def test_replay_with_stride_writes_fewer_frames_at_a_lower_rate(tmp_path, monkeypatch):
    from posecoach.model import opening as opening_module

    model = SlowModel(0.0)
    monkeypatch.setattr(opening_module, "create_estimator", lambda *a, **k: model)
    path = tmp_path / "clip.avi"
    write_video(path, frames=12)
    report, video = tmp_path / "r.json", tmp_path / "v.avi"
    argv = ["replay", str(path), "--pose", "bridge", "--no-window", "--stride", "4"]
    # The stand-in finds nobody: the run says so, and still writes everything.
    assert main([*argv, "--report", str(report), "--out", str(video)]) == EXIT_NOBODY
    data = json.loads(report.read_text())
    assert model.seen == [0, 4, 8]
    assert data["frames"] == 3 and data["stride"] == 4
    assert data["duration_s"] == pytest.approx(12 / FPS)  # the clip's length, not 3 frames'
    written = cv2.VideoCapture(str(video))
    assert written.get(cv2.CAP_PROP_FRAME_COUNT) == 3
    assert written.get(cv2.CAP_PROP_FPS) == pytest.approx(FPS / 4)


def test_a_slow_model_on_a_camera_always_works_on_a_fresh_frame(tmp_path):
    capture = FakeCapture(frames_of(90), fps=100)
    source = CameraSource(capture=capture)
    model = SlowModel(0.03)
    coach = Coach(load_pose("bridge"))
    outputs = Outputs(report_path=tmp_path / "r.json", video_path=tmp_path / "v.avi")
    with pytest.raises(CameraError):
        run_session(source, model, coach, outputs, model.name)
    data = json.loads((tmp_path / "r.json").read_text())
    timing = data["timing"]
    assert data["frames"] == len(model.seen)
    assert data["frames"] + timing["dropped_frames"] == 90
    assert timing["dropped_frames"] > 30  # a 33 fps model cannot keep up with 100 fps
    assert model.seen[-1] == 89  # the newest frame, when the camera stopped
    # Never more than two frames waiting between capture and the model (the newest, and one
    # in hand): the gap between frames the model saw stays small.
    assert max(np.diff(model.seen)) <= 12
    assert timing["latency_ms"]["frames"] == data["frames"]
    assert data["complete"] is False


def test_timing_reports_latency_percentiles_in_ms():
    timing = Timing(realtime=True)
    now_ms = time.monotonic() * 1000
    for latency in range(10, 110):
        timing.shown(now_ms - latency)
    summary = timing.summary()["latency_ms"]
    assert summary["frames"] == 100
    assert summary["median"] == pytest.approx(60, abs=2)
    assert summary["p95"] == pytest.approx(105, abs=2)
    assert summary["max"] >= 109
    assert Timing(realtime=False).summary().keys() == {"analysed_fps"}


def test_a_sample_keeps_every_value_then_a_bounded_representative_share():
    sample = Reservoir(size=101)
    for value in range(101):
        sample.add(float(value))
    assert sample.median() == 50.0  # exact while every value fits
    rng = np.random.default_rng(1)
    values = rng.normal(20.0, 5.0, size=20_000)
    big = Reservoir(size=500)
    for value in values:
        big.add(float(value))
    assert big.median() == pytest.approx(float(np.median(values)), abs=0.6)
    again = Reservoir(size=500)
    for value in values:
        again.add(float(value))
    assert again.median() == big.median()  # the same values give the same answer


class StuckCapture(FakeCapture):
    """A camera whose reads hang after its frames, as a wedged driver's can."""

    def __init__(self, frames) -> None:
        super().__init__(frames, paced=False)
        self.unstick = threading.Event()

    def read(self):
        if self.index >= len(self.frames):
            self.unstick.wait(timeout=5)
            return False, None
        return super().read()


def test_a_camera_that_hangs_ends_the_session_and_is_not_released_mid_read(monkeypatch):
    monkeypatch.setattr("posecoach.inputs.sources._Grabber.STALL_S", 0.3)
    capture = StuckCapture(frames_of(3))
    source = CameraSource(capture=capture, name="camera 4")
    with pytest.raises(CameraError, match="camera 4 gave no picture for 0 s"):
        for _ in source:
            pass
    monkeypatch.setattr("posecoach.inputs.sources._Grabber.stop", lambda self: False)
    source.close()
    assert not capture.released  # still stuck in a read: left open rather than crash
    capture.unstick.set()


def test_signals_during_the_loop_are_noted_and_raised_between_frames():
    stop = StopRequest()
    with stop.handling():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs: nothing is raised here
        assert isinstance(stop.pending, Terminated)
        with pytest.raises(Terminated):
            stop.check()
    assert signal.getsignal(signal.SIGTERM) is not stop._note


def test_sigterm_during_a_replay_stops_it_with_everything_saved(tmp_path, monkeypatch):
    """SIGTERM at many moments, from the threads' start to their end: each run stops with the
    report and video saved and matching, never hangs."""
    from posecoach.model import opening as opening_module

    monkeypatch.setattr(opening_module, "create_estimator", lambda *a, **k: SlowModel(0.002))
    path = tmp_path / "clip.avi"
    write_video(path, frames=60)
    previous = signal.signal(signal.SIGTERM, lambda *a: None)  # a stray one must not kill pytest
    try:
        codes = set()
        for delay in np.linspace(0.0, 0.25, 12):
            timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGTERM))
            report, video = tmp_path / "r.json", tmp_path / "v.avi"
            report.unlink(missing_ok=True)
            video.unlink(missing_ok=True)
            timer.start()
            argv = ["replay", str(path), "--pose", "bridge", "--no-window"]
            code = main([*argv, "--report", str(report), "--out", str(video)])
            timer.join()
            codes.add(code)
            if report.exists():
                data = json.loads(report.read_text())
                # (A SIGTERM after the last frame stops the command, not the session.)
                if code == EXIT_TERMINATED and not data["complete"]:
                    assert data["ended_by"] == "stopped by SIGTERM"
                written = cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT)
                assert (written if video.exists() else 0) == data["frames"]
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert EXIT_TERMINATED in codes
