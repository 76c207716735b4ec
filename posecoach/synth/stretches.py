"""The stretches the synthetic performer can do: one `StretchMotion` per stretch of the
catalogue (../shared/STRETCHES.md), with the faults it can render. Each group module
(kneeling, floor) lists its own in `MOTIONS`."""

from __future__ import annotations

from posecoach.synth import floor, kneeling
from posecoach.synth.postures import LEAVE_FRAME, ScriptOptions, StretchMotion

__all__ = ["LEAVE_FRAME", "STRETCH_MOTIONS", "ScriptOptions", "StretchMotion"]

STRETCH_MOTIONS: dict[str, StretchMotion] = {**kneeling.MOTIONS, **floor.MOTIONS}
for _motion in STRETCH_MOTIONS.values():
    _motion.faults[LEAVE_FRAME] = "leaves the camera's view for a few seconds, then carries on"
