"""MediaPipe's landmark filters (`LowPassFilter`, `OneEuroFilter`, and the landmark and
visibility smoothing calculators built on them), vectorised over every coordinate.

They run on MediaPipe's legacy clock: the legacy pose API stamped the n-th frame it was given
at n x 33,333 us whatever the video's own rate (`legacy_time_ns`); a One Euro filter's rate
is worked out from the time between its samples, as MediaPipe does, so a frame with nobody in
it (no sample) counts as time gone by. Keeping that clock makes every landmark, and so every
threshold tuned on them, what it was with mediapipe. The arithmetic follows MediaPipe's types
too (values kept in float, speeds and cut-offs worked out in double): the next frame's crop
comes from these values, so a difference in the last bit would grow from frame to frame.
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32
F64 = np.float64
# The legacy API's simulated clock: one frame every 33,333 us.
LEGACY_FRAME_INTERVAL_NS = 33_333_000


def legacy_time_ns(frames_given: int) -> int:
    """The legacy API's timestamp of the `frames_given`-th frame it was given (from 1)."""
    return frames_given * LEGACY_FRAME_INTERVAL_NS


# A OneEuroFilter's rate before it has seen two samples (its `frequency` option).
DEFAULT_FREQUENCY_HZ = 30.0
# Below this object size (pixels) landmarks pass unfiltered (min_allowed_object_scale).
MIN_OBJECT_SCALE = F32(1e-6)


class LowPass:
    """Exponential smoothing; the first sample passes unchanged. Values are kept in float:
    alpha * value in float, the rest in double, the result rounded to float."""

    def __init__(self, alpha: float | None = None) -> None:
        self.alpha = None if alpha is None else F32(alpha)
        self.raw: np.ndarray | None = None
        self.value: np.ndarray | None = None

    def apply(self, sample: np.ndarray, alpha: np.ndarray | float | None = None) -> np.ndarray:
        weight = F32(self.alpha) if alpha is None else np.asarray(alpha).astype(F32)
        raw = np.asarray(sample).astype(F32)
        if self.value is None:
            smoothed = raw.copy()
        else:
            blended = (weight * raw).astype(F64) + (1.0 - weight.astype(F64)) * self.value
            smoothed = blended.astype(F32)
        self.raw = raw
        self.value = smoothed
        return smoothed

    def reset(self) -> None:
        self.raw = None
        self.value = None


class OneEuro:
    """The One Euro filter (Casiez et al. 2012) as MediaPipe writes it: the speed is measured
    on values multiplied by `value_scale`, so the same settings fit any object size."""

    def __init__(self, min_cutoff: float, beta: float, derivative_cutoff: float) -> None:
        # The options are float fields, read as double.
        self.min_cutoff = float(F32(min_cutoff))
        self.beta = float(F32(beta))
        self.derivative_cutoff = float(F32(derivative_cutoff))
        self.frequency_hz = DEFAULT_FREQUENCY_HZ
        self._x = LowPass()
        self._dx = LowPass()
        self._last_ns: int | None = None

    def _alpha(self, cutoff: float | np.ndarray) -> float | np.ndarray:
        te = 1.0 / self.frequency_hz
        tau = 1.0 / (2 * math.pi * np.asarray(cutoff, dtype=F64))
        return 1.0 / (1.0 + tau / te)

    def apply(self, sample: np.ndarray, time_ns: int, value_scale: float = 1.0) -> np.ndarray:
        """`sample` (double) at `time_ns`; returns the filtered values (float, as MediaPipe
        keeps them). A sample not later than the last passes unfiltered."""
        if self._last_ns is not None and time_ns <= self._last_ns:
            return np.asarray(sample, dtype=F32)
        if self._last_ns is not None:
            self.frequency_hz = 1.0 / ((time_ns - self._last_ns) * 1e-9)
        self._last_ns = time_ns
        value = np.asarray(sample, dtype=F64)
        if self._x.raw is None:
            speed = np.zeros_like(value)
        else:
            speed = (value - self._x.raw.astype(F64)) * float(value_scale) * self.frequency_hz
        smoothed_speed = self._dx.apply(speed, self._alpha(self.derivative_cutoff))
        cutoff = self.min_cutoff + self.beta * np.abs(smoothed_speed.astype(F64))
        return self._x.apply(value, self._alpha(cutoff))

    def reset(self) -> None:
        self.frequency_hz = DEFAULT_FREQUENCY_HZ
        self._x.reset()
        self._dx.reset()
        self._last_ns = None


class TrackingSmoother:
    """LandmarksSmoothingCalculator with a One Euro filter, on normalised landmarks: x and y
    are filtered in pixels (z scaled as x), the speed divided by the object's size in pixels,
    so a person far away is smoothed as one close by. `scaled=False` filters the values as
    they are (world landmarks, in metres)."""

    def __init__(
        self, min_cutoff: float, beta: float, derivative_cutoff: float, scaled: bool = True
    ) -> None:
        self._filter = OneEuro(min_cutoff, beta, derivative_cutoff)
        self._scaled = scaled

    def apply(
        self,
        xyz: np.ndarray,
        time_ns: int,
        resolution_wh: tuple[int, int] = (1, 1),
        object_scale_px: float | np.float32 = 1.0,
    ) -> np.ndarray:
        """xyz: (N, 3) at `time_ns`. Returns the filtered (N, 3), in float."""
        if not self._scaled:
            return self._filter.apply(np.asarray(xyz, dtype=F32).astype(F64), time_ns, 1.0)
        if object_scale_px < MIN_OBJECT_SCALE:
            # MediaPipe passes such landmarks through without touching the filter.
            return np.asarray(xyz, dtype=F32).copy()
        width, height = resolution_wh
        to_px = np.array([width, height, width], dtype=F32)
        in_px = np.asarray(xyz, dtype=F32) * to_px
        value_scale = F32(1.0) / F32(object_scale_px)
        filtered = self._filter.apply(in_px.astype(F64), time_ns, float(value_scale))
        return (filtered.astype(F64) / to_px.astype(F64)).astype(F32)

    def reset(self) -> None:
        self._filter.reset()


class VisibilitySmoother:
    """VisibilitySmoothingCalculator with its low-pass filter."""

    def __init__(self, alpha: float) -> None:
        self._filter = LowPass(alpha)

    def apply(self, visibility: np.ndarray) -> np.ndarray:
        return self._filter.apply(visibility)

    def reset(self) -> None:
        self._filter.reset()
