"""How accurately posecoach coaches: clips whose truth is known, run through the coach as
`posecoach replay` runs them, and compared with that truth.

Two kinds of input:

- a folder of generated clips (`posecoach synth`): each `NAME.truth.json` with its video
  `NAME.mp4` (or a landmark recording of it, `posecoach record`) beside it. The truth has
  the reps and hold seconds per side, every rule's verdict in every frame, and which frames
  are truly in position.
- a labels file (JSON): clip path -> what is known about it (the stretch shown, reps, hold
  seconds, faults, what it is a negative for). See `load_labels` for the keys.

Every (clip, stretch) pair gives one `Row`; `summarize` turns the rows into the accuracy
figures. The clip-level fault definitions (`hold_flagged`, `reps_flagged`, `coach_flagged`,
`truth_failing`) are the ones the benchmarks use.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import multiprocessing
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posecoach import __version__
from posecoach.coaching.coach import Assessment, Status
from posecoach.coaching.overrides import Overrides
from posecoach.coaching.posefile import Mode, PoseSpec, load_pose, pose_paths
from posecoach.coaching.rules import When
from posecoach.coaching.temporal import EventKind
from posecoach.config.errors import PosecoachError, SourceError
from posecoach.model.blazepose.models import WORKER_THREADS
from posecoach.model.recording import RECORDING_SUFFIX
from posecoach.output.sinks import VIDEO_SUFFIXES
from posecoach.synth.clip import TRUTH_VERSION

EVAL_VERSION = 1
LABELS_NAME = "labels.json"
TRUTH_SUFFIX = ".truth.json"

# A form rule is flagged on a hold when it fails in at least this share of the frames in
# position (as the coach judged them, or as the truth has them).
FLAGGED_SHARE = 0.5
# A hold time within this of the truth counts as close.
HOLD_CLOSE_S = 0.5
# A clip's total hold is right within the larger of these of its truth (or inside its range).
HOLD_GOAL_S = 1.0
HOLD_GOAL_SHARE = 0.10
# A negative pair credited more hold than this is a false hold.
FALSE_HOLD_S = 0.5

# Side keys: "left"/"right" for a stretch done per side, "all" for one that is not, and
# "total" for the sum over both sides (a label that gives one number for a per-side stretch).
TOTAL = "total"


class LabelsError(PosecoachError):
    """A labels file with one or more malformed entries; all of them are listed at once."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problems))


class Kind(enum.Enum):
    """What a (clip, stretch) pair is expected to show."""

    GENERATED = "generated"  # a generated clip: exact truth from its sidecar
    LABELLED = "labelled"  # real footage of the stretch, with what its label says
    NEGATIVE = "negative"  # something else: no reps, no hold
    NEAR_MISS = "near miss"  # almost the stretch: no reps, no hold, stills never in position


@dataclass(frozen=True)
class Expected:
    """What a label says about one (clip, stretch) pair; empty or None where it says nothing."""

    reps: Mapping[str, int] = field(default_factory=dict)  # side key -> reps
    hold_s: Mapping[str, float] = field(default_factory=dict)  # side key -> seconds
    faults: frozenset[str] | None = None  # the form rules that should be flagged
    still_in_position: bool | None = None  # stills: every frame in position (or none)
    wrong_form_s: tuple[tuple[float, float], ...] = ()  # windows [start, end] in seconds
    right_form_s: tuple[tuple[float, float], ...] = ()
    rep_window_frames: tuple[int, int] | None = None  # count reps only in these frames
    # When the person is truly in the stretch's position ([start, end] seconds; None: not
    # known, () never), and when the camera shows the stretch's own view (None: throughout).
    in_pose_s: tuple[tuple[float, float], ...] | None = None
    own_view_s: tuple[tuple[float, float], ...] | None = None
    hold_s_range: tuple[float, float] | None = None  # the acceptable total hold, seconds
    reps_range: tuple[int, int] | None = None  # the acceptable total reps


@dataclass(frozen=True)
class Job:
    """One (clip, stretch) pair to run. `skip` says why it cannot be run (a warning row)."""

    clip: str  # as shown in the table
    path: Path
    pose_id: str
    kind: Kind
    expected: Expected = field(default_factory=Expected)
    truth_path: Path | None = None
    pose_dirs: tuple[Path, ...] = ()
    skip: str | None = None
    overrides: Overrides | None = None  # values above the pose files (--overrides, --set)
    threads: int | None = None  # the pose model's threads (None: its default)


@dataclass(frozen=True)
class FrameRecord:
    """What the evaluation keeps of one frame's assessment (a clip's assessments are large)."""

    index: int
    t_s: float
    status: Status
    side: str | None  # the side key the frame's totals go to (None: not known yet)
    verdicts: Mapping[str, bool | None]  # rule id -> passed (None: could not be judged)
    rep_counted: bool

    @classmethod
    def from_assessment(cls, assessment: Assessment, pose: PoseSpec) -> FrameRecord:
        if not pose.per_side:
            side: str | None = "all"
        else:
            side = assessment.side.value if assessment.side is not None else None
        return cls(
            index=assessment.frame_index,
            t_s=assessment.timestamp_ms / 1000.0,
            status=assessment.status,
            side=side,
            verdicts={r.rule.id: r.passed for r in assessment.results},
            rep_counted=any(e.kind is EventKind.REP_COUNTED for e in assessment.events),
        )

    @property
    def in_position(self) -> bool:
        return self.status is Status.IN_POSITION


@dataclass
class Row:
    """The result of one (clip, stretch) pair. Counts are per side key, each as
    {"expected": value or None, "measured": value}; rule lists are sorted rule ids."""

    clip: str
    pose: str
    kind: str
    mode: str | None = None
    still: bool = False
    frames: int = 0
    found_frames: int = 0  # frames in which the model found a person
    in_position_frames: int = 0  # frames the coach judged in position
    still_in_position: bool | None = None  # stills: expected in position in every frame / none
    reps: dict[str, dict[str, Any]] = field(default_factory=dict)
    hold_s: dict[str, dict[str, Any]] = field(default_factory=dict)
    agreement: float | None = None  # share of (frame, rule) verdicts equal to the truth's
    unknown_share: float | None = None  # share of (frame, rule) pairs the coach could not judge
    form_rules: list[str] = field(default_factory=list)  # the rules that can be flagged
    flagged: list[str] | None = None
    failing: list[str] | None = None  # truly failing (generated) or expected (labels)
    wrong_form_share: float | None = None  # in-position frames failing a form rule, per window
    right_form_share: float | None = None
    # Per frame, in the stretch's own view, against the in-position truth (None: no truth):
    in_pose_frames: int | None = None  # truly in position
    in_position_in_view: int | None = None  # judged in position by the coach
    in_pose_hits: int | None = None  # both
    hold_s_range: list[float] | None = None
    reps_range: list[int] | None = None
    skipped: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- The definitions shared with the benchmarks -------------------------------------------


def form_rules(pose: PoseSpec) -> list[str]:
    """The rules that can be flagged as faults: in reps mode those judged at the top of each
    rep; on a hold every rule that is not a gate."""
    if pose.mode is Mode.REPS:
        return [r.id for r in pose.rules if r.when is When.TOP]
    return [r.id for r in pose.rules if not r.gate]


def hold_flagged(
    rule_ids: Iterable[str], in_position: Sequence[Mapping[str, bool | None]]
) -> set[str]:
    """Rules failing in at least `FLAGGED_SHARE` of the frames in position (`in_position`:
    each such frame's verdicts; a rule not judged in a frame does not fail there)."""
    if not in_position:
        return set()
    return {
        rule
        for rule in rule_ids
        if sum(frame.get(rule) is False for frame in in_position) / len(in_position)
        >= FLAGGED_SHARE
    }


def reps_flagged(
    rule_ids: Iterable[str], rep_tops: Sequence[Mapping[str, bool | None]]
) -> set[str]:
    """Rules that failed on any rep (`rep_tops`: the verdicts at each rep's top)."""
    return {rule for rule in rule_ids if any(top.get(rule) is False for top in rep_tops)}


def coach_flagged(
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    rep_window_frames: tuple[int, int] | None = None,
) -> set[str]:
    """The form rules the coach flagged on a clip. Hold: failing in at least half the frames it
    judged in position. Reps: a top-of-rep rule that failed on a counted rep (on the frame
    whose REP_COUNTED event counted it; only reps in `rep_window_frames` when given)."""
    rules = form_rules(pose)
    if pose.mode is Mode.REPS:
        tops = [f.verdicts for f in frames if f.rep_counted and _in_window(f, rep_window_frames)]
        return reps_flagged(rules, tops)
    return hold_flagged(rules, [f.verdicts for f in frames if f.in_position])


def truth_failing(pose: PoseSpec, truth: Mapping[str, Any]) -> set[str]:
    """The form rules a generated clip's truth fails. Hold: failing in at least half the
    frames truly in position. Reps: a top-of-rep rule failing at the top frame of any full
    scripted rep."""
    per_frame = truth["per_frame"]
    passes: Mapping[str, list[bool | None]] = per_frame["passes"]
    rules = [r for r in form_rules(pose) if r in passes]
    count = len(per_frame["in_position"])
    if pose.mode is Mode.REPS:
        fps = float(truth["fps"])
        tops = [min(round(rep["top_s"] * fps), count - 1) for rep in truth["reps"] if rep["full"]]
        return reps_flagged(rules, [{r: passes[r][i] for r in rules} for i in tops])
    truly = [i for i, ok in enumerate(per_frame["in_position"]) if ok]
    return hold_flagged(rules, [{r: passes[r][i] for r in rules} for i in truly])


def verdict_agreement(
    pose: PoseSpec, frames: Sequence[FrameRecord], truth: Mapping[str, Any]
) -> tuple[float | None, float | None]:
    """(agreement, unknown share) of the coach's rule verdicts with a generated clip's truth.

    Over the frames truly in position that the coach also judged in position, and the form
    rules judged in every frame (gates pass in all of those frames by definition; rules judged
    at the top of a rep are compared by `coach_flagged` and `truth_failing` instead), each
    (frame, rule) pair whose truth is known counts: agreement is the share of those the coach
    judged where its verdict equals the truth's; the unknown share is the share it could not
    judge. None where there is nothing to compare.
    """
    per_frame = truth["per_frame"]
    truly: list[bool] = per_frame["in_position"]
    passes: Mapping[str, list[bool | None]] = per_frame["passes"]
    rules = [r.id for r in pose.rules if not r.gate and r.when is When.ALWAYS and r.id in passes]
    agree = known = unknown = 0
    for frame in frames:
        if not (0 <= frame.index < len(truly) and truly[frame.index] and frame.in_position):
            continue
        for rule in rules:
            true = passes[rule][frame.index]
            if true is None:
                continue
            judged = frame.verdicts.get(rule)
            if judged is None:
                unknown += 1
            else:
                known += 1
                agree += judged == true
    return (
        agree / known if known else None,
        unknown / (known + unknown) if known + unknown else None,
    )


def measured_reps(
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    rep_window_frames: tuple[int, int] | None = None,
) -> dict[str, int]:
    """Reps the coach counted per side key (only those in `rep_window_frames` when given)."""
    counts = dict.fromkeys(_side_keys(pose), 0)
    for frame in frames:
        if frame.rep_counted and frame.side in counts and _in_window(frame, rep_window_frames):
            counts[frame.side] += 1
    return counts


def form_window_share(
    pose: PoseSpec, frames: Sequence[FrameRecord], windows: Sequence[tuple[float, float]]
) -> float | None:
    """Of the frames in `windows` (seconds) that the coach judged in position, the share in
    which a form rule failed, as the coach showed it (a top-of-rep rule keeps its last rep's
    verdict until the next rep). None when no such frame."""
    rules = [r.id for r in pose.rules if not r.gate]
    inside = [f for f in frames if f.in_position and any(a <= f.t_s <= b for a, b in windows)]
    if not inside:
        return None
    failing = sum(any(f.verdicts.get(r) is False for r in rules) for f in inside)
    return failing / len(inside)


def _in_window(frame: FrameRecord, window: tuple[int, int] | None) -> bool:
    return window is None or window[0] <= frame.index <= window[1]


def _side_keys(pose: PoseSpec) -> list[str]:
    return ["left", "right"] if pose.per_side else ["all"]


def _total_key(pose: PoseSpec) -> str:
    """The key for one number covering the whole clip."""
    return TOTAL if pose.per_side else "all"


# --- Labels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """One entry of a labels file, checked."""

    key: str  # the path as written in the file
    path: Path
    pose: str | None = None
    reps: int | Mapping[str, int] | None = None
    hold_s: float | Mapping[str, float] | None = None
    form: str | None = None
    faults: tuple[str, ...] | None = None
    negative_for: tuple[str, ...] = ()
    near_miss_of: str | None = None
    movement: str | None = None
    wrong_form_s: tuple[tuple[float, float], ...] = ()
    right_form_s: tuple[tuple[float, float], ...] = ()
    rep_window_frames: tuple[int, int] | None = None
    in_pose_s: tuple[tuple[float, float], ...] | None = None
    views_s: Mapping[str, tuple[tuple[float, float], ...]] | None = None
    hold_s_range: tuple[float, float] | None = None
    reps_range: tuple[int, int] | None = None


FORMS = ("correct", "incorrect")
SIDES = ("left", "right")


class _EntryChecker:
    """Reads one entry's keys, collecting a problem ("ENTRY: KEY: message") for each bad one."""

    def __init__(self, key: str, entry: Mapping[str, Any], poses: Mapping[str, PoseSpec]):
        self.where = json.dumps(key)
        self.entry = entry
        self.poses = poses
        self.problems: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}: {key}: {message}")

    def pose_id(self, key: str, value: Any) -> str | None:
        if not isinstance(value, str):
            self.add(key, f"expecting a pose id (text), got {value!r}")
            return None
        if value not in self.poses:
            self.add(
                key,
                f"unknown pose {value!r}: expecting one of {', '.join(sorted(self.poses))}",
            )
            return None
        return value

    def optional_pose(self, key: str) -> str | None:
        value = self.entry.get(key)
        return None if value is None else self.pose_id(key, value)

    def text(self, key: str, choices: Sequence[str] | None = None) -> str | None:
        value = self.entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or (choices is not None and value not in choices):
            wanted = f"one of {', '.join(choices)}" if choices else "text"
            self.add(key, f"expecting {wanted}, got {value!r}")
            return None
        return value

    def count(self, key: str, pose: PoseSpec | None) -> int | dict[str, int] | None:
        """Reps: a whole number, or {"left": n, "right": n}."""
        amount = self._amount(key, pose, whole=True)
        if isinstance(amount, dict):
            return {side: int(value) for side, value in amount.items()}
        return None if amount is None else int(amount)

    def seconds(self, key: str, pose: PoseSpec | None) -> float | dict[str, float] | None:
        """Seconds: a number, or {"left": s, "right": s}."""
        return self._amount(key, pose, whole=False)

    def _amount(
        self, key: str, pose: PoseSpec | None, whole: bool
    ) -> float | dict[str, float] | None:
        value = self.entry.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            return self._number(key, value, whole)
        if pose is not None and not pose.per_side:
            self.add(key, f"{pose.id} is not done per side: give one number, not {value!r}")
            return None
        if not value or set(value) - set(SIDES):
            self.add(
                key,
                f'expecting a number, or per side {{"left": .., "right": ..}}, '
                f"got {json.dumps(value)}",
            )
            return None
        numbers = {side: self._number(key, v, whole) for side, v in value.items()}
        if any(v is None for v in numbers.values()):
            return None
        return {side: float(v) for side, v in numbers.items() if v is not None}

    def _number(self, key: str, value: Any, whole: bool) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and whole:
            ok = float(value).is_integer()
        if not ok or not math.isfinite(value) or value < 0:
            wanted = "a whole number of 0 or more" if whole else "a number of 0 or more"
            self.add(key, f"expecting {wanted}, got {value!r}")
            return None
        return float(value)

    def id_list(self, key: str) -> list[str] | None:
        value = self.entry.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(key, f"expecting a list of ids, got {value!r}")
            return None
        return list(value)

    def windows(self, key: str, value: Any = None) -> tuple[tuple[float, float], ...]:
        """[[start, end], ...] in seconds (the entry's `key`, or `value` when given)."""
        value = self.entry.get(key) if value is None else value
        if value is None:
            return ()
        out = []
        for pair in value if isinstance(value, list) else [value]:
            if not (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
                and 0 <= pair[0] < pair[1]
            ):
                self.add(
                    key, f"expecting [[start, end], ...] in seconds, start < end, got {value!r}"
                )
                return ()
            out.append((float(pair[0]), float(pair[1])))
        return tuple(out)

    def view_windows(self, key: str) -> dict[str, tuple[tuple[float, float], ...]] | None:
        """{view: [[start, end], ...]}: when the camera shows which view."""
        value = self.entry.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value):
            self.add(key, f'expecting {{"side": [[start, end], ...], ...}}, got {value!r}')
            return None
        return {view: self.windows(f"{key}.{view}", windows) for view, windows in value.items()}

    def span(self, key: str, whole: bool) -> tuple[float, float] | None:
        """[lowest, highest]: a range of acceptable values."""
        value = self.entry.get(key)
        if value is None:
            return None
        if not (isinstance(value, list) and len(value) == 2):
            self.add(key, f"expecting [lowest, highest], got {value!r}")
            return None
        low, high = (self._number(key, v, whole) for v in value)
        if low is None or high is None:
            return None
        if low > high:
            self.add(key, f"expecting [lowest, highest] with lowest <= highest, got {value!r}")
            return None
        return (low, high)

    def frame_window(self, key: str) -> tuple[int, int] | None:
        value = self.entry.get(key)
        if value is None:
            return None
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 0 <= value[0] <= value[1]
        ):
            self.add(key, f"expecting [first, last] frame numbers, got {value!r}")
            return None
        return (value[0], value[1])


def load_catalogue(pose_dirs: Iterable[Path] = ()) -> dict[str, PoseSpec]:
    """Every stretch (built in, then `pose_dirs`), by id."""
    dirs = list(pose_dirs)
    return {pose_id: load_pose(pose_id, dirs) for pose_id in sorted(pose_paths(dirs))}


def load_labels(path: str | Path, poses: Mapping[str, PoseSpec]) -> list[Label]:
    """Read and check a labels file: clip path -> the keys below. Relative paths are relative
    to the labels file's folder; a path ending in "/" is a folder of images. Keys starting
    with "_" (comments) are skipped; unknown keys inside an entry are ignored.

    `pose` (an id or null), `reps` (whole number, or {"left": n, "right": n}), `hold_s`
    (seconds, or per side), `form` ("correct" or "incorrect"), `faults` (rule ids expected to
    be flagged), `negative_for` (pose ids), `near_miss_of` (a pose id), `movement` (an exercise
    outside the catalogue: a negative for every stretch counted in reps), `wrong_form_s` and
    `right_form_s` ([[start, end], ...] seconds), `rep_window_frames` ([first, last]),
    `in_pose_s` ([[start, end], ...]: truly in position), `views_s` ({view: [[start, end], ...]}),
    `hold_s_range` and `reps_range` ([lowest, highest]).

    Raises LabelsError listing every malformed entry, with the file, the entry and the key.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PosecoachError(f"cannot read labels {path}: {error.strerror or error}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LabelsError(str(path), [f"not valid JSON ({error})"]) from error
    if not isinstance(data, dict):
        raise LabelsError(
            str(path), ["expecting an object of clip path -> labels, got " + type(data).__name__]
        )
    labels: list[Label] = []
    problems: list[str] = []
    for key, entry in data.items():
        if key.startswith("_"):
            continue
        label, entry_problems = _read_label(path, key, entry, poses)
        problems += entry_problems
        if label is not None:
            labels.append(label)
    if problems:
        raise LabelsError(str(path), problems)
    return labels


def _read_label(
    labels_path: Path, key: str, entry: Any, poses: Mapping[str, PoseSpec]
) -> tuple[Label | None, list[str]]:
    check = _EntryChecker(key, entry if isinstance(entry, dict) else {}, poses)
    if not key.strip():
        check.add("path", "missing: each key is a clip's path (relative to the labels file)")
    if not isinstance(entry, dict):
        check.add("labels", f"expecting an object of labels, got {entry!r}")
        return None, check.problems
    pose_id = check.optional_pose("pose")
    pose = poses.get(pose_id) if pose_id is not None else None
    reps = check.count("reps", pose)
    hold_s = check.seconds("hold_s", pose)
    if pose is not None and pose.mode is Mode.HOLD and reps is not None:
        check.add("reps", f"{pose.id} is a hold: give hold_s, not reps")
    if pose is not None and pose.mode is Mode.REPS and hold_s is not None:
        check.add("hold_s", f"{pose.id} is counted in reps: give reps, not hold_s")
    form = check.text("form", FORMS)
    faults = check.id_list("faults")
    if faults is not None:
        if pose is None:
            check.add("faults", "faults need a pose: give the stretch shown in 'pose'")
        else:
            allowed = form_rules(pose)
            unknown = [f for f in faults if f not in allowed]
            if unknown:
                check.add(
                    "faults",
                    f"{', '.join(map(repr, unknown))} not a form rule of {pose.id}: expecting "
                    f"one of {', '.join(allowed)}",
                )
    if form == "correct" and faults:
        check.add("faults", "form is 'correct' but faults are listed: give one or the other")
    negative_for = [
        p for p in (check.id_list("negative_for") or []) if check.pose_id("negative_for", p)
    ]
    near_miss_of = check.optional_pose("near_miss_of")
    movement = check.text("movement")
    wrong_form_s = check.windows("wrong_form_s")
    right_form_s = check.windows("right_form_s")
    rep_window = check.frame_window("rep_window_frames")
    in_pose_s = check.windows("in_pose_s") if "in_pose_s" in entry else None
    views_s = check.view_windows("views_s")
    hold_s_range = check.span("hold_s_range", whole=False)
    reps_span = check.span("reps_range", whole=True)
    reps_range = None if reps_span is None else (int(reps_span[0]), int(reps_span[1]))
    if pose is not None and pose.mode is Mode.HOLD and reps_range is not None:
        check.add("reps_range", f"{pose.id} is a hold: give hold_s_range, not reps_range")
    if pose is not None and pose.mode is Mode.REPS and hold_s_range is not None:
        check.add("hold_s_range", f"{pose.id} is counted in reps: give reps_range")
    if check.problems:
        return None, check.problems
    return (
        Label(
            key=key,
            path=labels_path.parent / key,
            pose=pose_id,
            reps=reps,
            hold_s=hold_s,
            form=form,
            faults=tuple(faults) if faults is not None else None,
            negative_for=tuple(negative_for),
            near_miss_of=near_miss_of,
            movement=movement,
            wrong_form_s=wrong_form_s,
            right_form_s=right_form_s,
            rep_window_frames=rep_window,
            in_pose_s=in_pose_s,
            views_s=views_s,
            hold_s_range=hold_s_range,
            reps_range=reps_range,
        ),
        [],
    )


def _amount_by_side(amount: Any, pose: PoseSpec) -> dict[str, Any]:
    if amount is None:
        return {}
    if isinstance(amount, Mapping):
        return dict(amount)
    return {_total_key(pose): amount}


def jobs_from_labels(
    labels: Sequence[Label], poses: Mapping[str, PoseSpec], pose_dirs: Sequence[Path] = ()
) -> list[Job]:
    """The (clip, stretch) pairs the labels ask for: the stretch shown, then what the clip is a
    near miss of and a negative for. A clip that is not there gives a skipped pair."""
    dirs = tuple(pose_dirs)
    rep_poses = [p for p, spec in poses.items() if spec.mode is Mode.REPS]
    jobs: list[Job] = []
    for label in labels:
        pairs: list[tuple[str, Kind, Expected]] = []
        if label.pose is not None:
            pose = poses[label.pose]
            faults = (
                label.faults
                if label.faults is not None
                else (() if label.form == "correct" else None)
            )
            expected = Expected(
                reps=_amount_by_side(label.reps, pose) if pose.mode is Mode.REPS else {},
                hold_s=_amount_by_side(label.hold_s, pose) if pose.mode is Mode.HOLD else {},
                faults=frozenset(faults) if faults is not None else None,
                still_in_position=True,
                wrong_form_s=label.wrong_form_s,
                right_form_s=label.right_form_s,
                rep_window_frames=label.rep_window_frames,
                in_pose_s=label.in_pose_s,
                own_view_s=(
                    label.views_s.get(pose.view.value, ()) if label.views_s is not None else None
                ),
                hold_s_range=label.hold_s_range if pose.mode is Mode.HOLD else None,
                reps_range=label.reps_range if pose.mode is Mode.REPS else None,
            )
            pairs.append((label.pose, Kind.LABELLED, expected))
        others: list[tuple[str, Kind]] = []
        if label.near_miss_of is not None:
            others.append((label.near_miss_of, Kind.NEAR_MISS))
        others += [(p, Kind.NEGATIVE) for p in label.negative_for]
        if label.movement is not None:
            others += [(p, Kind.NEGATIVE) for p in rep_poses]
        for pose_id, kind in others:
            if pose_id in (p for p, _, _ in pairs):
                continue
            pose = poses[pose_id]
            zero = {_total_key(pose): 0}
            pairs.append(
                (
                    pose_id,
                    kind,
                    Expected(
                        reps=zero if pose.mode is Mode.REPS else {},
                        hold_s={_total_key(pose): 0.0} if pose.mode is Mode.HOLD else {},
                        still_in_position=False if kind is Kind.NEAR_MISS else None,
                        rep_window_frames=label.rep_window_frames,
                    ),
                )
            )
        skip = _missing(label)
        if not pairs:
            pairs.append((label.pose or "-", Kind.LABELLED, Expected()))
            skip = skip or "nothing to measure: no pose, near_miss_of, negative_for or movement"
        jobs += [
            Job(label.key, label.path, pose_id, kind, expected, pose_dirs=dirs, skip=skip)
            for pose_id, kind, expected in pairs
        ]
    return jobs


def _missing(label: Label) -> str | None:
    if not label.path.exists():
        return f"not found: {label.path} (the footage folder may be partial)"
    if label.key.endswith("/") and not label.path.is_dir():
        return f"not a folder: {label.path} (a path ending in '/' is a folder of images)"
    return None


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


def read_truth(path: Path) -> dict[str, Any]:
    """A truth sidecar, checked for the format this reads."""
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PosecoachError(f"cannot read {path}: {error.strerror or error}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PosecoachError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(truth, dict) or truth.get("truth_version") != TRUTH_VERSION:
        found = truth.get("truth_version") if isinstance(truth, dict) else None
        raise PosecoachError(
            f"{path}: truth_version: expecting {TRUTH_VERSION}, got {found!r} "
            "(regenerate the clip with 'posecoach synth')"
        )
    return truth


# --- Running ---------------------------------------------------------------------------------


def run_job(job: Job) -> Row:
    """Coach one clip as one stretch, as `posecoach replay` does (without drawing), and measure."""
    if job.skip is not None:
        return Row(clip=job.clip, pose=job.pose_id, kind=job.kind.value, skipped=job.skip)
    # Imported here: the model loads only in the processes that run clips.
    from posecoach.coaching.coach import Coach
    from posecoach.model.estimator import create_estimator
    from posecoach.model.opening import open_source
    from posecoach.model.recording import RecordingSource
    from posecoach.run.pipeline import assess

    pose = load_pose(job.pose_id, job.pose_dirs)
    if job.overrides is not None:
        pose = job.overrides.apply(pose)
    truth = read_truth(job.truth_path) if job.truth_path is not None else None
    frames: list[FrameRecord] = []
    try:
        source = open_source(job.path)
    except SourceError as error:
        return Row(clip=job.clip, pose=job.pose_id, kind=job.kind.value, skipped=str(error))
    try:
        still = source.independent_frames
        # A recording carries its landmarks: the model is not loaded for it.
        recorded = isinstance(source, RecordingSource)
        if isinstance(source, RecordingSource):
            source.accept_cut_off = True  # measure the frames there are (it warns of the rest)
        estimator = (
            None if recorded else create_estimator(None, static_images=still, threads=job.threads)
        )
        try:
            coach = Coach(pose)
            for _, assessment in assess(source, estimator, coach):
                frames.append(FrameRecord.from_assessment(assessment, pose))
            held_s = {key: totals.hold_s for key, totals in coach.totals().items()}
        finally:
            if estimator is not None:
                estimator.close()
    except SourceError as error:
        return Row(clip=job.clip, pose=job.pose_id, kind=job.kind.value, skipped=str(error))
    finally:
        source.close()
    return measure(job, pose, frames, held_s, truth, still)


def truth_expected(pose: PoseSpec, truth: Mapping[str, Any]) -> Expected:
    """What a generated clip's truth says: reps (full reps) or hold seconds per side, and the
    truly failing form rules."""
    totals: Mapping[str, Mapping[str, float]] = truth["totals"]
    if pose.mode is Mode.REPS:
        return Expected(
            reps={k: int(v["reps"]) for k, v in totals.items()},
            faults=frozenset(truth_failing(pose, truth)),
        )
    return Expected(
        hold_s={k: float(v["hold_s"]) for k, v in totals.items()},
        faults=frozenset(truth_failing(pose, truth)),
    )


def measure(
    job: Job,
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    held_s: Mapping[str, float],
    truth: Mapping[str, Any] | None,
    still: bool,
) -> Row:
    """Compare the coach's frames of one clip with what is expected of it. `held_s`: the
    seconds its hold timers credited per side key at the end."""
    expected = truth_expected(pose, truth) if truth is not None else job.expected
    window = expected.rep_window_frames
    row = Row(
        clip=job.clip,
        pose=pose.id,
        kind=job.kind.value,
        mode=pose.mode.value,
        still=still,
        frames=len(frames),
        found_frames=sum(f.status is not Status.NO_PERSON for f in frames),
        in_position_frames=sum(f.in_position for f in frames),
        still_in_position=expected.still_in_position if still else None,
        form_rules=form_rules(pose),
    )
    if pose.mode is Mode.REPS:
        counted = measured_reps(pose, frames, window)
        counted[TOTAL] = sum(counted.values())
        keys = list(expected.reps) or _side_keys(pose)
        row.reps = {k: {"expected": expected.reps.get(k), "measured": counted[k]} for k in keys}
    else:
        held = dict(held_s)
        held[TOTAL] = sum(held_s.values())
        keys = list(expected.hold_s) or _side_keys(pose)
        row.hold_s = {
            k: {"expected": expected.hold_s.get(k), "measured": round(held[k], 2)} for k in keys
        }
    row.flagged = sorted(coach_flagged(pose, frames, window))
    row.failing = sorted(expected.faults) if expected.faults is not None else None
    if truth is not None:
        row.agreement, row.unknown_share = verdict_agreement(pose, frames, truth)
        if truth.get("frames") != len(frames):
            row.note = f"the video has {len(frames)} frames, the truth {truth.get('frames')}"
    if expected.wrong_form_s:
        row.wrong_form_share = form_window_share(pose, frames, expected.wrong_form_s)
    if expected.right_form_s:
        row.right_form_share = form_window_share(pose, frames, expected.right_form_s)
    truly = in_pose_truth(pose, frames, expected, truth)
    if truly is not None:
        in_pose, in_view = truly
        coach = np.array([f.in_position for f in frames], dtype=bool)
        row.in_pose_frames = int((in_pose & in_view).sum())
        row.in_position_in_view = int((coach & in_view).sum())
        row.in_pose_hits = int((coach & in_pose & in_view).sum())
    if expected.hold_s_range is not None:
        row.hold_s_range = list(expected.hold_s_range)
    if expected.reps_range is not None:
        row.reps_range = list(expected.reps_range)
    return row


def _within_windows(t_s: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(start <= t_s <= end for start, end in windows)


def in_pose_truth(
    pose: PoseSpec,
    frames: Sequence[FrameRecord],
    expected: Expected,
    truth: Mapping[str, Any] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per frame: whether the person is truly in the stretch's position, and whether the
    camera shows the stretch's own view; None when nothing says. A label's `in_pose_s` and
    `views_s` give them; a generated clip's truth has the first for every frame, and its view
    is the stretch's own or not for the whole clip."""
    if truth is not None:
        per_frame = truth.get("per_frame", {}).get("in_position")
        if per_frame is None:
            return None
        in_pose = np.array(
            [0 <= f.index < len(per_frame) and bool(per_frame[f.index]) for f in frames],
            dtype=bool,
        )
        own_view = truth.get("spec", {}).get("view") == pose.view.value
        return in_pose, np.full(len(frames), own_view, dtype=bool)
    if expected.in_pose_s is None:
        return None
    in_pose = np.array([_within_windows(f.t_s, expected.in_pose_s) for f in frames], dtype=bool)
    if expected.own_view_s is None:
        return in_pose, np.ones(len(frames), dtype=bool)
    in_view = np.array([_within_windows(f.t_s, expected.own_view_s) for f in frames], dtype=bool)
    return in_pose, in_view


def run_jobs(
    jobs: Sequence[Job], workers: int = 1, progress: Callable[[str], None] | None = None
) -> list[Row]:
    """Run every job (in `workers` processes when more than 1), rows in the jobs' order.
    `progress` gets one line per finished job."""
    started = time.perf_counter()
    rows: list[Row | None] = [None] * len(jobs)

    def finished(index: int, row: Row) -> None:
        rows[index] = row
        if progress is not None:
            done = sum(r is not None for r in rows)
            what = f"skipped: {row.skipped}" if row.skipped else f"{row.frames} frames"
            progress(
                f"[{done}/{len(jobs)}] {row.clip} as {row.pose}: {what} "
                f"({time.perf_counter() - started:.0f} s)"
            )

    for index, job in enumerate(jobs):
        if job.skip is not None:
            finished(index, run_job(job))
    runnable = [i for i, job in enumerate(jobs) if job.skip is None]
    if workers <= 1 or len(runnable) <= 1:
        for index in runnable:
            finished(index, run_job(jobs[index]))
    else:
        # Spawned, not forked: a parent that has run the model holds threads a fork would copy.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(workers, len(runnable)), mp_context=context)
        try:
            futures: dict[Future[Row], int] = {
                # One model thread per worker: the workers fill the cores between them.
                pool.submit(
                    run_job, dataclasses.replace(jobs[index], threads=WORKER_THREADS)
                ): index
                for index in runnable
            }
            for future in as_completed(futures):
                finished(futures[future], future.result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [row for row in rows if row is not None]


# --- Summary -------------------------------------------------------------------------------


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summarize(rows: Sequence[Row]) -> dict[str, Any]:
    """The accuracy figures over all rows; None wherever there is nothing to measure."""
    ran = [r for r in rows if r.skipped is None]
    positive = [r for r in ran if r.kind in (Kind.GENERATED.value, Kind.LABELLED.value)]
    negative = [r for r in ran if r.kind in (Kind.NEGATIVE.value, Kind.NEAR_MISS.value)]
    skipped = sorted({r.clip for r in rows if r.skipped is not None})
    return {
        "clips": len({r.clip for r in rows}),
        "pairs": len(rows),
        "rep_counts": _rep_summary(positive),
        "hold": _hold_summary(positive),
        "negatives": _negative_summary(negative),
        "in_position": _in_position_summary(ran),
        "stills": _still_summary(ran),
        "faults": _fault_summary(ran),
        "agreement": {
            "clips": sum(r.agreement is not None for r in ran),
            "mean": _mean([r.agreement for r in ran if r.agreement is not None]),
            "mean_unknown_share": _mean(
                [r.unknown_share for r in ran if r.unknown_share is not None]
            ),
        },
        "form_windows": {
            "clips": sum(
                r.wrong_form_share is not None or r.right_form_share is not None for r in ran
            ),
            "wrong_form_share_in_wrong": _mean(
                [r.wrong_form_share for r in ran if r.wrong_form_share is not None]
            ),
            "wrong_form_share_in_right": _mean(
                [r.right_form_share for r in ran if r.right_form_share is not None]
            ),
        },
        "skipped": {"count": len(skipped), "clips": skipped},
    }


def _compared(rows: Sequence[Row], quantity: str) -> list[tuple[str, float]]:
    """(clip, measured - expected) for every side whose expected value is known."""
    return [
        (row.clip, round(count["measured"] - count["expected"], 3))
        for row in rows
        for count in getattr(row, quantity).values()
        if count["expected"] is not None
    ]


def _rep_summary(rows: Sequence[Row]) -> dict[str, Any]:
    errors = [abs(e) for _, e in _compared(rows, "reps")]
    goals = [(row.clip, ok) for row in rows if (ok := reps_within_goal(row)) is not None]
    return {
        "goal_clips": len(goals),
        "within_goal": sum(ok for _, ok in goals),
        "outside_goal": [clip for clip, ok in goals if not ok],
        "counts": len(errors),
        "clips": len({clip for clip, _ in _compared(rows, "reps")}),
        "exact_rate": _ratio(sum(e == 0 for e in errors), len(errors)),
        "mean_abs_error": _mean(errors),
        "off_by_one_rate": _ratio(sum(e == 1 for e in errors), len(errors)),
        "largest_error": max(errors) if errors else None,
    }


def _hold_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Hold errors over the sides performed (truly held, or held as the coach saw it): a side
    not performed and not held would only flatter the rate; one the coach credited counts."""
    held = [
        (row.clip, abs(round(count["measured"] - count["expected"], 3)))
        for row in rows
        for count in row.hold_s.values()
        if count["expected"] is not None and (count["expected"] > 0 or count["measured"] > 0)
    ]
    errors = [e for _, e in held]
    goals = [(row.clip, ok) for row in rows if (ok := hold_within_goal(row)) is not None]
    return {
        "sides": len(errors),
        "clips": len({clip for clip, _ in held}),
        "mean_abs_error_s": _rounded(_mean(errors)),
        "largest_error_s": max(errors) if errors else None,
        "close_s": HOLD_CLOSE_S,
        "close_rate": _ratio(sum(e <= HOLD_CLOSE_S for e in errors), len(errors)),
        "goal_clips": len(goals),
        "within_goal": sum(ok for _, ok in goals),
        "outside_goal": [clip for clip, ok in goals if not ok],
    }


def _total(counts: Mapping[str, Mapping[str, Any]], key: str) -> float | None:
    """A count's total over the sides (None when any side's value is unknown)."""
    if TOTAL in counts:
        return counts[TOTAL][key]
    values = [count[key] for count in counts.values()]
    return None if not values or any(v is None for v in values) else sum(values)


def _within_goal(
    counts: Mapping[str, Mapping[str, Any]],
    span: Sequence[float] | None,
    tolerance: Callable[[float], float],
) -> bool | None:
    """Whether a clip's measured total is within `tolerance(expected)` of its truth, or
    inside `span` (when the label gives one); None without either."""
    measured = _total(counts, "measured")
    if measured is None:
        return None
    expected = _total(counts, "expected")
    if span is None and expected is None:
        return None
    inside = span is not None and span[0] <= measured <= span[1]
    near = expected is not None and abs(measured - expected) <= tolerance(expected)
    return bool(inside or near)


def hold_within_goal(row: Row) -> bool | None:
    """Whether a clip's total hold is right: within the larger of HOLD_GOAL_S and
    HOLD_GOAL_SHARE of its truth, or inside its label's range; None without hold truth."""
    return _within_goal(
        row.hold_s, row.hold_s_range, lambda want: max(HOLD_GOAL_S, HOLD_GOAL_SHARE * want)
    )


def reps_within_goal(row: Row) -> bool | None:
    """Whether a clip's total reps are right: exact, or inside its label's range."""
    return _within_goal(row.reps, row.reps_range, lambda want: 0)


def _negative_summary(rows: Sequence[Row]) -> dict[str, Any]:
    reps = [_total(r.reps, "measured") or 0 for r in rows]
    held = [_total(r.hold_s, "measured") or 0.0 for r in rows]
    worst = sorted(
        (
            (int(n), float(s), r)
            for r, s, n in zip(rows, held, reps, strict=True)
            if s > FALSE_HOLD_S or n > 0
        ),
        key=lambda pair: (-pair[0], -pair[1]),
    )
    credited = [
        {"clip": r.clip, "pose": r.pose, "hold_s": round(s, 2), "reps": n} for n, s, r in worst
    ]
    return {
        "pairs": len(rows),
        "false_reps": sum(reps),
        "pairs_with_false_reps": sum(n > 0 for n in reps),
        "false_hold_s": round(float(sum(held)), 2),
        "pairs_with_false_hold": sum(s > 0 for s in held),
        "false_hold_limit_s": FALSE_HOLD_S,
        "largest_false_hold_s": round(float(max(held)), 2) if held else None,
        "credited": credited,  # pairs over the limit or with a rep, the worst first
    }


def _in_position_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Per-frame in-position precision and recall, in the stretch's own view, over the clips
    with in-position truth (summed over their frames)."""
    known = [r for r in rows if r.in_pose_frames is not None]
    truly = sum(r.in_pose_frames or 0 for r in known)
    judged = sum(r.in_position_in_view or 0 for r in known)
    hits = sum(r.in_pose_hits or 0 for r in known)
    return {
        "clips": len(known),
        "truly_in_position": truly,
        "judged_in_position": judged,
        "both": hits,
        "precision": _ratio(hits, judged),
        "recall": _ratio(hits, truly),
    }


def _still_summary(rows: Sequence[Row]) -> dict[str, Any]:
    def tally(wanted: bool) -> dict[str, int]:
        chosen = [r for r in rows if r.still and r.still_in_position is wanted]
        return {
            "clips": len(chosen),
            "frames": sum(r.frames for r in chosen),
            "in_position": sum(r.in_position_frames for r in chosen),
        }

    return {"expected_in_position": tally(True), "expected_never": tally(False)}


def _fault_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Precision and recall of flagging, over every (clip, form rule) pair whose truth is
    known: positive when the rule truly fails (or the label lists it), predicted when flagged."""
    judged = [r for r in rows if r.failing is not None and r.flagged is not None]
    per_rule: dict[str, dict[str, Any]] = {}
    for row in judged:
        truly, flagged = set(row.failing or ()), set(row.flagged or ())
        for rule in row.form_rules:
            tally = per_rule.setdefault(f"{row.pose}.{rule}", {"tp": 0, "fp": 0, "fn": 0})
            tally["tp"] += rule in truly and rule in flagged
            tally["fp"] += rule not in truly and rule in flagged
            tally["fn"] += rule in truly and rule not in flagged
    for tally in per_rule.values():
        tally["precision"] = _ratio(tally["tp"], tally["tp"] + tally["fp"])
        tally["recall"] = _ratio(tally["tp"], tally["tp"] + tally["fn"])
    tp, fp, fn = (sum(t[k] for t in per_rule.values()) for k in ("tp", "fp", "fn"))
    return {
        "clips": len(judged),
        "pairs": sum(len(r.form_rules) for r in judged),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "per_rule": dict(sorted(per_rule.items())),
    }


# --- Text ------------------------------------------------------------------------------------

NA = "n/a"
TABLE_HEADER = (
    "CLIP",
    "POSE",
    "KIND",
    "FRAMES",
    "FOUND",
    "IN POS",
    "REPS want/got",
    "HOLD S want/got",
    "AGREE",
    "UNJUDGED",
    "FLAGGED",
    "FAILING",
    "FORM wrong/right",
    "NOTE",
)
_SIDE_LABELS = {"left": "L ", "right": "R ", "all": "", TOTAL: "total "}


def _percent(value: float | None, digits: int = 0) -> str:
    return NA if value is None else f"{value:.{digits}%}"


def _counts_text(counts: Mapping[str, Mapping[str, Any]], number: str) -> str:
    if not counts:
        return "-"
    parts = []
    for side, count in counts.items():
        want = "?" if count["expected"] is None else format(count["expected"], number)
        parts.append(f"{_SIDE_LABELS.get(side, side + ' ')}{want}/{count['measured']:{number}}")
    return ", ".join(parts)


def _rules_text(rules: Sequence[str] | None) -> str:
    if rules is None:
        return "?"
    return ",".join(rules) if rules else "none"


def row_cells(rows: Sequence[Row]) -> list[list[str]]:
    """The rows as table cells, the header first."""
    cells = [list(TABLE_HEADER)]
    for row in rows:
        if row.skipped is not None:
            cells.append([row.clip, row.pose, row.kind, *["-"] * 10, f"skipped: {row.skipped}"])
            continue
        in_position = f"{row.in_position_frames}/{row.frames}"
        if row.in_pose_frames is not None:
            precision = _ratio(row.in_pose_hits or 0, row.in_position_in_view or 0)
            recall = _ratio(row.in_pose_hits or 0, row.in_pose_frames)
            in_position += f" P {_percent(precision)} R {_percent(recall)}"
        if row.still_in_position is not None:
            in_position += " want all" if row.still_in_position else " want none"
        form = "-"
        if row.wrong_form_share is not None or row.right_form_share is not None:
            form = f"{_percent(row.wrong_form_share)}/{_percent(row.right_form_share)}"
        cells.append(
            [
                row.clip,
                row.pose,
                row.kind,
                str(row.frames),
                _percent(_ratio(row.found_frames, row.frames)),
                in_position,
                _counts_text(row.reps, "d"),
                _counts_text(row.hold_s, ".1f"),
                _percent(row.agreement, 1),
                _percent(row.unknown_share, 1),
                _rules_text(row.flagged),
                _rules_text(row.failing),
                form,
                row.note or "",
            ]
        )
    return cells


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as text, "n/a" where there was nothing to measure."""
    reps, hold, neg = summary["rep_counts"], summary["hold"], summary["negatives"]
    stills, faults, agree = summary["stills"], summary["faults"], summary["agreement"]
    windows, skipped = summary["form_windows"], summary["skipped"]
    lines = [
        f"Summary: {_plural(summary['clips'], 'clip')}, "
        f"{_plural(summary['pairs'], 'clip-stretch pair')}, {skipped['count']} skipped"
    ]
    if reps["counts"]:
        lines.append(
            f"  rep counts ({_plural(reps['counts'], 'count')} in "
            f"{_plural(reps['clips'], 'clip')}): exact "
            f"{_percent(reps['exact_rate'])}, mean abs error {reps['mean_abs_error']:.2f}, off by "
            f"one {_percent(reps['off_by_one_rate'])}, largest error {reps['largest_error']}"
        )
        if reps["goal_clips"]:
            lines.append(
                f"    clip totals exact (or inside the label's reps_range): "
                f"{_fraction(reps['within_goal'], reps['goal_clips'])}"
                + (f"; not: {', '.join(reps['outside_goal'])}" if reps["outside_goal"] else "")
            )
    else:
        lines.append(f"  rep counts: {NA} (no clip with rep truth)")
    if hold["sides"]:
        lines.append(
            f"  hold time ({_plural(hold['sides'], 'side')} held in "
            f"{_plural(hold['clips'], 'clip')}): mean abs error "
            f"{hold['mean_abs_error_s']:.2f} s, largest {hold['largest_error_s']:.2f} s, within "
            f"{hold['close_s']:g} s {_percent(hold['close_rate'])}"
        )
        if hold["goal_clips"]:
            lines.append(
                f"    clip totals within max({HOLD_GOAL_S:g} s, {HOLD_GOAL_SHARE:.0%}) (or inside "
                f"the label's hold_s_range): {_fraction(hold['within_goal'], hold['goal_clips'])}"
                + (f"; not: {', '.join(hold['outside_goal'])}" if hold["outside_goal"] else "")
            )
    else:
        lines.append(f"  hold time: {NA} (no side held in a clip with hold truth)")
    if neg["pairs"]:
        lines.append(
            f"  negatives ({_plural(neg['pairs'], 'clip-stretch pair')}): "
            f"false reps {neg['false_reps']} "
            f"(in {neg['pairs_with_false_reps']}), false hold {neg['false_hold_s']:.1f} s "
            f"(in {neg['pairs_with_false_hold']}), largest {neg['largest_false_hold_s']:.1f} s; "
            f"over {neg['false_hold_limit_s']:g} s or with a rep: {len(neg['credited'])}"
        )
        for pair in neg["credited"]:
            lines.append(
                f"    {pair['clip']} as {pair['pose']}: {pair['hold_s']:.1f} s held, "
                f"{_plural(pair['reps'], 'rep')}"
            )
    else:
        lines.append(f"  negatives: {NA}")
    position = summary["in_position"]
    if position["clips"]:
        lines.append(
            f"  in position per frame, in the stretch's own view "
            f"({_plural(position['clips'], 'clip')} with that truth): precision "
            f"{_fraction(position['both'], position['judged_in_position'])}, recall "
            f"{_fraction(position['both'], position['truly_in_position'])}"
        )
    else:
        lines.append(f"  in position per frame: {NA} (no clip with in-position truth)")
    wanted, never = stills["expected_in_position"], stills["expected_never"]
    parts = [
        f"{t['in_position']}/{t['frames']} frames {what}"
        for t, what in ((wanted, "of the stretch shown"), (never, "of near misses"))
        if t["frames"]
    ]
    lines.append(f"  stills judged in position: {', '.join(parts) or NA}")
    if faults["pairs"]:
        lines.append(
            f"  fault detection ({_plural(faults['pairs'], 'clip-rule pair')} in "
            f"{_plural(faults['clips'], 'clip')}, "
            f"micro-averaged): precision {_fraction(faults['tp'], faults['tp'] + faults['fp'])}, "
            f"recall {_fraction(faults['tp'], faults['tp'] + faults['fn'])}"
        )
        for rule, t in faults["per_rule"].items():
            if t["tp"] + t["fp"] + t["fn"]:
                lines.append(
                    f"    {rule}: precision {_fraction(t['tp'], t['tp'] + t['fp'])}, "
                    f"recall {_fraction(t['tp'], t['tp'] + t['fn'])}"
                )
    else:
        lines.append(f"  fault detection: {NA} (no clip with fault truth)")
    lines.append(
        f"  verdict agreement: {_percent(agree['mean'], 1)}"
        + (
            f" (mean over {_plural(agree['clips'], 'clip')}; not judged "
            f"{_percent(agree['mean_unknown_share'], 1)})"
            if agree["clips"]
            else ""
        )
    )
    if windows["clips"]:
        lines.append(
            "  frames in position failing a form rule: "
            f"{_percent(windows['wrong_form_share_in_wrong'])} in wrong-form windows, "
            f"{_percent(windows['wrong_form_share_in_right'])} in right-form windows "
            f"({_plural(windows['clips'], 'clip')})"
        )
    lines.append(
        f"  skipped: {skipped['count']}"
        + (f" ({', '.join(skipped['clips'])})" if skipped["clips"] else "")
    )
    return lines


def _fraction(part: int, whole: int) -> str:
    return f"{_percent(_ratio(part, whole))} ({part}/{whole})" if whole else NA


def report_data(
    source: str | Path, rows: Sequence[Row], summary: Mapping[str, Any], elapsed_s: float
) -> dict[str, Any]:
    """The --report JSON: every row and the summary."""
    return {
        "eval_version": EVAL_VERSION,
        "posecoach_version": __version__,
        "input": str(source),
        "elapsed_s": round(elapsed_s, 1),
        "definitions": {"flagged_share": FLAGGED_SHARE, "hold_close_s": HOLD_CLOSE_S},
        "summary": dict(summary),
        "rows": [row.to_dict() for row in rows],
    }
