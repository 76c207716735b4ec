"""Reference pictures of each stretch's target position, for the window to show the person
what the stretch looks like (during set-up, on a key, in the start menu).

`Pictures.get(pose)` looks, in order:

1. among the pictures shipped with posecoach (`poses/pictures/<id>.png`), used when the pose
   file is the built-in one, byte for byte;
2. in the per-user cache folder (`$XDG_CACHE_HOME/posecoach/pictures`, by default
   `~/.cache/posecoach/pictures`), under the pose id and a hash of the pose file's bytes, so
   an edited pose file gets a new picture;
3. else it asks the `render` callable it was given (the command line passes the synthetic
   performer's `posecoach.synth.picture.render_picture`) and writes the result to the cache.

A stretch that cannot be rendered (the performer has no motion for its id: `render` raises a
PosecoachError) has no picture: `get` returns None, and does not ask again in this session. A
cache folder that cannot be written is not an error: the picture is still returned.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from posecoach.coaching.posefile import PoseSpec, builtin_pose_dir
from posecoach.config.errors import PosecoachError
from posecoach.config.paths import user_cache_dir
from posecoach.inputs.files import atomic_output

log = logging.getLogger(__name__)

PICTURES_FOLDER = "pictures"  # beside the built-in pose files, and in the cache folder
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 9]
_HASH_CHARS = 16  # of the pose file's SHA-256, in a cached picture's name

Render = Callable[[PoseSpec], np.ndarray]


def shipped_pictures_dir() -> Path:
    """The folder of the pictures that ship with posecoach, one `<id>.png` per built-in stretch."""
    return builtin_pose_dir() / PICTURES_FOLDER


def encode_png(picture: np.ndarray) -> bytes:
    """A BGR picture as the bytes of a PNG file (compressed as tightly as PNG goes)."""
    ok, encoded = cv2.imencode(".png", picture, _PNG_PARAMS)
    if not ok:
        raise ValueError(f"cannot encode a picture of shape {picture.shape} as PNG")
    return encoded.tobytes()


def read_picture(path: Path) -> np.ndarray | None:
    """The BGR picture in the image file `path`, or None when it is missing or unreadable."""
    try:
        data = np.fromfile(path, np.uint8)  # cv2.imread cannot open every path on Windows
    except OSError:
        return None
    picture = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return picture if isinstance(picture, np.ndarray) and picture.ndim == 3 else None


class Pictures:
    """The pictures of the stretches' target positions, found or made once per session.

    `render` makes a picture that is neither shipped nor cached (None: such a stretch has no
    picture); `cache_dir` defaults to the per-user cache's `pictures` folder, `shipped_dir` to
    the pictures that ship with posecoach."""

    def __init__(
        self,
        render: Render | None = None,
        cache_dir: Path | None = None,
        shipped_dir: Path | None = None,
    ) -> None:
        self.render = render
        self.cache_dir = user_cache_dir() / PICTURES_FOLDER if cache_dir is None else cache_dir
        self.shipped_dir = shipped_pictures_dir() if shipped_dir is None else shipped_dir
        self._found: dict[tuple[str, str | None], np.ndarray | None] = {}

    def get(self, pose: PoseSpec) -> np.ndarray | None:
        """The picture of `pose`'s target position (BGR uint8, (height, width, 3); a copy the
        caller may draw on), or None when there is none."""
        try:
            contents: bytes | None = pose.path.read_bytes()
        except OSError as error:  # the file went away since it was loaded: picture it, uncached
            log.info("cannot read %s to find its picture (%s)", pose.path, error)
            contents = None
        digest = None if contents is None else hashlib.sha256(contents).hexdigest()
        key = (pose.id, digest)
        if key not in self._found:
            self._found[key] = self._find(pose, contents, digest)
        picture = self._found[key]
        return None if picture is None else picture.copy()

    def cache_path(self, pose_id: str, digest: str) -> Path:
        """Where the cached picture of pose `pose_id` with the file hash `digest` is."""
        return self.cache_dir / f"{pose_id}-{digest[:_HASH_CHARS]}.png"

    def _find(
        self, pose: PoseSpec, contents: bytes | None, digest: str | None
    ) -> np.ndarray | None:
        if contents is not None and digest is not None:
            if self._is_builtin(pose.id, contents):
                shipped = read_picture(self.shipped_dir / f"{pose.id}.png")
                if shipped is not None:
                    return shipped
            cached = read_picture(self.cache_path(pose.id, digest))
            if cached is not None:
                return cached
        if self.render is None:
            return None
        try:
            picture = self.render(pose)
        except PosecoachError as error:
            log.info("no picture of %s: %s", pose.id, error)
            return None
        if digest is not None:
            self._write(self.cache_path(pose.id, digest), picture)
        return picture

    @staticmethod
    def _is_builtin(pose_id: str, contents: bytes) -> bool:
        """Whether `contents` are those of the built-in pose file of `pose_id`."""
        try:
            return (builtin_pose_dir() / f"{pose_id}.toml").read_bytes() == contents
        except OSError:
            return False

    @staticmethod
    def _write(path: Path, picture: np.ndarray) -> None:
        try:
            with atomic_output(path, binary=True) as stream:
                stream.write(encode_png(picture))
        except OSError as error:  # a read-only or full disk: the picture is still shown
            log.info("cannot cache the picture %s (%s)", path, error)
