"""`posecoach demo`: coach a bundled sample clip, then print its true totals."""

from __future__ import annotations

import argparse

from posecoach.cli.coach_one import CoachOptions, run_one
from posecoach.cli.common import totals_text
from posecoach.cli.exitcodes import ExitCode
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """List the samples (--list), or replay the one named with its report and annotated
    video in posecoach_out; the replay's exit code."""
    from posecoach.config.samples import bundled_samples

    samples = bundled_samples()
    if args.list:
        for name, sample in samples.items():
            print(f"{name:28s} {sample.description}")
        return ExitCode.OK
    if args.sample not in samples:
        raise PosecoachError(
            f"no sample called {args.sample!r}: expecting one of {', '.join(samples)}"
        )
    sample = samples[args.sample]
    print(f"posecoach demo: {sample.description} ({sample.video})")
    options = CoachOptions(
        pose_id=sample.pose_id,
        source=sample.video,
        window=not args.no_window,  # without a screen, the replay falls back to no window
        overrides=args.overrides,
    )
    code = run_one(options)
    print(f"truth: {totals_text(sample.totals, options.pose())} (from {sample.truth.name})")
    return code
