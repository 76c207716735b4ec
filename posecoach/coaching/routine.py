"""Routine files (`routines/*.toml`): a guided session's stretches, in order, loaded and
validated here.

A routine lists steps; each names a stretch (a pose id) and how much of it to do: reps of a
reps stretch, or holds of `hold_s` seconds of a hold stretch, per side for a stretch done
per side (`sides`: "each", every rep on one side and then the other; "alternate", switching
sides after every rep), then a rest. See the README's "Routine files" for the format.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from posecoach.coaching.posefile import Mode, PoseSpec, load_pose, user_config_path
from posecoach.config.errors import PosecoachError, PoseFileError
from posecoach.config.paths import shipped_dir

USER_ROUTINES_ENV = "POSECOACH_ROUTINES"
SIDES = ("each", "alternate")
DEFAULT_COUNTDOWN_S = 3.0
DEFAULT_REST_S = 10.0
DEFAULT_INTRO_S = 4.0
_TOP_KEYS = {"id", "name", "description", "countdown_s", "rest_s", "intro_s", "steps"}
_STEP_KEYS = {"pose", "reps", "hold_s", "sides", "rest_s", "howto"}


class RoutineFileError(PosecoachError):
    """A routine file that cannot be used; the message names the file and each key."""


@dataclass(frozen=True)
class Step:
    """One stretch of a routine: `reps` reps (reps stretch) or `reps` holds of `hold_s`
    seconds (hold stretch), per side when the stretch is done per side."""

    pose: PoseSpec
    reps: int
    hold_s: float | None  # None for a reps stretch
    sides: str  # "each" or "alternate" (per-side stretches); "each" otherwise
    rest_s: float  # after this step (none after the last)
    howto: str  # one line: how to get into the position

    @property
    def per_side(self) -> bool:
        return self.pose.per_side

    @property
    def target(self) -> float:
        """What the step asks of each side: reps, or seconds held in all."""
        return self.reps if self.hold_s is None else self.reps * self.hold_s

    @property
    def coached_pose(self) -> PoseSpec:
        """The stretch with the step's amount as its target, so the coach's own prompts
        ("target reached", "now switch sides") agree with the routine; one of the step's holds
        is a whole stay, however short."""
        stay_s = self.pose.stay_s if self.hold_s is None else min(self.pose.stay_s, self.hold_s)
        return dataclasses.replace(self.pose, target=self.target, stay_s=stay_s)

    @property
    def amount_text(self) -> str:
        """'3 reps', '3 x 5 s holds', with 'per side' where it applies."""
        if self.hold_s is None:
            text = f"{self.reps} rep{'' if self.reps == 1 else 's'}"
        elif self.reps == 1:
            text = f"a {duration_text(self.hold_s)} hold"
        else:
            text = f"{self.reps} x {duration_text(self.hold_s)} holds"
        return text + (" per side" if self.per_side else "")


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    description: str
    steps: tuple[Step, ...]
    countdown_s: float
    intro_s: float
    path: Path


def builtin_routine_dir() -> Path:
    """The folder of the routine files that ship with posecoach."""
    return shipped_dir("routines", "routines")


def user_routine_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$POSECOACH_ROUTINES`, else `$XDG_CONFIG_HOME/posecoach/routines`, else
    `~/.config/posecoach/routines` (whether or not it exists)."""
    return user_config_path(USER_ROUTINES_ENV, "routines", environ)


def routine_files() -> dict[str, Path]:
    """Every routine id found, with its file: built-in first, then the per-user folder, a
    file there replacing a built-in one of the same id (file name)."""
    found: dict[str, Path] = {}
    for folder in (builtin_routine_dir(), user_routine_dir()):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = path
    return found


def find_routine(spec: str, pose_dirs: Iterable[Path] = ()) -> Routine:
    """A routine by id (built-in or the user's) or by file path."""
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise RoutineFileError(f"no such routine file: {path} (check the path)")
        return load_routine(path, pose_dirs)
    files = routine_files()
    if spec not in files:
        raise RoutineFileError(
            f"no routine called {spec!r}: expecting one of {', '.join(sorted(files))} "
            "or a routine file (NAME.toml)"
        )
    return load_routine(files[spec], pose_dirs)


def load_routine(path: Path, pose_dirs: Iterable[Path] = ()) -> Routine:
    """Read and validate a routine file; every problem is listed, each with its key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RoutineFileError(f"{path}: not valid TOML: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise RoutineFileError(f"cannot read routine file {path}: {error}") from error
    return parse_routine(data, path, tuple(pose_dirs))


def parse_routine(data: dict[str, Any], path: Path, pose_dirs: tuple[Path, ...] = ()) -> Routine:
    problems: list[str] = []

    def problem(key: str, text: str) -> None:
        problems.append(f"{key}: {text}")

    for key in sorted(set(data) - _TOP_KEYS):
        problem(key, f"unknown key (expecting {', '.join(sorted(_TOP_KEYS))})")
    routine_id = _text(data, "id", "", problem, required=False)
    if routine_id and not re.fullmatch(r"[A-Za-z0-9_]+", routine_id):
        problem("id", f"expected letters, digits and underscores, got {routine_id!r}")
    routine_id = routine_id or path.stem
    name = _text(data, "name", "", problem, required=False) or routine_id
    description = _text(data, "description", "", problem, required=False)
    countdown_s = _seconds(data, "countdown_s", "", problem, DEFAULT_COUNTDOWN_S, zero=True)
    rest_s = _seconds(data, "rest_s", "", problem, DEFAULT_REST_S, zero=True)
    intro_s = _seconds(data, "intro_s", "", problem, DEFAULT_INTRO_S, zero=True)
    raw_steps = data.get("steps")
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        problem("steps", "missing, expecting at least one [[steps]] table with a pose")
    else:
        for index, raw in enumerate(raw_steps):
            where = f"steps[{index + 1}]."
            if not isinstance(raw, dict):
                problem(where[:-1], "expected a table ([[steps]])")
                continue
            step = _parse_step(raw, where, rest_s, pose_dirs, problem)
            if step is not None:
                steps.append(step)
    if problems:
        raise RoutineFileError(f"{path}: " + "; ".join(problems))
    return Routine(routine_id, name, description, tuple(steps), countdown_s, intro_s, path)


def _parse_step(
    raw: dict[str, Any],
    where: str,
    default_rest_s: float,
    pose_dirs: tuple[Path, ...],
    problem: Any,
) -> Step | None:
    for key in sorted(set(raw) - _STEP_KEYS):
        problem(f"{where}{key}", f"unknown key (expecting {', '.join(sorted(_STEP_KEYS))})")
    pose_id = _text(raw, "pose", where, problem)
    pose: PoseSpec | None = None
    if pose_id:
        try:
            pose = load_pose(pose_id, pose_dirs)
        except PoseFileError as error:
            problem(f"{where}pose", f"the pose file of {pose_id!r} has problems ({error})")
        except PosecoachError as error:
            problem(f"{where}pose", str(error))
    reps = raw.get("reps", 1)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        problem(f"{where}reps", f"expected a whole number of 1 or more, got {reps!r}")
        reps = 1
    hold_s: float | None = None
    if "hold_s" in raw:
        hold_s = _seconds(raw, "hold_s", where, problem, None, zero=False)
    sides = raw.get("sides", "each")
    if sides not in SIDES:
        problem(f"{where}sides", f"expected one of {', '.join(SIDES)}, got {sides!r}")
        sides = "each"
    rest_s = _seconds(raw, "rest_s", where, problem, default_rest_s, zero=True)
    howto = _text(raw, "howto", where, problem, required=False)
    if pose is None:
        return None
    if pose.mode is Mode.REPS and hold_s is not None:
        problem(f"{where}hold_s", f"{pose.id} is counted in reps: leave out hold_s")
    if pose.mode is Mode.HOLD and hold_s is None:
        hold_s = pose.target  # one hold of the stretch's own target, unless told
    if "sides" in raw and not pose.per_side:
        problem(f"{where}sides", f"{pose.id} is not done per side: leave out sides")
    return Step(pose, reps, hold_s, sides, rest_s, howto or first_sentence(pose.description))


def duration_text(seconds: float) -> str:
    """'30 s', or '10 min' for whole minutes from two up."""
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def first_sentence(text: str) -> str:
    """The first sentence of a description, on one line."""
    flat = " ".join(text.split())
    head = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    return head


def _text(table: dict[str, Any], key: str, where: str, problem: Any, required: bool = True) -> str:
    value = table.get(key)
    if value is None:
        if required:
            problem(f"{where}{key}", "missing (a text value)")
        return ""
    if not isinstance(value, str) or not value.strip():
        problem(f"{where}{key}", f"expected a non-empty text, got {value!r}")
        return ""
    return value.strip()


def _seconds(
    table: dict[str, Any],
    key: str,
    where: str,
    problem: Any,
    default: float | None,
    zero: bool,
) -> float:
    value = table.get(key, default)
    seconds = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    )
    if seconds is None or not (seconds >= 0 if zero else seconds > 0):
        bound = "0 or more" if zero else "above 0"
        problem(f"{where}{key}", f"expected a number of seconds, {bound}, got {value!r}")
        return float(default or 1.0)
    if seconds > 24 * 3600:
        problem(f"{where}{key}", f"expected at most a day, got {value!r}")
    return seconds
