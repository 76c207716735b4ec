"""A generated evaluation set: every stretch in correct form and with each of its faults, plus
clips that must never count a rep of the repetition-mode stretch, and look-alike exercises
(`lookalikes`) that must earn no hold and no reps for the stretches they resemble.

`eval_set_specs` lists the clips; `write_eval_set` writes each as `NAME.mp4` with its truth
`NAME.truth.json` into one folder, with `labels.json` naming the clips that are also negatives
for other stretches:

    {"constructive_rest_correct_s0.mp4": {"pose": null, "negative_for": ["bridge"],
     "movement": "constructive rest: lying still", "truth": "generated"}}

    {"lookalike_plank_s0.mp4": {"pose": null, "negative_for": ["bridge", "bird_dog", "pigeon"],
     "movement": "plank: a high plank on straight arms, held", "truth": "generated"}}

(keys are paths relative to the labels file's folder; `pose: null` with `negative_for` means:
coach the clip as each listed stretch and expect no reps and no hold).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach.coaching.posefile import load_pose
from posecoach.inputs.files import write_json_atomic
from posecoach.synth.clip import (
    ClipSpec,
    SynthError,
    clip_script,
    spec_from_truth,
    truth_path_for,
    write_clip,
)
from posecoach.synth.lookalikes import LOOKALIKES
from posecoach.synth.motion import Phase
from posecoach.synth.stretches import STRETCH_MOTIONS

log = logging.getLogger(__name__)

LABELS_NAME = "labels.json"
GENERATED = "generated"  # the labels' `truth` of a generated clip

EVAL_SIZE_WH = (480, 360)
EVAL_FPS = 20.0
EVAL_HOLD_S = 8.0  # per side
EVAL_REPS = 4
QUICK_HOLD_S = 4.0
QUICK_REPS = 2
DROPOUT_S = 0.3  # the camera loses the person this long in the middle of a correct clip's hold
FAULT_SIDE = "right"  # the side a per-side stretch shows its faults on

# The stretch counted in reps, and the clips of other stretches that must never count one of
# its reps: what each shows, as the labels describe it.
REPS_STRETCH = "bridge"
_NEGATIVES: dict[str, str] = {
    "constructive_rest": "constructive rest: lying still",
    "supine_knee_to_chest": "supine knee to chest: one knee pulled in at a time, lying on the back",
}
_SETUP_ONLY_MOVEMENT = "bridge set-up only: lying down and lying still, knees up, no reps"


@dataclass(frozen=True)
class EvalClip:
    """One clip of the set: its file stem, what to generate, the stretches it is also a
    negative for (coached as one of them, it must count no reps) and what it shows."""

    name: str
    spec: ClipSpec
    negative_for: tuple[str, ...] = ()
    movement: str = ""

    @property
    def video_name(self) -> str:
        return f"{self.name}.mp4"

    def description(self) -> str:
        """What the clip shows, in a few words."""
        if self.movement:
            return self.movement
        stretch = self.spec.pose_id.replace("_", " ")
        return f"{stretch}: {self.spec.fault.replace('_', ' ') if self.spec.fault else 'correct'}"


def first_hold_s(spec: ClipSpec) -> tuple[float, float]:
    """(start_s, end_s) of the first span the script holds a position (its first IN_POSE
    segment; for a stretch counted in reps, the rest before the first rep)."""
    t_s = 0.0
    for segment in clip_script(spec).segments:
        if segment.phase is Phase.IN_POSE:
            return t_s, t_s + segment.duration_s
        t_s += segment.duration_s
    raise SynthError(f"{spec.pose_id}'s script holds no position: cannot place a dropout in it")


def with_dropout_in_first_hold(spec: ClipSpec, duration_s: float = DROPOUT_S) -> ClipSpec:
    """`spec` with one dropout of `duration_s` centred in its first hold."""
    start_s, end_s = first_hold_s(spec)
    middle_s = (start_s + end_s) / 2
    dropout = (round(middle_s - duration_s / 2, 3), duration_s)
    return ClipSpec(**{**_fields(spec), "dropouts": (dropout,)})


def _fields(spec: ClipSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


def eval_set_specs(seeds: int = 1, quick: bool = False, lookalikes: bool = True) -> list[EvalClip]:
    """The clips of the set for seeds 0..`seeds`-1 (the seed ends each name: `_s0`).

    For each stretch: correct form (both sides for a stretch done per side) with a dropout in
    the middle of the first hold, and each fault (on the right side for a per-side stretch);
    a set-up-only clip of the stretch counted in reps; the constructive rest and knee to chest
    clips in correct form are also negatives for it. With `lookalikes`, one clip of each
    look-alike exercise (`lookalike_ID`), a negative for the stretches it resembles. `quick`
    gives a handful of shorter clips (no look-alikes).
    """
    if seeds < 1:
        raise SynthError(f"an evaluation set needs 1 seed or more: got {seeds}")
    hold_s, reps = (QUICK_HOLD_S, QUICK_REPS) if quick else (EVAL_HOLD_S, EVAL_REPS)
    views = {pose_id: load_pose(pose_id).view.value for pose_id in STRETCH_MOTIONS}
    clips: list[EvalClip] = []
    for seed in range(seeds):

        def add(
            kind: str,
            pose_id: str,
            sides: tuple[str | None, ...],
            fault: str | None = None,
            reps: int = reps,
            seed: int = seed,
        ) -> None:
            stem = f"{pose_id}_{kind}"
            if quick and stem not in _QUICK:
                return
            spec = ClipSpec(
                pose_id,
                sides=sides,
                reps=reps,
                hold_s=hold_s,
                fault=fault,
                view="front" if views[pose_id] == "front" else "side",
                seed=seed,
                size_wh=EVAL_SIZE_WH,
                fps=EVAL_FPS,
            )
            movement = _SETUP_ONLY_MOVEMENT if kind == _SETUP_ONLY else ""
            negative_for: tuple[str, ...] = ()
            if kind == _CORRECT:
                spec = with_dropout_in_first_hold(spec)
                movement = _NEGATIVES.get(pose_id, "")
                negative_for = (REPS_STRETCH,) if pose_id in _NEGATIVES else ()
            clips.append(EvalClip(f"{stem}_s{seed}", spec, negative_for, movement))

        for pose_id, motion in STRETCH_MOTIONS.items():
            both: tuple[str | None, ...] = ("left", "right") if motion.per_side else (None,)
            one: tuple[str | None, ...] = (FAULT_SIDE,) if motion.per_side else (None,)
            add(_CORRECT, pose_id, both)
            for fault in motion.faults:
                add(fault, pose_id, one, fault)
        add(_SETUP_ONLY, REPS_STRETCH, (None,), reps=0)
        if lookalikes and not quick:
            clips.extend(lookalike_clip(look_id, seed) for look_id in LOOKALIKES)
    return clips


def lookalike_clip(look_id: str, seed: int = 0) -> EvalClip:
    """The set's clip of a look-alike exercise: in its view, judged by the first stretch it is
    a negative for, cycled `EVAL_REPS` times or held `EVAL_HOLD_S`."""
    look = LOOKALIKES[look_id]
    spec = ClipSpec(
        look.negative_for[0],
        reps=EVAL_REPS,
        hold_s=EVAL_HOLD_S,
        view=look.view,
        seed=seed,
        size_wh=EVAL_SIZE_WH,
        fps=EVAL_FPS,
        movement=look.id,
    )
    return EvalClip(f"{LOOKALIKE_PREFIX}{look.id}_s{seed}", spec, look.negative_for, look.movement)


LOOKALIKE_PREFIX = "lookalike_"


_CORRECT = "correct"
_SETUP_ONLY = "setup_only"
# The quick set: the stretch counted in reps, correct, with a fault and set up only; a held
# stretch on both sides with its dropout; a negative.
_QUICK = {
    f"{REPS_STRETCH}_{_CORRECT}",
    f"{REPS_STRETCH}_partial_rep",
    f"{REPS_STRETCH}_{_SETUP_ONLY}",
    f"half_kneeling_hip_flexor_{_CORRECT}",
    f"constructive_rest_{_CORRECT}",
}


Progress = Callable[[int, int, EvalClip, bool], None]  # (done, total, clip, written)


def write_eval_set(
    folder: str | Path,
    clips: Iterable[EvalClip],
    workers: int = 1,
    progress: Progress | None = None,
) -> Path:
    """Write each clip (`NAME.mp4` and `NAME.truth.json`) and `labels.json` in `folder`, in
    `workers` processes; returns the labels file's path.

    A clip whose video and truth are already there, generated from the same spec, is kept as
    it is, so writing the set again only writes what changed. `labels.json` lists the clips
    that are negatives for other stretches; entries not generated here (their `truth` is not
    "generated") are kept. `progress(done, total, clip, written)` is called as each clip is
    finished (`written` False for one kept).
    """
    folder = Path(folder)
    clips = list(clips)
    names = [c.name for c in clips]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SynthError(f"evaluation clip names must be unique: {', '.join(repeated)} repeated")
    labels_path = folder / LABELS_NAME
    kept_labels = _user_labels(labels_path)
    folder.mkdir(parents=True, exist_ok=True)
    todo: list[EvalClip] = []
    done = 0
    for clip in clips:
        if not _up_to_date(folder, clip):
            todo.append(clip)
            continue
        done += 1
        if progress is not None:
            progress(done, len(clips), clip, False)
    if workers > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            futures: dict[Future[None], EvalClip] = {
                pool.submit(_write_one, folder, clip.name, clip.spec): clip for clip in todo
            }
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    if future.exception() is not None:
                        for other in pending:
                            other.cancel()
                    future.result()  # raises the worker's error
                    done += 1
                    if progress is not None:
                        progress(done, len(clips), futures[future], True)
    else:
        for clip in todo:
            _write_one(folder, clip.name, clip.spec)
            done += 1
            if progress is not None:
                progress(done, len(clips), clip, True)
    labels = kept_labels | {
        clip.video_name: {
            "pose": None,
            "negative_for": list(clip.negative_for),
            "movement": clip.description(),
            "truth": GENERATED,
        }
        for clip in clips
        if clip.negative_for
    }
    write_json_atomic(labels_path, labels)
    return labels_path


def _write_one(folder: Path, name: str, spec: ClipSpec) -> None:
    write_clip(spec, load_pose(spec.pose_id), folder / f"{name}.mp4")


def _up_to_date(folder: Path, clip: EvalClip) -> bool:
    """Whether the clip's video and truth are in `folder`, generated from the clip's spec."""
    video = folder / clip.video_name
    truth_path = truth_path_for(video)
    if not (video.is_file() and truth_path.is_file()):
        return False
    try:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        return spec_from_truth(truth) == clip.spec
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.info("%s: writing it again (its truth cannot be read: %s)", video, error)
        return False


def _user_labels(path: Path) -> dict[str, Any]:
    """The entries of an existing labels file that were not generated (to keep them)."""
    if not path.is_file():
        return {}
    try:
        labels = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SynthError(
            f"{path}: cannot read the labels ({error}): fix the file or remove it"
        ) from None
    if not isinstance(labels, dict):
        raise SynthError(
            f"{path}: expecting an object of clip name -> label, got {type(labels).__name__}: "
            "fix the file or remove it"
        )
    return {
        key: value
        for key, value in labels.items()
        if not (isinstance(value, dict) and value.get("truth") == GENERATED)
    }
