"""`posecoach synth`: generate a clip of a stretch, or of a look-alike exercise, with its
exact ground truth."""

from __future__ import annotations

import argparse
from typing import Any

from posecoach.cli.common import chosen_pose, totals_text, writable
from posecoach.cli.exitcodes import ExitCode
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """Write the clip and its truth as the parsed `synth` arguments say, and print the true
    totals (or, for a look-alike, what it is a negative for)."""
    from posecoach.synth.clip import side_list

    if args.movement is not None:
        return _synth_movement(args)
    if args.pose is None:
        raise PosecoachError("give the stretch to perform (--pose ID) or a --movement NAME")
    pose = _pose(args, args.pose)
    if pose.mode is Mode.REPS and args.hold is not None:
        raise PosecoachError(f"{pose.id} is counted in reps: use --reps, not --hold")
    if pose.mode is Mode.HOLD and args.reps is not None:
        raise PosecoachError(f"{pose.id} is a hold: use --hold, not --reps")
    if not pose.per_side and args.side is not None:
        raise PosecoachError(f"{pose.id} is not done per side: leave out --side")
    truth = _write_synth(
        args, pose, sides=side_list(args.side, pose.per_side), fault=args.fault, movement=None
    )
    print(f"true totals: {totals_text(truth['totals'], pose)}")
    return ExitCode.OK


def _pose(args: argparse.Namespace, pose_id: str) -> PoseSpec:
    """The stretch `pose_id`, from --pose-file when given."""
    return chosen_pose(pose_id, args.pose_file, args.pose_dirs, None)


def _synth_movement(args: argparse.Namespace) -> int:
    """`posecoach synth --movement NAME`: a look-alike exercise, with its cycles (--reps) or
    hold (--hold), judged by --pose or the first stretch it is a negative for."""
    from posecoach.synth.lookalikes import LOOKALIKES

    look = LOOKALIKES[args.movement]
    if look.held and args.reps is not None:
        raise PosecoachError(f"{look.id} is held: use --hold, not --reps")
    if not look.held and args.hold is not None:
        raise PosecoachError(f"{look.id} is done in cycles: use --reps, not --hold")
    if args.side is not None or args.fault is not None:
        raise PosecoachError(f"{look.id} is a look-alike: leave out --side and --fault")
    pose = _pose(args, args.pose or look.negative_for[0])
    _write_synth(args, pose, sides=None, fault=None, movement=look.id)
    print(f"movement: {look.movement}")
    print(f"negative for: {', '.join(look.negative_for)} (truth judged as {pose.id})")
    return ExitCode.OK


def _write_synth(
    args: argparse.Namespace,
    pose: PoseSpec,
    sides: tuple[str | None, ...] | None,
    fault: str | None,
    movement: str | None,
) -> dict[str, Any]:
    """Render the clip `synth`'s options describe (`sides` None: the spec's default), print
    where it and its truth went, and return the truth."""
    from posecoach.synth.clip import ClipSpec, check_clip_path, write_clip

    defaults = ClipSpec(pose.id)
    spec = ClipSpec(
        pose_id=pose.id,
        sides=defaults.sides if sides is None else sides,
        reps=args.reps or defaults.reps,
        hold_s=args.hold or defaults.hold_s,
        fault=fault,
        view=args.view,
        seed=args.seed,
        size_wh=args.size,
        fps=args.fps,
        facing=args.facing,
        lighting=args.lighting,
        blur_px=args.blur,
        noise=args.noise,
        movement=movement,
    )
    spec.check()
    out = writable(check_clip_path(args.out), "clip")
    truth = write_clip(spec, pose, out)
    print(f"clip:  {out} ({truth['frames']} frames, {truth['duration_s']:.1f} s)")
    print(f"truth: {out.with_name(out.stem + '.truth.json')}")
    return truth
