"""How well posecoach coaches every stretch: generated clips against their truth, and real footage.

For each stretch of the catalogue (every pose file with a motion script), through the bundled
MediaPipe full model and the coach exactly as `posecoach replay` runs them:

- correct form, `--seeds` clips (both sides where the stretch is done per side): the measured
  hold per side against the true hold, or the counted reps against the true full reps, and
  whether any form rule was flagged (failing in at least half the frames judged in position);
- every fault the performer can render that a rule should catch: whether the coach flags
  exactly the rules the truth says fail;
- the wrong view (face-on for a side-view stretch, side-on for a face-on one): the share of
  frames, among those truly in position where the person was found, that the coach reports
  as the wrong view instead of judging.

Then real footage from ../shared/footage (skipped where absent): the 60 butterfly images,
the constructive-rest negatives, and the bridge clip.

Usage: python benchmarks/catalogue.py [--seeds N] [--workers N] [--footage DIR] [STRETCH ...]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posecoach.coaching.coach import Assessment, Coach, Status
from posecoach.coaching.posefile import Mode, PoseSpec, View, load_pose, pose_paths
from posecoach.coaching.rules import When
from posecoach.coaching.temporal import EventKind
from posecoach.inputs.sources import Frame
from posecoach.model.estimator import create_estimator
from posecoach.model.opening import open_source
from posecoach.synth.clip import Clip, ClipSpec, TruthFrame, side_list
from posecoach.synth.stretches import LEAVE_FRAME, STRETCH_MOTIONS

FLAGGED = 0.5  # a rule is flagged when it fails in at least half the frames judged in position
HOLD_S, REPS = 8.0, 4
SIZE_WH, FPS = (480, 360), 20.0
# Faults no rule judges yet (movement quality within a hold or a rep).
UNJUDGED = {"bounce", "fast_drop", LEAVE_FRAME}
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Job:
    pose_id: str
    kind: str  # "correct", "fault" or "view"
    seed: int
    fault: str | None = None


def wrong_view(pose_id: str) -> str:
    """Face-on for a side-view stretch (75 deg round for floor stretches: straight at the feet
    the model barely finds a lying person), side-on for a face-on one."""
    if load_pose(pose_id).view is View.FRONT:
        return "side"
    return "oblique-75" if STRETCH_MOTIONS[pose_id].on_floor else "front"


def run(job: Job) -> dict[str, Any]:
    """Generate one clip, coach it through the model, compare with its truth."""
    pose = load_pose(job.pose_id)
    one_side = job.kind != "correct" and pose.per_side
    spec = ClipSpec(
        job.pose_id,
        sides=("right",) if one_side else side_list(None, pose.per_side),
        reps=REPS,
        hold_s=HOLD_S,
        fault=job.fault,
        view=wrong_view(job.pose_id) if job.kind == "view" else "side",
        seed=job.seed,
        size_wh=SIZE_WH,
        fps=FPS,
    )
    if job.kind != "view" and pose.view is View.FRONT:
        spec = ClipSpec(**{**spec.__dict__, "view": "front"})
    clip = Clip(spec, pose)
    coach = Coach(pose)
    estimator = create_estimator(None, static_images=False)
    assessments: list[Assessment] = []
    truth_frames = []
    try:
        for image, truth in clip.frames():
            landmarks = estimator.estimate(Frame(image, truth.t_s * 1000.0, truth.index))
            assessments.append(coach.update(landmarks, truth.t_s * 1000.0, truth.index))
            truth_frames.append(truth)
    finally:
        estimator.close()
    summary = clip.truth(truth_frames)
    if pose.mode is Mode.REPS:
        flagged, truly_failing = _rep_verdicts(pose, assessments, truth_frames, summary)
    else:
        flagged, truly_failing = _hold_verdicts(pose, assessments, truth_frames)
    truly = np.array([t.in_position for t in truth_frames])
    seen = [a for a, ok in zip(assessments, truly, strict=True) if ok and a.detected]
    totals = assessments[-1].totals
    return {
        "job": job,
        "true": {k: (v["hold_s"], v["reps"]) for k, v in summary["totals"].items()},
        "measured": {k: (v.hold_s, v.reps) for k, v in totals.items()},
        "flagged": flagged,
        "truly_failing": truly_failing,
        "wrong_view": sum(a.status is Status.WRONG_VIEW for a in seen) / max(len(seen), 1),
        "detected": sum(a.detected for a in assessments) / len(assessments),
    }


def _hold_verdicts(
    pose: PoseSpec, assessments: list[Assessment], truth_frames: list[TruthFrame]
) -> tuple[set[str], set[str]]:
    """Form rules failing in at least half the frames: as the coach judged them in position,
    and as the truth has them truly in position."""
    judged = [a for a in assessments if a.status is Status.IN_POSITION]
    truly = [t for t in truth_frames if t.in_position]
    form = [r for r in pose.rules if not r.gate]
    flagged = {
        r.id
        for r in form
        if judged and np.mean([_passed(a, r.id) is False for a in judged]) >= FLAGGED
    }
    failing = {
        r.id for r in form if truly and np.mean([t.passes[r.id] is False for t in truly]) >= FLAGGED
    }
    return flagged, failing


def _rep_verdicts(
    pose: PoseSpec,
    assessments: list[Assessment],
    truth_frames: list[TruthFrame],
    summary: dict[str, Any],
) -> tuple[set[str], set[str]]:
    """Top-of-rep rules failing on any rep: as the coach judged the reps it counted, and as the
    truth has them at the top of every full scripted rep."""
    top = [r for r in pose.rules if r.when is When.TOP]
    flagged = {
        r.rule.id
        for a in assessments
        if any(e.kind is EventKind.REP_COUNTED for e in a.events)
        for r in a.results
        if r.rule.when is When.TOP and r.passed is False
    }
    fps = summary["fps"]
    failing = {
        r.id
        for rep in summary["reps"]
        if rep["full"]
        for r in top
        if truth_frames[min(round(rep["top_s"] * fps), len(truth_frames) - 1)].passes[r.id] is False
    }
    return flagged, failing


def _passed(assessment: Assessment, rule_id: str) -> bool | None:
    return next(r.passed for r in assessment.results if r.rule.id == rule_id)


def footage_results(folder: Path) -> dict[str, str]:
    """Real footage, one line per stretch it covers."""
    lines: dict[str, str] = {}
    butterfly = folder / "yoga_butterfly_images" / "BaddhaKonasana_butterfly"
    if butterfly.is_dir():
        counts = assess_folder(butterfly, "butterfly")
        lines["butterfly"] = (
            f"{counts['correct']}/{counts['front']} front-on photos judged a correct butterfly "
            f"({counts['correct'] / max(counts['front'], 1):.0%}); "
            f"{counts['front']}/{counts['found']} of the photos with a person found are front-on"
        )
    negatives = [folder / "fitinsight_images" / n for n in ("happy_baby.jpg", "legs_up_wall.jpg")]
    if all(p.exists() for p in negatives):
        verdicts = [assess_image(p, "constructive_rest").status.value for p in negatives]
        lines["constructive_rest"] = "happy baby: " + ", legs up the wall: ".join(verdicts)
    return lines


def assess_image(path: Path, pose_id: str) -> Assessment:
    estimator = create_estimator(None, static_images=True)
    try:
        with open_source(path) as source:
            frame = next(iter(source))
            landmarks = estimator.estimate(frame)
    finally:
        estimator.close()
    return Coach(load_pose(pose_id)).update(landmarks, frame.timestamp_ms, frame.index)


def assess_folder(folder: Path, pose_id: str) -> dict[str, int]:
    """Counts over a folder of photos: person found, seen from the stretch's view, correct."""
    counts = {"images": 0, "found": 0, "front": 0, "correct": 0}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
            continue
        counts["images"] += 1
        assessment = assess_image(path, pose_id)
        counts["found"] += assessment.detected
        in_view = assessment.status in (Status.IN_POSITION, Status.NOT_IN_POSITION)
        counts["front"] += in_view or assessment.status is Status.JOINTS_HIDDEN
        correct = assessment.status is Status.IN_POSITION and all(
            r.passed is not False for r in assessment.results
        )
        counts["correct"] += correct
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="correct-form clips per stretch")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument(
        "--footage", type=Path, default=REPO.parent / "shared" / "footage", help="real footage"
    )
    parser.add_argument("stretches", nargs="*", help="only these stretches (default: all)")
    args = parser.parse_args()

    stretches = [
        p
        for p in sorted(pose_paths())
        if p in STRETCH_MOTIONS and (not args.stretches or p in args.stretches)
    ]
    jobs = []
    for pose_id in stretches:
        jobs += [Job(pose_id, "correct", 50 + seed) for seed in range(args.seeds)]
        names = sorted(set(STRETCH_MOTIONS[pose_id].faults) - UNJUDGED)
        jobs += [Job(pose_id, "fault", 60 + n, fault) for n, fault in enumerate(names)]
        jobs.append(Job(pose_id, "view", 70))
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run, jobs))
    real = footage_results(args.footage) if args.footage.is_dir() else {}
    elapsed = time.perf_counter() - started

    print(
        f"posecoach on generated clips ({SIZE_WH[0]}x{SIZE_WH[1]}, {FPS:g} fps, bundled full "
        f"model): correct form x{args.seeds} seeds, each fault once, the wrong view once\n"
    )
    print("| stretch | view | mode | target | correct form | faults flagged | wrong view | real |")
    print("|---|---|---|---|---|---|---|---|")
    for pose_id in stretches:
        pose = load_pose(pose_id)
        rows = [r for r in results if r["job"].pose_id == pose_id]
        correct = [r for r in rows if r["job"].kind == "correct"]
        faults = [r for r in rows if r["job"].kind == "fault"]
        wrong = next(r for r in rows if r["job"].kind == "view")
        print(
            f"| {pose_id} | {pose.view.value} | {pose.mode.value} | {pose.target_label} | "
            f"{_correct_text(pose.mode, correct)} | {_faults_text(faults)} | "
            f"{wrong['wrong_view']:.0%} reported | {real.get(pose_id, '')} |"
        )
    print(
        "\ncorrect form: worst |measured - true| hold over the sides and seeds (or counted/true "
        "reps), and the rules flagged (none is right). faults flagged: faults whose flagged "
        "rules are exactly the truly failing ones. wrong view: share of frames truly in "
        f"position (person found) reported as the wrong view. {elapsed:.0f} s."
    )


def _correct_text(mode: Mode, rows: list[dict[str, Any]]) -> str:
    flagged = set().union(*(r["flagged"] for r in rows))
    if mode is Mode.HOLD:
        worst = max(
            abs(r["measured"][side][0] - true[0]) for r in rows for side, true in r["true"].items()
        )
        text = f"hold within {worst:.1f} s"
    else:
        pairs = [f"{r['measured'][k][1]}/{true[1]}" for r in rows for k, true in r["true"].items()]
        text = "reps " + ", ".join(pairs)
    return text + ("; flagged " + ", ".join(sorted(flagged)) if flagged else "; nothing flagged")


def _caught(row: dict[str, Any]) -> bool:
    """A hold fault is caught when exactly its failing rules are flagged; a reps fault when
    the rules failing at the top of a rep are, and only the full reps are counted."""
    if row["flagged"] != row["truly_failing"]:
        return False
    if load_pose(row["job"].pose_id).mode is Mode.REPS:
        return all(row["measured"][k][1] == true[1] for k, true in row["true"].items())
    return bool(row["truly_failing"])


def _faults_text(rows: list[dict[str, Any]]) -> str:
    right = [r for r in rows if _caught(r)]
    missed = [
        f"{r['job'].fault} ({', '.join(sorted(r['flagged'])) or 'nothing'})"
        for r in rows
        if r not in right
    ]
    return f"{len(right)}/{len(rows)}" + (" - wrong: " + "; ".join(missed) if missed else "")


if __name__ == "__main__":
    main()
