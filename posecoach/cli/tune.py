"""`posecoach tune`: tune a stretch's thresholds on a clip with sliders, or fit them to
labelled clips, and save them to the overrides file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from posecoach.cli.common import with_overrides
from posecoach.cli.exitcodes import ExitCode
from posecoach.coaching.overrides import user_overrides_path
from posecoach.coaching.posefile import load_pose
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """Fit the stretch's thresholds to labelled clips (--fit), or open the slider window on
    SOURCE; print what changed."""
    from posecoach.coaching.overrides import save_overrides
    from posecoach.output.sinks import has_display

    pose = with_overrides(load_pose(args.pose, args.pose_dirs), args.overrides)
    # Tuned values go to the overrides file in use: --overrides FILE, else the per-user one.
    target = args.overrides_file if args.overrides_file is not None else user_overrides_path()
    if args.fit is None and args.source is None:
        raise PosecoachError("give a clip to tune on (SOURCE), or labelled clips with --fit")
    if args.write and args.fit is None:
        raise PosecoachError("--write saves what --fit finds: give --fit LABELS")
    if args.fit is not None:
        from posecoach.evaluation.fit import fit, load_fit_clips, result_lines

        def progress(line: str) -> None:
            print(line, file=sys.stderr)

        clips = load_fit_clips(pose, args.fit, args.pose_dirs, progress)
        result = fit(pose, clips)
        print(f"{pose.name}: fitted to {len(clips)} clip{'' if len(clips) == 1 else 's'}")
        print("\n".join(result_lines(result)))
        fitted = {name: after for name, (_, after) in result.changed.items()}
        if fitted and args.write:
            print(f"saved {len(fitted)} value(s) to {save_overrides(target, pose.id, fitted)}")
        elif fitted:
            print(f"(add --write to save them to {target})")
        return ExitCode.OK
    from posecoach.evaluation.tune import FrameImages, Tuner, TuneWindow, load_stream
    from posecoach.model.recording import is_recording

    if not has_display():
        raise PosecoachError("tune needs a screen for its window (or use --fit, which needs none)")
    print(f"measuring {args.source} (once) ...", file=sys.stderr)
    stream, stills = load_stream(args.source)
    tuner = Tuner(pose, stream, stills=stills)
    first = next((lm for lm, _, _ in stream if lm is not None), None)
    size = first.resolution_wh if first is not None else (640, 480)
    drawn = stills or Path(args.source).is_dir() or is_recording(args.source)
    video = None if drawn else Path(args.source)  # None: drawn on a plain canvas
    images = FrameImages(video, size)

    def save(values: dict[str, float]) -> str:
        if not values:
            return "nothing changed: nothing to save"
        try:
            return f"saved {len(values)} value(s) to {save_overrides(target, pose.id, values)}"
        except PosecoachError as error:
            return f"not saved: {error}"

    try:
        TuneWindow(tuner, images, save, title=f"posecoach tune - {pose.name}").run()
    finally:
        images.close()
    changed = tuner.changed()
    print(f"{pose.name}: {tuner.summary()}")
    for name, value in changed.items():
        print(f"  {name} = {value:g}")
    return ExitCode.OK
