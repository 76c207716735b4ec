"""The typed summaries of a stretch and of a guided session: read back from their JSON they
are what was written, their JSON is the report's as it always was, and old or partial
reports still read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from posecoach.coaching.coach import Coach
from posecoach.coaching.overrides import apply_overrides, parse_set
from posecoach.coaching.posefile import load_pose
from posecoach.coaching.temporal import EventKind
from posecoach.inputs.files import write_json_atomic
from posecoach.model.estimator import create_estimator
from posecoach.model.opening import open_source
from posecoach.reports.report import SessionReport
from posecoach.reports.summary import (
    GuidedStretch,
    GuidedSummary,
    StretchSummary,
    SummaryError,
)
from posecoach.run.pipeline import assess

from builders import half_kneeling
from conftest import REPO

FPS = 20.0
KNEEL = "half_kneeling_hip_flexor"


def kneeling_report() -> SessionReport:
    """Per side: 3 s kneeling on the right leg, upright then leaning (a fault), then 3 s on
    the left; with a threshold set above the pose file."""
    pose = dataclasses.replace(load_pose(KNEEL), stay_s=0.0)
    coach, report = Coach(pose), SessionReport(pose=pose, source="built", model="none")
    frames = [("RIGHT", 0.0)] * 30 + [("RIGHT", 28.0)] * 30 + [("LEFT", 0.0)] * 60
    for index, (back_leg, lean) in enumerate(frames):
        t = index * 1000 / FPS
        body = half_kneeling(back_leg=back_leg, torso_lean_deg=lean, timestamp_ms=t)
        report.add(coach.update(body, t, index))
    report.timing = {"analysed_fps": 123.4}
    return report


def test_a_stretch_reads_back_from_its_json_as_it_was():
    report = kneeling_report()
    summary = report.summary(fps=FPS)
    assert summary.sides.keys() == {"left", "right"} and summary.side_difference is not None
    assert summary.faults and summary.cues and summary.events
    data = summary.to_dict()
    assert data == report.to_dict(fps=FPS) == legacy_dict(report, FPS)
    assert list(data) == list(legacy_dict(report, FPS))  # the same keys in the same order
    assert StretchSummary.from_dict(data) == summary
    assert StretchSummary.from_dict(json.loads(json.dumps(data))) == summary


def test_a_guided_session_reads_back_from_its_json_as_it_was():
    stretch = kneeling_report().summary()
    session = GuidedSummary(
        kind="session",
        session_version=1,
        routine="r",
        routine_name="R",
        routine_file="/r.toml",
        started_at="2026-01-01T10:00:00+01:00",
        source="built",
        model="none",
        duration_s=12.5,
        complete=False,
        ended_by="stopped by the user",
        stretches=(
            GuidedStretch(pose=KNEEL, pose_name="Kneel", status="stopped", step=1, report=stretch),
            GuidedStretch(pose="bridge", pose_name="Bridge", status="not reached", step=2),
        ),
    )
    data = session.to_dict()
    assert list(data) == [
        "kind",
        "session_version",
        "routine",
        "routine_name",
        "routine_file",
        "started_at",
        "source",
        "model",
        "duration_s",
        "skipped_frames",
        "complete",
        "ended_by",
        "stretches",
        "timeline",
    ]
    assert GuidedSummary.from_dict(json.loads(json.dumps(data))) == session


def test_old_and_partial_reports_read_with_what_they_have():
    skipped = StretchSummary.from_dict({"pose": "pigeon", "pose_name": "Pigeon"})
    assert not skipped.coached and skipped.complete is None and skipped.duration_s is None
    # A rep stretch's report from before `range`: its range is its best rep.
    old = StretchSummary.from_dict(
        {"pose": "bridge", "mode": "reps", "sides": {"left": {"reps": 2, "best_rep": 180.0}}}
    )
    assert old.sides["left"].range == 180.0 and old.sides["left"].good_form_s is None
    # A stretch of a guided session with no report takes its pose from the entry.
    session = GuidedSummary.from_dict({"stretches": [{"pose": "bridge", "status": "skipped"}]})
    assert session.stretches[0].report is None and session.complete
    with pytest.raises(SummaryError, match=r"stretch 1 \(bridge\): expected a number for reps"):
        GuidedSummary.from_dict({"stretches": [{"pose": "bridge", "report": {"reps": "two"}}]})


@pytest.mark.model
def test_a_replayed_sample_writes_the_report_it_always_did(tmp_path: Path):
    """The bundled sample coached with the real model: the summary's JSON is the report's
    dict as it was built before the summary was typed, byte for byte once written."""
    pose = load_pose("bridge")
    estimator = create_estimator(None, static_images=False)
    try:
        with open_source(REPO / "samples" / "bridge_partial_rep.mp4") as source:
            fps = source.fps
            report = SessionReport(pose=pose, source=source.name, model=estimator.name)
            for _, assessment in assess(source, estimator, Coach(pose)):
                report.add(assessment)
    finally:
        estimator.close()
    summary = report.summary(fps=fps)
    assert summary.reps > 0 and summary.events
    typed = write_json_atomic(tmp_path / "typed.json", summary.to_dict()).read_bytes()
    legacy = write_json_atomic(tmp_path / "dict.json", legacy_dict(report, fps)).read_bytes()
    assert typed == legacy
    assert StretchSummary.from_dict(json.loads(typed)) == summary


def test_overrides_are_kept_as_given():
    pose = apply_overrides(load_pose("bridge"), [parse_set("bridge.counter.peak=170")])
    summary = SessionReport(pose=pose, source="s", model="m").summary()
    (entry,) = summary.overrides.values()
    assert entry.value == 170 and entry.pose_file_value == 165 and entry.source == "--set"
    assert StretchSummary.from_dict(summary.to_dict()) == summary


def legacy_dict(report: SessionReport, fps: float | None) -> dict[str, Any]:
    """The report's JSON as `SessionReport.to_dict` built it as a dict, before the typed
    summary: the reference the summary must match."""
    sides: dict[str, dict[str, Any]] = {}
    for name, totals in report.totals.items():
        if name == "all":
            continue
        values = report._side_values.get(name, {})
        medians = {rule_id: round(sample.median(), 2) for rule_id, sample in values.items()}
        best = None if totals.best is None else round(totals.best, 1)
        sides[name] = {
            "reps": totals.reps,
            "hold_s": round(totals.hold_s, 2),
            "good_form_s": round(report._good_form_s.get(name, 0.0), 2),
            "best_rep": best,
            "range": report._range(best, medians),
            "rule_medians": medians,
        }
    difference = None
    if len(sides) == 2:
        left, right = sides["left"], sides["right"]
        ranges = (left["range"], right["range"])
        difference = {
            "reps": right["reps"] - left["reps"],
            "hold_s": round(right["hold_s"] - left["hold_s"], 2),
            "good_form_s": round(right["good_form_s"] - left["good_form_s"], 2),
            "range": None if None in ranges else round(ranges[1] - ranges[0], 2),
            "rule_medians": {
                rule_id: round(right["rule_medians"][rule_id] - value, 2)
                for rule_id, value in left["rule_medians"].items()
                if rule_id in right["rule_medians"]
            },
        }
    detected = max(report.detected, 1)
    pose = report.pose
    return {
        "report_version": 1,
        "posecoach_version": StretchSummary.from_dict(report.to_dict()).posecoach_version,
        "pose": pose.id,
        "pose_name": pose.name,
        "mode": pose.mode.value,
        "target": pose.target,
        "per_side": pose.per_side,
        "pose_file": str(pose.path),
        "overrides": {
            e.name: {
                "value": e.value,
                "pose_file_value": e.pose_file_value,
                "from": e.source,
                "where": e.where,
            }
            for e in pose.overrides
        },
        "source": report.source,
        "model": report.model,
        "frames": report.frames,
        "duration_s": report.duration_s(fps),
        "detected_fraction": round(report.detected / report.frames, 4) if report.frames else 0.0,
        "in_position_fraction": round(report.in_position / report.frames, 4)
        if report.frames
        else 0.0,
        "reps": sum(t.reps for t in report.totals.values()),
        "hold_s": round(sum(t.hold_s for t in report.totals.values()), 2),
        "good_form_s": round(sum(report._good_form_s.values()), 2),
        "range_rule": pose.range_rule,
        "sides": sides,
        "side_difference": difference,
        "rules": {
            rule.id: round(report._rules[rule.id].passed / report._denominator(rule, detected), 4)
            for rule in pose.rules
        },
        "rules_judged": {
            rid: {"judged_frames": t.judged, "passed_frames": t.passed}
            for rid, t in report._rules.items()
        },
        "cues": report.cues,
        "events": [e for e in report.events if e["event"] != EventKind.REP_PEAK.value],
        "faults": report.faults(),
        "stride": report.stride,
        "skipped_frames": report.skipped,
        "timing": report.timing,
        "ended_by": report.ended_by,
        "complete": report.complete,
    }
