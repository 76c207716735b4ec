"""The menu `live` and `session` open in the window when no stretch or routine is named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from posecoach.cli.common import pictures
from posecoach.coaching.posefile import load_pose, pose_paths
from posecoach.coaching.routine import find_routine, routine_files
from posecoach.config.errors import PosecoachError
from posecoach.output.menu import MenuItem, choose
from posecoach.output.sinks import WindowSink, has_display


@dataclass(frozen=True)
class Choice:
    """What was chosen: a stretch (`kind` "pose") or a routine, by id."""

    kind: str
    id: str


def stretch_items(pose_dirs: Iterable[Path] = ()) -> list[MenuItem]:
    """A card per stretch that loads (one that does not is left out of the menu)."""
    found = pictures()
    items = []
    for pose_id in pose_paths(pose_dirs):
        try:
            pose = load_pose(pose_id, pose_dirs)
        except PosecoachError:
            continue
        items.append(MenuItem(f"pose:{pose.id}", pose.name, pose.target_label, found.get(pose)))
    return items


def routine_items(pose_dirs: Iterable[Path] = ()) -> list[MenuItem]:
    """A card per routine that loads, pictured by its first stretch."""
    found = pictures()
    items = []
    for routine_id, path in routine_files().items():
        try:
            routine = find_routine(str(path), pose_dirs)
        except PosecoachError:
            continue
        count = len(routine.steps)
        detail = f"Routine: {count} stretch{'' if count == 1 else 'es'}"
        picture = found.get(routine.steps[0].pose) if routine.steps else None
        items.append(MenuItem(f"routine:{routine_id}", routine.name, detail, picture))
    return items


def choose_in_window(items: list[MenuItem], title: str, needs: str) -> Choice | None:
    """The card chosen in a menu window (None: the menu was closed). Without a screen the
    menu cannot open: the error says what to give instead (`needs`)."""
    if not has_display():
        raise PosecoachError(f"no screen for the menu: {needs}")
    window = WindowSink(f"posecoach - {title}")
    try:
        index = choose(window, items, title)
    finally:
        window.close()
    if index is None:
        return None
    kind, _, item_id = items[index].id.partition(":")
    return Choice(kind, item_id)
