"""Thresholds in layers: the pose files, then an overrides file, then `--set` on the command line.

An overrides file is TOML with one table per stretch and rule, holding the values to change:

    [half_kneeling_hip_flexor.front_knee_90]
    min_deg = 75
    max_deg = 105

    [half_kneeling_hip_flexor.target]
    hold_s = 45

    [bridge.counter]
    peak = 170

Under a stretch, `target` is its target (`hold_s` or `reps`), `counter` its rep counter
(`start`, `peak`, `min_range`), and any other name one of its rules: the thresholds of the
rule kind's unit (`min_deg`/`max_deg`, `min_torso`/`max_torso`, `min_count`/`max_count`) and
its numeric parameters (`window_s`, `amplitude`). `--set POSE.RULE.KEY=VALUE` sets one value
above the file. Every value is checked against its range in `defaults.POSE_KEYS`.

The file's form (tables of tables of numbers) is checked when it is read; what its values mean
(the rule ids, keys and ranges, a minimum above a maximum) is checked for the stretches a run
uses, as they are loaded. Values for a stretch the run does not use are left alone, as the file
may hold values for stretches of another pose folder.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach.coaching.posefile import Mode, OverriddenValue, PoseSpec, user_config_path
from posecoach.coaching.rules import RULE_KINDS, ParamType, Rule, RuleKind
from posecoach.config.defaults import POSE_KEYS
from posecoach.config.errors import OverridesError
from posecoach.inputs.files import atomic_output

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

OVERRIDES_ENV = "POSECOACH_OVERRIDES"
SET_SOURCE = "--set"
TUNE_SOURCE = "the tune slider"  # a value being tried in `posecoach tune`
TARGET = "target"  # the table of a stretch's target
COUNTER = "counter"  # the table of a stretch's rep counter
COUNTER_KEYS = ("start", "peak", "min_range")
SET_FORM = "POSE.RULE.KEY=VALUE (e.g. half_kneeling_hip_flexor.front_knee_90.min_deg=75)"
NEW_FILE_HEADER = (
    "# posecoach overrides: [POSE_ID.RULE_ID] tables of values that replace the pose files'\n"
    "# (RULE_ID may also be target or counter). See 'posecoach poses show POSE_ID'.\n"
)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[(?!\[)")


def user_overrides_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the per-user overrides file is, whether or not it exists.

    `$POSECOACH_OVERRIDES` if set, else `$XDG_CONFIG_HOME/posecoach/overrides.toml`, else
    `~/.config/posecoach/overrides.toml`. `environ` defaults to the process environment.
    """
    return user_config_path(OVERRIDES_ENV, "overrides.toml", environ)


def user_overrides_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The per-user overrides file, or None when there is none.

    Raises OverridesError when `$POSECOACH_OVERRIDES` is set but names no file: a setting the
    user made on purpose should not be ignored silently.
    """
    env = os.environ if environ is None else environ
    path = user_overrides_path(env)
    if path.is_file():
        return path
    if env.get(OVERRIDES_ENV):
        raise OverridesError(
            f"{OVERRIDES_ENV} is set to {env[OVERRIDES_ENV]!r}, which is not a file: "
            f"create it, or unset {OVERRIDES_ENV}"
        )
    return None


@dataclass(frozen=True)
class Override:
    """One value given above the pose files, as given (its meaning is checked when applied)."""

    pose_id: str
    owner: str  # a rule id, TARGET or COUNTER
    key: str
    value: Any
    source: str  # the overrides file's path, or SET_SOURCE
    where: str  # "[pose.owner] key" in the file, or the --set argument as given

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.key}"

    @property
    def origin(self) -> str:
        """Where it came from, for messages (see `origin_text`)."""
        return origin_text(self.source, self.where)


def origin_text(source: str, where: str) -> str:
    """'overrides file FILE: [pose.rule] key' for a value from an overrides file, '--set ARGUMENT'
    for one from the command line, 'the tune slider NAME' for one moved in `posecoach tune`."""
    if source in (SET_SOURCE, TUNE_SOURCE):
        return f"{source} {where}"
    return f"overrides file {source}: {where}"


def parse_set(text: str) -> Override:
    """One `--set POSE.RULE.KEY=VALUE` argument; raises OverridesError when malformed."""
    left, equals, right = text.partition("=")
    pose_id, _, rest = left.strip().partition(".")
    owner, _, key = rest.rpartition(".")
    if not (equals and pose_id and owner.strip() and key.strip()):
        raise OverridesError(f"{SET_SOURCE} {text}: expected {SET_FORM}")
    try:
        value = float(right)
    except ValueError:
        raise OverridesError(
            f"{SET_SOURCE} {text}: VALUE must be a number, got {right.strip()!r}"
        ) from None
    return Override(pose_id, owner.strip(), key.strip(), value, SET_SOURCE, text)


def _toml_key(key: str) -> str:
    return (
        key if _BARE_KEY.match(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    )


def _form_problems(data: Mapping[str, Any]) -> list[str]:
    """What keeps parsed TOML from being an overrides file: [POSE.RULE] tables of numbers."""
    problems = []
    for pose_id, owners in data.items():
        if not isinstance(owners, dict):
            problems.append(
                f"{_toml_key(pose_id)}: expected tables [{pose_id}.RULE_ID] of values, "
                f"got {owners!r}"
            )
            continue
        for owner, values in owners.items():
            table = f"[{_toml_key(pose_id)}.{_toml_key(owner)}]"
            if not isinstance(values, dict):
                problems.append(
                    f"{_toml_key(pose_id)}.{_toml_key(owner)}: expected a table {table} of "
                    f"KEY = number, got {values!r}"
                )
                continue
            for key, value in values.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    problems.append(f"{table} {key}: expected a number, got {value!r}")
    return problems


def read_overrides_file(path: str | Path) -> dict[str, dict[str, dict[str, float]]]:
    """An overrides file's values: pose id -> rule id (or target, counter) -> key -> value.

    Raises OverridesError naming the file and every place its form is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OverridesError(f"overrides file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OverridesError(f"overrides file {path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise OverridesError(f"overrides file {path}: not valid TOML: {error}") from None
    problems = _form_problems(data)
    if problems:
        raise OverridesError(f"overrides file {path}: " + "; ".join(problems))
    return data


@dataclass(frozen=True)
class Overrides:
    """The layers above the pose files for one run: an overrides file's values, then those of
    `--set` (later entries win). Plain data, so it travels to worker processes."""

    file: Path | None = None
    entries: tuple[Override, ...] = ()

    @classmethod
    def load(cls, file: str | Path | None, set_args: Sequence[str] = ()) -> Overrides:
        """Read the overrides file (None: no file) and parse the `--set` arguments."""
        entries: list[Override] = []
        path = Path(file) if file is not None else None
        if path is not None:
            for pose_id, owners in read_overrides_file(path).items():
                for owner, values in owners.items():
                    table = f"[{_toml_key(pose_id)}.{_toml_key(owner)}]"
                    entries += [
                        Override(pose_id, owner, key, value, str(path), f"{table} {key}")
                        for key, value in values.items()
                    ]
        entries += [parse_set(text) for text in set_args]
        return cls(path, tuple(entries))

    def for_pose(self, pose_id: str) -> tuple[Override, ...]:
        return tuple(entry for entry in self.entries if entry.pose_id == pose_id)

    def check_set_poses(self, used: Collection[str]) -> None:
        """Raises OverridesError when a `--set` names a stretch this run does not use."""
        for entry in self.entries:
            if entry.source == SET_SOURCE and entry.pose_id not in used:
                expecting = " or ".join(f"{pose_id}.RULE.KEY=VALUE" for pose_id in sorted(used))
                raise OverridesError(
                    f"{entry.origin}: {entry.pose_id!r} is not a stretch this run uses "
                    f"({', '.join(sorted(used)) or 'none'}): expecting {expecting or SET_FORM}"
                )

    def unknown_poses(self, known: Collection[str]) -> list[str]:
        """A warning for each stretch of the overrides file that no pose folder read has
        (`known`): its values may be for a stretch of another folder, so they are not errors,
        but they are not used."""
        unknown = {e.pose_id for e in self.entries if e.source != SET_SOURCE} - set(known)
        return [
            f"overrides file {self.file}: no stretch {pose_id!r} in the pose folders read: "
            "its values are not used"
            for pose_id in sorted(unknown)
        ]

    def apply(self, spec: PoseSpec) -> PoseSpec:
        """The stretch with this run's values for it; raises OverridesError listing every value
        that does not fit the stretch, each with where it came from and what is allowed."""
        return apply_overrides(spec, self.for_pose(spec.id))

    def as_dict(self) -> dict[str, Any]:
        """For reports: the file read and every value given, with where it came from."""
        return {
            "file": None if self.file is None else str(self.file),
            "values": [
                {"pose": e.pose_id, "name": e.name, "value": e.value, "from": e.origin}
                for e in self.entries
            ],
        }


def _kind_number_keys(kind: RuleKind) -> list[str]:
    """The keys of a kind's rules that can be overridden: thresholds, then numeric parameters."""
    params = {**kind.required, **kind.optional}
    numbers = [key for key, param in params.items() if param.type is ParamType.NUMBER]
    return [f"min_{kind.unit_key}", f"max_{kind.unit_key}", *numbers]


def _number_keys(rule: Rule) -> list[str]:
    return _kind_number_keys(rule.spec)


# Every key that can be overridden in some table, whatever the stretch (for saving).
_ANY_RULE_KEYS = sorted({key for kind in RULE_KINDS.values() for key in _kind_number_keys(kind)})


def overridable_values(spec: PoseSpec) -> dict[str, float | None]:
    """Every value of a stretch that can be overridden, "owner.key" -> its value now (None: a
    threshold the stretch does not set; a parameter left to its kind's default has that)."""
    target_key = "hold_s" if spec.mode is Mode.HOLD else "reps"
    values: dict[str, float | None] = {f"{TARGET}.{target_key}": spec.target}
    if spec.counter is not None:
        for key in COUNTER_KEYS:
            values[f"{COUNTER}.{key}"] = float(getattr(spec.counter, key))
    for rule in spec.rules:
        kind = rule.spec
        params = {**kind.required, **kind.optional}
        for key in _number_keys(rule):
            if key.startswith("min_"):
                value = rule.min_value
            elif key.startswith("max_"):
                value = rule.max_value
            else:
                value = rule.params.get(key, params[key].default)
            values[f"{rule.id}.{key}"] = None if value is None else float(value)
    return values


def _key_problem(spec: PoseSpec, entry: Override) -> str | None:
    """Why `entry` names no value of `spec`, with what it could name; None when it does."""
    if entry.owner == TARGET:
        key = "hold_s" if spec.mode is Mode.HOLD else "reps"
        if entry.key != key:
            what = "a hold" if spec.mode is Mode.HOLD else "counted in reps"
            return f"{spec.id} is {what}: its target is {key}, not {entry.key!r}"
        return None
    if entry.owner == COUNTER:
        if spec.counter is None:
            return f"{spec.id} is a hold: it has no rep counter"
        if entry.key not in COUNTER_KEYS:
            return f"the counter has no {entry.key!r}: expecting one of {', '.join(COUNTER_KEYS)}"
        return None
    rule = next((r for r in spec.rules if r.id == entry.owner), None)
    if rule is None:
        owners = [TARGET, *([COUNTER] if spec.counter is not None else [])]
        return (
            f"{spec.id} has no rule {entry.owner!r}: expecting {', '.join(owners)} or one of "
            f"its rules: {', '.join(r.id for r in spec.rules)}"
        )
    keys = _number_keys(rule)
    if entry.key not in keys:
        return (
            f"rule {rule.id} ({rule.kind}) has no {entry.key!r}: expecting one of {', '.join(keys)}"
        )
    return None


def _value_problem(entry: Override) -> str | None:
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, got {value!r}"
    if not math.isfinite(value):
        return f"expected a finite number, got {value!r}"
    limits = POSE_KEYS.get(entry.key)
    return limits.check(float(value)) if limits is not None else None


def apply_overrides(spec: PoseSpec, entries: Iterable[Override]) -> PoseSpec:
    """`spec` with `entries` applied in order (a later one wins on the same value). Raises
    OverridesError listing every problem, each with where it came from and what is allowed."""
    problems: list[str] = []
    values = overridable_values(spec)
    final: dict[str, Override] = {}
    for entry in entries:
        problem = _key_problem(spec, entry) or _value_problem(entry)
        if problem is not None:
            problems.append(f"{entry.origin}: {problem}")
        else:
            final.pop(entry.name, None)
            final[entry.name] = entry
    if problems:
        raise OverridesError("; ".join(problems))
    if not final:
        return spec
    new = {name: float(entry.value) for name, entry in final.items()}
    rules = []
    for rule in spec.rules:
        mine = {
            name.split(".", 1)[1]: value
            for name, value in new.items()
            if name.split(".", 1)[0] == rule.id
        }
        if mine:
            unit = rule.spec.unit_key
            low = mine.pop(f"min_{unit}", rule.min_value)
            high = mine.pop(f"max_{unit}", rule.max_value)
            rule = dataclasses.replace(
                rule, min_value=low, max_value=high, params={**rule.params, **mine}
            )
            if low is not None and high is not None and low > high:
                problems.append(
                    _clash(
                        spec,
                        final,
                        (f"{rule.id}.min_{unit}", low),
                        "is above",
                        (f"{rule.id}.max_{unit}", high),
                    )
                )
        rules.append(rule)
    counter = spec.counter
    if counter is not None:
        counter = dataclasses.replace(
            counter,
            start=new.get(f"{COUNTER}.start", counter.start),
            peak=new.get(f"{COUNTER}.peak", counter.peak),
            min_range=new.get(f"{COUNTER}.min_range", counter.min_range),
        )
        if counter.start == counter.peak:
            problems.append(
                _clash(
                    spec,
                    final,
                    ("counter.start", counter.start),
                    "equals",
                    ("counter.peak", counter.peak),
                )
                + ": a rep goes from start to a different peak"
            )
        elif spec.counter is not None and counter.rising != spec.counter.rising:
            way, order = ("rising", "below") if spec.counter.rising else ("falling", "above")
            problems.append(
                _clash(
                    spec,
                    final,
                    ("counter.start", counter.start),
                    "and",
                    ("counter.peak", counter.peak),
                )
                + f" would count reps the other way round: {spec.id} counts {way} reps, so "
                f"start must stay {order} peak"
            )
    if problems:
        raise OverridesError("; ".join(problems))
    target_name = f"{TARGET}.{'hold_s' if spec.mode is Mode.HOLD else 'reps'}"
    records = {entry.name: entry for entry in spec.overrides}
    for name, entry in final.items():
        earlier = records.get(name)
        records[name] = OverriddenValue(
            name=name,
            value=new[name],
            pose_file_value=earlier.pose_file_value if earlier is not None else values[name],
            source=entry.source,
            where=entry.where,
        )
    return dataclasses.replace(
        spec,
        rules=tuple(rules),
        counter=counter,
        target=new.get(target_name, spec.target),
        overrides=tuple(records.values()),
    )


def _clash(
    spec: PoseSpec,
    final: Mapping[str, Override],
    first: tuple[str, float],
    verb: str,
    second: tuple[str, float],
) -> str:
    """'POSE: a.min_deg = 120 (from ...) is above a.max_deg = 100 (from ...)': two values that
    cannot go together, each with where it came from."""

    def origin(name: str) -> str:
        entry = final.get(name)
        if entry is not None:
            return entry.origin
        earlier = spec.overridden(name)
        if earlier is not None:
            return origin_text(earlier.source, earlier.where)
        return f"the pose file {spec.path}"

    (first_name, first_value), (second_name, second_value) = first, second
    return (
        f"{spec.id}: {first_name} = {first_value:g} (from {origin(first_name)}) {verb} "
        f"{second_name} = {second_value:g} (from {origin(second_name)})"
    )


# --- Saving ----------------------------------------------------------------------------------


def save_overrides(path: str | Path, pose_id: str, values: Mapping[str, float]) -> Path:
    """Merge `values` ("rule_id.key", "target.hold_s", "counter.peak" -> number) into the
    overrides file at `path` under `pose_id`, keeping every other entry; written atomically.

    Comments and layout are kept where the file uses [POSE.RULE] tables (as this writes them);
    a file laid out otherwise (inline tables, dotted keys) is written out again in that form.
    Raises OverridesError for a malformed name or value, or a file that is not an overrides
    file (it is left as it was)."""
    path = Path(path)
    problems, changes = [], []
    for name, value in values.items():
        owner, _, key = name.rpartition(".")
        entry = Override(pose_id, owner, key, value, SET_SOURCE, name)
        allowed = {TARGET: ["hold_s", "reps"], COUNTER: list(COUNTER_KEYS)}.get(
            owner, _ANY_RULE_KEYS
        )
        if not owner or not key:
            problems.append(f"{name!r}: expected RULE.KEY (e.g. front_knee_90.min_deg)")
        elif key not in allowed:
            problems.append(
                f"{pose_id}.{name}: {key!r} cannot be set, expecting one of {', '.join(allowed)}"
            )
        elif (problem := _value_problem(entry)) is not None:
            problems.append(f"{pose_id}.{name}: {problem}")
        else:
            changes.append((owner, key, float(value)))
    if problems:
        raise OverridesError(f"cannot save to {path}: " + "; ".join(problems))
    text, merged = "", {}
    if path.exists():
        merged = read_overrides_file(path)
        text = path.read_text(encoding="utf-8")
    edited = text if text.strip() else NEW_FILE_HEADER
    for owner, key, value in changes:
        merged.setdefault(pose_id, {}).setdefault(owner, {})[key] = value
        edited = _set_in_text(edited, (pose_id, owner), key, value)
    try:
        kept_layout = tomllib.loads(edited) == merged
    except tomllib.TOMLDecodeError:
        kept_layout = False
    _write_atomic(path, edited if kept_layout else _dump(merged))
    return path


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _parsed_line(line: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None


def _table_path(line: str) -> tuple[str, ...] | None:
    """The keys of a table header line ('[a."b c"]  # x' -> ('a', 'b c'))."""
    data = _parsed_line(line)
    path: list[str] = []
    while isinstance(data, dict) and len(data) == 1:
        key, data = next(iter(data.items()))
        path.append(key)
    return tuple(path) if data == {} else None


def _set_in_text(text: str, table: tuple[str, str], key: str, value: float) -> str:
    """`text` with `key = value` in [table]: the key's line replaced (its comment kept), else
    added after the table's last value, else the table added at the end."""
    lines = text.splitlines()
    start, end = None, len(lines)
    for index, line in enumerate(lines):
        if _HEADER.match(line):
            if start is not None:
                end = index
                break
            if _table_path(line) == table:
                start = index
    assignment = f"{_toml_key(key)} = {_number_text(value)}"
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += [*([""] if lines else []), f"[{'.'.join(map(_toml_key, table))}]", assignment]
        return "\n".join(lines) + "\n"
    last = start
    for index in range(start + 1, end):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue
        last = index
        parsed = _parsed_line(lines[index])
        if parsed is not None and list(parsed) == [key] and not isinstance(parsed[key], dict):
            line = lines[index]
            comment = re.search(r"\s*#.*$", line)  # a number holds no '#'
            indent = line[: len(line) - len(line.lstrip())]
            lines[index] = indent + assignment + (comment.group(0) if comment else "")
            return "\n".join(lines) + "\n"
    lines.insert(last + 1, assignment)
    return "\n".join(lines) + "\n"


def _dump(data: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """An overrides file's text: one [POSE.RULE] table per rule, in the given order."""
    lines = [NEW_FILE_HEADER.rstrip("\n")]
    for pose_id, owners in data.items():
        for owner, values in owners.items():
            lines += ["", f"[{_toml_key(pose_id)}.{_toml_key(owner)}]"]
            lines += [f"{_toml_key(k)} = {_number_text(float(v))}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    try:
        with atomic_output(path) as stream:
            stream.write(text)
    except OSError as error:
        raise OverridesError(f"cannot write {path}: {error.strerror or error}") from error
