"""BlazePose run by posecoach itself: MediaPipe's pose detector and landmark model on LiteRT,
with the detection, tracking and filtering of MediaPipe's pose graph (0.10.21), so it returns
the landmarks the legacy `mp.solutions.pose` API returned.

Per frame (video): if the previous frame had a pose, crop around the body where its landmarks
said it is; otherwise run the detector on the whole frame and crop around what it finds. Run
the landmark model on the crop; a pose exists when its presence flag is above 0.5. Refine
the points with the heatmap, project them back to the frame, filter them over time. For
still images the detector runs on every frame and nothing is filtered.
"""

from __future__ import annotations

import cv2
import numpy as np

from posecoach.blazepose import graph
from posecoach.blazepose.filters import LandmarkSmoother, VisibilitySmoother
from posecoach.blazepose.models import ModelFiles, TfliteModel

DETECTOR_INPUT = (1, graph.DETECTOR_SIZE, graph.DETECTOR_SIZE, 3)
LANDMARK_INPUT = (1, graph.LANDMARK_SIZE, graph.LANDMARK_SIZE, 3)
DETECTOR_OUTPUTS = {"boxes": (1, 2254, 12), "scores": (1, 2254, 1)}
LANDMARK_OUTPUTS = {
    "landmarks": (1, graph.NUM_MODEL_LANDMARKS * 5),
    "presence": (1, 1),
    "heatmap": (1, 64, 64, graph.NUM_MODEL_LANDMARKS),
    "world landmarks": (1, graph.NUM_MODEL_LANDMARKS * 3),
}

# pose_landmark_filtering (the legacy API's smooth_landmarks=True): visibility low-pass,
# then One Euro filters; and the heavier filter on the two tracking points, which is part
# of the graph whether landmarks are smoothed or not.
VISIBILITY_ALPHA = 0.1
LANDMARK_FILTER = (0.05, 80.0, 1.0)  # min_cutoff, beta, derivative cutoff
WORLD_FILTER = (0.1, 40.0, 1.0)
TRACKING_FILTER = (0.01, 10.0, 1.0)


class PoseFound:
    """One frame's result: 33 landmarks normalised to the frame (x, y, z), their visibility,
    and world landmarks in metres (33, 3)."""

    __slots__ = ("visibility", "world_xyz_m", "xyz")

    def __init__(self, xyz: np.ndarray, visibility: np.ndarray, world_xyz_m: np.ndarray):
        self.xyz = xyz
        self.visibility = visibility
        self.world_xyz_m = world_xyz_m


class BlazePoseTracker:
    """Finds one person's landmarks frame after frame (or in unrelated stills).

    `threads`: the interpreter's threads per model."""

    def __init__(self, models: ModelFiles, threads: int, static_images: bool = False) -> None:
        self.detector = TfliteModel(models.detector, threads, models.name)
        self.detector.require(DETECTOR_OUTPUTS, "pose detector")
        self.landmarker = TfliteModel(models.landmarks, threads, models.name)
        self.landmarker.require(LANDMARK_OUTPUTS, "pose landmark model")
        self.static_images = static_images
        self._anchors = graph.ssd_anchor_centres()
        self._roi: graph.Roi | None = None  # the crop for the next frame, while tracking
        self._visibility = VisibilitySmoother(VISIBILITY_ALPHA)
        self._landmarks = LandmarkSmoother(*LANDMARK_FILTER)
        self._world = LandmarkSmoother(*WORLD_FILTER, scaled=False)
        self._aux = LandmarkSmoother(*TRACKING_FILTER)

    def process(self, image_bgr: np.ndarray) -> PoseFound | None:
        """The landmarks in one BGR uint8 frame, or None when nobody is found."""
        height, width = image_bgr.shape[:2]
        resolution = (width, height)
        roi = None if self.static_images else self._roi
        if roi is None:
            roi = self._detect(image_bgr, resolution)
            if roi is None:
                self._lose_track()
                return None
        found = self._landmarks_in(image_bgr, roi)
        if found is None:
            self._lose_track()
            return None
        xyz, visibility, world = found
        if self.static_images:
            body = slice(0, graph.NUM_BODY_LANDMARKS)
            return PoseFound(xyz[body], visibility[body], world)
        return self._track(xyz, visibility, world, resolution)

    def _detect(self, image_bgr: np.ndarray, resolution: tuple[int, int]) -> graph.Roi | None:
        square, pad = graph.letterbox_square(*resolution)
        crop = graph.warp_crop(image_bgr, square, graph.DETECTOR_SIZE, cv2.BORDER_CONSTANT)
        tensor = crop[None, :, :, ::-1].astype(np.float32) * np.float32(2.0 / 255.0) - 1.0
        self.detector.run(tensor)
        candidates = graph.decode_detections(
            self.detector.output(DETECTOR_OUTPUTS["boxes"])[0],
            self.detector.output(DETECTOR_OUTPUTS["scores"])[0, :, 0],
            self._anchors,
        )
        detection = graph.best_detection(*candidates)
        if detection is None:
            return None
        detection = graph.remove_letterbox(detection, pad)
        return graph.crop_roi(detection.keypoints, resolution)

    def _landmarks_in(
        self, image_bgr: np.ndarray, roi: graph.Roi
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(39, 3) landmarks normalised to the frame, (39,) visibility and (33, 3) world
        landmarks, or None when the model sees no pose in the crop."""
        crop = graph.warp_crop(image_bgr, roi, graph.LANDMARK_SIZE, cv2.BORDER_REPLICATE)
        tensor = crop[None, :, :, ::-1].astype(np.float32) * np.float32(1.0 / 255.0)
        self.landmarker.run(tensor)
        presence = float(self.landmarker.output(LANDMARK_OUTPUTS["presence"])[0, 0])
        if not presence > graph.MIN_POSE_PRESENCE:
            return None
        raw = self.landmarker.output(LANDMARK_OUTPUTS["landmarks"])[0].reshape(-1, 5)
        xyz_crop = raw[:, :3] / np.float32(graph.LANDMARK_SIZE)
        visibility = np.float32(1.0) / (np.float32(1.0) + np.exp(-raw[:, 3]))
        heatmap = self.landmarker.output(LANDMARK_OUTPUTS["heatmap"])[0]
        xyz_crop[:, :2] = graph.refine_with_heatmap(xyz_crop[:, :2], heatmap)
        xyz = graph.project_to_image(xyz_crop, roi)
        world_raw = self.landmarker.output(LANDMARK_OUTPUTS["world landmarks"])[0]
        world = graph.rotate_world(world_raw.reshape(-1, 3)[: graph.NUM_BODY_LANDMARKS], roi)
        return xyz, visibility, world

    def _track(
        self,
        xyz: np.ndarray,
        visibility: np.ndarray,
        world: np.ndarray,
        resolution: tuple[int, int],
    ) -> PoseFound:
        """Filter this frame's landmarks and work out the next frame's crop."""
        body = slice(0, graph.NUM_BODY_LANDMARKS)
        aux = xyz[graph.AUX_LANDMARKS]
        # Both filters measure speed against the size of the body's alignment box.
        scale_box = graph.alignment_box(aux[0], aux[1], resolution)
        width, height = np.float32(resolution[0]), np.float32(resolution[1])
        object_scale_px = (scale_box.width * width + scale_box.height * height) / np.float32(2.0)
        aux_filtered = self._aux.apply(aux, resolution, object_scale_px)
        self._roi = graph.crop_roi(aux_filtered[:, :2], resolution)

        smooth_visibility = self._visibility.apply(visibility[body])
        smooth_xyz = self._landmarks.apply(xyz[body], resolution, object_scale_px)
        smooth_world = self._world.apply(world)
        return PoseFound(smooth_xyz, smooth_visibility, smooth_world)

    def _lose_track(self) -> None:
        """Nobody in this frame: the next frame runs the detector, every filter starts over."""
        self._roi = None
        for smoother in (
            self._visibility,
            self._landmarks,
            self._world,
            self._aux,
        ):
            smoother.reset()
