"""How still the body is: whether a person has settled in a position or is moving through it.

A hold is a stay, not a pass: the bottom of a lunge, a leg swinging through, the way into and
out of a stretch all meet a position's rules for a moment while the body moves. Stillness is
measured on the main joints (shoulders, hips, knees, ankles), as the spread of each joint around
its median position over the last `window_s`, in torso lengths. The joints' spreads are
summarised by their median rather than the largest, so a leg the model misplaces for a moment
(a hidden far leg, a left/right label flip) does not read as the body moving, while a lunge or
a roll (most of the body moving) does. One limb moving alone is left to the position's gates.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from posecoach.coaching.body import MAIN_JOINTS, torso_length_px
from posecoach.model.landmarks import Landmarks

# The share of the trusted main joints that must be still: half of them (the median joint), so
# that a leg the model misplaces, or one limb moving alone, is not the body moving.
JOINT_QUANTILE = 50.0
MIN_JOINTS = 4  # fewer trusted main joints than this: stillness is not known


class Stillness:
    """Feeds on each frame's smoothed landmarks; `update` gives how far the main joints
    wandered over the last `window_s` (torso lengths), or NaN while too little is known."""

    def __init__(self, window_s: float) -> None:
        self.window_ms = window_s * 1000
        self._frames: deque[tuple[float, np.ndarray, float, np.ndarray]] = deque()

    def clear(self) -> None:
        self._frames.clear()

    def update(self, landmarks: Landmarks, trusted: np.ndarray) -> float:
        t = landmarks.timestamp_ms
        self._frames.append(
            (
                t,
                landmarks.xy_px[MAIN_JOINTS].copy(),
                torso_length_px(landmarks),
                trusted[MAIN_JOINTS],
            )
        )
        while t - self._frames[0][0] > self.window_ms:
            self._frames.popleft()
        if len(self._frames) < 3 or t - self._frames[0][0] < self.window_ms * 0.6:
            return math.nan
        points = np.stack([frame[1] for frame in self._frames])  # (frames, joints, 2)
        torso = float(np.median([frame[2] for frame in self._frames]))
        seen = np.all(np.stack([frame[3] for frame in self._frames]), axis=0)
        if not torso > 0 or seen.sum() < MIN_JOINTS:
            return math.nan
        offsets = np.linalg.norm(points - np.median(points, axis=0), axis=2)
        spread = np.percentile(offsets, 90, axis=0)[seen]
        return float(np.percentile(spread, JOINT_QUANTILE)) / torso
