"""Thresholds in layers: the pose files, then an overrides file, then --set."""

import json
import math
import re
from pathlib import Path

import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_OK, main
from posecoach.coaching.coach import Coach, Status
from posecoach.coaching.overrides import (
    Overrides,
    parse_set,
    read_overrides_file,
    save_overrides,
    user_overrides_file,
    user_overrides_path,
)
from posecoach.coaching.posefile import PoseSpec, builtin_pose_dir, load_pose
from posecoach.config.errors import OverridesError
from posecoach.config.samples import bundled_samples
from posecoach.evaluation import evaluate
from posecoach.reports.report import SessionReport

from builders import bridge, half_kneeling

KNEELING = "half_kneeling_hip_flexor"
KNEELING_FILE = builtin_pose_dir() / f"{KNEELING}.toml"
FRAME_MS = 1000 / 30


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def layered(pose_id: str, file: Path | None = None, sets: tuple[str, ...] = ()) -> PoseSpec:
    """The stretch as a run with this overrides file and these --set arguments sees it."""
    return Overrides.load(file, sets).apply(load_pose(pose_id))


def error_of(pose_id: str, file: Path | None = None, sets: tuple[str, ...] = ()) -> str:
    with pytest.raises(OverridesError) as raised:
        layered(pose_id, file, sets)
    return str(raised.value)


# --- Reading and checking ------------------------------------------------------------------


def test_a_set_argument_names_stretch_rule_key_and_value():
    entry = parse_set("half_kneeling_hip_flexor.front_knee_90.min_deg=75")
    assert (entry.pose_id, entry.owner, entry.key, entry.value) == (
        KNEELING,
        "front_knee_90",
        "min_deg",
        75.0,
    )
    assert entry.name == "front_knee_90.min_deg"
    assert entry.origin == "--set half_kneeling_hip_flexor.front_knee_90.min_deg=75"


@pytest.mark.parametrize("text", ["bridge.peak=170", "bridge.counter.peak", "=3", "bridge..=1"])
def test_a_malformed_set_argument_says_the_form_expected(text):
    with pytest.raises(OverridesError) as raised:
        parse_set(text)
    assert str(raised.value) == (
        f"--set {text}: expected POSE.RULE.KEY=VALUE "
        "(e.g. half_kneeling_hip_flexor.front_knee_90.min_deg=75)"
    )


def test_a_set_value_that_is_not_a_number():
    with pytest.raises(OverridesError) as raised:
        parse_set("bridge.counter.peak=high")
    assert str(raised.value) == "--set bridge.counter.peak=high: VALUE must be a number, got 'high'"


KNEELING_RULES = (
    "kneeling_up, back_knee_down, front_knee_bent, knee_behind_toes, torso_upright, "
    "hip_forward, front_knee_90, no_bounce"
)


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        (
            "front_knee_90.min_torso=0.1",
            "rule front_knee_90 (angle) has no 'min_torso': expecting one of min_deg, max_deg",
        ),
        (
            "no_bounce.priority=3",
            "rule no_bounce (bounce) has no 'priority': expecting one of min_count, max_count, "
            "window_s, amplitude",
        ),
        (
            "front_knee_9.min_deg=75",
            f"{KNEELING} has no rule 'front_knee_9': expecting target or one of its rules: "
            f"{KNEELING_RULES}",
        ),
        ("counter.peak=170", f"{KNEELING} is a hold: it has no rep counter"),
        ("target.reps=10", f"{KNEELING} is a hold: its target is hold_s, not 'reps'"),
        ("front_knee_90.max_deg=400", "expected 0 to 360 deg, got 400"),
        ("no_bounce.window_s=0.1", "expected 0.2 to 30 s, got 0.1"),
        ("target.hold_s=0", "expected 1 to 3600 s, got 0"),
        ("front_knee_90.max_deg=nan", "expected a finite number, got nan"),
    ],
)
def test_each_bad_value_is_refused_with_where_it_came_from_and_what_is_allowed(setting, problem):
    argument = f"{KNEELING}.{setting}"
    assert error_of(KNEELING, sets=(argument,)) == f"--set {argument}: {problem}"


def test_the_counter_keys_of_a_reps_stretch():
    argument = "bridge.counter.top=170"
    message = error_of("bridge", sets=(argument,))
    assert message == (
        f"--set {argument}: the counter has no 'top': expecting one of start, peak, min_range"
    )


def test_a_minimum_above_the_maximum_after_layering_names_both_origins(tmp_path):
    file = write(tmp_path / "o.toml", f"[{KNEELING}.front_knee_90]\nmin_deg = 95\n")
    argument = f"{KNEELING}.front_knee_90.max_deg=90"
    assert error_of(KNEELING, file, (argument,)) == (
        f"{KNEELING}: front_knee_90.min_deg = 95 (from overrides file {file}: "
        f"[{KNEELING}.front_knee_90] min_deg) is above front_knee_90.max_deg = 90 "
        f"(from --set {argument})"
    )
    argument = f"{KNEELING}.front_knee_90.min_deg=120"
    assert error_of(KNEELING, sets=(argument,)) == (
        f"{KNEELING}: front_knee_90.min_deg = 120 (from --set {argument}) is above "
        f"front_knee_90.max_deg = 100 (from the pose file {KNEELING_FILE})"
    )


def test_a_counter_whose_start_and_peak_meet():
    argument = "bridge.counter.peak=150"
    assert error_of("bridge", sets=(argument,)) == (
        f"bridge: counter.start = 150 (from the pose file {builtin_pose_dir() / 'bridge.toml'}) "
        f"equals counter.peak = 150 (from --set {argument}): a rep goes from start to a "
        "different peak"
    )


def test_a_file_value_is_named_by_file_table_and_key_and_every_problem_is_listed(tmp_path):
    file = write(
        tmp_path / "o.toml",
        f"[{KNEELING}.front_knee_90]\nmax_deg = 400\n\n[{KNEELING}.torso_upright]\nmin_torso = 1\n",
    )
    assert error_of(KNEELING, file) == (
        f"overrides file {file}: [{KNEELING}.front_knee_90] max_deg: expected 0 to 360 deg, "
        f"got 400; overrides file {file}: [{KNEELING}.torso_upright] min_torso: rule "
        "torso_upright (inclination) has no 'min_torso': expecting one of min_deg, max_deg"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            f"{KNEELING} = 3\n",
            f"{KNEELING}: expected tables [{KNEELING}.RULE_ID] of values, got 3",
        ),
        (
            "[bridge]\ncounter = 5\n",
            "bridge.counter: expected a table [bridge.counter] of KEY = number, got 5",
        ),
        (
            '[bridge.counter]\npeak = "high"\n',
            "[bridge.counter] peak: expected a number, got 'high'",
        ),
        ("[bridge.counter]\npeak = true\n", "[bridge.counter] peak: expected a number, got True"),
    ],
)
def test_a_file_not_laid_out_as_tables_of_numbers(tmp_path, text, problem):
    file = write(tmp_path / "o.toml", text)
    with pytest.raises(OverridesError) as raised:
        read_overrides_file(file)
    assert str(raised.value) == f"overrides file {file}: {problem}"


def test_a_missing_or_malformed_file(tmp_path):
    missing = tmp_path / "absent.toml"
    with pytest.raises(OverridesError) as raised:
        Overrides.load(missing)
    assert str(raised.value) == f"overrides file {missing}: no such file"
    broken = write(tmp_path / "broken.toml", "[bridge.counter\npeak = 1\n")
    with pytest.raises(OverridesError) as raised:
        Overrides.load(broken)
    assert str(raised.value).startswith(f"overrides file {broken}: not valid TOML: ")
    assert "\n" not in str(raised.value)


def test_values_for_other_stretches_are_checked_only_when_those_are_used(tmp_path):
    file = write(
        tmp_path / "o.toml",
        f"[{KNEELING}.front_knee_90]\nmin_deg = 75\n\n[bridge.counter]\npeak = 999\n",
    )
    assert layered(KNEELING, file).rule("front_knee_90").min_value == 75
    assert "[bridge.counter] peak: expected -360 to 360" in error_of("bridge", file)


def test_stretches_no_pose_folder_has_are_warned_of_and_a_set_for_another_stretch_is_refused(
    tmp_path,
):
    file = write(tmp_path / "o.toml", "[my_pigeon.hips_low]\nmax_deg = 20\n")
    overrides = Overrides.load(file, ["bridge.counter.peak=170"])
    assert overrides.unknown_poses({KNEELING, "bridge"}) == [
        f"overrides file {file}: no stretch 'my_pigeon' in the pose folders read: "
        "its values are not used"
    ]
    with pytest.raises(OverridesError) as raised:
        overrides.check_set_poses({KNEELING})
    assert str(raised.value) == (
        "--set bridge.counter.peak=170: 'bridge' is not a stretch this run uses "
        f"({KNEELING}): expecting {KNEELING}.RULE.KEY=VALUE"
    )


# --- Layering and where each value came from ------------------------------------------------


def test_set_goes_above_the_file_and_each_value_knows_where_it_came_from(tmp_path):
    file = write(
        tmp_path / "o.toml",
        f"[{KNEELING}.front_knee_90]\nmin_deg = 75\nmax_deg = 95\n\n"
        f"[{KNEELING}.target]\nhold_s = 45\n\n[{KNEELING}.no_bounce]\namplitude = 0.05\n",
    )
    spec = layered(
        KNEELING,
        file,
        (f"{KNEELING}.front_knee_90.max_deg=105", f"{KNEELING}.no_bounce.window_s=4"),
    )
    knee = spec.rule("front_knee_90")
    assert (knee.min_value, knee.max_value) == (75, 105)
    assert spec.target == 45
    assert spec.rule("no_bounce").params["amplitude"] == 0.05
    assert spec.rule("no_bounce").params["window_s"] == 4
    assert spec.origin("front_knee_90.min_deg") == str(file)
    assert spec.origin("front_knee_90.max_deg") == "--set"
    assert spec.origin("target.hold_s") == str(file)
    assert spec.origin("torso_upright.max_deg") == str(KNEELING_FILE)
    maximum = spec.overridden("front_knee_90.max_deg")
    assert maximum is not None and maximum.pose_file_value == 100
    assert maximum.where == f"{KNEELING}.front_knee_90.max_deg=105"
    assert spec.overridden("front_knee_90.min_deg").where == f"[{KNEELING}.front_knee_90] min_deg"
    assert spec.overridden("torso_upright.max_deg") is None
    # Nothing else changed.
    untouched = load_pose(KNEELING)
    assert [r for r in spec.rules if r.id not in ("front_knee_90", "no_bounce")] == [
        r for r in untouched.rules if r.id not in ("front_knee_90", "no_bounce")
    ]


def test_a_later_set_wins_and_a_threshold_the_pose_file_leaves_open_can_be_set():
    spec = layered(
        "bridge",
        sets=("bridge.hips_high.max_deg=190", "bridge.counter.peak=170", "bridge.counter.peak=168"),
    )
    assert spec.counter.peak == 168
    assert spec.rule("hips_high").max_value == 190
    assert spec.overridden("hips_high.max_deg").pose_file_value is None
    assert [entry.name for entry in spec.overrides] == ["hips_high.max_deg", "counter.peak"]


def test_the_session_report_records_the_values_in_effect():
    spec = layered("bridge", sets=("bridge.counter.peak=170",))
    report = SessionReport(pose=spec, source="clip.mp4", model="full").to_dict()
    assert report["pose_file"] == str(builtin_pose_dir() / "bridge.toml")
    assert report["overrides"] == {
        "counter.peak": {
            "value": 170.0,
            "pose_file_value": 165.0,
            "from": "--set",
            "where": "bridge.counter.peak=170",
        }
    }
    untouched = SessionReport(pose=load_pose("bridge"), source="clip.mp4", model="full")
    assert untouched.to_dict()["overrides"] == {}


# --- The per-user file and the command line -------------------------------------------------


def test_the_per_user_file_follows_the_config_folder(tmp_path, monkeypatch):
    assert user_overrides_path({"XDG_CONFIG_HOME": "/etc/xdg"}) == Path(
        "/etc/xdg/posecoach/overrides.toml"
    )
    assert user_overrides_path({"XDG_CONFIG_HOME": "relative"}) == (
        Path.home() / ".config" / "posecoach" / "overrides.toml"
    )
    assert user_overrides_path({"POSECOACH_OVERRIDES": "/x/o.toml"}) == Path("/x/o.toml")
    assert user_overrides_file() is None  # the test's config folder has none
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(OverridesError) as raised:
        user_overrides_file({"POSECOACH_OVERRIDES": str(missing)})
    assert str(raised.value) == (
        f"POSECOACH_OVERRIDES is set to '{missing}', which is not a file: create it, or unset "
        "POSECOACH_OVERRIDES"
    )


def show(capsys, *args: str) -> tuple[str, list[str], str]:
    """`poses show` output: as one line with single spaces (long values wrap), as lines, and
    what went to stderr."""
    assert main(["poses", "show", *args]) == EXIT_OK
    captured = capsys.readouterr()
    return " ".join(captured.out.split()), captured.out.splitlines(), captured.err


def test_poses_show_marks_each_value_with_where_it_came_from(tmp_path, capsys):
    user = write(
        tmp_path / "config" / "posecoach" / "overrides.toml",
        f"[{KNEELING}.front_knee_90]\nmin_deg = 75\n\n[{KNEELING}.no_bounce]\nwindow_s = 4\n",
    )
    flat, lines, err = show(
        capsys,
        KNEELING,
        "--set",
        f"{KNEELING}.front_knee_90.max_deg=95",
        "--set",
        f"{KNEELING}.target.hold_s=40",
    )
    assert err == ""
    assert "target 40 s hold per side [s] sides" in flat
    assert (
        f"file {KNEELING_FILE} overrides {user}: 2 values for this stretch --set 2 values "
        "values from the pose file unless marked: [o] the overrides file, [s] --set Rules (8)"
    ) in flat
    assert "passes at 75 [o] to 95 [s] deg cue" in flat
    assert "passes at at most 15 deg cue" in flat  # torso_upright: the pose file's
    assert "window_s 4 [o]; amplitude 0.04; axis horizontal;" in flat
    changed = lines[lines.index("Changed from the pose file (4):") + 1 :]
    assert [line.split() for line in changed] == [
        [
            "front_knee_90.min_deg",
            "75",
            "[o]",
            "pose",
            "file:",
            "80",
            "overrides",
            "file",
            f"{user}:",
            f"[{KNEELING}.front_knee_90]",
            "min_deg",
        ],
        [
            "no_bounce.window_s",
            "4",
            "[o]",
            "pose",
            "file:",
            "3",
            "overrides",
            "file",
            f"{user}:",
            f"[{KNEELING}.no_bounce]",
            "window_s",
        ],
        [
            "front_knee_90.max_deg",
            "95",
            "[s]",
            "pose",
            "file:",
            "100",
            "--set",
            f"{KNEELING}.front_knee_90.max_deg=95",
        ],
        [
            "target.hold_s",
            "40",
            "[s]",
            "pose",
            "file:",
            "30",
            "--set",
            f"{KNEELING}.target.hold_s=40",
        ],
    ]


def test_poses_show_without_overrides_marks_nothing(capsys):
    flat, _, _ = show(capsys, "bridge")
    assert f"overrides none ({user_overrides_path()} is absent; or give --overrides FILE)" in flat
    assert "values from the pose file unless marked: [o] the overrides file, [s] --set" in flat
    assert re.search(r"\d \[[os]\]", flat) is None  # no value is marked
    assert "Changed from the pose file" not in flat
    assert "and back: one rep, moving at least 25 deg from where it rested file" in flat


def test_overrides_option_replaces_the_per_user_file(tmp_path, capsys):
    write(
        tmp_path / "config" / "posecoach" / "overrides.toml",
        "[bridge.counter]\npeak = 170\nmin_range = 30\n",
    )
    given = write(tmp_path / "given.toml", "[bridge.counter]\nstart = 140\n")
    flat, _, _ = show(capsys, "bridge", "--overrides", str(given))
    # The per-user file's peak and min_range are not read.
    assert (
        "rep counter hips_high (deg) rises from 140 [o] or less to 165 or more and back: one "
        "rep, moving at least 25 deg from where it rested"
    ) in flat
    assert f"overrides {given}: 1 value for this stretch" in flat


def test_a_stretch_of_another_folder_in_the_file_is_a_warning_not_an_error(tmp_path, capsys):
    file = write(tmp_path / "o.toml", "[my_pigeon.hips_low]\nmax_deg = 20\n")
    _, _, err = show(capsys, "bridge", "--overrides", str(file))
    assert err.strip() == (
        f"posecoach: warning: overrides file {file}: no stretch 'my_pigeon' in the pose "
        "folders read: its values are not used"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["poses", "show", "bridge", "--set", "bridge.counter.peak=400"],
            "--set bridge.counter.peak=400: expected -360 to 360 signal units, got 400",
        ),
        (
            ["poses", "show", "bridge", "--set", f"{KNEELING}.front_knee_90.min_deg=75"],
            f"--set {KNEELING}.front_knee_90.min_deg=75: '{KNEELING}' is not a stretch this run "
            "uses (bridge): expecting bridge.RULE.KEY=VALUE",
        ),
        (
            ["replay", "clip.mp4", "--pose", "bridge", "--set", "bridge.lying.max_torso=1"],
            "--set bridge.lying.max_torso=1: rule lying (inclination) has no 'max_torso': "
            "expecting one of min_deg, max_deg",
        ),
        (
            ["demo", "bridge_partial_rep", "--set", "bridge.counter.peak"],
            "--set bridge.counter.peak: expected POSE.RULE.KEY=VALUE "
            "(e.g. half_kneeling_hip_flexor.front_knee_90.min_deg=75)",
        ),
    ],
)
def test_a_bad_value_stops_the_command_with_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"posecoach: error: {message}"]


def test_eval_checks_the_values_first_and_gives_them_to_every_clip(tmp_path, monkeypatch, capsys):
    samples = bundled_samples()["bridge_partial_rep"].video.parent
    argument = "bridge.counter.peak=999"
    assert main(["eval", str(samples), "--set", argument]) == EXIT_ERROR
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"posecoach: error: --set {argument}: expected -360 to 360 signal units, got 999"
    )
    ran = []

    def run_jobs(jobs, workers, progress=None):
        ran.extend(jobs)
        return [
            evaluate.Row(clip=job.clip, pose=job.pose_id, kind=job.kind.value, skipped="not run")
            for job in jobs
        ]

    monkeypatch.setattr(evaluate, "run_jobs", run_jobs)
    file = write(tmp_path / "o.toml", f"[{KNEELING}.front_knee_90]\nmin_deg = 75\n")
    args = ["eval", str(samples), "--overrides", str(file), "--set", "bridge.counter.peak=170"]
    assert main(args) == EXIT_ERROR  # every clip "skipped" by the stand-in
    assert ran and all(
        job.overrides == Overrides.load(file, ["bridge.counter.peak=170"]) for job in ran
    )
    assert layered("bridge", sets=("bridge.counter.peak=170",)) == ran[0].overrides.apply(
        load_pose("bridge")
    )


# --- Saving ---------------------------------------------------------------------------------

KEPT = f"""# my settings
[{KNEELING}.front_knee_90]
min_deg = 75  # my knee does not bend further
max_deg = 100

[bridge.counter]
peak = 170   # I lift high
"""


def test_saving_merges_and_keeps_other_stretches_rules_and_comments(tmp_path):
    path = write(tmp_path / "o.toml", KEPT)
    save_overrides(
        path,
        KNEELING,
        {"front_knee_90.min_deg": 70.0, "front_knee_90.max_deg": 104.5, "target.hold_s": 45},
    )
    save_overrides(path, "bridge", {"hips_high.min_deg": 172})
    assert path.read_text() == (
        f"""# my settings
[{KNEELING}.front_knee_90]
min_deg = 70  # my knee does not bend further
max_deg = 104.5

[bridge.counter]
peak = 170   # I lift high

[{KNEELING}.target]
hold_s = 45

[bridge.hips_high]
min_deg = 172
"""
    )
    spec = layered(KNEELING, path)
    assert (spec.rule("front_knee_90").min_value, spec.target) == (70, 45)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.toml"]  # no temporary file left


def test_saving_a_new_file_and_a_file_laid_out_otherwise(tmp_path):
    new = tmp_path / "folder" / "overrides.toml"
    save_overrides(new, "bridge", {"counter.peak": 170})
    text = new.read_text()
    assert text.startswith("# posecoach overrides:")
    assert text.endswith("\n[bridge.counter]\npeak = 170\n")
    inline = write(tmp_path / "inline.toml", "[bridge]\ncounter = { peak = 160 }\n")
    save_overrides(inline, "bridge", {"counter.start": 140, "no_arch.max_deg": 1e-5})
    assert read_overrides_file(inline) == {
        "bridge": {"counter": {"peak": 160, "start": 140}, "no_arch": {"max_deg": 1e-5}}
    }


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"counter.peak": 999}, "bridge.counter.peak: expected -360 to 360 signal units, got 999"),
        (
            {"hips_high.priority": 2},
            "bridge.hips_high.priority: 'priority' cannot be set, expecting one of amplitude, "
            "max_count, max_deg, max_torso, min_count, min_deg, min_torso, window_s",
        ),
        ({"peak": 170}, "'peak': expected RULE.KEY (e.g. front_knee_90.min_deg)"),
        ({"counter.peak": math.inf}, "bridge.counter.peak: expected a finite number, got inf"),
    ],
)
def test_saving_refuses_a_bad_value_and_leaves_the_file_as_it_was(tmp_path, values, problem):
    path = write(tmp_path / "o.toml", KEPT)
    with pytest.raises(OverridesError) as raised:
        save_overrides(path, "bridge", values)
    assert str(raised.value) == f"cannot save to {path}: {problem}"
    assert path.read_text() == KEPT


def test_saving_refuses_a_file_that_is_not_an_overrides_file(tmp_path):
    path = write(tmp_path / "o.toml", "bridge = 3\n")
    with pytest.raises(OverridesError, match="expected tables"):
        save_overrides(path, "bridge", {"counter.peak": 170})
    assert path.read_text() == "bridge = 3\n"


# --- A changed threshold changes the coaching -----------------------------------------------


def kneeling_frames(front_knee_deg: float, seconds: float = 3.0):
    for i in range(round(seconds * 30)):
        t = i * FRAME_MS
        yield half_kneeling(front_knee_deg=front_knee_deg, timestamp_ms=t, frame_index=i), t, i


def front_knee_verdicts(spec: PoseSpec) -> list[bool | None]:
    """front_knee_90's verdict in every frame in position of a hold with the knee at 97 deg."""
    coach = Coach(spec)
    verdicts = []
    for frame in kneeling_frames(97.0):
        assessment = coach.update(*frame)
        if assessment.status is Status.IN_POSITION:
            verdicts += [r.passed for r in assessment.results if r.rule.id == "front_knee_90"]
    assert len(verdicts) > 60
    return verdicts


def test_tightening_a_threshold_in_the_file_fails_the_knee_and_set_loosens_it_again(tmp_path):
    file = write(tmp_path / "o.toml", f"[{KNEELING}.front_knee_90]\nmax_deg = 95\n")
    assert set(front_knee_verdicts(load_pose(KNEELING))) == {True}  # 97 deg: within 80-100
    assert set(front_knee_verdicts(layered(KNEELING, file))) == {False}  # past 95
    loosened = layered(KNEELING, file, (f"{KNEELING}.front_knee_90.max_deg=100",))
    assert set(front_knee_verdicts(loosened)) == {True}


def bridge_reps(spec: PoseSpec) -> int:
    """Reps counted over two bridges to 178 deg and one lift to 160 deg."""
    coach = Coach(spec)
    angles = [130.0] * 20
    for top in (178.0, 160.0, 178.0):
        up = [130 + (top - 130) * (i + 1) / 30 for i in range(30)]
        angles += up + [top] * 15 + up[::-1] + [130.0] * 20
    for i, hip in enumerate(angles):
        coach.update(bridge(hip_deg=hip, timestamp_ms=i * FRAME_MS, frame_index=i), i * FRAME_MS, i)
    return coach.totals()["all"].reps


def test_the_counter_peak_from_the_file_and_from_set_changes_the_reps_counted(tmp_path):
    assert bridge_reps(load_pose("bridge")) == 2  # the lift to 160 stops short of 165
    file = write(tmp_path / "o.toml", "[bridge.counter]\npeak = 155\n")
    assert bridge_reps(layered("bridge", file)) == 3  # a lower peak: the short lift counts
    assert bridge_reps(layered("bridge", file, ("bridge.counter.peak=179",))) == 0  # above 178


@pytest.mark.model
def test_replay_of_a_sample_with_an_overrides_file_and_set(tmp_path, capsys):
    """Through the model: the file tightens the front knee (it fails more), --set loosens the
    torso rule the sample leans past (it passes more) above the file's own tighter value."""
    sample = bundled_samples()["half_kneeling_torso_lean"]
    file = write(
        tmp_path / "o.toml",
        f"[{KNEELING}.front_knee_90]\nmin_deg = 110\nmax_deg = 130\n\n"
        f"[{KNEELING}.torso_upright]\nmax_deg = 5\n",
    )
    argument = f"{KNEELING}.torso_upright.max_deg=45"

    def replay(name: str, *extra: str) -> dict:
        report = tmp_path / f"{name}.json"
        args = ["replay", str(sample.video), "--pose", KNEELING, "--no-window"]
        args += ["--report", str(report), "--out", str(tmp_path / f"{name}.mp4"), *extra]
        assert main(args) == EXIT_OK
        return json.loads(report.read_text())

    untouched = replay("untouched")
    changed = replay("changed", "--overrides", str(file), "--set", argument)
    capsys.readouterr()
    assert untouched["overrides"] == {}
    # Shares of the frames with the rule passing: 0.54 -> 0.05 and 0.43 -> 1.0 when written.
    assert changed["rules"]["front_knee_90"] < untouched["rules"]["front_knee_90"] - 0.3
    assert changed["rules"]["torso_upright"] > untouched["rules"]["torso_upright"] + 0.3
    assert changed["rules"]["hip_forward"] == untouched["rules"]["hip_forward"]  # untouched rule
    assert changed["overrides"]["torso_upright.max_deg"] == {
        "value": 45.0,
        "pose_file_value": 15.0,
        "from": "--set",
        "where": argument,
    }
    assert changed["overrides"]["front_knee_90.min_deg"]["from"] == str(file)
