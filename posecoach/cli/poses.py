"""`posecoach poses`: list the stretches, explain one (`poses show ID`) with the values set
above its pose file marked, or check pose files (`poses check FILE.toml`)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from posecoach.cli.common import table, with_overrides
from posecoach.cli.exitcodes import ExitCode
from posecoach.coaching.overrides import SET_SOURCE, Overrides, origin_text, user_overrides_path
from posecoach.coaching.posefile import (
    Mode,
    PoseSpec,
    View,
    builtin_pose_dir,
    file_name_problem,
    load_pose,
    load_pose_file,
    pose_paths,
    user_pose_dir,
    user_pose_dir_path,
)
from posecoach.coaching.rules import UNIT_WORDS, Rule, When, range_text
from posecoach.config.errors import PoseFileError

TEXT_WIDTH = 96  # the width `poses show` wraps its text to


def _folder_label(folder: Path) -> str:
    if folder == builtin_pose_dir():
        return "built in"
    if folder == user_pose_dir():
        return "yours"
    return "--poses"


def run(args: argparse.Namespace) -> int:
    """List the stretches and the folders read, or with an action, show one (`poses show`)
    or check pose files (`poses check`); the exit code."""
    if args.pose_action == "check":
        return _check(args.files)
    if args.pose_action == "show":
        spec = with_overrides(load_pose(args.pose_id, args.pose_dirs), args.overrides)
        return _show(spec, args.overrides)
    builtin = pose_paths()
    rows = [["ID", "NAME", "VIEW", "MODE", "TARGET", "FROM"]]
    broken: list[str] = []
    for pose_id, path in sorted(pose_paths(args.pose_dirs).items()):
        origin = _folder_label(path.parent)
        if pose_id in builtin and path != builtin[pose_id]:
            origin += " (replaces the built-in)"
        try:
            spec = load_pose_file(path)
            if (problem := file_name_problem(spec)) is not None:
                raise PoseFileError(str(path), [problem])
        except PoseFileError as error:
            broken.append(str(error))
            rows.append([pose_id, "(cannot be loaded: see below)", "-", "-", "-", origin])
            continue
        rows.append(
            [pose_id, spec.name, spec.view.value, spec.mode.value, spec.target_label, origin]
        )
    print("\n".join(table(rows)))
    print()
    print("Folders read (later ones win on the same id):")
    folders = [[_folder_label(f), str(f), ""] for f in (builtin_pose_dir(), *args.pose_dirs)]
    if user_pose_dir() is None:
        folders.insert(
            1, ["yours", str(user_pose_dir_path()), "(absent: create it to add your own stretches)"]
        )
    print("\n".join("  " + line for line in table(folders)))
    for line in broken:
        print(f"posecoach: error: {line}", file=sys.stderr)
    if broken:
        print(
            f"posecoach: {len(broken)} pose file{'' if len(broken) == 1 else 's'} could not be "
            "loaded: fix them, and check with 'posecoach poses check FILE.toml'",
            file=sys.stderr,
        )
        return ExitCode.ERROR
    return ExitCode.OK


def _mark(spec: PoseSpec | None, name: str) -> str:
    """' [o]' after a value the overrides file set, ' [s]' after one --set set, else ''."""
    entry = spec.overridden(name) if spec is not None else None
    if entry is None:
        return ""
    return " [s]" if entry.source == SET_SOURCE else " [o]"


def _threshold_text(rule: Rule, spec: PoseSpec | None = None) -> str:
    """The passing range in words: '80 to 100 deg', 'at most 0.05 torso lengths'; with `spec`,
    the values set above the pose file marked ('75 [s] to 100 deg')."""
    unit = rule.spec.unit_key
    low_mark = _mark(spec, f"{rule.id}.min_{unit}")
    high_mark = _mark(spec, f"{rule.id}.max_{unit}")
    return range_text(rule.min_value, rule.max_value, unit, low_mark, high_mark)


def _param_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_param_text(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _rule_params_text(rule: Rule, spec: PoseSpec | None = None) -> str:
    """The rule's own keys and values, in the kind's order; unset optional keys with defaults;
    with `spec`, the values set above the pose file marked."""
    kind = rule.spec
    parts = []
    for key in (*kind.required, *kind.optional):
        if key in rule.params:
            parts.append(f"{key} {_param_text(rule.params[key])}{_mark(spec, f'{rule.id}.{key}')}")
        elif key in kind.optional and kind.optional[key].default is not None:
            parts.append(f"{key} {_param_text(kind.optional[key].default)} (default)")
    text = "; ".join(parts)
    return f"{text}; on either side, whichever does better" if rule.either_side else text


_VIEW_TEXT = {
    View.SIDE: "side-on to the camera",
    View.FRONT: "facing the camera",
    View.ANY: "at any angle to the camera",
}
_WHEN_TEXT = {
    When.ALWAYS: "judged in every frame",
    When.TOP: "judged at the top of each rep",
    When.BOTTOM: "judged at the bottom of each rep",
}


def _wrapped(label: str, text: str, indent: int) -> list[str]:
    """`label` in a column of `indent` characters, then `text` wrapped beside it."""
    # A path (the pose file, the overrides file) stays whole, even past the width.
    width = TEXT_WIDTH - indent
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    return [(label if i == 0 else "").ljust(indent) + line for i, line in enumerate(lines)]


def _overrides_settings(spec: PoseSpec, overrides: Overrides | None) -> list[tuple[str, str]]:
    """`poses show` lines on where the values come from: the overrides file, --set, the legend."""
    if overrides is None:
        return []
    from_file = [e for e in spec.overrides if e.source != SET_SOURCE]
    from_set = [e for e in spec.overrides if e.source == SET_SOURCE]
    if overrides.file is None:
        file_text = f"none ({user_overrides_path()} is absent; or give --overrides FILE)"
    else:
        count = len(from_file)
        file_text = f"{overrides.file}: {count} value{'' if count == 1 else 's'} for this stretch"
    settings = [("overrides", file_text)]
    if from_set:
        settings.append(("--set", f"{len(from_set)} value{'' if len(from_set) == 1 else 's'}"))
    legend = "from the pose file unless marked: [o] the overrides file, [s] --set"
    settings.append(("values", legend))
    return settings


def _changed_lines(spec: PoseSpec) -> list[str]:
    """`poses show`'s closing table: each value set above the pose file, with its pose-file
    value and where it was set."""
    if not spec.overrides:
        return []
    rows = []
    for entry in spec.overrides:
        before = "not set" if entry.pose_file_value is None else f"{entry.pose_file_value:g}"
        rows.append(
            [
                f"  {entry.name}",
                f"{entry.value:g}{_mark(spec, entry.name)}",
                f"pose file: {before}",
                origin_text(entry.source, entry.where),
            ]
        )
    return ["", f"Changed from the pose file ({len(rows)}):", *table(rows)]


def _show(spec: PoseSpec, overrides: Overrides | None = None) -> int:
    target_key = "hold_s" if spec.mode is Mode.HOLD else "reps"
    lines = [f"{spec.name} ({spec.id})"]
    for paragraph in spec.description.split("\n\n"):
        lines.append("")
        lines += textwrap.wrap(paragraph, TEXT_WIDTH, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    settings = [
        ("view", f"{spec.view.value} ({_VIEW_TEXT[spec.view]})"),
        ("mode", spec.mode.value),
        ("target", spec.target_label + _mark(spec, f"target.{target_key}")),
        (
            "sides",
            f"per side; the working side is the {spec.working} leg's side"
            if spec.per_side
            else "not per side (one total)",
        ),
    ]
    if spec.counter is not None:
        signal = spec.rule(spec.counter.signal)
        unit = UNIT_WORDS.get(signal.spec.unit_key, signal.spec.unit_key)
        start = f"{spec.counter.start:g}{_mark(spec, 'counter.start')}"
        peak = f"{spec.counter.peak:g}{_mark(spec, 'counter.peak')}"
        if spec.counter.rising:
            motion = f"rises from {start} or less to {peak} or more"
        else:
            motion = f"falls from {start} or more to {peak} or less"
        counter_text = f"{signal.id} ({unit}) {motion} and back: one rep"
        if spec.counter.min_range or spec.overridden("counter.min_range"):
            counter_text += (
                f", moving at least {spec.counter.min_range:g}{_mark(spec, 'counter.min_range')} "
                f"{unit} from where it rested"
            )
        settings.append(("rep counter", counter_text))
    settings.append(("file", str(spec.path)))
    settings += _overrides_settings(spec, overrides)
    for label, text in settings:
        lines += _wrapped(f"  {label}", text, 15)
    counted = "reps count" if spec.mode is Mode.REPS else "the timer runs"
    rules_intro = (
        f"Rules ({len(spec.rules)}): gates define the position ({counted} only while every "
        "gate passes); form checks give their cue when they fail. Priority 1 is the most important."
    )
    lines += ["", *textwrap.wrap(rules_intro, TEXT_WIDTH)]
    for rule in spec.rules:
        role = "a gate (defines the position)" if rule.gate else "a form check"
        judged = f"{role}, {_WHEN_TEXT[rule.when]}, priority {rule.priority}"
        lines += ["", f'  {rule.id}: "{rule.label}"', *_wrapped("    is", judged, 16)]
        lines += _wrapped("    kind", f"{rule.kind}: {rule.spec.description}", 16)
        lines += _wrapped("    measures", _rule_params_text(rule, spec), 16)
        lines += _wrapped("    passes at", _threshold_text(rule, spec), 16)
        lines += _wrapped("    cue", f'"{rule.cue}"', 16)
    lines += _changed_lines(spec)
    print("\n".join(lines))
    return ExitCode.OK


def _check(files: Sequence[Path]) -> int:
    builtin = pose_paths()
    all_ok = True
    for given in files:
        paths = sorted(given.glob("*.toml")) if given.is_dir() else [given]
        if not paths:
            print(f"{given}: no pose files (.toml) in this folder")
            all_ok = False
        for path in paths:
            all_ok = _check_pose_file(path, builtin) and all_ok
    return ExitCode.OK if all_ok else ExitCode.ERROR


def _check_pose_file(path: Path, builtin: dict[str, Path]) -> bool:
    """Print 'FILE: ok (...)' and any warnings, or every problem; True when the file is usable."""
    try:
        spec = load_pose_file(path)
    except PoseFileError as error:
        for problem in error.problems:
            print(f"{path}: {problem}")
        return False
    mismatch = file_name_problem(spec)
    if mismatch is not None:
        print(f"{path}: {mismatch}")
        return False
    count = len(spec.rules)
    print(f"{path}: ok ({spec.id}, {count} rule{'' if count == 1 else 's'})")
    if path.suffix != ".toml":
        print(f"{path}: warning: pose folders read only .toml files: rename it to {spec.id}.toml")
    shadowed = builtin.get(spec.id)
    if shadowed is not None and shadowed.resolve() != path.resolve():
        print(
            f"{path}: warning: id {spec.id!r} is also a built-in stretch: in your pose folder "
            "or with --poses this file replaces it; choose another id to keep both"
        )
    return True
