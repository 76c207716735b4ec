"""The (clip, stretch) pairs of `posecoach eval`: found in a folder of generated clips or
a labels file (`find_jobs`), and what one pair runs (`run_job`: the clip coached as
`posecoach replay` coaches it, then measured)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from posecoach.coaching.posefile import PoseSpec, load_pose
from posecoach.config.errors import PosecoachError, SourceError
from posecoach.evaluation.labels import (
    LABELS_NAME,
    TRUTH_SUFFIX,
    jobs_from_labels,
    load_catalogue,
    load_labels,
    read_truth,
)
from posecoach.evaluation.metrics import measure
from posecoach.evaluation.pairs import FrameRecord, Job, Kind, Row
from posecoach.model.recording import RECORDING_SUFFIX
from posecoach.output.sinks import VIDEO_SUFFIXES

# --- Finding the clips -----------------------------------------------------------------------


def find_jobs(path: str | Path, pose_dirs: Sequence[Path] = ()) -> list[Job]:
    """The (clip, stretch) pairs of a folder of generated clips (and its labels.json) or of a
    labels file. Raises PosecoachError saying what to give when there is nothing to evaluate."""
    path = Path(path)
    wanted = (
        "give a folder of generated clips (NAME.mp4 with NAME.truth.json, from 'posecoach "
        "synth') or a labels file (.json)"
    )
    if not path.exists():
        raise PosecoachError(f"no such file or folder: {path}: {wanted}")
    poses = load_catalogue(pose_dirs)
    if path.is_file():
        if path.suffix.lower() != ".json":
            raise PosecoachError(f"{path} is not a folder or a .json labels file: {wanted}")
        return jobs_from_labels(load_labels(path, poses), poses, pose_dirs)
    truths = sorted(p for p in path.glob(f"*{TRUTH_SUFFIX}") if not p.name.startswith("."))
    labels_path = path / LABELS_NAME
    if not truths and not labels_path.is_file():
        raise PosecoachError(
            f"{path} holds no generated clips (NAME{TRUTH_SUFFIX} beside NAME.mp4) and no "
            f"{LABELS_NAME}: generate clips into it with 'posecoach synth --pose ID --out "
            f"{path / 'NAME.mp4'}', or give a labels file"
        )
    jobs = [_truth_job(truth, poses, pose_dirs) for truth in truths]
    if labels_path.is_file():
        jobs += jobs_from_labels(load_labels(labels_path, poses), poses, pose_dirs)
    return jobs


def _truth_job(truth_path: Path, poses: Mapping[str, PoseSpec], pose_dirs: Sequence[Path]) -> Job:
    stem = truth_path.name[: -len(TRUTH_SUFFIX)]
    truth = read_truth(truth_path)
    pose_id = truth.get("pose")
    if not isinstance(pose_id, str) or pose_id not in poses:
        raise PosecoachError(
            f"{truth_path}: pose: unknown pose {pose_id!r}: expecting one of "
            f"{', '.join(sorted(poses))} (give the folder with its pose file with --poses)"
        )
    suffixes = (*VIDEO_SUFFIXES, RECORDING_SUFFIX)  # a video, or a recording made from it
    videos = [truth_path.with_name(stem + suffix) for suffix in suffixes]
    video = next((v for v in videos if v.is_file()), None)
    skip = None
    if video is None:
        others = ", ".join(stem + suffix for suffix in suffixes)
        skip = f"no video beside {truth_path.name} (expecting one of {others})"
    return Job(
        clip=video.name if video is not None else f"{stem}.mp4",
        path=video if video is not None else videos[0],
        pose_id=pose_id,
        kind=Kind.GENERATED,
        truth_path=truth_path,
        pose_dirs=tuple(pose_dirs),
        skip=skip,
    )


# --- Running ---------------------------------------------------------------------------------


def run_job(job: Job) -> Row:
    """Coach one clip as one stretch, as `posecoach replay` does (without drawing), and measure."""
    if job.skip is not None:
        return Row(clip=job.clip, pose=job.pose_id, kind=job.kind.value, skipped=job.skip)
    # Imported here: the model loads only in the processes that run clips.
    from posecoach.coaching.coach import Coach
    from posecoach.model.opening import open_input
    from posecoach.model.recording import RecordingSource
    from posecoach.run.pipeline import assess

    pose = load_pose(job.pose_id, job.pose_dirs)
    if job.overrides is not None:
        pose = job.overrides.apply(pose)
    truth = read_truth(job.truth_path) if job.truth_path is not None else None
    frames: list[FrameRecord] = []
    try:
        # A recording carries its landmarks: the model is not loaded for it.
        with open_input(job.path, threads=job.threads) as opened:
            still = opened.source.independent_frames
            if isinstance(opened.source, RecordingSource):
                opened.source.accept_cut_off = True  # measure the frames there are (it warns)
            coach = Coach(pose)
            for _, assessment in assess(opened.source, opened.estimator, coach):
                frames.append(FrameRecord.from_assessment(assessment, pose))
            held_s = {key: totals.hold_s for key, totals in coach.totals().items()}
    except SourceError as error:
        return Row(clip=job.clip, pose=job.pose_id, kind=job.kind.value, skipped=str(error))
    return measure(job, pose, frames, held_s, truth, still)
