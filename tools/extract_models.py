"""Take the BlazePose model files posecoach ships out of the mediapipe 0.10.21 wheel again.

posecoach/model/blazepose/models/ holds two of Google's MediaPipe models (Apache-2.0, see NOTICE
there), unchanged from the mediapipe 0.10.21 wheel on PyPI:

    mediapipe/modules/pose_detection/pose_detection.tflite     -> pose_detection.tflite
    mediapipe/modules/pose_landmark/pose_landmark_full.tflite  -> pose_landmark_full.tflite

This script shows where they came from and puts them back: it asks pip for that wheel (run it
with the Python posecoach is installed for, any version: pip is told which wheel to fetch, and
mediapipe is not installed), reads the two files out of the zip, checks their SHA-256 against
the ones posecoach checks when it loads them, and writes them to the models folder.

    python tools/extract_models.py                 # download the wheel with pip, extract
    python tools/extract_models.py --wheel W.whl   # from a wheel already on disk
    python tools/extract_models.py --check         # only compare the shipped files
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from posecoach.model.blazepose.models import BUNDLED_SHA256, DETECTOR_FILE, LANDMARK_FILE  # noqa: E402

MODELS_DIR = ROOT / "posecoach" / "blazepose" / "models"
MEDIAPIPE = "mediapipe==0.10.21"
# The wheel for one platform; the model files are the same in all of them.
WHEEL_TAGS = ("--python-version", "3.11", "--platform", "manylinux_2_28_x86_64")
IN_WHEEL = {
    DETECTOR_FILE: "mediapipe/modules/pose_detection/pose_detection.tflite",
    LANDMARK_FILE: "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}


def download_wheel(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += [*WHEEL_TAGS, "--dest", str(folder), MEDIAPIPE]
    print("running:", " ".join(command))
    subprocess.run(command, check=True)
    wheels = sorted(folder.glob("mediapipe-0.10.21-*.whl"))
    if not wheels:
        sys.exit(f"extract_models: pip gave no mediapipe 0.10.21 wheel in {folder}")
    return wheels[0]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def extract(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for name, member in IN_WHEEL.items():
            content = archive.read(member)
            digest = sha256(content)
            if digest != BUNDLED_SHA256[name]:
                sys.exit(
                    f"extract_models: {member} in {wheel.name} hashes to {digest}, "
                    f"expected {BUNDLED_SHA256[name]}: not the model posecoach was made with"
                )
            (MODELS_DIR / name).write_bytes(content)
            print(f"{member} -> {MODELS_DIR / name} ({len(content):,} bytes, SHA-256 ok)")


def check() -> int:
    problems = 0
    for name, expected in BUNDLED_SHA256.items():
        path = MODELS_DIR / name
        if not path.is_file():
            print(f"{path}: missing")
            problems += 1
            continue
        digest = sha256(path.read_bytes())
        status = "ok" if digest == expected else f"DIFFERS (expected {expected})"
        problems += digest != expected
        print(f"{path}: {digest} {status}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a mediapipe 0.10.21 wheel already on disk")
    parser.add_argument("--check", action="store_true", help="only check the shipped files")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    if args.wheel is not None:
        extract(args.wheel)
    else:
        with tempfile.TemporaryDirectory() as folder:
            extract(download_wheel(Path(folder)))
    return check()


if __name__ == "__main__":
    sys.exit(main())
