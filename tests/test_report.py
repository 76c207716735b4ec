"""The report's time in good form, faults with their times, and range per side."""

from __future__ import annotations

import pytest

from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.reports.report import SessionReport

from builders import half_kneeling

FPS = 20.0


def coached_report(leans: list[float]) -> dict:
    """A half-kneeling hold on the right leg, one frame per value of `leans` (the torso's
    forward lean in degrees, 0 upright; over 15 fails torso_upright)."""
    pose = load_pose("half_kneeling_hip_flexor")
    coach, report = Coach(pose), SessionReport(pose=pose, source="built", model="none")
    for index, lean in enumerate(leans):
        t = index * 1000 / FPS
        body = half_kneeling(torso_lean_deg=lean, timestamp_ms=t, frame_index=index)
        report.add(coach.update(body, t, index))
    return report.to_dict(fps=FPS)


def lean_faults(data: dict) -> list[dict]:
    """The torso_upright faults (leaning this builder's torso also closes the hip angle, so
    hip_forward fails with it)."""
    return [fault for fault in data["faults"] if fault["rule"] == "torso_upright"]


def test_a_lean_in_the_middle_is_one_fault_with_its_times_and_costs_good_form():
    upright, leaning = [0.0] * 60, [28.0] * 40
    data = coached_report(upright + leaning + upright)
    (fault,) = lean_faults(data)
    assert fault["cue"] == "Chest up, don't lean forward"
    assert {f["rule"] for f in data["faults"]} == {"torso_upright", "hip_forward"}
    assert fault["start_s"] == pytest.approx(60 / FPS, abs=0.15)
    assert fault["end_s"] == pytest.approx(99 / FPS, abs=0.15)
    (side,) = [name for name, s in data["sides"].items() if s["hold_s"] > 0]
    assert fault["side"] == side
    in_position_s = data["in_position_fraction"] * len(upright * 2 + leaning) / FPS
    # Good form: in position but not while leaning (2 s of the lean).
    assert data["good_form_s"] == pytest.approx(in_position_s - 2.0, abs=0.2)
    assert data["sides"][side]["good_form_s"] == data["good_form_s"]
    # Range: the hip_forward rule's median in position.
    assert data["range_rule"] == "hip_forward"
    assert data["sides"][side]["range"] == data["sides"][side]["rule_medians"]["hip_forward"]


def test_a_flicker_is_not_a_fault_and_a_short_pass_does_not_split_one():
    flicker = [0.0] * 40 + [28.0] * 4 + [0.0] * 40  # 0.2 s of lean
    assert lean_faults(coached_report(flicker)) == []
    split = [0.0] * 40 + [28.0] * 20 + [0.0] * 4 + [28.0] * 20 + [0.0] * 20
    (fault,) = lean_faults(coached_report(split))
    assert fault["end_s"] - fault["start_s"] == pytest.approx(43 / FPS, abs=0.15)


def test_a_fault_still_going_at_the_end_is_listed():
    (fault,) = lean_faults(coached_report([0.0] * 40 + [28.0] * 30))
    assert fault["end_s"] == pytest.approx(69 / FPS, abs=0.1)
