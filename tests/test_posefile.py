import re
import sys
from pathlib import Path

import pytest

from posecoach.coaching.body import PAIRED_JOINTS, QUALIFIERS
from posecoach.coaching.posefile import (
    MAX_LABEL_CHARS,
    Mode,
    View,
    builtin_pose_dir,
    load_pose,
    load_pose_file,
    parse_pose,
    pose_paths,
    user_pose_dir,
    user_pose_dir_path,
)
from posecoach.coaching.rules import RULE_KINDS
from posecoach.config.errors import PosecoachError, PoseFileError, UnknownPoseError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

README = Path(__file__).resolve().parent.parent / "README.md"

GOOD = """
id = "my_lunge"
name = "My lunge"
description = "A test stretch."
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
priority = 2
cue = "Knee at 90"
"""


def write(tmp_path: Path, text: str, name: str = "my_lunge.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_poses_load():
    paths = pose_paths()
    assert {"bridge", "half_kneeling_hip_flexor"} <= set(paths)
    bridge = load_pose("bridge")
    assert bridge.mode is Mode.REPS and bridge.view is View.SIDE and not bridge.per_side
    assert bridge.counter is not None and bridge.counter.signal == "hips_high"
    kneeling = load_pose("half_kneeling_hip_flexor")
    assert kneeling.mode is Mode.HOLD and kneeling.per_side and kneeling.working == "back"
    assert any(rule.gate for rule in kneeling.rules)


def test_good_user_file(tmp_path):
    spec = load_pose_file(write(tmp_path, GOOD))
    assert spec.target == 20 and spec.rule("front_knee").min_value == 80


def test_every_problem_is_listed_with_file_and_key(tmp_path):
    bad = (
        GOOD.replace('view = "side"', 'view = "sideways"')
        .replace('kind = "angle"', 'kind = "angel"')
        .replace("hold_s = 20", "hold_s = -5")
        .replace('name = "My lunge"', 'name = "My lunge"\ncolour = "red"')
    )
    path = write(tmp_path, bad)
    with pytest.raises(PoseFileError) as caught:
        load_pose_file(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "view: 'sideways' is not valid, expecting one of side, front, any" in message
    expected_kinds = "expecting one of angle, inclination, relation"
    assert f"rules[0] (front_knee).kind: 'angel' is not valid, {expected_kinds}" in message
    assert "target.hold_s: expected 1 to 3600 s, got -5" in message
    assert "colour: unknown key" in message
    assert len(caught.value.problems) == 4


def test_rule_problems(tmp_path):
    bad = GOOD.replace('"front_ankle"', '"front_toe"').replace("min_deg = 80", "min_deg = 120")
    bad += """
[[rules]]
id = "front_knee"
label = "Back knee down"
kind = "relation"
subject = "back_knee"
relation = "beside"
reference = "front_ankle"
cue = "x"
priority = 1
"""
    with pytest.raises(PoseFileError) as caught:
        load_pose_file(write(tmp_path, bad))
    text = " | ".join(caught.value.problems)
    assert "joints[2]: unknown role 'front_toe'" in text
    assert "min_deg: 120 is above max_deg = 100" in text
    assert (
        "relation: 'beside' is not valid, expecting one of ahead_of, behind, above, below" in text
    )
    assert "needs min_torso or max_torso" in text


def test_reps_mode_needs_a_counter_on_a_known_rule(tmp_path):
    reps = GOOD.replace('mode = "hold"', 'mode = "reps"').replace("hold_s = 20", "reps = 10")
    with pytest.raises(PoseFileError, match=r"counter: missing"):
        load_pose_file(write(tmp_path, reps))
    counter = '[counter]\nsignal = "nope"\nstart = 100\npeak = 160\n\n[[rules]]'
    with pytest.raises(
        PoseFileError, match=r"counter.signal: 'nope' is not valid, expecting one of front_knee"
    ):
        load_pose_file(write(tmp_path, reps.replace("[[rules]]", counter, 1)))


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(PoseFileError, match="not valid TOML"):
        load_pose_file(write(tmp_path, "id = [unclosed"))
    with pytest.raises(PoseFileError, match="no such file"):
        load_pose_file(tmp_path / "absent.toml")


def test_unknown_pose_lists_the_valid_ids():
    with pytest.raises(UnknownPoseError) as caught:
        load_pose("squat")
    assert "expecting one of " + ", ".join(sorted(pose_paths())) in str(caught.value)


def test_extra_folder_adds_and_checks_id(tmp_path):
    write(tmp_path, GOOD)
    assert load_pose("my_lunge", [tmp_path]).name == "My lunge"
    write(tmp_path, GOOD, name="renamed.toml")
    with pytest.raises(
        PoseFileError,
        match=re.escape("id: 'my_lunge' must match the file name 'renamed': rename the file"),
    ):
        load_pose("renamed", [tmp_path])


def test_gate_rules_are_judged_always_and_priorities_are_whole(tmp_path):
    reps = (
        GOOD.replace('mode = "hold"', 'mode = "reps"')
        .replace("hold_s = 20", "reps = 10")
        .replace(
            "[[rules]]", '[counter]\nsignal = "front_knee"\nstart = 100\npeak = 160\n\n[[rules]]'
        )
        .replace("priority = 2", 'priority = 2.5\ngate = true\nwhen = "top"')
    )
    with pytest.raises(PoseFileError) as caught:
        load_pose_file(write(tmp_path, reps))
    text = " | ".join(caught.value.problems)
    assert 'gate: a gate rule is judged in every frame, expecting when = "always"' in text
    assert "priority: expected a whole number, got 2.5" in text


def test_a_rule_needs_a_short_label_of_its_own(tmp_path):
    unlabelled = write(tmp_path, GOOD.replace('label = "Front knee at 90°"\n', ""))
    with pytest.raises(PoseFileError) as caught:
        load_pose_file(unlabelled)
    assert str(caught.value) == f"{unlabelled}: rules[0] (front_knee).label: missing (a text value)"

    wordy = "Front knee bent to a right angle over the ankle"
    too_long = write(tmp_path, GOOD.replace("Front knee at 90°", wordy))
    with pytest.raises(PoseFileError) as caught:
        load_pose_file(too_long)
    message = str(caught.value)
    assert message.startswith(f"{too_long}: rules[0] (front_knee).label: ") and "\n" not in message
    assert f"is {len(wordy)} characters, expecting at most {MAX_LABEL_CHARS}: shorten it" in message
    exactly = write(tmp_path, GOOD.replace("Front knee at 90°", "x" * MAX_LABEL_CHARS))
    assert load_pose_file(exactly).rules[0].label == "x" * MAX_LABEL_CHARS

    twice = GOOD + (
        '\n[[rules]]\nid = "front_knee_again"\nlabel = "Front knee at 90°"\nkind = "angle"\n'
        'joints = ["front_hip", "front_knee", "front_ankle"]\nmin_deg = 85\npriority = 3\n'
        'cue = "Bend the knee"\n'
    )
    with pytest.raises(PoseFileError) as caught:
        load_pose_file(write(tmp_path, twice))
    assert caught.value.problems == [
        "rules (front_knee_again).label: duplicate label 'Front knee at 90°' "
        "(also rule front_knee), expecting one that tells this rule apart"
    ]


# Labels of the stretches that ship stay a few characters inside the limit.
SHIPPED_LABEL_CHARS = 28


def test_every_shipped_rule_has_a_short_label_of_its_own():
    paths = sorted(builtin_pose_dir().glob("*.toml"))
    assert paths
    for path in paths:
        labels = [rule.label for rule in load_pose_file(path).rules]
        assert len(set(labels)) == len(labels), (path.name, labels)
        for label in labels:
            assert 0 < len(label) <= SHIPPED_LABEL_CHARS, (path.name, label)
            # Sentence case, and a checklist line rather than a sentence.
            assert label[0].isupper() and not label.endswith("."), (path.name, label)


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_readme_example_pose_file_is_valid():
    blocks = re.findall(r"```toml\n(.*?)```", readme_section("Pose files"), re.S)
    assert len(blocks) == 1
    data = tomllib.loads(blocks[0])
    spec = parse_pose(data, Path(f"{data['id']}.toml"))
    # The example shows every kind, and the reps-mode keys.
    assert {rule.kind for rule in spec.rules} == set(RULE_KINDS)
    assert spec.counter is not None and spec.per_side
    assert any(rule.gate for rule in spec.rules) and any(r.when.value == "top" for r in spec.rules)


def test_readme_documents_every_rule_kind_key_and_qualifier():
    section = readme_section("Pose files")
    rows = {
        match.group(1): match.group(0) for match in re.finditer(r"^\| `(\w+)` \|.*$", section, re.M)
    }
    assert set(rows) == set(RULE_KINDS)
    for name, kind in RULE_KINDS.items():
        for key in (*kind.required, *kind.optional, f"min_{kind.unit_key}", f"max_{kind.unit_key}"):
            assert f"`{key}" in rows[name], (name, key)
    common = section[section.index("Rule keys common to every kind") :]
    assert "`label` (" in common
    roles = section[section.index("Roles are a qualifier") :]
    for word in (*QUALIFIERS, *PAIRED_JOINTS, "nose"):
        assert f"`{word}`" in roles, word


def test_user_pose_folder_location(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_pose_dir_path({}) == tmp_path / "home" / ".config" / "posecoach" / "poses"
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert user_pose_dir_path(xdg) == tmp_path / "config" / "posecoach" / "poses"
    # A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
    home_default = tmp_path / "home" / ".config" / "posecoach" / "poses"
    assert user_pose_dir_path({"XDG_CONFIG_HOME": "config"}) == home_default
    chosen = {**xdg, "POSECOACH_POSES": str(tmp_path / "mine")}
    assert user_pose_dir_path(chosen) == tmp_path / "mine"


def test_user_pose_folder_only_when_it_exists(tmp_path):
    xdg = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert user_pose_dir(xdg) is None
    (tmp_path / "posecoach" / "poses").mkdir(parents=True)
    assert user_pose_dir(xdg) == tmp_path / "posecoach" / "poses"
    with pytest.raises(PosecoachError, match=r"POSECOACH_POSES is set to .* not a folder"):
        user_pose_dir({"POSECOACH_POSES": str(tmp_path / "absent")})


def test_later_folders_win(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, name in ((first, "First"), (second, "Second")):
        folder.mkdir()
        write(folder, GOOD.replace("My lunge", name))
    assert load_pose("my_lunge", [first, second]).name == "Second"
    assert pose_paths([first, second])["my_lunge"] == second / "my_lunge.toml"


def test_either_side_is_read_and_refused_on_rules_that_follow_each_frames_sides(tmp_path):
    either = GOOD.replace("min_deg = 80\n", "either_side = true\nmin_deg = 80\n")
    assert load_pose_file(write(tmp_path, either)).rules[0].either_side
    assert not load_pose_file(write(tmp_path, GOOD)).rules[0].either_side
    motion = GOOD + (
        '\n[[rules]]\nid = "still"\nlabel = "Hips still"\nkind = "motion"\n'
        'roles = ["front_hip"]\neither_side = true\nmax_torso = 0.1\npriority = 3\n'
        'cue = "Hold still"\n'
    )
    with pytest.raises(PoseFileError, match=r"rules\[1\] \(still\)\.either_side: a motion rule"):
        load_pose_file(write(tmp_path, motion))
