"""The sample clips bundled with posecoach (generated, each with its truth sidecar)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach.config.errors import PosecoachError
from posecoach.config.paths import shipped_dir

_VIDEO_SUFFIX = ".mp4"


def samples_dir() -> Path:
    """The folder of the bundled samples (installed with the package, or the source tree's)."""
    return shipped_dir("sample_clips", "samples")


@dataclass(frozen=True)
class BundledSample:
    """A bundled clip and what its truth file says about it."""

    name: str
    video: Path
    truth: Path
    pose_id: str
    totals: dict[str, dict[str, float]]
    description: str


def _describe(truth: dict[str, Any]) -> str:
    fault = truth.get("fault")
    form = f"fault: {fault}" if fault else "correct form"
    sides = truth.get("sides") or []
    where = f", {' then '.join(sides)} side" if sides else ""
    return f"{truth['pose']} ({truth['mode']}{where}, {form}, {truth['view']} view)"


def bundled_samples(folder: Path | None = None) -> dict[str, BundledSample]:
    """Sample name -> sample, for every clip in the folder that has a truth sidecar."""
    folder = folder or samples_dir()
    found: dict[str, BundledSample] = {}
    for video in sorted(folder.glob(f"*{_VIDEO_SUFFIX}")):
        truth_path = video.with_name(f"{video.stem}.truth.json")
        if not truth_path.is_file():
            continue
        try:
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            found[video.stem] = BundledSample(
                name=video.stem,
                video=video,
                truth=truth_path,
                pose_id=truth["pose"],
                totals=truth["totals"],
                description=_describe(truth),
            )
        except (OSError, ValueError, KeyError) as error:
            raise PosecoachError(
                f"sample truth file {truth_path} is unreadable ({error}): reinstall posecoach"
            ) from error
    if not found:
        raise PosecoachError(f"no sample clips found in {folder}: reinstall posecoach")
    return found
