"""`posecoach evalset`: generate the evaluation set of clips `posecoach eval` measures."""

from __future__ import annotations

import argparse
import sys

from posecoach.cli.exitcodes import ExitCode


def run(args: argparse.Namespace) -> int:
    """Write every clip of the set into the folder, with a progress line per clip."""
    from posecoach.synth.evalset import eval_set_specs, write_eval_set

    clips = eval_set_specs(seeds=args.seeds, quick=args.quick)

    def progress(done: int, total: int, clip: object, written: bool) -> None:
        name = getattr(clip, "name", "")
        print(f"[{done}/{total}] {name}{'' if written else ' (kept)'}", file=sys.stderr)

    labels = write_eval_set(args.folder, clips, workers=max(args.workers, 1), progress=progress)
    print(f"posecoach evalset: {len(clips)} clips in {args.folder} (negatives in {labels.name})")
    return ExitCode.OK
