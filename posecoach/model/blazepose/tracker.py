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

from posecoach.model.blazepose import graph
from posecoach.model.blazepose.filters import TrackingSmoother, VisibilitySmoother, legacy_time_ns
from posecoach.model.blazepose.models import ModelFiles, TfliteModel

DETECTOR_INPUT = (1, graph.DETECTOR_SIZE, graph.DETECTOR_SIZE, 3)
LANDMARK_INPUT = (1, graph.LANDMARK_SIZE, graph.LANDMARK_SIZE, 3)
DETECTOR_OUTPUTS = {
    "boxes": (1, graph.NUM_ANCHORS, graph.DETECTION_VALUES),
    "scores": (1, graph.NUM_ANCHORS, 1),
}
LANDMARK_OUTPUTS = {
    "landmarks": (1, graph.NUM_MODEL_LANDMARKS * graph.LANDMARK_VALUES),
    "presence": (1, 1),
    "heatmap": (1, graph.HEATMAP_SIZE, graph.HEATMAP_SIZE, graph.NUM_MODEL_LANDMARKS),
    "world landmarks": (1, graph.NUM_MODEL_LANDMARKS * 3),
}
# Pixels (0-255) to the models' input ranges: the detector takes [-1, 1], the landmark
# model [0, 1].
DETECTOR_SCALE, DETECTOR_OFFSET = np.float32(2.0 / 255.0), np.float32(-1.0)
LANDMARK_SCALE = np.float32(1.0 / 255.0)

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
        self.detector.require(DETECTOR_INPUT, DETECTOR_OUTPUTS, "pose detector")
        self.landmarker = TfliteModel(models.landmarks, threads, models.name)
        self.landmarker.require(LANDMARK_INPUT, LANDMARK_OUTPUTS, "pose landmark model")
        self.static_images = static_images
        self._anchors = graph.ssd_anchor_centres()
        self._roi: graph.Roi | None = None  # the crop for the next frame, while tracking
        self._frames_given = 0  # frames processed: the legacy clock's ticks
        self.detector_runs = 0  # frames the detector ran on
        self._visibility = VisibilitySmoother(VISIBILITY_ALPHA)
        self._landmarks = TrackingSmoother(*LANDMARK_FILTER)
        self._world = TrackingSmoother(*WORLD_FILTER, scaled=False)
        self._aux = TrackingSmoother(*TRACKING_FILTER)

    def process(self, image_bgr: np.ndarray) -> PoseFound | None:
        """The landmarks in one BGR uint8 frame, or None when nobody is found."""
        height, width = image_bgr.shape[:2]
        resolution_wh = (width, height)
        self._frames_given += 1
        self.detector_runs += self._roi is None or self.static_images
        roi = None if self.static_images else self._roi
        if roi is None:
            roi = self._detect(image_bgr, resolution_wh)
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
        return self._track(xyz, visibility, world, resolution_wh)

    def _detect(self, image_bgr: np.ndarray, resolution_wh: tuple[int, int]) -> graph.Roi | None:
        square, pad = graph.letterbox_square(*resolution_wh)
        crop = graph.warp_crop(image_bgr, square, graph.DETECTOR_SIZE, cv2.BORDER_CONSTANT)
        # BGR to RGB on the small crop: the warp treats each channel alike.
        tensor = crop[None, :, :, ::-1].astype(np.float32) * DETECTOR_SCALE + DETECTOR_OFFSET
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
        return graph.crop_roi(detection.keypoints, resolution_wh)

    def _landmarks_in(
        self, image_bgr: np.ndarray, roi: graph.Roi
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(39, 3) landmarks normalised to the frame, (39,) visibility and (33, 3) world
        landmarks, or None when the model sees no pose in the crop."""
        crop = graph.warp_crop(image_bgr, roi, graph.LANDMARK_SIZE, cv2.BORDER_REPLICATE)
        tensor = crop[None, :, :, ::-1].astype(np.float32) * LANDMARK_SCALE
        self.landmarker.run(tensor)
        presence = float(self.landmarker.output(LANDMARK_OUTPUTS["presence"])[0, 0])
        if not presence > graph.MIN_POSE_PRESENCE:
            return None
        raw = self.landmarker.output(LANDMARK_OUTPUTS["landmarks"])[0]
        raw = raw.reshape(-1, graph.LANDMARK_VALUES)  # x, y, z, visibility, presence
        xyz_crop = raw[:, :3] / np.float32(graph.LANDMARK_SIZE)
        with np.errstate(over="ignore"):  # a very negative logit: exp overflows, gives 0
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
        resolution_wh: tuple[int, int],
    ) -> PoseFound:
        """Filter this frame's landmarks and work out the next frame's crop."""
        now_ns = legacy_time_ns(self._frames_given)
        body = slice(0, graph.NUM_BODY_LANDMARKS)
        aux = xyz[graph.AUX_LANDMARKS]
        # Both filters measure speed against the size of the body's alignment box.
        scale_box = graph.alignment_box(aux[0], aux[1], resolution_wh)
        width, height = np.float32(resolution_wh[0]), np.float32(resolution_wh[1])
        object_scale_px = (scale_box.width * width + scale_box.height * height) / np.float32(2.0)
        aux_filtered = self._aux.apply(aux, now_ns, resolution_wh, object_scale_px)
        self._roi = graph.crop_roi(aux_filtered[:, :2], resolution_wh)

        smooth_visibility = self._visibility.apply(visibility[body])
        smooth_xyz = self._landmarks.apply(xyz[body], now_ns, resolution_wh, object_scale_px)
        smooth_world = self._world.apply(world, now_ns)
        return PoseFound(smooth_xyz, smooth_visibility, smooth_world)

    def _lose_track(self) -> None:
        """Nobody in this frame: the next frame runs the detector. The filters of the image
        landmarks and of the tracking points start over; the visibility and world filters
        carry on from before (in MediaPipe's graph they are not called on a frame without a
        pose, so nothing resets them), the world filter's rate taken from the time gone by."""
        self._roi = None
        self._landmarks.reset()
        self._aux.reset()
