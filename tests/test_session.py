"""Guided sessions: routine files, the guide's phases, prompts, side switches and totals; a
routine end to end on generated clips through the model."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import pytest

from posecoach.cli.main import EXIT_ERROR, EXIT_OK, main
from posecoach.coaching.posefile import Mode
from posecoach.coaching.routine import RoutineFileError, find_routine, parse_routine, routine_files
from posecoach.run.session import Guide, StepPhase

from builders import bridge, half_kneeling

FPS = 20.0

ROUTINE = {
    "id": "test_routine",
    "name": "Test routine",
    "intro_s": 1,
    "countdown_s": 1,
    "rest_s": 1,
    "steps": [
        {"pose": "half_kneeling_hip_flexor", "reps": 2, "hold_s": 1.5, "sides": "each"},
        {"pose": "bridge", "reps": 2},
    ],
}


def test_the_built_in_routines_load_with_the_five_core_stretches():
    assert {"cooldown", "warmup", "desk_break", "constructive_rest"} <= set(routine_files())
    core = [
        "bridge",
        "half_kneeling_hip_flexor",
        "standing_hip_flexor",
        "low_lunge_twist",
        "half_kneeling_foot_elevated",
    ]
    cooldown, warmup = find_routine("cooldown"), find_routine("warmup")
    assert [s.pose.id for s in cooldown.steps] == core == [s.pose.id for s in warmup.steps]
    # A cool-down: 2-3 dynamic reps, switching sides; a warm-up: 5-10 reps, one side then the
    # other (STRETCHES.md's routine facts).
    assert all(2 <= s.reps <= 3 for s in cooldown.steps)
    assert all(s.sides == "alternate" for s in cooldown.steps if s.per_side)
    assert all(5 <= s.reps <= 10 for s in warmup.steps)
    assert all(s.sides == "each" for s in warmup.steps if s.per_side)
    rest = find_routine("constructive_rest")
    assert rest.steps[0].hold_s == 600 and rest.steps[0].amount_text == "a 10 min hold"
    bridge_step = cooldown.steps[0]
    assert bridge_step.pose.mode is Mode.REPS and bridge_step.hold_s is None
    assert bridge_step.howto.startswith("Lie on your back")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": []}, "steps: missing"),
        ({"steps": [{"pose": "nope"}]}, "steps[1].pose: "),
        ({"steps": [{"pose": "bridge", "hold_s": 5}]}, "steps[1].hold_s: bridge is counted"),
        ({"steps": [{"pose": "bridge", "sides": "each"}]}, "steps[1].sides: bridge is not"),
        ({"steps": [{"pose": "pigeon", "reps": 0}]}, "steps[1].reps: expected a whole"),
        ({"steps": [{"pose": "pigeon", "sides": "both"}]}, "steps[1].sides: expected one of"),
        ({"rest_s": -1}, "rest_s: expected a number of seconds"),
        ({"colour": "red"}, "colour: unknown key"),
    ],
)
def test_a_malformed_routine_names_its_file_and_key(tmp_path, change, message):
    path = tmp_path / "mine.toml"
    with pytest.raises(RoutineFileError) as error:
        parse_routine({**ROUTINE, **change}, path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)


def test_a_routine_file_that_is_not_toml_or_missing_is_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("id = [\n")
    with pytest.raises(RoutineFileError, match=f"{path}: not valid TOML"):
        find_routine(str(path))
    with pytest.raises(RoutineFileError, match="no routine called 'nope': expecting one of"):
        find_routine("nope")


class Performer:
    """Feeds a guide frames of built bodies at FPS, keeping what it decided."""

    def __init__(self, guide: Guide) -> None:
        self.guide = guide
        self.index = 0
        self.said: list[str] = []
        self.messages: list[str | None] = []

    def hold(self, seconds: float, back_leg: str) -> None:
        for _ in range(round(seconds * FPS)):
            self.frame(lambda t, i: half_kneeling(back_leg=back_leg, timestamp_ms=t, frame_index=i))

    def bridge_reps(self, reps: int) -> None:
        for _ in range(reps):
            for hip in [135.0] * 20 + [135 + 40 * k / 20 for k in range(20)] + [175.0] * 10:
                self.frame(lambda t, i, hip=hip: bridge(hip_deg=hip, timestamp_ms=t, frame_index=i))
            for k in range(20):
                hip = 175 - 40 * k / 20
                self.frame(lambda t, i, hip=hip: bridge(hip_deg=hip, timestamp_ms=t, frame_index=i))

    def frame(self, body) -> None:
        if self.guide.done:
            return
        t = self.index * 1000 / FPS
        moment = self.guide.feed(body(t, self.index), t, self.index)
        if moment.say:
            self.said.append(moment.say)
        self.messages.append(moment.message)
        self.index += 1


def guide_for(routine: dict, tmp_path: Path) -> Guide:
    return Guide(parse_routine(routine, tmp_path / "r.toml"), "built", "none")


def test_a_routine_is_led_through_its_phases_with_side_switches_and_totals(tmp_path):
    guide = guide_for(ROUTINE, tmp_path)
    person = Performer(guide)
    person.hold(9, back_leg="RIGHT")  # intro 1 s, set-up 1 s, countdown 1 s, then 2 x 1.5 s
    assert guide.phase is StepPhase.WORK and guide.index == 0
    person.hold(8, back_leg="LEFT")
    assert guide.index == 1 and guide.runs[0].status == "done"
    person.hold(4, back_leg="LEFT")  # rest and the bridge's intro, still kneeling
    person.bridge_reps(4)
    assert guide.done and guide.ended_by == "routine complete"

    kinds = [(e.kind, e.step) for e in guide.timeline]
    assert kinds[:4] == [("intro", 1), ("setup", 1), ("countdown", 1), ("start", 1)]
    texts = [e.text for e in guide.timeline]
    first_side = "right" if "now your left side" in " ".join(texts) else "left"
    other = "left" if first_side == "right" else "right"
    prompts = [e.text for e in guide.timeline if e.kind == "prompt"]
    assert prompts == [
        "Good: 1 of 2. Release, then again",
        f"Switch sides: now your {other} side",
        "Good: 1 of 2. Release, then again",
    ]
    assert kinds[-8:] == [
        ("stretch_done", 1),
        ("rest", 2),
        ("intro", 2),
        ("setup", 2),
        ("countdown", 2),
        ("start", 2),
        ("stretch_done", 2),
        ("routine_done", 2),
    ]
    # Times follow the frames: the first stretch's work starts after intro, set-up, countdown.
    start = next(e.t_s for e in guide.timeline if e.kind == "start")
    assert 3.0 <= start <= 3.6

    kneeling, bridging = guide.runs
    assert kneeling.status == bridging.status == "done"
    sides = kneeling.report.summary().sides
    assert sides[first_side].hold_s >= 3.0  # 2 holds of 1.5 s: done when the side moved on
    assert sides[other].hold_s == pytest.approx(3.0, abs=0.1)  # ended on reaching it
    assert bridging.report.summary().reps == 2
    # What was said: the stretch, how to, the set-up, a countdown, the prompts, the end.
    assert person.said[0].startswith(
        "Half-kneeling hip-flexor stretch, 2 x 1.5 s holds per side. From standing"
    )
    assert "Get into position: 1" in person.said  # countdown_s = 1
    assert f"Switch sides: now your {other} side" in person.said
    assert person.said[-1] == "Test routine complete. Well done."
    assert "Get into position: 1" in person.messages


def test_alternating_sides_prompts_a_switch_after_every_rep(tmp_path):
    routine = {**ROUTINE, "steps": [{**ROUTINE["steps"][0], "sides": "alternate"}]}
    guide = guide_for(routine, tmp_path)
    person = Performer(guide)
    # A hold per turn (work starts 3 s in), stepping out of view for a second in between.
    for seconds, leg in ((5.2, "RIGHT"), (2.6, "LEFT"), (2.6, "RIGHT"), (3.0, "LEFT")):
        person.hold(seconds, back_leg=leg)
        for _ in range(round(FPS)):
            person.frame(lambda t, i: None)
    prompts = [e.text for e in guide.timeline if e.kind == "prompt"]
    # (Said again while the person stays on the same side.)
    changes = [p for i, p in enumerate(prompts) if i == 0 or p != prompts[i - 1]]
    assert changes[:3] == [
        "Switch sides: now your left side",
        "Switch sides: now your right side",
        "Switch sides: now your left side",
    ]
    assert guide.done


def test_skip_and_repeat(tmp_path):
    guide = guide_for(ROUTINE, tmp_path)
    person = Performer(guide)
    person.hold(4, back_leg="RIGHT")
    assert guide.phase is StepPhase.WORK
    guide.repeat()  # the kneeling stretch again, from its introduction
    assert guide.phase is StepPhase.INTRO and guide.runs[0].report is None
    person.hold(4, back_leg="RIGHT")
    guide.skip()
    assert guide.runs[0].status == "skipped" and guide.index == 1
    assert guide.phase is StepPhase.INTRO  # no rest after a skip
    kinds = [e.kind for e in guide.timeline]
    assert kinds.count("intro") == 3 and "repeat" in kinds and "skip" in kinds
    guide.stop("stopped by the user")
    assert guide.done and guide.runs[1].status == "not reached"


def test_the_set_up_check_waits_for_the_whole_body(tmp_path):
    guide = guide_for(ROUTINE, tmp_path)
    person = Performer(guide)
    for _ in range(round(3 * FPS)):  # nobody in view: the session waits at the set-up
        person.frame(lambda t, i: None)
    assert guide.phase is StepPhase.SETUP
    person.hold(2.5, back_leg="RIGHT")
    assert guide.phase is StepPhase.WORK


# -- End to end, through the model ---------------------------------------------------------


@pytest.fixture(scope="module")
def performed(tmp_path_factory) -> Path:
    """One clip: a half-kneeling stretch held on both sides, then three bridges (generated,
    as a camera would have seen the routine)."""
    folder = tmp_path_factory.mktemp("performed")
    parts = [
        ["--pose", "half_kneeling_hip_flexor", "--side", "both", "--hold", "9"],
        ["--pose", "bridge", "--reps", "3"],
    ]
    writer = None
    for number, part in enumerate(parts):
        clip = folder / f"part{number}.mp4"
        argv = ["synth", *part, "--out", str(clip), "--size", "320x240", "--fps", "15"]
        assert main([*argv, "--seed", "3"]) == EXIT_OK
        capture = cv2.VideoCapture(str(clip))
        while True:
            ok, image = capture.read()
            if not ok:
                break
            if writer is None:
                size = (image.shape[1], image.shape[0])
                fourcc = cv2.VideoWriter.fourcc(*"mp4v")
                writer = cv2.VideoWriter(str(folder / "routine.mp4"), fourcc, 15, size)
            writer.write(image)
    assert writer is not None
    writer.release()
    return folder / "routine.mp4"


@pytest.mark.model
@pytest.mark.synth
def test_a_routine_end_to_end_on_generated_clips(tmp_path, performed, monkeypatch, capsys):
    routine = tmp_path / "test.toml"
    routine.write_text(
        'id = "test_routine"\nname = "Test routine"\nintro_s = 1\ncountdown_s = 1\n'
        'rest_s = 1\n\n[[steps]]\npose = "half_kneeling_hip_flexor"\nreps = 2\nhold_s = 2\n'
        'sides = "each"\n\n[[steps]]\npose = "bridge"\nreps = 2\n'
    )
    monkeypatch.setenv("POSECOACH_HISTORY", str(tmp_path / "history.sqlite3"))
    report, video = tmp_path / "s.json", tmp_path / "s.mp4"
    argv = ["session", "--routine", str(routine), str(performed), "--no-window"]
    assert main([*argv, "--report", str(report), "--out", str(video)]) == EXIT_OK
    out = capsys.readouterr().out
    data = json.loads(report.read_text())
    assert data["complete"] and data["ended_by"] == "routine complete"
    kneeling, bridging = data["stretches"]
    assert kneeling["status"] == bridging["status"] == "done"
    sides = kneeling["report"]["sides"]
    assert sides["left"]["hold_s"] >= 4.0 and sides["right"]["hold_s"] >= 4.0
    assert bridging["report"]["reps"] == 2
    prompts = [e["text"] for e in data["timeline"] if e["kind"] == "prompt"]
    assert any(text.startswith("Switch sides: now your") for text in prompts)
    assert "Test routine: complete" in out
    html = report.with_suffix(".html")
    assert html.is_file() and "Glute bridge" in html.read_text()
    assert cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT) > 0
    # The history has the session.
    assert main(["history"]) == EXIT_OK
    assert "half_kneeling_hip_flexor" in capsys.readouterr().out


@pytest.mark.model
@pytest.mark.synth
def test_a_session_whose_input_ends_early_is_saved_and_not_complete(tmp_path, performed):
    short = tmp_path / "short.mp4"
    capture = cv2.VideoCapture(str(performed))
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter.fourcc(*"mp4v"), 15, (320, 240))
    for _ in range(150):  # 10 s: the first stretch is not finished
        ok, image = capture.read()
        assert ok
        writer.write(image)
    writer.release()
    report = tmp_path / "s.json"
    argv = ["session", "--routine", "desk_break", str(short), "--no-window"]
    assert main([*argv, "--report", str(report)]) == EXIT_ERROR
    data = json.loads(report.read_text())
    assert not data["complete"] and data["ended_by"] == "end of input"
    assert [s["status"] for s in data["stretches"]][1] == "not reached"
    assert report.with_suffix(".html").is_file()
    # The history keeps what was done; the stretch never reached counts as skipped.
    assert main(["history"]) == EXIT_OK


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"rest_s": "10"}, "rest_s"),
        ({"countdown_s": [3]}, "countdown_s"),
        ({"steps": [{"pose": "pigeon", "hold_s": "20"}]}, "steps[1].hold_s"),
        ({"steps": [{"pose": "pigeon", "reps": 2.5}]}, "steps[1].reps"),
        ({"steps": ["pigeon"]}, "steps[1]"),
    ],
)
def test_a_value_of_the_wrong_type_is_named_not_a_crash(tmp_path, change, key):
    with pytest.raises(RoutineFileError, match=re.escape(f"{key}: expected")):
        parse_routine({**ROUTINE, **change}, tmp_path / "mine.toml")


def test_id_and_name_default_to_the_file_name(tmp_path):
    routine = parse_routine({"steps": [{"pose": "pigeon"}]}, tmp_path / "evening.toml")
    assert (routine.id, routine.name) == ("evening", "evening")
    assert routine.steps[0].hold_s == routine.steps[0].pose.target


def test_during_a_rest_skip_ends_it_and_repeat_goes_back(tmp_path):
    guide = guide_for({**ROUTINE, "rest_s": 30}, tmp_path)
    person = Performer(guide)
    person.hold(9, back_leg="RIGHT")
    person.hold(8, back_leg="LEFT")
    assert guide.phase is StepPhase.REST and guide.index == 1
    guide.repeat()  # the kneeling stretch again, not the bridge
    assert guide.index == 0 and guide.phase is StepPhase.INTRO
    assert guide.runs[0].status == "not reached" and guide.runs[0].report is None
    person.hold(9, back_leg="RIGHT")
    person.hold(8, back_leg="LEFT")
    assert guide.phase is StepPhase.REST
    guide.skip()  # the rest, not the bridge
    assert guide.phase is StepPhase.INTRO and guide.index == 1
    assert guide.runs[1].status == "not reached"


def test_skipping_every_stretch_finishes_the_routine_but_not_complete(tmp_path):
    guide = guide_for(ROUTINE, tmp_path)
    Performer(guide).hold(1, back_leg="RIGHT")
    guide.skip()
    guide.skip()
    assert guide.done and not guide.complete
    assert guide.ended_by == "routine finished, 2 skipped"
    assert guide.summary("2026-11-21T10:00:00+00:00").complete is False


def test_muting_the_cues_lasts_for_the_later_stretches(tmp_path):
    guide = guide_for(ROUTINE, tmp_path)
    person = Performer(guide)
    person.hold(1.5, back_leg="RIGHT")
    guide.mute(True)
    person.hold(8, back_leg="RIGHT")  # the work coach is a new one
    assert guide.phase is StepPhase.WORK and guide._coach is not None and guide._coach.muted


def test_the_coach_aims_at_the_routines_amount_not_the_stretch_target(tmp_path):
    guide = guide_for(ROUTINE, tmp_path)
    Performer(guide).hold(4, back_leg="RIGHT")
    assert guide._coach is not None and guide._coach.pose.target == 3.0  # 2 x 1.5 s
    assert guide.runs[0].report is not None and guide.runs[0].report.pose.target == 3.0


def test_with_a_voice_a_phase_lasts_until_its_words_are_said(tmp_path):
    silent, speaking = guide_for(ROUTINE, tmp_path), guide_for(ROUTINE, tmp_path)
    speaking.words_per_minute = 165
    for guide in (silent, speaking):
        Performer(guide).hold(2, back_leg="RIGHT")
    assert silent.phase is not StepPhase.INTRO  # intro_s is 1 s
    assert speaking.phase is StepPhase.INTRO  # its how-to takes several seconds to say


def test_session_list_and_bad_report_names(tmp_path, capsys, monkeypatch):
    poses = tmp_path / "config" / "posecoach" / "poses"
    poses.mkdir(parents=True)
    shutil.copy(find_routine("cooldown").steps[0].pose.path, poses / "my_bridge.toml")
    text = (poses / "my_bridge.toml").read_text().replace('id = "bridge"', 'id = "my_bridge"')
    (poses / "my_bridge.toml").write_text(text)
    assert main(["session", "--list"]) == EXIT_OK  # pose files are not read as routines
    out = capsys.readouterr().out
    assert "cooldown" in out and "my_bridge" not in out
    argv = ["session", "--routine", "cooldown", str(tmp_path / "x.mp4"), "--no-window"]
    assert main([*argv, "--report", str(tmp_path / "s.html")]) == EXIT_ERROR
    assert "expected a .json file name" in capsys.readouterr().err
