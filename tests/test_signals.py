"""The per-frame signal table: built from the coach's assessments, written as CSV, drawn as a
plot, and written by `posecoach replay --signals/--plot`."""

import csv
import dataclasses
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posecoach.cli.main import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, main
from posecoach.coaching.coach import Coach, Status
from posecoach.coaching.posefile import load_pose
from posecoach.coaching.rules import When
from posecoach.config.errors import PosecoachError, SourceError
from posecoach.inputs.sources import FrameSource
from posecoach.model import opening
from posecoach.reports.signals import SignalTable, signal_columns

from builders import bridge, half_kneeling

FRAME_MS = 1000 / 30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def ramp(a, b, seconds):
    n = max(round(seconds * 30), 1)
    return [a + (b - a) * (i + 1) / n for i in range(n)]


def bridge_session():
    """Lying still for 1 s, two full bridges, nobody in view for half a second, one more."""
    rep = ramp(130, 178, 1.0) + [178] * 15 + ramp(178, 130, 1.0) + [130] * 15
    angles = [130] * 30 + rep * 2 + [None] * 15 + [130] * 30 + rep
    pose = load_pose("bridge")
    coach = Coach(pose)
    assessments = []
    for i, hip in enumerate(angles):
        t = 1000 + i * FRAME_MS  # timestamps need not start at 0
        landmarks = None if hip is None else bridge(hip_deg=hip, timestamp_ms=t, frame_index=i)
        assessments.append(coach.update(landmarks, t, i))
    return pose, assessments


def kneeling_session(pose=None):
    """A right-side half-kneeling hold: 1 s upright, 1 s leaning 30 deg, 1 s nobody in view,
    1 s upright again."""
    pose = pose or load_pose("half_kneeling_hip_flexor")
    coach = Coach(pose)
    plan = [0.0] * 30 + [30.0] * 30 + [None] * 30 + [0.0] * 30
    assessments = []
    for i, lean in enumerate(plan):
        t = i * FRAME_MS
        landmarks = (
            None
            if lean is None
            else half_kneeling(torso_lean_deg=lean, timestamp_ms=t, frame_index=i)
        )
        assessments.append(coach.update(landmarks, t, i))
    return pose, assessments


@pytest.fixture(scope="module")
def bridged():
    pose, assessments = bridge_session()
    return pose, assessments, SignalTable.from_assessments(pose, assessments, "bridge test")


def result(assessment, rule_id):
    return next(r for r in assessment.results if r.rule.id == rule_id)


def read_csv(path):
    with Path(path).open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    return rows[0], rows[1:]


def band_seconds(ax):
    """Seconds covered by each labelled span collection of a panel (verdict bands, shading)."""
    seconds = {}
    for collection in ax.collections:
        width = sum(path.get_extents().width for path in collection.get_paths())
        label = collection.get_label()
        seconds[label] = seconds.get(label, 0.0) + width
    return seconds


def test_table_holds_every_frame_value_and_verdict(bridged):
    pose, assessments, table = bridged
    assert len(table) == len(assessments)
    stamps = np.array([a.timestamp_ms for a in assessments])
    np.testing.assert_allclose(table.times_s, (stamps - stamps[0]) / 1000)
    np.testing.assert_array_equal(table.frame_index, [a.frame_index for a in assessments])
    np.testing.assert_array_equal(
        table.in_position, [a.status is Status.IN_POSITION for a in assessments]
    )
    assert table.statuses == [a.status for a in assessments]
    assert table.phases == [a.phase for a in assessments]
    assert table.rule_ids == tuple(rule.id for rule in pose.rules)
    values, passes = table.values, table.passes
    for i, assessment in enumerate(assessments):
        judged = {r.rule.id: r for r in assessment.results}
        for rule in pose.rules:
            found = judged.get(rule.id)
            if found is None or found.value is None:
                assert math.isnan(values[rule.id][i])
            else:
                assert values[rule.id][i] == found.value
            if found is None or found.passed is None:
                assert math.isnan(passes[rule.id][i])
            else:
                assert passes[rule.id][i] == float(found.passed)
    nobody = [i for i, a in enumerate(assessments) if a.status is Status.NO_PERSON]
    assert len(nobody) == 15
    assert all(np.isnan(values["lying"][nobody]))


def test_thresholds_and_counter_come_from_the_pose(bridged):
    _, _, table = bridged
    lying = table.thresholds["lying"]
    assert (lying.unit, lying.min_value, lying.max_value, lying.gate) == ("deg", 45, None, True)
    knees_bent = table.thresholds["knees_bent"]
    assert (knees_bent.min_value, knees_bent.max_value, knees_bent.when) == (60, 100, When.TOP)
    assert knees_bent.text() == "from 60 to 100 deg"
    assert table.counter is not None
    assert (table.counter.signal, table.counter.start, table.counter.peak) == (
        "hips_high",
        150,
        165,
    )


def test_rep_signal_is_what_the_counter_read():
    """The counter's signal rule is judged at the top of each rep, so its column holds the
    rep's judged top; the rep signal is the frame's own value, as the coach measured it."""
    pose = load_pose("bridge")
    coach = Coach(pose)
    signal_index = [rule.id for rule in pose.rules].index("hips_high")
    measured_values, assessments = [], []
    rep = ramp(130, 178, 1.0) + [178] * 15 + ramp(178, 130, 1.0)
    for i, hip in enumerate([130] * 30 + rep + [130] * 20):
        t = i * FRAME_MS
        measured = coach.measure(bridge(hip_deg=hip, timestamp_ms=t, frame_index=i), t, i)
        assessments.append(coach.judge(measured))
        measured_values.append(pose.rules[signal_index].choose(measured.values[signal_index]))
    table = SignalTable.from_assessments(pose, assessments)
    rep_signal = table.rep_signal
    assert rep_signal is not None
    for i, assessment in enumerate(assessments):
        if assessment.status is Status.IN_POSITION:
            assert rep_signal[i] == pytest.approx(measured_values[i], abs=1e-9)
        else:
            assert math.isnan(rep_signal[i])
    assert assessments[-1].reps == 1
    # After the rep, the column holds its judged top while the signal is back at rest.
    assert table.values["hips_high"][-1] == pytest.approx(178, abs=1.5)
    assert rep_signal[-1] == pytest.approx(130, abs=1.5)


def test_a_hold_has_no_rep_signal_and_a_working_side():
    pose, assessments = kneeling_session()
    table = SignalTable.from_assessments(pose, assessments)
    assert table.rep_signal is None
    assert table.counter is None
    assert "rep_signal" not in table.columns
    assert {side.value for side in table.sides if side is not None} == {"right"}


def test_csv_has_the_documented_columns_and_the_assessments_values(tmp_path, bridged):
    pose, assessments, table = bridged
    path = table.write_csv(tmp_path / "out" / "bridge.csv")
    header, rows = read_csv(path)
    rule_columns = [c for rule in pose.rules for c in (rule.id, f"{rule.id}_pass")]
    assert header == [
        "frame",
        "t_s",
        "status",
        "side",
        "phase",
        "in_position",
        "rep_signal",
        *rule_columns,
    ]
    assert len(rows) == len(assessments)
    first_ms = assessments[0].timestamp_ms
    for row, assessment in zip(rows, assessments, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert int(cells["frame"]) == assessment.frame_index
        t_s = (assessment.timestamp_ms - first_ms) / 1000
        assert float(cells["t_s"]) == pytest.approx(t_s, abs=1e-4)  # 4 decimals
        assert cells["status"] == assessment.status.value
        assert cells["side"] == ""  # the bridge is not done per side
        assert cells["phase"] == (assessment.phase.value if assessment.phase else "")
        assert cells["in_position"] == ("1" if assessment.status is Status.IN_POSITION else "0")
        judged = {r.rule.id: r for r in assessment.results}
        for rule in pose.rules:
            found = judged.get(rule.id)
            if found is None or found.value is None:
                assert cells[rule.id] == ""
            else:
                assert float(cells[rule.id]) == pytest.approx(found.value, abs=1e-4)
            expected = "" if found is None or found.passed is None else str(int(found.passed))
            assert cells[f"{rule.id}_pass"] == expected
    passes = [row[header.index("hips_high_pass")] for row in rows]
    assert set(passes) == {"", "1"}  # not judged before the first rep, then passing
    assert not list(tmp_path.joinpath("out").glob(".*.tmp"))  # no temporary file left


def test_csv_of_a_hold_gives_the_side_and_the_failing_lean(tmp_path):
    pose, assessments = kneeling_session()
    path = SignalTable.from_assessments(pose, assessments).write_csv(tmp_path / "hold.csv")
    header, rows = read_csv(path)
    assert "rep_signal" not in header
    column = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert set(column["side"]) == {"right"}  # with nobody in view, the last side seen
    assert set(column["phase"]) == {""}
    leaning = column["torso_upright_pass"][45:60]
    assert set(leaning) == {"0"}
    assert all(float(v) > 25 for v in column["torso_upright"][45:60])
    assert set(column["torso_upright"][60:90]) == {""}  # nobody in view


def test_a_rule_id_that_clashes_with_a_column_is_refused():
    pose = load_pose("bridge")
    clashing = dataclasses.replace(pose.rules[1], id="status")
    pose = dataclasses.replace(pose, rules=(pose.rules[0], clashing, *pose.rules[2:]))
    with pytest.raises(PosecoachError, match="status"):
        signal_columns(pose)
    with pytest.raises(PosecoachError, match="rename the rule"):
        SignalTable(pose)


def test_plot_has_one_panel_per_rule_gates_first(tmp_path, bridged):
    pose, _, table = bridged
    path = tmp_path / "bridge.png"
    figure = table.plot(path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (1400, round((1.1 + 1.6 * len(pose.rules)) * 100))
    axes = figure.axes
    assert len(axes) == len(pose.rules) == 6
    titles = [ax.get_title(loc="left") for ax in axes]
    assert titles[0].startswith("GATE  lying") and titles[1].startswith("GATE  knees_up")
    assert titles[2].startswith("GATE  foot_planted")
    assert [t.split(":")[0].split()[-1] for t in titles[3:]] == [
        "knees_bent",
        "hips_high",
        "no_arch",
    ]
    assert "bridge test" in figure.get_suptitle() and "Glute bridge" in figure.get_suptitle()
    assert axes[-1].get_xlabel() == "time (s)"
    # The signal's panel: its threshold and the counter's start and peak as lines.
    hips_high = next(ax for ax in axes if "hips_high" in ax.get_title(loc="left"))
    levels = {line.get_ydata()[0] for line in hips_high.get_lines() if len(line.get_ydata()) == 2}
    assert levels == {170, 150, 165}
    # Nobody in view for half a second (else in position): shaded in every panel, and grey
    # in the gates' verdict bands.
    for ax in axes:
        assert band_seconds(ax)["not in position"] == pytest.approx(0.5, abs=0.05)
    assert band_seconds(axes[0])["not judged"] == pytest.approx(0.5, abs=0.05)
    assert band_seconds(axes[0])["passes"] == pytest.approx(table.times_s[-1] - 0.5, abs=0.1)


def test_plot_bands_show_each_verdict_for_as_long_as_it_lasted(tmp_path):
    pose, assessments = kneeling_session()
    figure = SignalTable.from_assessments(pose, assessments).plot(tmp_path / "hold.png")
    panel = next(ax for ax in figure.axes if ax.get_title(loc="left").startswith("torso_upright"))
    seconds = band_seconds(panel)
    # 1 s upright, 1 s leaning (the smoothed torso takes a few frames to get there), 1 s
    # nobody, 1 s upright.
    assert seconds["passes"] == pytest.approx(2.0, abs=0.25)
    assert seconds["fails"] == pytest.approx(1.0, abs=0.25)
    assert seconds["not judged"] == pytest.approx(1.0, abs=0.1)
    assert seconds["not in position"] == pytest.approx(1.0, abs=0.1)


def test_a_30_minute_session_is_drawn_at_about_one_bin_per_pixel(tmp_path):
    pose, assessments = kneeling_session()
    frames = 30 * 60 * 30
    table = SignalTable(pose, "long session")
    for i, assessment in zip(range(frames), itertools.cycle(assessments), strict=False):
        t = i * FRAME_MS
        table.add(dataclasses.replace(assessment, timestamp_ms=t, frame_index=i))
    assert len(table) == frames
    figure = table.plot(tmp_path / "long.png", width_px=1400)
    values = table.values
    for ax, rule_id in zip(
        figure.axes,
        [r.id for r in pose.rules if r.gate] + [r.id for r in pose.rules if not r.gate],
        strict=True,
    ):
        for line in ax.get_lines():
            assert len(line.get_xdata()) <= 2 * 1400
        for collection in ax.collections:
            assert len(collection.get_paths()) <= 1400
        drawn = np.concatenate([np.asarray(line.get_ydata(), float) for line in ax.get_lines()])
        if np.isfinite(values[rule_id]).any():
            # The bins keep each one's lowest and highest value: no peak is lost.
            assert np.nanmax(drawn) >= np.nanmax(values[rule_id]) - 1e-9
            assert np.nanmin(drawn) <= np.nanmin(values[rule_id]) + 1e-9
    assert figure.axes[-1].get_xlim()[1] == pytest.approx(frames / 30, abs=0.1)


def test_ten_rules_get_ten_panels_of_readable_height(tmp_path):
    pose = load_pose("half_kneeling_hip_flexor")
    extra = tuple(dataclasses.replace(pose.rules[-1], id=f"copy_{i}") for i in range(10))
    pose = dataclasses.replace(pose, rules=(*pose.rules, *extra)[:10])
    pose, assessments = kneeling_session(pose)
    figure = SignalTable.from_assessments(pose, assessments).plot(tmp_path / "ten.png")
    assert len(figure.axes) == 10
    for ax in figure.axes:
        assert ax.get_window_extent().height >= 100  # pixels


def test_an_empty_table_writes_a_header_and_an_empty_plot(tmp_path):
    table = SignalTable(load_pose("bridge"), "nothing")
    header, rows = read_csv(table.write_csv(tmp_path / "empty.csv"))
    assert header[:6] == ["frame", "t_s", "status", "side", "phase", "in_position"]
    assert rows == []
    figure = table.plot(tmp_path / "empty.png")
    assert len(figure.axes) == 6
    assert (tmp_path / "empty.png").read_bytes()[:8] == PNG_MAGIC


def test_write_names_each_file_it_could_not_write(tmp_path, bridged):
    _, _, table = bridged
    with pytest.raises(PosecoachError) as error:
        table.write(tmp_path / "ok.csv", "/proc/posecoach_test.png")
    assert str(error.value).startswith("cannot write plot /proc/posecoach_test.png")
    assert len(read_csv(tmp_path / "ok.csv")[1]) == len(table)


# The command line, on a short generated clip through the real model.


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    clip = tmp_path_factory.mktemp("clip") / "kneeling.mp4"
    code = main(
        [
            "synth",
            "--pose",
            "half_kneeling_hip_flexor",
            "--side",
            "right",
            "--hold",
            "2",
            "--size",
            "160x120",
            "--fps",
            "10",
            "--out",
            str(clip),
        ]
    )
    assert code == EXIT_OK
    return clip


def replay(clip, folder, *extra):
    return main(
        [
            "replay",
            str(clip),
            "--pose",
            "half_kneeling_hip_flexor",
            "--no-window",
            "--report",
            str(folder / "report.json"),
            "--out",
            str(folder / "annotated.mp4"),
            *extra,
        ]
    )


@pytest.mark.model
@pytest.mark.synth
def test_replay_writes_the_signals_and_the_plot(tmp_path, short_clip, capsys):
    signals, plot = tmp_path / "out" / "signals.csv", tmp_path / "plots" / "signals.png"
    assert replay(short_clip, tmp_path, "--signals", str(signals), "--plot", str(plot)) == EXIT_OK
    out = capsys.readouterr().out
    assert f"signals: {signals}" in out and f"plot:   {plot}" in out
    header, rows = read_csv(signals)
    pose = load_pose("half_kneeling_hip_flexor")
    assert header[6:] == [c for rule in pose.rules for c in (rule.id, f"{rule.id}_pass")]
    data = json.loads((tmp_path / "report.json").read_text())
    assert len(rows) == data["frames"] == 91
    in_position = [row[5] == "1" for row in rows]
    assert sum(in_position) / len(rows) == pytest.approx(data["in_position_fraction"], abs=1e-3)
    assert sum(in_position) >= 20  # the hold was seen
    with Image.open(plot) as image:
        assert image.size == (1400, round((1.1 + 1.6 * len(pose.rules)) * 100))


class StopsAfter(FrameSource):
    """A source that gives its first `count` frames and then raises `error`."""

    def __init__(self, inner, count, error):
        self.inner, self.count, self.error = inner, count, error
        self.name, self.fps = inner.name, inner.fps
        self.independent_frames = inner.independent_frames

    def __iter__(self):
        yield from itertools.islice(self.inner, self.count)
        raise self.error

    def close(self):
        self.inner.close()


@pytest.mark.model
@pytest.mark.synth
@pytest.mark.parametrize(
    ("error", "code"),
    [(KeyboardInterrupt(), EXIT_INTERRUPTED), (SourceError("the video broke off"), EXIT_ERROR)],
)
def test_a_session_that_ends_early_writes_the_frames_so_far(
    tmp_path, short_clip, monkeypatch, error, code
):
    real = opening.open_source
    monkeypatch.setattr(
        opening, "open_source", lambda path, **kw: StopsAfter(real(path, **kw), 7, error)
    )
    signals, plot = tmp_path / "s.csv", tmp_path / "p.png"
    assert replay(short_clip, tmp_path, "--signals", str(signals), "--plot", str(plot)) == code
    _, rows = read_csv(signals)
    assert [row[0] for row in rows] == [str(i) for i in range(7)]
    assert plot.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    ("flag", "name", "message"),
    [
        (
            "--signals",
            "signals.txt",
            "cannot write signals {}: expected a .csv file name, got .txt",
        ),
        ("--plot", "plot.csv", "cannot write plot {}: expected a .png file name, got .csv"),
        ("--plot", "plot", "cannot write plot {}: expected a .png file name, got no suffix"),
        ("--plot", "a_file/plot.png", "cannot write plot {}: cannot create its folder"),
        ("--signals", "folder.csv", "cannot write signals {}: it is a folder; give a file name"),
    ],
)
def test_bad_output_paths_are_refused_before_the_run(tmp_path, capsys, flag, name, message):
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "folder.csv").mkdir()
    path = tmp_path / name
    code = replay(tmp_path / "not_read.mp4", tmp_path, flag, str(path))
    assert code == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("posecoach: error: " + message.format(path))
    assert not (tmp_path / "report.json").exists()  # refused before anything ran
