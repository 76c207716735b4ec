"""The one boundary type between the pose model and the coaching logic."""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NUM_LANDMARKS = 33


class Landmark(enum.IntEnum):
    """BlazePose's 33 landmarks, in the model's order."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# Body segments drawn as the skeleton (arms, torso, legs, feet; the face is left out).
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
)


def _checked(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"Landmarks.{name}: expected shape {shape}, got {array.shape}")
    return array


@dataclass(frozen=True)
class Landmarks:
    """One person's 33 landmarks in one frame.

    xy_norm: (33, 2) image x and y, normalised to [0, 1] by width and height (may lie outside
        when a joint is out of frame). z: (33,) depth relative to the hips, same scale as x.
    visibility: (33,) the model's visibility score in [0, 1].
    world_xyz_m: (33, 3) metric 3D positions around the hip centre, or None when not available.
    resolution_wh: the frame's width and height in pixels.
    """

    xy_norm: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    world_xyz_m: np.ndarray | None
    resolution_wh: tuple[int, int]
    timestamp_ms: float
    frame_index: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "xy_norm", _checked("xy_norm", self.xy_norm, (NUM_LANDMARKS, 2)))
        object.__setattr__(self, "z", _checked("z", self.z, (NUM_LANDMARKS,)))
        object.__setattr__(
            self, "visibility", _checked("visibility", self.visibility, (NUM_LANDMARKS,))
        )
        if self.world_xyz_m is not None:
            object.__setattr__(
                self, "world_xyz_m", _checked("world_xyz_m", self.world_xyz_m, (NUM_LANDMARKS, 3))
            )
        width, height = self.resolution_wh
        if width <= 0 or height <= 0:
            raise ValueError(
                f"Landmarks.resolution_wh: expected positive sizes, got {self.resolution_wh}"
            )
        object.__setattr__(self, "resolution_wh", (int(width), int(height)))

    @functools.cached_property
    def xy_px(self) -> np.ndarray:
        """(33, 2) image positions in pixels (computed once; every rule reads them)."""
        return self.xy_norm * np.asarray(self.resolution_wh, dtype=np.float64)

    @classmethod
    def from_mediapipe(
        cls,
        image_landmarks: Sequence[Any],
        world_landmarks: Sequence[Any] | None,
        resolution_wh: tuple[int, int],
        timestamp_ms: float,
        frame_index: int,
    ) -> Landmarks:
        """Build from MediaPipe landmark lists (legacy `landmark` lists or Tasks API lists).

        Both APIs give objects with x, y, z and visibility attributes; the Tasks API may give
        None for visibility, read here as fully visible.
        """
        if len(image_landmarks) != NUM_LANDMARKS:
            raise ValueError(f"expected {NUM_LANDMARKS} landmarks, got {len(image_landmarks)}")
        xyzv = np.array(
            [
                (p.x, p.y, p.z, 1.0 if getattr(p, "visibility", None) is None else p.visibility)
                for p in image_landmarks
            ],
            dtype=np.float64,
        )
        world = None
        if world_landmarks is not None and len(world_landmarks) == NUM_LANDMARKS:
            world = np.array([(p.x, p.y, p.z) for p in world_landmarks], dtype=np.float64)
        return cls(
            xy_norm=xyzv[:, :2],
            z=xyzv[:, 2],
            visibility=xyzv[:, 3],
            world_xyz_m=world,
            resolution_wh=resolution_wh,
            timestamp_ms=timestamp_ms,
            frame_index=frame_index,
        )
