"""Builds a MediaPipe Tasks pose landmarker `.task` file from the models in the mediapipe wheel.

A `.task` is an uncompressed zip of `pose_detector.tflite` and
`pose_landmarks_detector.tflite`. The Tasks API needs input-normalisation metadata on both;
the wheel's landmark model has none, so it is added with MediaPipe's metadata writer.
"""

from __future__ import annotations

from pathlib import Path

import mediapipe as mp
from mediapipe.tasks.python.metadata.metadata_writers import (
    metadata_writer,
    model_asset_bundle_utils,
)

_MODULES = Path(mp.__file__).parent / "modules"
DETECTOR = _MODULES / "pose_detection" / "pose_detection.tflite"
LANDMARKER = _MODULES / "pose_landmark" / "pose_landmark_full.tflite"

# tensor = (pixel - mean) / std: the detector takes [-1, 1], the landmark model [0, 1].
_DETECTOR_NORM = (127.5, 127.5)
_LANDMARKER_NORM = (0.0, 255.0)
_DETECTOR_OUTPUTS = ("raw_boxes", "scores")
_LANDMARKER_OUTPUTS = ("landmarks", "pose_flag", "segmentation", "heatmap", "world_landmarks")


def _with_metadata(
    model: bytes, name: str, norm: tuple[float, float], outputs: tuple[str, ...]
) -> bytes:
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, f"{name} from the mediapipe wheel")
    writer.add_image_input(
        norm_mean=[norm[0]],
        norm_std=[norm[1]],
        color_space_type=metadata_writer.MetadataWriter.color_space_types.RGB,
    )
    for output in outputs:
        writer.add_feature_output(name=output, description=output)
    with_metadata, _ = writer.populate()
    return bytes(with_metadata)


def build_pose_task(out_path: Path) -> Path:
    """Write a pose landmarker bundle (the full model) to `out_path`."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model_asset_bundle_utils.create_model_asset_bundle(
        {
            "pose_detector.tflite": _with_metadata(
                DETECTOR.read_bytes(), "pose_detector", _DETECTOR_NORM, _DETECTOR_OUTPUTS
            ),
            "pose_landmarks_detector.tflite": _with_metadata(
                LANDMARKER.read_bytes(),
                "pose_landmarks_detector",
                _LANDMARKER_NORM,
                _LANDMARKER_OUTPUTS,
            ),
        },
        str(out_path),
    )
    return out_path
