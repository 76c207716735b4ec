"""The `posecoach` command line: `main(argv) -> exit code`, testable in-process, and `run`, the
console script. Each command's handler is in a module of its own, found through `COMMANDS`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from posecoach.cli import (
    demo,
    evalset,
    evaluate,
    history,
    live,
    poses,
    record,
    replay,
    session,
    synth,
    tune,
)
from posecoach.cli.exitcodes import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOBODY,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    ExitCode,
    stopped_code,
)
from posecoach.cli.parser import build_parser
from posecoach.cli.signal_handlers import sigterm_stops
from posecoach.coaching.overrides import Overrides, user_overrides_file, user_overrides_path
from posecoach.coaching.posefile import pose_paths, user_pose_dir
from posecoach.config.errors import PosecoachError, stop_reason

__all__ = [
    "COMMANDS",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NOBODY",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "ExitCode",
    "main",
    "run",
]

# Each command's handler: the parsed arguments in, the exit code out.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "poses": poses.run,
    "live": live.run,
    "replay": replay.run,
    "record": record.run,
    "synth": synth.run,
    "evalset": evalset.run,
    "demo": demo.run,
    "eval": evaluate.run,
    "history": history.run,
    "session": session.run,
    "tune": tune.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="posecoach: %(levelname)s: %(message)s",
    )
    with sigterm_stops():
        return int(_main(args))


def _main(args: argparse.Namespace) -> int:
    """The command's exit code; a domain error is one line on stderr (with --debug, after
    its traceback), a Ctrl-C or SIGTERM one line too."""
    try:
        if "pose_dirs" in vars(args):  # every command that takes --poses
            args.pose_dirs = _pose_dirs([*args.pose_dirs, *vars(args).get("show_pose_dirs", [])])
        if "set_values" in vars(args):  # every command that takes --overrides and --set
            args.overrides = _overrides(args)
        return COMMANDS[args.command](args)
    except PosecoachError as error:
        if args.debug:
            traceback.print_exc()
        print(f"posecoach: error: {error}", file=sys.stderr)
        return ExitCode.ERROR
    except KeyboardInterrupt as interrupt:  # Ctrl-C or SIGTERM
        print(f"posecoach: {stop_reason(interrupt)}", file=sys.stderr)
        return stopped_code(interrupt)


def _pose_dirs(given: Sequence[Path]) -> list[Path]:
    """The pose folders read after the built-in one: the per-user folder, then each --poses DIR."""
    for folder in given:
        if not folder.is_dir():
            raise PosecoachError(
                f"--poses {folder}: no such folder; give a folder that holds pose files (.toml)"
            )
    user = user_pose_dir()
    return ([user] if user is not None else []) + list(given)


def _overrides(args: argparse.Namespace) -> Overrides:
    """The values above the pose files: --overrides FILE (else the per-user file), then --set.
    Warns of stretches in the file that no pose folder read has."""
    if args.command == "tune":  # tune creates the file when it saves: it may not exist yet
        file = args.overrides_file if args.overrides_file is not None else user_overrides_path()
        file = file if file.exists() else None
    else:
        file = args.overrides_file if args.overrides_file is not None else user_overrides_file()
    overrides = Overrides.load(file, args.set_values)
    dirs = args.pose_dirs if "pose_dirs" in vars(args) else _pose_dirs([])
    named = [str(vars(args)[key]) for key in ("pose", "pose_id") if vars(args).get(key)]
    for warning in overrides.unknown_poses({*pose_paths(dirs), *named}):
        print(f"posecoach: warning: {warning}", file=sys.stderr)
    return overrides


def _silence_native_logs() -> None:
    """Send the model runtime's native log lines (LiteRT writes "INFO: Created TensorFlow Lite
    XNNPACK delegate" straight to file descriptor 2 when a model loads) nowhere.

    Python's own stderr keeps a duplicate of the original descriptor, so posecoach's messages
    and errors still reach the terminal. POSECOACH_NATIVE_LOGS=1 keeps the native lines.
    """
    if os.environ.get("POSECOACH_NATIVE_LOGS"):
        return
    try:
        sys.stderr.flush()
        kept = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        return
    sys.stderr = os.fdopen(kept, "w", buffering=1, encoding="utf-8", errors="replace")


def run() -> None:
    """The console script's entry point."""
    if "--debug" not in sys.argv:
        _silence_native_logs()
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`posecoach poses show ID | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    run()
