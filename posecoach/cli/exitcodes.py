"""The exit codes of the `posecoach` command, and the code a Ctrl-C or SIGTERM ends it with."""

from __future__ import annotations

import enum

from posecoach.config.errors import Terminated


class ExitCode(enum.IntEnum):
    """What the `posecoach` command exits with."""

    OK = 0
    ERROR = 1
    USAGE = 2  # argparse's code for a command line it cannot read
    NOBODY = 3  # nobody was found in the source
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM (128 + 15)


EXIT_OK = ExitCode.OK
EXIT_ERROR = ExitCode.ERROR
EXIT_USAGE = ExitCode.USAGE
EXIT_NOBODY = ExitCode.NOBODY
EXIT_INTERRUPTED = ExitCode.INTERRUPTED
EXIT_TERMINATED = ExitCode.TERMINATED


def stopped_code(interrupt: KeyboardInterrupt) -> ExitCode:
    """TERMINATED for a SIGTERM (`errors.Terminated`), INTERRUPTED for a Ctrl-C."""
    return ExitCode.TERMINATED if isinstance(interrupt, Terminated) else ExitCode.INTERRUPTED
