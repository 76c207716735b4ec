"""Landmark smoothing for live use: a One Euro filter per joint.

The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) is a low-pass filter whose cut-off
rises with speed: a joint held still is steadied hard, a moving joint follows with little lag.
Its three parameters live in `defaults.COACH_SETTINGS` (smooth_min_cutoff_hz, smooth_beta,
smooth_d_cutoff_hz).

Each joint's cut-off is set from its speed in the image (in frame heights per second), and the
same smoothing factor is applied to its image position, depth and world position, so the
three stay consistent. Joints the caller does not trust in a frame are not fed to the filter:
they keep their last smoothed value and come back from there.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from posecoach.config.defaults import DEFAULTS
from posecoach.model.landmarks import NUM_LANDMARKS, Landmarks


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray:
    """The smoothing factor of a first-order low-pass filter at `cutoff_hz` for a step `dt_s`."""
    tau = 1.0 / (2 * math.pi * np.asarray(cutoff_hz, dtype=np.float64))
    return np.asarray(1.0 / (1.0 + tau / dt_s))


@dataclasses.dataclass(frozen=True)
class OneEuroParams:
    min_cutoff_hz: float = DEFAULTS.smooth_min_cutoff_hz
    beta: float = DEFAULTS.smooth_beta
    d_cutoff_hz: float = DEFAULTS.smooth_d_cutoff_hz


class LandmarkSmoother:
    """Smooths a stream of `Landmarks`; `reset()` when the person is lost."""

    def __init__(self, params: OneEuroParams | None = None, reset_after_s: float = 0.5) -> None:
        self.params = params or OneEuroParams()
        self.reset_after_ms = reset_after_s * 1000
        self.reset()

    def reset(self) -> None:
        self._t_ms: float | None = None
        self._pos: np.ndarray | None = None  # (33, 2) image position in frame heights
        self._speed = np.zeros(NUM_LANDMARKS)  # smoothed speed, frame heights per second
        self._z: np.ndarray | None = None
        self._world: np.ndarray | None = None

    def update(self, landmarks: Landmarks, trusted: np.ndarray | None = None) -> Landmarks:
        """The smoothed landmarks for this frame. `trusted` (33 bools) says which joints to
        feed the filter (leave out joints whose position is implausible, such as a jump); the
        others keep their last smoothed value."""
        width, height = landmarks.resolution_wh
        pos = landmarks.xy_norm * np.array([width / height, 1.0])
        z = landmarks.z * (width / height)
        world = landmarks.world_xyz_m
        use = np.ones(NUM_LANDMARKS, bool) if trusted is None else np.asarray(trusted, bool)
        t = landmarks.timestamp_ms
        if (
            self._t_ms is None
            or self._pos is None
            or t - self._t_ms > self.reset_after_ms
            or t <= self._t_ms
        ):
            self.reset()
            self._t_ms, self._pos, self._z = t, pos.copy(), z.copy()
            self._world = None if world is None else world.copy()
            return landmarks
        dt_s = (t - self._t_ms) / 1000
        p = self.params
        speed = np.hypot(*((pos - self._pos) / dt_s).T)
        a_d = _alpha(p.d_cutoff_hz, dt_s)
        new_speed = a_d * speed + (1 - a_d) * self._speed
        a = _alpha(p.min_cutoff_hz + p.beta * new_speed, dt_s)
        a = np.where(use, a, 0.0)  # untrusted joints hold their last value
        self._speed = np.where(use, new_speed, self._speed)
        self._pos = a[:, None] * pos + (1 - a[:, None]) * self._pos
        assert self._z is not None
        self._z = a * z + (1 - a) * self._z
        if world is not None and self._world is not None:
            self._world = a[:, None] * world + (1 - a[:, None]) * self._world
        else:
            self._world = None if world is None else world.copy()
        self._t_ms = t
        return dataclasses.replace(
            landmarks,
            xy_norm=self._pos / np.array([width / height, 1.0]),
            z=self._z / (width / height),
            world_xyz_m=None if self._world is None else self._world.copy(),
        )
