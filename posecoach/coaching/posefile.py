"""Pose files (`poses/*.toml`): one stretch each, loaded and validated here.

Every problem in a file is collected and reported at once, each with its key and what was
expected, so a user fixes a file in one pass. See the README for the format.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach.coaching.body import ROLE_NAMES, WORKING_CHOICES, parse_role
from posecoach.coaching.rules import RULE_KINDS, Param, ParamType, Rule, When
from posecoach.config.defaults import POSE_KEYS
from posecoach.config.errors import PosecoachError, PoseFileError, UnknownPoseError
from posecoach.config.paths import shipped_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class Mode(enum.Enum):
    HOLD = "hold"
    REPS = "reps"


class View(enum.Enum):
    SIDE = "side"
    FRONT = "front"
    ANY = "any"


@dataclass(frozen=True)
class Counter:
    """Rep counting on a rule's signal: a rep goes from `start` to `peak` and back.

    The band between the two is the hysteresis: jitter inside it never counts twice.
    """

    signal: str  # a rule id
    start: float
    peak: float
    min_range: float = 0.0  # a rep must move this far from the resting level to count
    partial_cue: str = "Go all the way"  # shown when a rep stops short of the peak

    @property
    def rising(self) -> bool:
        return self.peak > self.start


@dataclass(frozen=True)
class OverriddenValue:
    """A value of a stretch set above its pose file, by an overrides file or `--set`."""

    name: str  # "rule_id.key", "target.hold_s" or "counter.peak"
    value: float
    pose_file_value: float | None  # None: a threshold the pose file does not set
    source: str  # the overrides file's path, or "--set"
    where: str  # the table and key in that file ("[bridge.counter] peak"), or the --set text


@dataclass(frozen=True)
class PoseSpec:
    """One stretch, as a pose file describes it (and overrides change it: `overrides`)."""

    id: str
    name: str
    description: str
    view: View
    mode: Mode
    target: float  # seconds for a hold, reps for reps, per side when per_side
    per_side: bool
    working: str | None  # which role qualifier is the working side ("back", ...)
    rules: tuple[Rule, ...]
    counter: Counter | None
    path: Path
    # The values set above the pose file, one per name (see posecoach/coaching/overrides.py).
    overrides: tuple[OverriddenValue, ...] = ()
    # The rule whose value says how far the stretch went (progress over sessions, per side);
    # for reps the counter's signal. None: no such measure (a rest).
    range_rule: str | None = None
    # The body turn from face-on (deg) the rules are judged in, [low, high]; outside it the
    # camera is asked to be moved. None: the coach's default for the view.
    turn_deg: tuple[float, float] | None = None
    # A stay in position shorter than this (s) is not held time (see temporal.HoldTimer).
    stay_s: float = 0.0

    def overridden(self, name: str) -> OverriddenValue | None:
        """What set the value `name` ("rule_id.key", "target.hold_s", "counter.peak"), or
        None when it is the pose file's."""
        return next((entry for entry in self.overrides if entry.name == name), None)

    def origin(self, name: str) -> str:
        """Where the value `name` came from: an overrides file's path, "--set", or the pose
        file's path."""
        entry = self.overridden(name)
        return entry.source if entry is not None else str(self.path)

    @property
    def target_label(self) -> str:
        unit = "s hold" if self.mode is Mode.HOLD else "reps"
        return f"{self.target:g} {unit}" + (" per side" if self.per_side else "")

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


_TOP_KEYS = {
    "id",
    "name",
    "description",
    "view",
    "mode",
    "per_side",
    "working",
    "target",
    "counter",
    "rules",
    "range_rule",
    "turn_deg",
    "stay_s",
}
_RULE_COMMON = {
    "id",
    "label",
    "kind",
    "cue",
    "priority",
    "gate",
    "when",
    "raw",
    "praise",
    "either_side",
}
# A rule's label is read as a checklist line by someone kneeling or lying 2-3 m from the screen;
# longer than this, it no longer fits a window in letters that can be read from there.
MAX_LABEL_CHARS = 32


def _one_of(values: Iterable[str]) -> str:
    return "expecting one of " + ", ".join(values)


class _Checker:
    """Collects problems while reading a parsed TOML table."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def string(self, table: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.add(f"{where}{key}", "missing (a text value)")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}{key}", f"expected a non-empty text, got {value!r}")
            return ""
        return value

    def choice(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        choices: Iterable[str],
        required: bool = True,
    ) -> str | None:
        choices = tuple(choices)
        value = table.get(key)
        if value is None:
            if required:
                self.add(f"{where}{key}", f"missing, {_one_of(choices)}")
            return None
        if value not in choices:
            self.add(f"{where}{key}", f"{value!r} is not valid, {_one_of(choices)}")
            return None
        return str(value)

    def number(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        range_key: str | None = None,
        required: bool = True,
    ) -> float | None:
        value = table.get(key)
        if value is None:
            if required:
                self.add(f"{where}{key}", "missing (a number)")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(f"{where}{key}", f"expected a number, got {value!r}")
            return None
        limits = POSE_KEYS.get(range_key or key)
        if limits is not None and (problem := limits.check(float(value))) is not None:
            self.add(f"{where}{key}", problem)
            return None
        return float(value)

    def boolean(self, table: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{where}{key}", f"expected true or false, got {value!r}")
            return default
        return value

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.add(f"{where}{key}", f"unknown key, {_one_of(sorted(allowed))}")

    def roles(self, value: Any, count: int, key: str) -> list[str] | None:
        if not isinstance(value, list) or len(value) != count:
            self.add(key, f"expected a list of {count} roles, got {value!r}")
            return None
        ok = True
        for index, role in enumerate(value):
            ok = self.role(role, f"{key}[{index}]") and ok
        return list(value) if ok else None

    def role(self, value: Any, key: str) -> bool:
        if not isinstance(value, str) or parse_role(value) is None:
            self.add(
                key,
                f"unknown role {value!r}, expecting a role such as front_knee, "
                f"back_hip, near_shoulder, mid_hip or nose ({len(ROLE_NAMES)} in all: "
                "qualifier left/right/front/back/near/far/working/other/mid + joint "
                "ear/shoulder/elbow/wrist/hip/knee/ankle/heel/foot)",
            )
            return False
        return True


def _read_param(check: _Checker, raw: dict[str, Any], key: str, param: Param, where: str) -> Any:
    """One parameter of a rule, checked by its type; None when it is not valid."""
    value = raw[key]
    if param.type is ParamType.ROLES:
        if param.count == 0:
            if not isinstance(value, list) or not value:
                check.add(f"{where}{key}", f"expected a list of one or more roles, got {value!r}")
                return None
            return check.roles(value, len(value), f"{where}{key}")
        return check.roles(value, param.count, f"{where}{key}")
    if param.type is ParamType.ROLE:
        return value if check.role(value, f"{where}{key}") else None
    if param.type is ParamType.CHOICE:
        return check.choice(raw, key, where, param.choices)
    return check.number(raw, key, where)


def _read_rule(check: _Checker, raw: Any, index: int, mode: Mode | None) -> Rule | None:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        check.add(where, f"expected a table ([[rules]]), got {raw!r}")
        return None
    rule_id = check.string(raw, "id", f"{where}.")
    if rule_id:
        where = f"rules[{index}] ({rule_id})"
    label = check.string(raw, "label", f"{where}.")
    if len(label) > MAX_LABEL_CHARS:
        check.add(
            f"{where}.label",
            f"{label!r} is {len(label)} characters, expecting at most {MAX_LABEL_CHARS}: "
            "shorten it (a checklist line must fit a window read from 3 m)",
        )
    kind_name = check.choice(raw, "kind", f"{where}.", RULE_KINDS)
    cue = check.string(raw, "cue", f"{where}.")
    priority = check.number(raw, "priority", f"{where}.")
    gate = check.boolean(raw, "gate", f"{where}.", default=False)
    unsmoothed = check.boolean(raw, "raw", f"{where}.", default=False)
    praise = check.string(raw, "praise", f"{where}.") if "praise" in raw else None
    either_side = check.boolean(raw, "either_side", f"{where}.", default=False)
    when_name = check.choice(raw, "when", f"{where}.", (w.value for w in When), required=False)
    when = When(when_name) if when_name else When.ALWAYS
    if when is not When.ALWAYS and mode is Mode.HOLD:
        check.add(f"{where}.when", f'{when.value!r} needs mode = "reps", expecting "always"')
    if when is not When.ALWAYS and gate:
        check.add(
            f"{where}.gate", 'a gate rule is judged in every frame, expecting when = "always"'
        )
    if priority is not None and not priority.is_integer():
        check.add(f"{where}.priority", f"expected a whole number, got {priority:g}")
        priority = None
    if kind_name is None:
        return None
    kind = RULE_KINDS[kind_name]
    if either_side and kind.uses_history:
        check.add(
            f"{where}.either_side",
            f"a {kind_name} rule follows each frame's own sides, expecting either_side = false",
        )
    min_key, max_key = f"min_{kind.unit_key}", f"max_{kind.unit_key}"
    check.unknown_keys(
        raw,
        _RULE_COMMON | set(kind.required) | set(kind.optional) | {min_key, max_key},
        f"{where}.",
    )
    params: dict[str, Any] = {}
    for key, param in kind.required.items():
        if key not in raw:
            check.add(f"{where}.{key}", f"missing ({param.doc})")
        else:
            params[key] = _read_param(check, raw, key, param, f"{where}.")
    for key, param in kind.optional.items():
        if key in raw:
            params[key] = _read_param(check, raw, key, param, f"{where}.")
    low = check.number(raw, min_key, f"{where}.", required=False)
    high = check.number(raw, max_key, f"{where}.", required=False)
    if min_key not in raw and max_key not in raw:
        check.add(where, f"needs {min_key} or {max_key} (or both)")
    if low is not None and high is not None and low > high:
        check.add(f"{where}.{min_key}", f"{low:g} is above {max_key} = {high:g}")
    if any(value is None for value in params.values()) or not rule_id or priority is None:
        return None
    return Rule(
        id=rule_id,
        label=label,
        kind=kind_name,
        cue=cue,
        priority=int(priority),
        gate=gate,
        when=when,
        min_value=low,
        max_value=high,
        params=params,
        raw=unsmoothed,
        praise=praise or None,
        either_side=either_side,
    )


def parse_pose(data: dict[str, Any], path: Path) -> PoseSpec:
    """Validate a parsed pose file; raises PoseFileError listing every problem."""
    check = _Checker()
    check.unknown_keys(data, _TOP_KEYS, "")
    pose_id = check.string(data, "id", "")
    if pose_id and not pose_id.replace("_", "").isalnum():
        check.add("id", f"expected letters, digits and underscores, got {pose_id!r}")
    name = check.string(data, "name", "")
    description = check.string(data, "description", "")
    view = check.choice(data, "view", "", (v.value for v in View))
    mode_name = check.choice(data, "mode", "", (m.value for m in Mode))
    mode = Mode(mode_name) if mode_name else None
    per_side = check.boolean(data, "per_side", "", default=False)
    working = check.choice(data, "working", "", WORKING_CHOICES, required=per_side)

    target_value = None
    target = data.get("target")
    target_key = "hold_s" if mode is Mode.HOLD else "reps"
    if not isinstance(target, dict):
        check.add("target", f"missing table, expecting [target] with {target_key} = ...")
    elif mode is not None:
        check.unknown_keys(target, {target_key}, "target.")
        target_value = check.number(target, target_key, "target.")

    raw_rules = data.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        check.add("rules", "missing, expecting at least one [[rules]] table")
    else:
        for index, raw in enumerate(raw_rules):
            rule = _read_rule(check, raw, index, mode)
            if rule is not None:
                rules.append(rule)
    seen: set[str] = set()
    labelled: dict[str, str] = {}  # label -> the first rule that has it
    for rule in rules:
        if rule.id in seen:
            check.add(f"rules ({rule.id}).id", "duplicate rule id")
        seen.add(rule.id)
        if rule.label and rule.label in labelled:
            check.add(
                f"rules ({rule.id}).label",
                f"duplicate label {rule.label!r} (also rule {labelled[rule.label]}), "
                "expecting one that tells this rule apart",
            )
        labelled.setdefault(rule.label, rule.id)

    counter = None
    raw_counter = data.get("counter")
    if mode is Mode.REPS:
        if not isinstance(raw_counter, dict):
            check.add("counter", "missing, reps mode needs [counter] with signal, start, peak")
        else:
            check.unknown_keys(
                raw_counter, {"signal", "start", "peak", "min_range", "partial_cue"}, "counter."
            )
            signal = check.choice(raw_counter, "signal", "counter.", seen) if seen else None
            start = check.number(raw_counter, "start", "counter.")
            peak = check.number(raw_counter, "peak", "counter.")
            min_range = check.number(raw_counter, "min_range", "counter.", required=False)
            partial_cue = None
            if "partial_cue" in raw_counter:
                partial_cue = check.string(raw_counter, "partial_cue", "counter.")
            if start is not None and peak is not None and start == peak:
                check.add("counter.peak", "must differ from counter.start")
            if signal and start is not None and peak is not None:
                counter = Counter(signal=signal, start=start, peak=peak)
                if min_range is not None:
                    counter = dataclasses.replace(counter, min_range=min_range)
                if partial_cue:
                    counter = dataclasses.replace(counter, partial_cue=partial_cue)
    elif raw_counter is not None:
        check.add("counter", 'only used with mode = "reps"')

    turn_deg = _turn_range(check, data.get("turn_deg"), View(view) if view else None)
    stay_s = check.number(data, "stay_s", "", required=False)
    if stay_s is not None and mode is not Mode.HOLD:
        check.add("stay_s", 'only used with mode = "hold"')

    range_rule: str | None = check.string(data, "range_rule", "", required=False) or None
    if "range_rule" not in data and counter is not None:
        range_rule = counter.signal
    if range_rule is not None and range_rule not in seen:
        check.add("range_rule", f"names no rule of this pose: expecting one of {sorted(seen)}")

    if check.problems:
        raise PoseFileError(str(path), check.problems)
    assert mode is not None and view is not None and target_value is not None
    return PoseSpec(
        id=pose_id,
        name=name,
        description=description.strip(),
        view=View(view),
        mode=mode,
        target=target_value,
        per_side=per_side,
        working=working if per_side else None,
        rules=tuple(rules),
        counter=counter,
        path=path,
        range_rule=range_rule,
        turn_deg=turn_deg,
        stay_s=stay_s or 0.0,
    )


def _turn_range(check: _Checker, value: Any, view: View | None) -> tuple[float, float] | None:
    """`turn_deg = [low, high]`: two numbers from 0 (face-on) to 90 (side-on), low first, that
    take in the view's own end (0 for front, 90 for side)."""
    if value is None:
        return None
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1] <= 90
    )
    if not ok:
        check.add(
            "turn_deg", f"expecting [low, high] from 0 (face-on) to 90 (side-on), got {value!r}"
        )
        return None
    low, high = float(value[0]), float(value[1])
    if (view is View.SIDE and high < 90) or (view is View.FRONT and low > 0):
        end = "90 (side-on)" if view is View.SIDE else "0 (face-on)"
        check.add("turn_deg", f"a {view.value} view must take in {end}, got {value!r}")
        return None
    return low, high


def load_pose_file(path: str | Path) -> PoseSpec:
    """Read and validate one pose file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PoseFileError(str(path), ["no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PoseFileError(str(path), [f"cannot be read ({error})"]) from None
    except tomllib.TOMLDecodeError as error:
        raise PoseFileError(str(path), [f"not valid TOML: {error}"]) from None
    return parse_pose(data, path)


USER_POSES_ENV = "POSECOACH_POSES"


def builtin_pose_dir() -> Path:
    """The folder of the pose files that ship with posecoach."""
    return shipped_dir("poses", "poses")


def user_pose_dir_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the per-user pose folder is, whether or not it exists.

    `$POSECOACH_POSES` if set, else `$XDG_CONFIG_HOME/posecoach/poses`, else
    `~/.config/posecoach/poses`. `environ` defaults to the process environment.
    """
    return user_config_path(USER_POSES_ENV, "poses", environ)


def user_config_path(variable: str, name: str, environ: Mapping[str, str] | None = None) -> Path:
    """A per-user setting's path: `$variable` if set, else `$XDG_CONFIG_HOME/posecoach/name`,
    else `~/.config/posecoach/name`. `environ` defaults to the process environment."""
    env = os.environ if environ is None else environ
    chosen = env.get(variable, "")
    if chosen:
        return Path(chosen).expanduser()
    config = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec ignores a relative XDG_CONFIG_HOME.
    base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
    return base / "posecoach" / name


def user_pose_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The per-user pose folder, or None when there is none.

    Raises PosecoachError when `$POSECOACH_POSES` is set but names no folder: a setting the
    user made on purpose should not be ignored silently.
    """
    env = os.environ if environ is None else environ
    path = user_pose_dir_path(env)
    if path.is_dir():
        return path
    if env.get(USER_POSES_ENV):
        raise PosecoachError(
            f"{USER_POSES_ENV} is set to {env[USER_POSES_ENV]!r}, which is not a folder: "
            f"create it, or unset {USER_POSES_ENV}"
        )
    return None


def pose_paths(extra_dirs: Iterable[Path] = ()) -> dict[str, Path]:
    """Pose id -> file, from the built-in folder then `extra_dirs` (later ones win).

    The id is the file's stem; the loader checks it matches the `id` inside. The per-user
    folder is not read here: callers that want it pass `user_pose_dir()` in `extra_dirs`.
    """
    found: dict[str, Path] = {}
    for folder in (builtin_pose_dir(), *extra_dirs):
        for path in sorted(Path(folder).glob("*.toml")):
            found[path.stem] = path
    return found


def file_name_problem(spec: PoseSpec) -> str | None:
    """The problem ("id: ...") when a pose's id differs from its file name, else None.

    A pose folder finds a stretch by its file name, so the two must agree.
    """
    if spec.id == spec.path.stem:
        return None
    return (
        f"id: {spec.id!r} must match the file name {spec.path.stem!r}: "
        f"rename the file to {spec.id}.toml or change the id"
    )


def load_pose(pose_id: str, extra_dirs: Iterable[Path] = ()) -> PoseSpec:
    """Load a stretch by id; raises UnknownPoseError listing the valid ids."""
    paths = pose_paths(extra_dirs)
    if pose_id not in paths:
        raise UnknownPoseError(
            f"unknown pose {pose_id!r}: expecting one of {', '.join(sorted(paths))} "
            "(run 'posecoach poses' for the list)"
        )
    spec = load_pose_file(paths[pose_id])
    if (problem := file_name_problem(spec)) is not None:
        raise PoseFileError(str(spec.path), [problem])
    return spec
