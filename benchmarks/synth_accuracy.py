"""How well the pose model sees the synthetic performer: detection rate and 2D joint error.

For every stretch that has a pose file (and a motion script), generates correct-form clips
from the side and from the front for several seeds, runs posecoach's estimator (the bundled
MediaPipe full model) on every frame, and compares its landmarks with the truth:

- detection: the share of frames with the performer in view where a person was found;
- joint error: the mean distance between found and true image positions of the 12 main
  joints (shoulders, elbows, wrists, hips, knees, ankles), as a fraction of the true torso
  length (shoulder midpoint to hip midpoint) in that frame; also over all 33 landmarks.

Usage: python benchmarks/synth_accuracy.py [--seeds N] [--workers N]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from posecoach.coaching.posefile import load_pose, pose_paths
from posecoach.inputs.sources import Frame
from posecoach.model.estimator import create_estimator
from posecoach.model.landmarks import Landmark
from posecoach.synth.clip import Clip, ClipSpec, side_list
from posecoach.synth.motion import Phase
from posecoach.synth.stretches import STRETCH_MOTIONS

JOINTS = [
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_ELBOW,
    Landmark.RIGHT_ELBOW,
    Landmark.LEFT_WRIST,
    Landmark.RIGHT_WRIST,
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_ANKLE,
]
VIEWS = ("side", "front")
# Left/right pairs per limb group: side-on, the model often gives one limb the other's label
# (posecoach assigns front/back and near/far from the geometry for that reason).
_PAIRS = {
    "legs": ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX"),
    "arms": ("SHOULDER", "ELBOW", "WRIST", "PINKY", "INDEX", "THUMB"),
}
_GROUPS = [
    (
        np.array([Landmark[f"LEFT_{j}"] for j in joints]),
        np.array([Landmark[f"RIGHT_{j}"] for j in joints]),
    )
    for joints in _PAIRS.values()
]


def _unswapped(found: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, bool]:
    """`found` with each limb group's left/right labels exchanged where that fits the truth
    better; and whether any group was exchanged."""
    fixed = found.copy()
    swapped = False
    for left, right in _GROUPS:
        kept = (
            np.linalg.norm(found[left] - true[left], axis=1).sum()
            + np.linalg.norm(found[right] - true[right], axis=1).sum()
        )
        crossed = (
            np.linalg.norm(found[left] - true[right], axis=1).sum()
            + np.linalg.norm(found[right] - true[left], axis=1).sum()
        )
        if crossed < kept:
            fixed[left], fixed[right] = found[right], found[left]
            swapped = True
    return fixed, swapped


def measure(job: tuple[str, str, int]) -> dict[str, object]:
    """Run the model over one generated clip; per-frame errors (torso lengths)."""
    pose_id, view, seed = job
    pose = load_pose(pose_id)
    spec = ClipSpec(pose_id, sides=side_list(None, pose.per_side), view=view, seed=seed)
    clip = Clip(spec, pose)
    estimator = create_estimator(None, static_images=False)
    in_view = found = 0
    joint_errors: list[float] = []
    unswapped_errors: list[float] = []
    all_errors: list[float] = []
    swaps = 0
    try:
        for image, truth in clip.frames():
            if truth.phase is Phase.OUT_OF_FRAME:
                continue
            in_view += 1
            landmarks = estimator.estimate(Frame(image, truth.t_s * 1000.0, truth.index))
            if landmarks is None:
                continue
            found += 1
            xy = truth.xy_px
            torso = float(
                np.linalg.norm(
                    xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean(axis=0)
                    - xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
                )
            )
            error = np.linalg.norm(landmarks.xy_px - xy, axis=1) / torso
            joint_errors.append(float(error[JOINTS].mean()))
            all_errors.append(float(error.mean()))
            fixed, swapped = _unswapped(landmarks.xy_px, xy)
            swaps += swapped
            unswapped_errors.append(
                float((np.linalg.norm(fixed - xy, axis=1) / torso)[JOINTS].mean())
            )
    finally:
        estimator.close()
    return {
        "pose": pose_id,
        "view": view,
        "in_view": in_view,
        "found": found,
        "swaps": swaps,
        "joints": joint_errors,
        "unswapped": unswapped_errors,
        "all": all_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="clips per stretch and view")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    args = parser.parse_args()

    with_pose = sorted(pose_paths())
    missing = [p for p in with_pose if p not in STRETCH_MOTIONS]
    stretches = [p for p in with_pose if p in STRETCH_MOTIONS]
    jobs = [(p, v, s) for p in stretches for v in VIEWS for s in range(args.seeds)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(measure, jobs))
    elapsed = time.perf_counter() - started

    print(
        f"Model on generated clips: correct form, every side, {args.seeds} seeds per row "
        "(bundled MediaPipe full model)"
    )
    header = (
        f"{'stretch':26s} {'view':6s} {'frames':>7s} {'detected':>9s} {'joint err':>10s} "
        f"{'p90':>6s} {'L/R fixed':>10s} {'p90':>6s} {'swapped':>8s} {'all 33':>7s}"
    )
    print(header)
    print("-" * len(header))
    for pose_id in stretches:
        for view in VIEWS:
            rows = [r for r in results if r["pose"] == pose_id and r["view"] == view]
            in_view = sum(int(r["in_view"]) for r in rows)  # type: ignore[call-overload]
            found = sum(int(r["found"]) for r in rows)  # type: ignore[call-overload]
            swaps = sum(int(r["swaps"]) for r in rows)  # type: ignore[call-overload]

            def pooled(key: str, rows: list[dict[str, object]] = rows) -> np.ndarray:
                values = [v for r in rows for v in r[key]]  # type: ignore[attr-defined]
                return np.array(values) if values else np.array([np.nan])

            joints, fixed, everything = pooled("joints"), pooled("unswapped"), pooled("all")
            print(
                f"{pose_id:26s} {view:6s} {in_view:7d} {found / max(in_view, 1):9.1%} "
                f"{np.mean(joints):10.1%} {np.percentile(joints, 90):6.1%} "
                f"{np.mean(fixed):10.1%} {np.percentile(fixed, 90):6.1%} "
                f"{swaps / max(found, 1):8.1%} {np.mean(everything):7.1%}"
            )
    for pose_id in missing:
        print(f"{pose_id:26s} (no motion script yet)")
    print(
        "\njoint err: mean 2D error of the 12 main joints over the frames where a person was "
        "found, as a fraction of the true torso length, with the model's left/right labels; "
        "L/R fixed: the same with each limb pair's labels exchanged where the model swapped "
        "them (swapped: share of frames with a swap); all 33: every landmark, labels as given. "
        f"{elapsed:.0f} s."
    )


if __name__ == "__main__":
    main()
