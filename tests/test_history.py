"""The history: sessions' numbers saved over time, the per-stretch progress `posecoach
history` shows, and no session lost to a locked, damaged or newer database."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posecoach.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, main
from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.inputs import sources
from posecoach.model import opening as opening_module
from posecoach.reports.history import (
    SCHEMA_VERSION,
    History,
    HistoryError,
    SessionRecord,
    catalogue_measure,
    default_path,
    overview_lines,
    progress,
)
from posecoach.reports.report import SessionReport
from posecoach.reports.summary import GuidedSummary, StretchSummary

from builders import half_kneeling
from fakes import FakeCapture, ScriptedModel

KNEEL = "half_kneeling_hip_flexor"
FPS = 20.0
SHORT_WAIT_S = 0.2  # the busy timeout in tests: a locked database is given up on quickly


def hold_report(*args, **kwargs) -> StretchSummary:
    """`hold_report_json`, read as the history is given it."""
    return StretchSummary.from_dict(hold_report_json(*args, **kwargs))


def hold_report_json(
    left_s: float,
    right_s: float,
    left_range: float | None,
    right_range: float | None,
    pose: str = KNEEL,
    range_rule: str = "hip_forward",
    faults: tuple[str, ...] = (),
) -> dict:
    """A per-side hold's report, as `SessionReport.to_dict()` gives it (the fields the
    history reads), with these seconds held and ranges; `faults`: the side of each fault."""
    sides = {
        side: {
            "reps": 0,
            "hold_s": hold_s,
            "good_form_s": hold_s * 0.8,
            "best_rep": None,
            "range": range_,
            "rule_medians": {} if range_ is None else {range_rule: range_},
        }
        for side, hold_s, range_ in (("left", left_s, left_range), ("right", right_s, right_range))
    }
    return {
        "pose": pose,
        "pose_name": "Half-kneeling hip flexor",
        "mode": "hold",
        "per_side": True,
        "source": "camera 0",
        "duration_s": left_s + right_s + 20,
        "reps": 0,
        "hold_s": left_s + right_s,
        "good_form_s": (left_s + right_s) * 0.8,
        "range_rule": range_rule,
        "sides": sides,
        "side_difference": None,
        "faults": [
            {"rule": "torso_upright", "cue": "Chest up", "side": side, "start_s": 1, "end_s": 2}
            for side in faults
        ],
        "complete": True,
        "ended_by": "end of input",
    }


def bridge_report(reps: int, best_rep: float) -> dict:
    """A bridge (reps, not per side): no `sides`, so one "both" side from the totals."""
    return {
        "pose": "bridge",
        "pose_name": "Glute bridge",
        "mode": "reps",
        "per_side": False,
        "source": "camera 0",
        "duration_s": 40.0,
        "reps": reps,
        "hold_s": 0.0,
        "good_form_s": 12.0,
        "range_rule": "hips_high",
        "sides": {},
        "best_rep": best_rep,
        "faults": [],
        "complete": True,
        "ended_by": "end of input",
    }


def at(day: int) -> str:
    return f"2024-05-{day:02d}T18:30:00+02:00"


@pytest.fixture
def store(tmp_path: Path) -> History:
    return History(tmp_path / "h" / "history.sqlite3", busy_timeout_s=SHORT_WAIT_S)


def record_three_weeks(store: History) -> None:
    """Four kneeling sessions, a week apart, given out of order: the left side catching up
    (20 -> 35 s), the right steady at 30 s; the range growing on both sides, more on the
    left. And a guided session with the kneeling stretch skipped and a bridge."""
    numbers = {
        22: (35.0, 30.0, 178.0, 180.0),
        1: (20.0, 30.0, 170.0, 176.0),
        15: (30.0, 30.0, 176.0, 179.0),
        8: (25.0, 30.0, 173.0, 177.0),
    }
    for day, (left_s, right_s, left_range, right_range) in numbers.items():
        report = hold_report(left_s, right_s, left_range, right_range, faults=("left",))
        assert not store.record_report(report, "live", at(day)).pending
    guided = {
        "kind": "session",
        "routine": "cooldown",
        "routine_name": "Cool-down",
        "started_at": at(23),
        "source": "camera 0",
        "duration_s": 300.0,
        "complete": False,
        "ended_by": "stopped by the user",
        "stretches": [
            {"pose": KNEEL, "pose_name": "Half-kneeling hip flexor", "status": "skipped"},
            {
                "pose": "bridge",
                "pose_name": "Glute bridge",
                "status": "done",
                "report": bridge_report(8, 185.0),
            },
        ],
    }
    assert not store.record_session(GuidedSummary.from_dict(guided)).pending


# -- Where it lives ---------------------------------------------------------------------------


def test_the_database_lives_in_the_per_user_data_folder(tmp_path):
    assert default_path({"POSECOACH_HISTORY": "~/h.db"}) == Path("~/h.db").expanduser()
    data = tmp_path / "data"
    assert default_path({"XDG_DATA_HOME": str(data)}) == data / "posecoach" / "history.sqlite3"
    # The tests' own data folder (conftest), never the tester's.
    assert default_path() == data / "posecoach" / "history.sqlite3"
    assert History().pending_path == data / "posecoach" / "history.pending.jsonl"


# -- Progress over sessions -------------------------------------------------------------------


def test_sessions_give_each_side_its_series_asymmetry_and_trend(store):
    record_three_weeks(store)
    records, messages = store.load()
    assert messages == [] and len(records) == 5
    kneel, bridge = (
        {h.pose: h for h in progress(records, measure=catalogue_measure)}[p]
        for p in (KNEEL, "bridge")
    )
    # Oldest first, whatever order they were saved in; the skipped stretch is no session.
    assert [p.started_at.day for p in kneel.points] == [1, 8, 15, 22]
    assert [kneel.amount(p, "left") for p in kneel.points] == [20.0, 25.0, 30.0, 35.0]
    assert [kneel.amount(p, "right") for p in kneel.points] == [30.0] * 4
    assert [p.sides["left"].range for p in kneel.points] == [170.0, 173.0, 176.0, 178.0]
    assert [p.sides["left"].faults for p in kneel.points] == [1] * 4
    assert [p.sides["right"].faults for p in kneel.points] == [0] * 4
    assert kneel.good_form_s(kneel.points[0]) == pytest.approx(40.0)
    assert kneel.best_range("left") == 178.0 and kneel.best_range("right") == 180.0
    # Right minus left: the right side held 10 s longer (a third of its 30 s) at first, and
    # 5 s less at the end; the range gap closed from 6 to 2 deg.
    first, last = kneel.asymmetry(kneel.points[0]), kneel.asymmetry(kneel.points[-1])
    assert first is not None and last is not None
    assert first.amount == 10.0 and first.amount_pct == pytest.approx(100 / 3)
    assert first.range == 6.0 and first.range_pct == pytest.approx(6 / 176 * 100)
    assert last.amount == -5.0 and last.amount_pct == pytest.approx(-500 / 35)
    assert last.range == 2.0
    # Trend: the last two sessions against the first two (4 sessions), per side.
    trend = kneel.trend()
    assert trend is not None and trend.sessions == 2
    # Per session, the mean of the sides: 25, 27.5, 30, 32.5 s held; ranges 173, 175,
    # 177.5, 179 deg.
    assert trend.amount == pytest.approx((30 + 32.5) / 2 - (25 + 27.5) / 2)
    assert trend.range == pytest.approx((177.5 + 179) / 2 - (173 + 175) / 2)
    assert kneel.measure.unit == "deg" and kneel.measure.higher_is_further
    # The bridge: reps, done as one (no sides), in one session: no asymmetry, no trend.
    assert len(bridge.points) == 1 and list(bridge.points[0].sides) == ["both"]
    assert bridge.amount(bridge.points[0], "both") == 8.0
    assert bridge.points[0].sides["both"].range == 185.0  # a rep stretch: its best rep
    assert bridge.points[0].routine == "cooldown" and bridge.points[0].complete
    assert bridge.asymmetry(bridge.points[0]) is None and bridge.trend() is None


def test_a_falling_hold_and_a_range_that_goes_further_by_going_lower():
    """Knee to chest: a smaller angle is further, so a falling range is progress."""
    records = [
        SessionRecord.from_report(
            hold_report_json(
                40 - 5 * i,
                40 - 5 * i,
                70 - 4 * i,
                72 - 4 * i,
                pose="supine_knee_to_chest",
                range_rule="knee_to_chest",
            ),
            "live",
            at(1 + i),
        )
        for i in range(6)
    ]
    (knee,) = progress(records, measure=catalogue_measure)
    assert not knee.measure.higher_is_further  # knee_to_chest: at most 75 deg
    trend = knee.trend()
    assert trend is not None and trend.sessions == 3
    assert trend.amount == pytest.approx(-15.0) and trend.range == pytest.approx(-12.0)
    assert knee.best_range("left") == 50.0  # the lowest angle
    text = "\n".join(overview_lines([knee]))
    assert "hold per side -15.0 s, range -12.0 deg further" in text


def test_a_report_from_the_coach_keeps_its_numbers_per_side(store):
    """A SessionReport over built frames: 4 s kneeling on the right leg, then 3 s on the
    left with the back thigh further behind (a larger hip_forward angle); without the shortest
    stay, which a 3 s side does not outlast."""
    pose = dataclasses.replace(load_pose(KNEEL), stay_s=0.0)
    coach, report = Coach(pose), SessionReport(pose=pose, source="built", model="none")
    frames = [("RIGHT", 10.0)] * int(4 * FPS) + [("LEFT", 20.0)] * int(3 * FPS)
    for index, (back_leg, thigh_deg) in enumerate(frames):
        t = index * 1000 / FPS
        body = half_kneeling(back_leg=back_leg, back_thigh_deg=thigh_deg, timestamp_ms=t)
        report.add(coach.update(body, t, index))
    data = report.to_dict(fps=FPS)
    assert data["sides"]["left"]["hold_s"] > 0 and data["sides"]["right"]["hold_s"] > 0
    store.record_report(report.summary(fps=FPS), "replay", at(3))
    records, _ = store.load()
    (kneel,) = progress(records)
    (point,) = kneel.points
    assert point.kind == "replay"
    for side in ("left", "right"):
        assert point.sides[side].hold_s == data["sides"][side]["hold_s"]
        assert point.sides[side].good_form_s == data["sides"][side]["good_form_s"]
        assert point.sides[side].range == data["sides"][side]["range"]
        assert point.sides[side].rule_medians == data["sides"][side]["rule_medians"]
    asymmetry = kneel.asymmetry(point)
    assert asymmetry is not None
    assert asymmetry.amount == pytest.approx(
        data["sides"]["right"]["hold_s"] - data["sides"]["left"]["hold_s"]
    )
    assert asymmetry.range is not None and asymmetry.range < 0  # the left went further


def test_only_numbers_and_names_are_stored(store):
    record_three_weeks(store)
    with sqlite3.connect(store.path) as connection:
        columns = {
            (table, column[1], column[2])
            for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            for column in connection.execute(f"PRAGMA table_info({table})")
        }
        (version,) = connection.execute("PRAGMA user_version").fetchone()
    assert version == SCHEMA_VERSION
    assert {kind for _, _, kind in columns} <= {"INTEGER", "REAL", "TEXT"}
    assert {table for table, _, _ in columns} == {"sessions", "stretches", "sides"}


# -- The command ------------------------------------------------------------------------------


def test_history_command_shows_each_stretch_and_plots(store, tmp_path, capsys):
    record_three_weeks(store)
    plot = tmp_path / "plots" / "history.png"
    assert main(["history", "--db", str(store.path), "--plot", str(plot)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"History: 5 sessions in {store.path}\n")
    kneel = out.split("\n\n")[2]
    assert kneel.splitlines()[:5] == [
        "Half-kneeling hip flexor (half_kneeling_hip_flexor): 4 sessions, 2024-05-01 to 2024-05-22",
        "  held, last session:  left 35.0 s, right 30.0 s",
        "  range, best:         left 178.0 deg, right 180.0 deg (hip_forward)",
        "  right - left, last:  hold -5.0 s (-14%), range +2.0 deg (+1%)",
        "  trend:               hold per side +5.0 s, range +4.2 deg further (last 2 vs first 2 "
        "sessions)",
    ]
    assert "Glute bridge (bridge): 1 session" in out.split("\n\n")[1]
    assert f"plot: {plot}" in out
    with Image.open(plot) as image:
        image.verify()
        assert image.format == "PNG"
    with Image.open(plot) as image:
        assert image.size[0] == 1400 and image.size[1] > 400


def test_history_command_with_a_pose_gives_a_line_per_session(store, tmp_path, capsys):
    record_three_weeks(store)
    plot = tmp_path / "kneel.png"
    args = ["history", "--db", str(store.path), "--pose", KNEEL, "--plot", str(plot)]
    assert main(args) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Half-kneeling hip flexor (half_kneeling_hip_flexor): 4 sessions"
    headers = ["DATE", "KIND", "HOLD L", "HOLD R", "GOOD FORM", "RANGE L", "RANGE R"]
    assert re.split(r"\s{2,}", lines[1]) == [*headers, "R-L HOLD", "R-L RANGE"]
    rows = lines[2:6]
    assert [row.split()[2:4] for row in rows] == [["live", "20.0"]] + [
        ["live", f"{s}.0"] for s in (25, 30, 35)
    ]
    assert "+10.0 s (+33%)" in rows[0] and "+6.0 deg (+3%)" in rows[0]
    assert lines[-2].startswith("plot:") or lines[-1].startswith("plot:")
    assert plot.stat().st_size > 0


def test_history_command_on_an_empty_history_says_how_to_make_one(capsys, tmp_path):
    assert main(["history"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("No sessions in the history yet")
    assert "posecoach live --pose ID" in out
    assert not default_path().exists()  # looking does not create it


def test_history_command_for_a_stretch_never_done_names_those_done(store, capsys):
    record_three_weeks(store)
    assert main(["history", "--db", str(store.path), "--pose", "pigeon"]) == EXIT_OK
    assert capsys.readouterr().out == (
        f"No sessions of pigeon in the history yet (it has: bridge, {KNEEL}).\n"
    )


def test_history_plot_needs_a_png_name(store, capsys):
    record_three_weeks(store)
    assert main(["history", "--db", str(store.path), "--plot", "x.pdf"]) == EXIT_ERROR
    assert "expected a .png file name" in capsys.readouterr().err


# -- Nothing lost -----------------------------------------------------------------------------


def test_a_damaged_database_is_moved_aside_and_the_session_saved(store):
    store.path.parent.mkdir(parents=True)
    garbage = bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))
    store.path.write_bytes(garbage)
    saved = store.record_report(hold_report(20, 25, 170, 172), "live", at(1))
    assert not saved.pending
    (moved,) = store.path.parent.glob("history.sqlite3.corrupt-*")
    assert moved.read_bytes() == garbage  # the old file kept as it was
    (message,) = saved.messages
    assert message == (
        f"history database {store.path} was damaged (file is not a database): moved it to "
        f"{moved} and started a new one"
    )
    records, messages = store.load()
    assert messages == [] and [r.uid for r in records] == [saved.uid]


def test_a_database_damaged_inside_is_moved_aside_when_read(store):
    for day in range(1, 6):
        store.record_report(hold_report(20, 25, 170, 172), "live", at(day))
    data = bytearray(store.path.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page : 3 * page] = bytes(np.random.default_rng(1).integers(0, 256, 2 * page, np.uint8))
    store.path.write_bytes(bytes(data))
    records, messages = store.load()
    (moved,) = store.path.parent.glob("history.sqlite3.corrupt-*")
    assert records == [] and len(messages) == 1
    assert "was damaged (database disk image is malformed" in messages[0]
    assert str(moved) in messages[0] and "\n" not in messages[0]
    saved = store.record_report(hold_report(20, 25, 170, 172), "live", at(7))
    assert not saved.pending and saved.messages == ()
    assert [r.uid for r in store.load()[0]] == [saved.uid]


def test_a_locked_database_keeps_the_session_pending_then_adds_it_once(store, capsys, monkeypatch):
    # For the command.
    monkeypatch.setattr("posecoach.reports.history.store.BUSY_TIMEOUT_S", SHORT_WAIT_S)
    first = store.record_report(hold_report(20, 25, 170, 172), "live", at(1))
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another posecoach in the middle of a write
    try:
        kept = store.record_report(hold_report(22, 25, 171, 172), "live", at(2))
        assert kept.pending and kept.path == store.pending_path
        assert kept.messages == (
            f"history database {store.path} is busy (another posecoach running?): this "
            f"session was kept in {store.pending_path} and will be added next time",
        )
        assert len(store.pending_path.read_text().splitlines()) == 1
        with pytest.raises(HistoryError, match="is busy"):
            store.load()
        # The command says so in one line.
        assert main(["history", "--db", str(store.path)]) == EXIT_ERROR
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is busy" in err[-1]
    finally:
        other.execute("ROLLBACK")
        other.close()
    third = store.record_report(hold_report(24, 25, 172, 172), "live", at(3))
    assert not third.pending
    assert third.messages == (f"added 1 session(s) kept in {store.pending_path} to the history",)
    assert not store.pending_path.exists()
    records, messages = store.load()
    assert messages == []
    assert [r.uid for r in records] == [first.uid, kept.uid, third.uid]
    (kneel,) = progress(records)
    assert [kneel.amount(p, "left") for p in kneel.points] == [20.0, 22.0, 24.0]


def test_a_pending_session_imported_twice_is_stored_once(store):
    """A crash between the import's commit and the pending file's removal leaves the file:
    its sessions are not added again."""
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"")  # an empty file is an empty database
    kept_line = None
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        kept = store.record_report(hold_report(20, 25, 170, 172), "live", at(1))
        kept_line = store.pending_path.read_text()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert kept.pending
    store.record_report(hold_report(21, 25, 170, 172), "live", at(2))
    store.pending_path.write_text(kept_line)  # left behind, as after a crash
    store.record_report(hold_report(22, 25, 170, 172), "live", at(3))
    records, _ = store.load()
    assert [r.started_at.day for r in records] == [1, 2, 3]
    assert not store.pending_path.exists()


def test_a_pending_line_cut_off_by_a_crash_is_kept_apart(store):
    store.pending_path.parent.mkdir(parents=True)
    store.pending_path.write_text('{"pending_version": 1, "uid": "ab')  # no newline: cut off
    other_path = store.path
    saved = store.record_report(hold_report(20, 25, 170, 172), "live", at(1))
    assert not saved.pending and other_path.exists()
    assert any("could not be read" in m for m in saved.messages)
    assert store.unreadable_path.read_text() == '{"pending_version": 1, "uid": "ab\n'
    assert [r.uid for r in store.load()[0]] == [saved.uid]


def test_a_database_from_a_newer_posecoach_is_left_alone(store, capsys):
    store.record_report(hold_report(20, 25, 170, 172), "live", at(1))
    with sqlite3.connect(store.path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = store.path.read_bytes()
    saved = store.record_report(hold_report(22, 25, 171, 172), "live", at(2))
    assert saved.pending
    (message,) = saved.messages
    assert message == (
        f"history database {store.path} was written by a newer posecoach (schema version "
        f"{SCHEMA_VERSION + 1}; this one knows up to {SCHEMA_VERSION}): upgrade posecoach: "
        f"this session was kept in {store.pending_path} and will be added next time"
    )
    assert store.path.read_bytes() == before
    assert len(store.pending_path.read_text().splitlines()) == 1
    assert main(["history", "--db", str(store.path)]) == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("posecoach: error: history database") and "newer" in err[-1]
    assert len(store.pending_path.read_text().splitlines()) == 1  # still kept


def test_a_database_of_another_program_is_left_alone(store):
    store.path.parent.mkdir(parents=True)
    with sqlite3.connect(store.path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    saved = store.record_report(hold_report(20, 25, 170, 172), "live", at(1))
    assert saved.pending and "not a posecoach history" in saved.messages[0]


def test_a_malformed_session_is_refused_with_where_and_what():
    with pytest.raises(HistoryError, match=r"stretch 1 .*expected a number for hold_s"):
        SessionRecord.from_session(
            {
                "started_at": at(1),
                "stretches": [{"pose": KNEEL, "report": {"mode": "hold", "hold_s": "long"}}],
            }
        )
    with pytest.raises(HistoryError, match="expected started_at as an ISO 8601 time"):
        SessionRecord.from_session({"started_at": "yesterday", "stretches": []})


# -- posecoach live adds its session ----------------------------------------------------------


@pytest.fixture
def fake_camera(monkeypatch):
    """A camera serving plain frames until Ctrl-C at the 30th, and the scripted model in
    place of MediaPipe (a half-kneeling body, kneeling on the right, in every frame)."""

    def interrupt(index: int) -> None:
        if index == 30:
            raise KeyboardInterrupt

    frames = [np.full((360, 480, 3), 90, np.uint8)] * 40
    capture = FakeCapture(frames, fps=50, on_read=interrupt)
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: capture)

    def create_estimator(model_path=None, static_images=False, threads=None):
        return ScriptedModel()

    monkeypatch.setattr(opening_module, "create_estimator", create_estimator)


def live(tmp_path: Path, *options: str) -> dict:
    """`posecoach live` until the Ctrl-C: its report."""
    report = tmp_path / "live.json"
    args = ["live", "--pose", KNEEL, "--no-window", "--no-voice", "--report", str(report)]
    assert main([*args, "--out", str(tmp_path / "live.mp4"), *options]) == EXIT_INTERRUPTED
    return json.loads(report.read_text())


def test_live_adds_its_session_to_the_history(tmp_path, fake_camera):
    report = live(tmp_path)
    assert report["frames"] > 0
    records, _ = History().load()
    (record,) = records
    assert record.kind == "live" and record.source == report["source"]
    assert not record.complete and record.ended_by == "interrupted (Ctrl-C)"
    (stretch,) = record.stretches
    assert stretch.pose == KNEEL and stretch.status == "stopped"
    assert {side.side: side.hold_s for side in stretch.sides} == {
        side: numbers["hold_s"] for side, numbers in report["sides"].items()
    }


def test_live_without_history_adds_nothing(tmp_path, fake_camera):
    live(tmp_path, "--no-history")
    assert not default_path().exists()


def test_live_with_a_busy_history_keeps_report_and_session(
    tmp_path, fake_camera, capsys, monkeypatch
):
    path = tmp_path / "busy.sqlite3"
    History(path).record_report(hold_report(20, 25, 170, 172), "live", at(1))
    monkeypatch.setenv("POSECOACH_HISTORY", str(path))
    monkeypatch.setattr("posecoach.reports.history.store.BUSY_TIMEOUT_S", SHORT_WAIT_S)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        report = live(tmp_path)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert report["frames"] > 0  # the report is whole
    err = capsys.readouterr().err
    assert f"posecoach: history database {path} is busy" in err
    pending = path.with_name("busy.pending.jsonl")
    assert len(pending.read_text().splitlines()) == 1
    records, _ = History(path).load()
    assert len(records) == 2 and not pending.exists()
