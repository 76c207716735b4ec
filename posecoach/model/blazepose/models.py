"""The BlazePose model files and the LiteRT interpreter that runs them.

posecoach ships MediaPipe's pose detector and full landmark model (Apache-2.0, see NOTICE in
`models/`), checked against their SHA-256 when loaded. A user may give another landmark model
(`--model`): a landmark `.tflite` (lite, full or heavy) used with the bundled detector, or a
MediaPipe `.task` bundle, a zip holding `pose_detector.tflite` and
`pose_landmarks_detector.tflite`. Model outputs are told apart by their shapes, which every
BlazePose variant shares, not by tensor names, which differ between exports.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from posecoach.config.errors import EstimatorError

DETECTOR_FILE = "pose_detection.tflite"
LANDMARK_FILE = "pose_landmark_full.tflite"
# Where each bundled file came from, and what it must hash to.
BUNDLED_SHA256 = {
    DETECTOR_FILE: "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    LANDMARK_FILE: "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
}
TASK_DETECTOR = "pose_detector.tflite"
TASK_LANDMARKER = "pose_landmarks_detector.tflite"
# A .tflite file starts with a flatbuffer offset, then this identifier.
TFLITE_IDENTIFIER = b"TFL3"
# The largest model file read from a bundle (the heavy landmark model is about 27 MB).
MAX_MODEL_BYTES = 200 * 1024 * 1024


def bundled_model_path(name: str) -> Path:
    """The path of a model file shipped in the package."""
    return Path(str(resources.files("posecoach.model.blazepose") / "models" / name))


def read_bundled_model(name: str) -> bytes:
    """A bundled model file's bytes, after checking its SHA-256; EstimatorError (one line,
    with what to do) when it is missing or damaged."""
    path = bundled_model_path(name)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise EstimatorError(
            f"the bundled pose model {path} is missing ({error.strerror}): "
            "reinstall posecoach (pip install --force-reinstall posecoach)"
        ) from error
    digest = hashlib.sha256(content).hexdigest()
    if digest != BUNDLED_SHA256[name]:
        raise EstimatorError(
            f"the bundled pose model {path} is damaged (SHA-256 {digest[:12]}..., "
            f"expected {BUNDLED_SHA256[name][:12]}...): reinstall posecoach "
            "(pip install --force-reinstall posecoach)"
        )
    return content


@dataclass(frozen=True)
class ModelFiles:
    """The two models a pose estimator needs, as bytes, and a name to show for them."""

    detector: bytes
    landmarks: bytes
    name: str


def bundled_models() -> ModelFiles:
    return ModelFiles(
        read_bundled_model(DETECTOR_FILE),
        read_bundled_model(LANDMARK_FILE),
        "blazepose-full (bundled)",
    )


def _check_tflite(content: bytes, where: str, path: Path) -> None:
    if content[4:8] != TFLITE_IDENTIFIER:
        raise EstimatorError(
            f"cannot load model {path}: {where} is not a TensorFlow Lite model "
            "(expecting a pose landmark .tflite or a MediaPipe pose landmarker .task file)"
        )


def models_from_file(model_path: str | Path) -> ModelFiles:
    """The models named by `--model`: a `.task` bundle (detector and landmark model), or a
    landmark `.tflite` used with the bundled detector."""
    path = Path(model_path)
    if not path.is_file():
        raise EstimatorError(
            f"no such model file: {path} "
            "(give a pose landmark .tflite or a MediaPipe pose landmarker .task file)"
        )
    try:
        with path.open("rb") as file:
            start = file.read(8)
    except OSError as error:
        raise EstimatorError(f"cannot read model {path}: {error.strerror}") from error
    # A .tflite with metadata is a zip too (its associated files): the identifier decides.
    if start[4:8] != TFLITE_IDENTIFIER and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as bundle:
                names = set(bundle.namelist())
                missing = [n for n in (TASK_DETECTOR, TASK_LANDMARKER) if n not in names]
                if missing:
                    raise EstimatorError(
                        f"cannot load model {path}: the bundle has no {' or '.join(missing)} "
                        "(expecting a MediaPipe pose landmarker .task file)"
                    )
                for name in (TASK_DETECTOR, TASK_LANDMARKER):
                    if bundle.getinfo(name).file_size > MAX_MODEL_BYTES:
                        raise EstimatorError(f"cannot load model {path}: {name} is too large")
                detector = bundle.read(TASK_DETECTOR)
                landmarks = bundle.read(TASK_LANDMARKER)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,  # a compression this Python cannot read
            RuntimeError,  # an encrypted entry
            OSError,
        ) as error:
            first_line = (str(error).splitlines() or [type(error).__name__])[0]
            raise EstimatorError(
                f"cannot read model bundle {path}: {first_line} "
                "(expecting a MediaPipe pose landmarker .task file)"
            ) from error
        _check_tflite(detector, TASK_DETECTOR, path)
        _check_tflite(landmarks, TASK_LANDMARKER, path)
        return ModelFiles(detector, landmarks, path.name)
    try:
        landmarks = path.read_bytes()
    except OSError as error:
        raise EstimatorError(f"cannot read model {path}: {error.strerror}") from error
    _check_tflite(landmarks, "the file", path)
    return ModelFiles(read_bundled_model(DETECTOR_FILE), landmarks, path.name)


# Interpreter threads for one stream where there are that many cores or more (measured fastest
# for one stream on 2 cores: see benchmarks/README.md), and for each of several files (or eval
# clips) run at once, a process per core.
STREAM_THREADS = 2
WORKER_THREADS = 1


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_threads() -> int:
    """Interpreter threads for one stream: STREAM_THREADS, or fewer on fewer cores."""
    return min(STREAM_THREADS, usable_cores())


class TfliteModel:
    """One model on the LiteRT interpreter (XNNPACK, `threads` threads), its float32 outputs
    found by shape: `outputs[shape]` is the output tensor's index."""

    def __init__(self, content: bytes, threads: int, name: str) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:  # a broken install, or no wheel for this platform
            first_line = (str(error).splitlines() or ["unknown error"])[0]
            raise EstimatorError(
                f"cannot load the LiteRT interpreter that runs the pose model ({first_line}): "
                "reinstall posecoach (pip install --force-reinstall posecoach); ai-edge-litert "
                "has wheels for Linux x86_64 and aarch64, macOS on Apple silicon and Windows x64"
            ) from error
        try:
            self._interpreter: Any = Interpreter(model_content=content, num_threads=threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            first_line = (str(error).splitlines() or ["unknown error"])[0]
            raise EstimatorError(f"cannot load model {name}: {first_line}") from error
        inputs = self._interpreter.get_input_details()
        if len(inputs) != 1:
            raise EstimatorError(f"cannot use model {name}: expecting one input, got {len(inputs)}")
        self.input_index = inputs[0]["index"]
        self.input_shape = tuple(int(n) for n in inputs[0]["shape"])
        self.input_dtype = np.dtype(inputs[0]["dtype"]).type
        self.outputs = {
            tuple(int(n) for n in detail["shape"]): detail["index"]
            for detail in self._interpreter.get_output_details()
        }
        self.name = name

    def run(self, tensor: np.ndarray) -> None:
        self._interpreter.set_tensor(self.input_index, tensor)
        self._interpreter.invoke()

    def output(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._interpreter.get_tensor(self.outputs[shape])

    def require(
        self, input_shape: tuple[int, ...], shapes: Mapping[str, tuple[int, ...]], kind: str
    ) -> None:
        """EstimatorError naming what `kind` needs that this model lacks: its float input of
        `input_shape`, or one of the outputs `shapes` names."""
        if self.input_shape != input_shape or self.input_dtype != np.float32:
            raise EstimatorError(
                f"cannot use model {self.name} as a {kind}: it takes {self.input_dtype.__name__} "
                f"{list(self.input_shape)}, expecting float32 {list(input_shape)}"
            )
        for what, shape in shapes.items():
            if shape not in self.outputs:
                found = ", ".join(str(list(s)) for s in self.outputs)
                raise EstimatorError(
                    f"cannot use model {self.name} as a {kind}: it has no {what} output of "
                    f"shape {list(shape)} (its outputs: {found})"
                )
