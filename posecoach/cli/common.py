"""Helpers the commands share: the stretch a command names, output paths checked before a run,
the camera, the voice, the stretches' reference pictures, history saves, and text tables."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from posecoach.coaching.overrides import Overrides
from posecoach.coaching.posefile import Mode, PoseSpec, load_pose, load_pose_file
from posecoach.config.errors import PosecoachError

if TYPE_CHECKING:
    import argparse

    import numpy as np

    from posecoach.inputs.sources import FrameSource
    from posecoach.output.pictures import Pictures
    from posecoach.output.speech import Voice
    from posecoach.reports.history import Saved
    from posecoach.run.render import ScreenState

DEFAULT_OUT_DIR = Path("posecoach_out")


def chosen_pose(
    pose_id: str,
    pose_file: Path | None,
    pose_dirs: Sequence[Path],
    overrides: Overrides | None,
) -> PoseSpec:
    """The stretch --pose names (from --pose-file when given, which must define that id),
    with the run's overrides applied."""
    if pose_file is not None:
        spec = load_pose_file(pose_file)
        if spec.id != pose_id:
            raise PosecoachError(f"{pose_file} defines pose {spec.id!r}, not {pose_id!r}")
    else:
        spec = load_pose(pose_id, pose_dirs)
    return with_overrides(spec, overrides)


def with_overrides(spec: PoseSpec, overrides: Overrides | None) -> PoseSpec:
    """The stretch with the run's overrides file and --set values applied (commands without
    --overrides and --set: as it is)."""
    if overrides is None:
        return spec
    overrides.check_set_poses({spec.id})
    return overrides.apply(spec)


def writable(path: Path, what: str) -> Path:
    """Check before a session that its output can be written (not after it has run)."""
    if path.is_dir():
        raise PosecoachError(f"cannot write {what} {path}: it is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PosecoachError(
            f"cannot write {what} {path}: cannot create its folder ({error.strerror or error})"
        ) from error
    return path


def output_file(path: Path, suffix: str, what: str) -> Path:
    """Check a --signals or --plot file before the session: its suffix, a folder to write in."""
    if path.suffix.lower() != suffix:
        raise PosecoachError(
            f"cannot write {what} {path}: expected a {suffix} file name, "
            f"got {path.suffix or 'no suffix'}"
        )
    writable(path, what)
    if not os.access(path.parent, os.W_OK):
        raise PosecoachError(f"cannot write {what} {path}: its folder is not writable")
    return path


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def totals_text(totals: dict[str, dict[str, float]], pose: PoseSpec) -> str:
    """Reps or seconds held, per side or in all: 'left 3 reps, right 2 reps', '30.0 s'."""
    parts = []
    for key, values in totals.items():
        reps = int(values["reps"])
        amount = (
            f"{reps} rep{'' if reps == 1 else 's'}"
            if pose.mode is Mode.REPS
            else f"{values['hold_s']:.1f} s"
        )
        parts.append(amount if key == "all" else f"{key} {amount}")
    return ", ".join(parts)


@dataclass(frozen=True)
class CameraOptions:
    """The camera a command coaches or records from: `--camera N` with the settings asked of
    it, or with `--camera-video` a video played as the camera."""

    index: int = 0
    video: Path | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CameraOptions:
        """From a command's parsed --camera, --camera-video, --width, --height and --fps."""
        return cls(
            index=args.camera,
            video=vars(args).get("camera_video"),
            width=args.width,
            height=args.height,
            fps=args.fps,
        )


def camera(options: CameraOptions) -> FrameSource:
    """The webcam `--camera N`, or with `--camera-video` a video played as the camera."""
    from posecoach.inputs.sources import CameraSource, VideoCamera

    if options.video is not None:
        video = VideoCamera(options.video)
        return CameraSource(capture=video, name=f"{options.video} (as the camera)")
    return CameraSource(options.index, width=options.width, height=options.height, fps=options.fps)


def pictures(render: bool = True) -> Pictures:
    """The stretches' reference pictures for the window: shipped, cached, or (with `render`)
    rendered by the synthetic performer (imported only when a picture has to be rendered)."""
    from posecoach.output.pictures import Pictures

    return Pictures(render=_render_picture if render else None)


def _render_picture(pose: PoseSpec) -> np.ndarray:
    from posecoach.synth.picture import render_picture

    return render_picture(pose)


def open_voice(muted: bool) -> Voice:
    """The voice that speaks the cues (`muted`: off until v in the window turns it on). Its
    notices (no engine, an engine that fails) go to stderr, once."""
    from posecoach.output import speech

    def notify(message: str) -> None:
        print(f"posecoach: {message}", file=sys.stderr)

    return speech.open_voice(muted=muted, notify=notify)


def save_history(save: Callable[[], Saved]) -> None:
    """Run a history save, printing its lines (a busy or damaged database, ...) on stderr;
    a failure is one line too: what called this has saved its report already."""
    try:
        saved = save()
    except (PosecoachError, OSError) as error:
        print(f"posecoach: the history was not saved: {error}", file=sys.stderr)
        return
    for message in saved.messages:
        print(f"posecoach: {message}", file=sys.stderr)


def screen_state(developer: bool, window: bool) -> ScreenState:
    """What the screen shows besides the coaching: the developer overlay as asked, and the
    pictures of the target positions (see `pictures`). Without a `window` (a video written
    unattended) a picture that is neither shipped nor cached is not rendered for it."""
    from posecoach.run.render import ScreenState

    return ScreenState(developer=developer, pictures=pictures(render=window).get)
