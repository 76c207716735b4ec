"""End to end through the real pose model on real footage (../shared/footage)."""

import json

import pytest

from posecoach.cli.main import EXIT_OK, main
from posecoach.coaching.body import Side
from posecoach.coaching.coach import Coach, Status
from posecoach.coaching.posefile import load_pose
from posecoach.model.estimator import create_estimator
from posecoach.model.opening import open_source

from conftest import footage
from taskmodel import build_pose_task

pytestmark = [pytest.mark.model, pytest.mark.footage]


def assess_image(path, pose_id, model=None):
    source = open_source(path)
    estimator = create_estimator(model, static_images=True)
    try:
        frame = next(iter(source))
        landmarks = estimator.estimate(frame)
    finally:
        estimator.close()
    return Coach(load_pose(pose_id)).update(landmarks, frame.timestamp_ms, frame.index)


def verdicts(assessment):
    return {r.rule.id: r.passed for r in assessment.results}


def values(assessment):
    return {r.rule.id: r.value for r in assessment.results}


def test_bridging_clip_gives_exactly_one_rep(tmp_path, capsys):
    report = tmp_path / "bridging.json"
    video = tmp_path / "bridging.mp4"
    assert (
        main(
            [
                "replay",
                str(footage("physioplus/bridging.mp4")),
                "--pose",
                "bridge",
                "--no-window",
                "--report",
                str(report),
                "--out",
                str(video),
            ]
        )
        == EXIT_OK
    )
    data = json.loads(report.read_text())
    assert data["reps"] == 1
    assert data["frames"] == 91 and data["duration_s"] == pytest.approx(3.03, abs=0.05)
    assert data["detected_fraction"] > 0.95
    rep = [e for e in data["events"] if e["event"] == "rep_counted"]
    assert len(rep) == 1 and 2.0 < rep[0]["t_s"] < 3.0  # hips back down after about 2.3 s
    for key in (
        "pose",
        "source",
        "frames",
        "duration_s",
        "detected_fraction",
        "reps",
        "hold_s",
        "sides",
        "rules",
        "cues",
    ):
        assert key in data
    assert video.stat().st_size > 10_000
    assert "report:" in capsys.readouterr().out


def test_lunges_photo_is_the_half_kneeling_position():
    a = assess_image(footage("fitinsight_images/lunges.jpg"), "half_kneeling_hip_flexor")
    assert a.status is Status.IN_POSITION
    assert a.side is Side.RIGHT  # her right knee is down: the back leg is the working side
    assert a.body is not None and a.body.sides["back"] is Side.RIGHT
    v = verdicts(a)
    assert v["back_knee_down"] and v["front_knee_bent"]
    assert v["torso_upright"] is True
    assert v["hip_forward"] is True
    assert v["knee_behind_toes"] is True
    # Her front knee is at about 75 deg, under the 80-100 deg the stretch asks for: the coach
    # accepts the position but flags the knee, with the cue to adjust the front foot.
    assert 70 <= values(a)["front_knee_90"] <= 80
    assert v["front_knee_90"] is False
    assert a.prompt == "Front knee at 90 degrees: adjust your front foot"


def test_half_split_is_not_taken_for_the_stretch():
    a = assess_image(footage("fitinsight_images/half_split.jpg"), "half_kneeling_hip_flexor")
    assert a.status is Status.NOT_IN_POSITION
    assert verdicts(a)["front_knee_bent"] is False
    assert values(a)["front_knee_bent"] > 160  # her front leg is straight


def correct(assessment) -> bool:
    """Judged in position with no form rule failing."""
    return assessment.status is Status.IN_POSITION and all(
        r.passed is not False for r in assessment.results
    )


BUTTERFLY_PHOTOS = "yoga_butterfly_images/BaddhaKonasana_butterfly"


def test_butterfly_photos_seen_front_on_are_judged_a_correct_butterfly():
    folder = footage(BUTTERFLY_PHOTOS)
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    assert len(photos) == 60
    found = front_on = right = 0
    for photo in photos:
        a = assess_image(photo, "butterfly")
        found += a.detected
        # Seen front-on: the set-up check passes (the person is in view and face-on).
        front_on += a.status in (Status.IN_POSITION, Status.NOT_IN_POSITION)
        right += correct(a)
    print(f"butterfly photos: {found} with a person, {front_on} front-on, {right} correct")
    assert found >= 55
    assert front_on >= 0.6 * found
    assert right >= 0.8 * front_on


@pytest.mark.parametrize("photo", ["happy_baby.jpg", "legs_up_wall.jpg"])
def test_lying_with_the_feet_off_the_floor_is_not_a_constructive_rest(photo):
    a = assess_image(footage(f"fitinsight_images/{photo}"), "constructive_rest")
    assert a.detected
    assert not correct(a), (a.status, verdicts(a), values(a))


@pytest.fixture(scope="module")
def task_model(tmp_path_factory):
    return build_pose_task(tmp_path_factory.mktemp("model") / "pose_landmarker_full.task")


def test_task_model_gives_the_same_verdicts(task_model):
    lunges = footage("fitinsight_images/lunges.jpg")
    legacy = assess_image(lunges, "half_kneeling_hip_flexor")
    tasks = assess_image(lunges, "half_kneeling_hip_flexor", model=task_model)
    assert verdicts(tasks) == verdicts(legacy)
    for rule_id, value in values(legacy).items():
        assert values(tasks)[rule_id] == pytest.approx(value, abs=3.0)


def test_task_model_in_video_mode_counts_the_rep(task_model, tmp_path):
    report = tmp_path / "r.json"
    assert (
        main(
            [
                "replay",
                str(footage("physioplus/bridging.mp4")),
                "--pose",
                "bridge",
                "--model",
                str(task_model),
                "--no-window",
                "--report",
                str(report),
            ]
        )
        == EXIT_OK
    )
    data = json.loads(report.read_text())
    assert data["reps"] == 1 and data["model"] == task_model.name


def test_bad_model_file_is_a_clear_error(tmp_path, capsys):
    bogus = tmp_path / "model.task"
    bogus.write_bytes(b"not a zip")
    code = main(
        [
            "replay",
            str(footage("fitinsight_images/lunges.jpg")),
            "--pose",
            "bridge",
            "--model",
            str(bogus),
            "--no-window",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot load model" in err[0] and ".task" in err[0]
