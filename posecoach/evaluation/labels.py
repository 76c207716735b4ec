"""What is known about the clips `posecoach eval` measures: a generated clip's truth
sidecar (`read_truth`) and a labels file (`load_labels`: counts, faults, negatives and
interval truth such as `in_pose_s`), checked with one-line errors naming the file, the entry
and the key; and the (clip, stretch) pairs a labels file asks for (`jobs_from_labels`)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach.coaching.posefile import Mode, PoseSpec, load_pose, pose_paths
from posecoach.config.errors import PosecoachError
from posecoach.evaluation.metrics import form_rules
from posecoach.evaluation.pairs import TOTAL, Expected, Job, Kind
from posecoach.synth.clip import TRUTH_VERSION

LABELS_NAME = "labels.json"
TRUTH_SUFFIX = ".truth.json"


class LabelsError(PosecoachError):
    """A labels file with one or more malformed entries; all of them are listed at once."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problems))


# --- Labels ----------------------------------------------------------------------------------


def _total_key(pose: PoseSpec) -> str:
    """The key for one number covering the whole clip."""
    return TOTAL if pose.per_side else "all"


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


# --- Generated clips' truth ------------------------------------------------------------------


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
