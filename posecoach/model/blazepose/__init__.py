"""BlazePose run by posecoach: MediaPipe's pose detector and landmark model on LiteRT.

- `graph`: the arithmetic of MediaPipe's pose graph (anchors, detections, crops, heatmap
  refinement, projection);
- `filters`: its landmark filters (low-pass, One Euro) on the legacy API's clock;
- `models`: the model files shipped in `models/` (checked by SHA-256) or given by the user,
  and the LiteRT interpreter;
- `tracker`: detection, tracking and filtering, frame by frame.

`posecoach.model.estimator` wraps the tracker as the pipeline's `PoseEstimator`.
"""
