"""A pinhole camera on a tripod: where it stands around the person, and how it projects."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class Camera:
    """A camera at `position` looking at `target` (world metres, y up), no roll.

    `focal_px` is the focal length in pixels; `size_wh` the image size. Image x grows to the
    right and y downward, like every image posecoach reads.
    """

    position: np.ndarray
    target: np.ndarray
    focal_px: float
    size_wh: tuple[int, int]

    @classmethod
    def orbit(
        cls,
        target: np.ndarray,
        azimuth_deg: float,
        distance_m: float,
        height_m: float,
        size_wh: tuple[int, int],
        hfov_deg: float,
    ) -> Camera:
        """A camera `distance_m` from `target` (on the floor plane) in the world direction at
        `azimuth_deg` (0 = +x, 90 = -z), its lens `height_m` above the floor, aimed at `target`.
        """
        az = math.radians(azimuth_deg)
        position = np.array(
            [
                target[0] + distance_m * math.cos(az),
                height_m,
                target[2] - distance_m * math.sin(az),
            ]
        )
        focal = size_wh[0] / 2 / math.tan(math.radians(hfov_deg) / 2)
        return cls(position, np.asarray(target, dtype=float), focal, size_wh)

    @property
    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The camera's right, up and viewing directions in the world."""
        ahead = self.target - self.position
        ahead = ahead / np.linalg.norm(ahead)
        right = np.cross(ahead, _UP)
        right = right / np.linalg.norm(right)
        return right, np.cross(right, ahead), ahead

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world points to camera coordinates (right, up, depth ahead), metres."""
        right, up, ahead = self.axes
        rel = np.asarray(points, dtype=float) - self.position
        return np.stack([rel @ right, rel @ up, rel @ ahead], axis=-1)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points to (..., 2) pixel positions and (...,) depths in metres."""
        cam = self.to_camera(points)
        depth = cam[..., 2]
        safe = np.maximum(depth, 1e-3)
        width, height = self.size_wh
        x = width / 2 + self.focal_px * cam[..., 0] / safe
        y = height / 2 - self.focal_px * cam[..., 1] / safe
        return np.stack([x, y], axis=-1), depth

    def pixels_per_m(self, depth_m: float) -> float:
        return self.focal_px / max(depth_m, 1e-3)
