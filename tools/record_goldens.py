"""Record the golden landmarks: what mediapipe 0.10.21's legacy `mp.solutions.pose` API
returns for a fixed set of videos and stills, saved as posecoach recordings (`.pcrec`).

What they are for: posecoach is replacing the `mediapipe` package by its own runner of the
same BlazePose models on LiteRT. The tests compare what that runner finds, frame by frame,
with what mediapipe 0.10.21 returned for the same frames, as recorded here once and committed
under tests/data/goldens/. The recordings are made exactly as posecoach's old estimator
(`SolutionsPoseEstimator`, before the switch to LiteRT) ran the model: one
`mp.solutions.pose.Pose` per source, with static_image_mode on for stills (the detector runs
on every image) and off for videos (tracking from the first frame on), model_complexity=1
(the full model), smooth_landmarks=True, enable_segmentation=False,
min_detection_confidence=0.5 and min_tracking_confidence=0.5; every frame is recorded, also
those in which nobody was found. Note that the legacy API times its landmark smoothing as if
every video ran at 30 fps (it feeds the graph timestamps 33333 us apart, whatever the video's
frame rate).

For the bundled samples, it also records mediapipe's own spread: NOISE_RUNS more runs over
the same frames with 1% of the pixels (chosen by a fixed seed) one grey level lighter or
darker, a change no eye sees. The crop of each frame comes from the landmarks of the one
before, so such a change moves single landmarks by tens of pixels later in a clip, and a hold
that starts or ends on a rule's threshold by a few frames: the tests take what mediapipe gives
across these runs as "the same" for the coach's counts, holds and faults.

Beside the recordings, goldens.json lists each golden (name, source path relative to the
repository root, recording file, mode, frames, frames with a person found, the SHA-256 of
the source file and of its decoded frames) and the versions of mediapipe, OpenCV, numpy and
Python that made them. The decoded frames' digest tells a test whether its OpenCV decodes a
video to the very pixels this script saw, so a difference in decoding is not taken for a
difference in the model.

It needs a separate environment with mediapipe 0.10.21 (pip has that wheel only for
Python <= 3.12), for example:

    python3.11 -m venv /tmp/mp && /tmp/mp/bin/pip install mediapipe==0.10.21

(adding opencv-contrib-python==4.11.0.86, as posecoach pinned it, decodes the videos with the
OpenCV that made the committed goldens; goldens.json names it). Run it with that
environment's Python, from any folder. posecoach need not be installed: the script puts the
repository root on sys.path, and what posecoach's recording and source modules import
(numpy, OpenCV, Pillow) comes with mediapipe's own dependencies.

    /tmp/mp/bin/python tools/record_goldens.py                 # every golden
    /tmp/mp/bin/python tools/record_goldens.py --only NAME     # one of them, again
    /tmp/mp/bin/python tools/record_goldens.py --out DIR       # somewhere else

With another mediapipe (or none) it exits with status 2 at once. Real footage is read from
../shared/footage (beside the repository) and never copied: only the landmark recordings
derived from it are written. The footage must be there to record the goldens that use it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from posecoach.inputs.sources import FrameSource

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEDIAPIPE_VERSION = "0.10.21"
DEFAULT_OUT = Path("tests/data/goldens")
INDEX_NAME = "goldens.json"
MADE_BY = "tools/record_goldens.py"
MODEL_NAME = f"mediapipe {MEDIAPIPE_VERSION} legacy pose (full), smooth_landmarks"
FOOTAGE = "../shared/footage"
# Runs on pixels changed imperceptibly: the share of pixels changed, by one grey level.
NOISE_RUNS = 2
NOISE_FRACTION = 0.01

# As posecoach's old estimator ran the model (SolutionsPoseEstimator, posecoach/model/estimator.py
# before the switch to LiteRT).
POSE_OPTIONS: dict[str, Any] = {
    "model_complexity": 1,
    "smooth_landmarks": True,
    "enable_segmentation": False,
    "min_detection_confidence": 0.5,
    "min_tracking_confidence": 0.5,
}


@dataclass(frozen=True)
class Golden:
    """One source to record: `source` is relative to the repository root."""

    name: str
    source: str
    mode: str  # "video" (tracking) or "image" (a still, the detector on it alone)
    noise_runs: int = 0  # runs on imperceptibly changed pixels, for mediapipe's own spread

    @property
    def recording(self) -> str:
        return f"{self.name}.pcrec"

    def noise_recording(self, seed: int) -> str:
        return f"{self.name}.noise{seed}.pcrec"


def _still(name: str, source: str) -> Golden:
    return Golden(name, source, "image")


def _video(name: str, source: str, noise_runs: int = 0) -> Golden:
    return Golden(name, source, "video", noise_runs)


_BUTTERFLIES = f"{FOOTAGE}/yoga_butterfly_images/BaddhaKonasana_butterfly"

GOLDENS: tuple[Golden, ...] = (
    # posecoach's bundled sample clips (synthetic performer)
    _video("sample_bridge_partial_rep", "samples/bridge_partial_rep.mp4", NOISE_RUNS),
    _video("sample_half_kneeling_both_sides", "samples/half_kneeling_both_sides.mp4", NOISE_RUNS),
    _video("sample_half_kneeling_torso_lean", "samples/half_kneeling_torso_lean.mp4", NOISE_RUNS),
    # real footage: a bridge, the half-kneeling hip-flexor stretch at 1920x1080 59.94 fps
    # (oblique, then side view), a marching bridge at 1080x1080
    _video("footage_physioplus_bridging", f"{FOOTAGE}/physioplus/bridging.mp4"),
    _video(
        "footage_fitbod_kneeling_hip_flexor_stretch",
        f"{FOOTAGE}/fitbod_clips/kneeling-hip-flexor-stretch.mp4",
    ),
    _video(
        "footage_lifeenherance_glute_bridge_mark", f"{FOOTAGE}/lifeenherance/glute_bridge_mark.mp4"
    ),
    # real stills, each its own source
    _still("still_fitinsight_lunges", f"{FOOTAGE}/fitinsight_images/lunges.jpg"),
    _still("still_fitinsight_glute_bridge", f"{FOOTAGE}/fitinsight_images/glute_bridge.jpg"),
    _still("still_fitinsight_butterfly_pose", f"{FOOTAGE}/fitinsight_images/butterfly_pose.jpg"),
    _still("still_fitinsight_half_split", f"{FOOTAGE}/fitinsight_images/half_split.jpg"),
    # photos of real people (BK_3 and BK_4, like those MANIFEST.md names, are drawings)
    _still("still_yoga_butterfly_bk_5", f"{_BUTTERFLIES}/BK_5.jpg"),
    _still("still_yoga_butterfly_bk_7", f"{_BUTTERFLIES}/BK_7.jpg"),
    _still("still_yoga_butterfly_bk_8", f"{_BUTTERFLIES}/BK_8.jpg"),
    _still("still_yoga_butterfly_bk_12", f"{_BUTTERFLIES}/BK_12.jpg"),
    # text and drawn bubbles over the photos
    _still("still_ezrafit_birddog_lvl3", f"{FOOTAGE}/ezrafit_images/birddog-lvl3.jpeg"),
    _still("still_ezrafit_deadbug_start", f"{FOOTAGE}/ezrafit_images/deadbug-start.jpeg"),
)


def fail(message: str, status: int = 1) -> NoReturn:
    """Print one line to stderr and exit with `status`."""
    print(f"record_goldens: {message}", file=sys.stderr)
    raise SystemExit(status)


def import_mediapipe() -> Any:
    """The mediapipe module; exits with status 2 unless it is version MEDIAPIPE_VERSION."""
    try:
        import mediapipe as mp
    except ImportError as error:
        fail(
            f"cannot import mediapipe ({error}): run this with a Python that has "
            f"mediapipe=={MEDIAPIPE_VERSION} (see the docstring)",
            2,
        )
    version = getattr(mp, "__version__", "unknown")
    if version != MEDIAPIPE_VERSION:
        fail(
            f"this Python has mediapipe {version}; the goldens are made with "
            f"mediapipe=={MEDIAPIPE_VERSION} (see the docstring)",
            2,
        )
    return mp


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def with_noise(image: Any, rng: Any) -> Any:
    """`image` with NOISE_FRACTION of its pixels one grey level lighter or darker."""
    import numpy as np

    changed = image.astype(np.int16)
    chosen = rng.random(image.shape[:2]) < NOISE_FRACTION
    changed[chosen] += rng.choice([-1, 1], size=(int(chosen.sum()), 1)).astype(np.int16)
    return np.clip(changed, 0, 255).astype(np.uint8)


def record_frames(
    source: FrameSource, path: Path, decoded: Any, mp: Any, noise_seed: int | None = None
) -> tuple[int, int]:
    """Run the model on every frame of `source` as posecoach's old estimator did, recording
    each frame to `path` and feeding its pixels to `decoded` (a hash); (frames, found).
    With `noise_seed`, the model sees each frame changed by `with_noise`."""
    import cv2
    import numpy as np

    rng = None if noise_seed is None else np.random.default_rng(noise_seed)

    from posecoach.model.landmarks import Landmarks
    from posecoach.model.recording import RecordingWriter

    static = source.independent_frames
    with (
        RecordingWriter.for_source(path, source, MODEL_NAME) as writer,
        mp.solutions.pose.Pose(static_image_mode=static, **POSE_OPTIONS) as pose,
    ):
        for frame in source:
            decoded.update(f"{frame.image.shape}".encode())
            decoded.update(frame.image.tobytes())
            image = frame.image if rng is None else with_noise(frame.image, rng)
            result = pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            landmarks = None
            if result.pose_landmarks is not None:
                world = (
                    result.pose_world_landmarks.landmark if result.pose_world_landmarks else None
                )
                landmarks = Landmarks.from_mediapipe(
                    result.pose_landmarks.landmark,
                    world,
                    frame.resolution_wh,
                    frame.timestamp_ms,
                    frame.index,
                )
            writer.write(landmarks, frame.timestamp_ms, frame.index, frame.resolution_wh)
        return writer.frames, writer.found


def record(golden: Golden, out_dir: Path, mp: Any) -> dict[str, Any]:
    """Record every frame of `golden`'s source to OUT_DIR/NAME.pcrec and read it back; its
    entry for the index."""
    from posecoach.model.opening import open_source
    from posecoach.model.recording import read_recording

    source_path = Path(golden.source)  # relative to the repository root, the working folder
    target = out_dir / golden.recording
    partial = out_dir / f"{golden.name}.partial.pcrec"  # renamed once complete
    decoded = hashlib.sha256()
    started = time.monotonic()
    with open_source(source_path) as source:
        mode = "image" if source.independent_frames else "video"
        if mode != golden.mode:
            fail(f"{golden.name}: {golden.source} opens as {mode}, expecting {golden.mode}")
        try:
            frames, found = record_frames(source, partial, decoded, mp)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, target)
    check = read_recording(target)
    if check.cut_off is not None or len(check) != frames or check.found != found:
        fail(
            f"{golden.name}: {target} reads back as {len(check)} frames, {check.found} found "
            f"({check.cut_off or 'complete'}); {frames} frames, {found} found were written"
        )
    seconds = time.monotonic() - started
    print(
        f"{golden.name}: {frames} frame(s), {found} with a person, "
        f"{target.stat().st_size / 1e3:.1f} kB, {seconds:.0f} s",
        flush=True,
    )
    noise_runs = []
    for seed in range(1, golden.noise_runs + 1):
        noisy = out_dir / golden.noise_recording(seed)
        with open_source(source_path) as source:
            noisy_frames, noisy_found = record_frames(
                source, noisy, hashlib.sha256(), mp, noise_seed=seed
            )
        noise_runs.append(
            {"seed": seed, "recording": noisy.name, "frames": noisy_frames, "found": noisy_found}
        )
        print(f"{golden.name}: noise run {seed}: {noisy_found} of {noisy_frames} with a person")
    return {
        "name": golden.name,
        "source": golden.source,
        "recording": golden.recording,
        "mode": mode,
        "frames": frames,
        "found": found,
        "source_sha256": file_sha256(source_path),
        "decoded_sha256": decoded.hexdigest(),
        "noise_fraction": NOISE_FRACTION if noise_runs else 0.0,
        "noise_runs": noise_runs,
    }


def versions(mp: Any) -> dict[str, str]:
    import cv2
    import numpy as np

    return {
        "mediapipe": mp.__version__,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "made_by": MADE_BY,
    }


def write_index(out_dir: Path, made: dict[str, dict[str, Any]], mp: Any) -> None:
    """Write OUT_DIR/goldens.json: the goldens just made and, from the index already there,
    the others (when only some were made again), in GOLDENS order."""
    index_path = out_dir / INDEX_NAME
    entries: dict[str, dict[str, Any]] = {}
    top = versions(mp)
    if index_path.is_file():
        old = json.loads(index_path.read_text(encoding="utf-8"))
        entries = {entry["name"]: entry for entry in old.get("goldens", [])}
        for key in ("mediapipe", "opencv", "numpy", "python"):
            if key in old and old[key] != top[key] and set(entries) - set(made):
                print(
                    f"warning: {INDEX_NAME} lists goldens made with {key} {old[key]}; "
                    f"these with {top[key]}",
                    file=sys.stderr,
                )
    entries.update(made)
    order = {golden.name: i for i, golden in enumerate(GOLDENS)}
    known = [entries[name] for name in sorted(entries, key=lambda n: order.get(n, len(order)))]
    index = {**top, "goldens": known}
    partial = index_path.with_name(INDEX_NAME + ".partial")
    partial.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, index_path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=f"Record what mediapipe {MEDIAPIPE_VERSION}'s legacy pose API finds in "
        "posecoach's golden sources (run with a Python that has that mediapipe)."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"folder for the recordings and {INDEX_NAME} (default: {DEFAULT_OUT} in the repo)",
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        choices=[golden.name for golden in GOLDENS],
        help="record only this golden (its entry in the index is replaced, the others kept)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mp = import_mediapipe()
    out_dir = args.out.resolve() if args.out is not None else ROOT / DEFAULT_OUT
    try:
        importlib.import_module("posecoach.model.recording")  # a missing module: one line, here
    except ImportError as error:
        fail(
            f"cannot import posecoach's recording module: {error} "
            "(install the missing package into this Python)"
        )
    os.chdir(ROOT)  # source paths, as stored in the recordings and the index, are relative to it
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = [golden for golden in GOLDENS if args.only in (None, golden.name)]
    missing = [golden.source for golden in chosen if not Path(golden.source).is_file()]
    if missing:
        fail(f"no such source(s), from {ROOT}: {', '.join(missing)}")
    print(f"recording {len(chosen)} golden(s) to {out_dir} with mediapipe {mp.__version__}")
    made = {golden.name: record(golden, out_dir, mp) for golden in chosen}
    write_index(out_dir, made, mp)
    total = sum(path.stat().st_size for path in out_dir.iterdir() if path.is_file())
    print(f"{out_dir}: {total / 1e6:.2f} MB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
