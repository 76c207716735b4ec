"""Domain errors. Each message says what was expected, what was found, and how to fix it."""

from __future__ import annotations


class PosecoachError(Exception):
    """Base class for mistakes a user can fix; the CLI prints the message on one line."""


class SourceError(PosecoachError):
    """A video, image, folder or camera could not be opened or read."""


class CameraError(SourceError):
    """The webcam could not be opened, or stopped delivering frames."""


class EstimatorError(PosecoachError):
    """The pose model could not be loaded or run."""


class UnknownPoseError(PosecoachError):
    """A pose id that is not in the catalogue."""


class PoseFileError(PosecoachError):
    """A pose file with one or more problems; all of them are listed at once."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))


class OverridesError(PosecoachError):
    """An overrides file or a `--set` value that cannot be used; the message says where."""


class Terminated(KeyboardInterrupt):
    """The process was sent SIGTERM. A KeyboardInterrupt, so that whatever stops cleanly on
    Ctrl-C (saving the report, video and recording so far) stops the same way on SIGTERM."""


def stop_reason(interrupt: KeyboardInterrupt) -> str:
    """How a session stopped by Ctrl-C or SIGTERM ended, in words (the report's `ended_by`)."""
    return "stopped by SIGTERM" if isinstance(interrupt, Terminated) else "interrupted (Ctrl-C)"
