"""Which joints can be trusted in a frame, beyond the model's visibility score.

The pose model guesses every joint, hidden or not, and its visibility score often stays high
for a joint it cannot see. Each frame, `JointTrust`:

- undoes left/right label swaps: when a limb's joints lie much closer to the other side's
  joints of the previous frame than to their own, the labels of that limb are swapped back
  (for up to a second: a swap that lasts is taken as the labels from then on);
- marks joints outside the frame (plus the margin) or below the visibility score;
- marks *implausible* joints: one that jumped further in one frame than a body moves (unless
  it stays at its new place for `jump_settle_s`, then it really moved), and the far end of a
  bone whose 3D length is off the person's own recent median by more than `bone_ratio_max`.

A rule reading a joint that is not trusted is unknown for that frame, never failed.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import deque
from dataclasses import dataclass

import numpy as np

from posecoach.coaching.body import PAIRED_JOINTS, torso_length_px
from posecoach.config.defaults import DEFAULTS
from posecoach.model.landmarks import NUM_LANDMARKS, Landmark, Landmarks

# Limbs whose labels are swapped together, with the joints that decide it (the hips and
# shoulders lie too close together side-on to tell).
_LIMBS = {
    "legs": (("hip", "knee", "ankle", "heel", "foot"), ("knee", "ankle", "heel", "foot")),
    "arms": (("elbow", "wrist"), ("elbow", "wrist")),
}
# Bones checked for length, with the joints marked when the length is off: the far end and
# what hangs from it.
_BONES = (
    ("hip", "knee", ("knee",)),
    ("knee", "ankle", ("ankle", "heel", "foot")),
    ("shoulder", "elbow", ("elbow",)),
    ("elbow", "wrist", ("wrist",)),
)
# The bones as landmark index pairs (left side, then right), with the joints each marks.
_BONE_ENDS = [
    (PAIRED_JOINTS[near][side], PAIRED_JOINTS[far][side], [PAIRED_JOINTS[j][side] for j in hanging])
    for near, far, hanging in _BONES
    for side in (0, 1)
]
_BONE_NEAR = np.array([near for near, _, _ in _BONE_ENDS])
_BONE_FAR = np.array([far for _, far, _ in _BONE_ENDS])
# Joints watched for jumps: the body from the shoulders down (the face is not judged).
_WATCHED = np.arange(Landmark.LEFT_SHOULDER, NUM_LANDMARKS)
_MIN_BONE_SAMPLES = 10
_BONE_WINDOW_MS = 10_000.0
_SWAP_RATIO = 0.5  # swapped fits at most this fraction of the kept labels' distance
_SWAP_MIN_TORSO = 0.1  # and the kept labels are off by this much per joint on average
_SWAP_ACCEPT_MS = 1000.0  # a swap that lasts this long is the labels from now on
_GAP_MS = 500.0  # frames further apart than this are not compared


@dataclass(frozen=True)
class TrustSettings:
    min_visibility: float = DEFAULTS.min_visibility
    edge_margin: float = DEFAULTS.edge_margin
    bone_ratio_max: float = DEFAULTS.bone_ratio_max
    jump_torso: float = DEFAULTS.jump_torso
    jump_speed_torso_s: float = DEFAULTS.jump_speed_torso_s
    jump_settle_s: float = DEFAULTS.jump_settle_s


@dataclass(frozen=True)
class TrustFrame:
    """One frame's landmarks (label swaps undone) and which joints can be trusted."""

    landmarks: Landmarks
    trusted: np.ndarray  # (33,) bool: visible, in frame and plausible
    implausible: np.ndarray  # (33,) bool: jumped, or a bone length off
    swapped: tuple[str, ...]  # the limbs whose labels were swapped back


def swap_sides(landmarks: Landmarks, joints: tuple[str, ...]) -> Landmarks:
    """The landmarks with the left and right labels of `joints` exchanged."""
    order = np.arange(NUM_LANDMARKS)
    for joint in joints:
        left, right = PAIRED_JOINTS[joint]
        order[left], order[right] = right, left
    world = landmarks.world_xyz_m
    return dataclasses.replace(
        landmarks,
        xy_norm=landmarks.xy_norm[order],
        z=landmarks.z[order],
        visibility=landmarks.visibility[order],
        world_xyz_m=None if world is None else world[order],
    )


class JointTrust:
    """Tracks one person's joints from frame to frame; `reset()` when the person is lost."""

    def __init__(self, settings: TrustSettings | None = None) -> None:
        self.settings = settings or TrustSettings()
        self.reset()

    def reset(self) -> None:
        self._previous: Landmarks | None = None
        self._swapping_since: dict[str, float] = {}
        self._anchor = np.full((NUM_LANDMARKS, 2), np.nan)  # last trusted position, px
        self._anchor_ms = np.zeros(NUM_LANDMARKS)
        self._jumped_since_ms = np.full(NUM_LANDMARKS, np.nan)
        self._bones = [_Window() for _ in _BONE_ENDS]

    def update(self, landmarks: Landmarks) -> TrustFrame:
        s = self.settings
        swapped = self._unswap(landmarks)
        if swapped:
            landmarks = swap_sides(landmarks, tuple(j for limb in swapped for j in _LIMBS[limb][0]))
        xy = landmarks.xy_norm
        in_frame = np.all((xy >= -s.edge_margin) & (xy <= 1 + s.edge_margin), axis=1)
        implausible = self._jumps(landmarks) | self._bone_lengths(landmarks)
        trusted = (landmarks.visibility >= s.min_visibility) & in_frame & ~implausible
        self._previous = landmarks
        return TrustFrame(landmarks, trusted, implausible, swapped)

    def _unswap(self, landmarks: Landmarks) -> tuple[str, ...]:
        """The limbs whose labels are swapped against the previous frame."""
        previous = self._previous
        if (
            previous is None
            or previous.resolution_wh != landmarks.resolution_wh
            or landmarks.timestamp_ms - previous.timestamp_ms > _GAP_MS
        ):
            self._swapping_since.clear()
            return ()
        torso = torso_length_px(previous)
        if not torso > 0:
            return ()
        swapped = []
        for limb, (_, deciding) in _LIMBS.items():
            pairs = [PAIRED_JOINTS[j] for j in deciding]
            now, before = landmarks.xy_px, previous.xy_px
            kept = sum(
                np.hypot(*(now[a] - before[a])) + np.hypot(*(now[b] - before[b])) for a, b in pairs
            )
            crossed = sum(
                np.hypot(*(now[a] - before[b])) + np.hypot(*(now[b] - before[a])) for a, b in pairs
            )
            if kept / (2 * len(pairs)) > _SWAP_MIN_TORSO * torso and crossed < _SWAP_RATIO * kept:
                since = self._swapping_since.setdefault(limb, landmarks.timestamp_ms)
                if landmarks.timestamp_ms - since < _SWAP_ACCEPT_MS:
                    swapped.append(limb)
                    continue
            self._swapping_since.pop(limb, None)
        return tuple(swapped)

    def _jumps(self, landmarks: Landmarks) -> np.ndarray:
        """Joints further from their last trusted place than a body moves in the time since."""
        s = self.settings
        t = landmarks.timestamp_ms
        torso = torso_length_px(landmarks)
        if not torso > 0:
            return np.zeros(NUM_LANDMARKS, bool)
        pos = landmarks.xy_px
        moved = np.hypot(*(pos - self._anchor).T) / torso
        since_s = (t - self._anchor_ms) / 1000
        allowed = np.maximum(s.jump_torso, s.jump_speed_torso_s * since_s)
        jump = np.zeros(NUM_LANDMARKS, bool)
        jump[_WATCHED] = (moved > allowed)[_WATCHED]  # NaN (never anchored) is no jump
        first = jump & np.isnan(self._jumped_since_ms)
        self._jumped_since_ms[first] = t
        settled = jump & (t - self._jumped_since_ms >= s.jump_settle_s * 1000)
        jumped = jump & ~settled
        keep = ~jumped
        self._anchor[keep] = pos[keep]
        self._anchor_ms[keep] = t
        self._jumped_since_ms[keep] = np.nan
        return jumped

    def _bone_lengths(self, landmarks: Landmarks) -> np.ndarray:
        """Joints at the far end of a bone whose 3D length is off its recent median."""
        off = np.zeros(NUM_LANDMARKS, bool)
        world = landmarks.world_xyz_m
        if world is None:
            return off
        t = landmarks.timestamp_ms
        ratio_max = self.settings.bone_ratio_max
        lengths = np.linalg.norm(world[_BONE_NEAR] - world[_BONE_FAR], axis=1).tolist()
        for (_, _, hanging), window, length in zip(_BONE_ENDS, self._bones, lengths, strict=True):
            window.expire(t - _BONE_WINDOW_MS)
            if len(window) >= _MIN_BONE_SAMPLES:
                usual = window.median()
                if usual > 0 and not 1 / ratio_max <= length / usual <= ratio_max:
                    off[hanging] = True
                    continue
            window.add(t, length)
        return off


class _Window:
    """Values with their times, kept sorted as well, so the median costs nothing to read."""

    def __init__(self) -> None:
        self._timed: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._timed)

    def add(self, t: float, value: float) -> None:
        self._timed.append((t, value))
        bisect.insort(self._sorted, value)

    def expire(self, before: float) -> None:
        """Drop the values older than `before`."""
        while self._timed and self._timed[0][0] < before:
            _, value = self._timed.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, value)]

    def median(self) -> float:
        values, n = self._sorted, len(self._sorted)
        return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
