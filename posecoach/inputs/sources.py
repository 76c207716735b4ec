"""Frame sources behind one iterator: webcam, video file, single image, folder of images
(and a landmark recording, in `posecoach.model.recording`).

Each yields `Frame`s carrying a BGR image, a timestamp in ms and a frame index. Files take
their timestamps from the frame index and frame rate; the webcam from a monotonic clock at
capture. A webcam cannot seek and has no length; a file knows both.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import PIL.Image

from posecoach.config.errors import CameraError, SourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".avif")
DEFAULT_IMAGE_FPS = 30.0
# A video that ends this close to the frame count its container declares ends as it should:
# most containers count exactly, some (a fragmented mp4) estimate from the duration, a few
# frames off. Further short, it was cut off or damaged.
EARLY_END_TOLERANCE_FRAMES = 5
EARLY_END_TOLERANCE_FRACTION = 0.01
# Frames in a row that cannot be decoded before a video is taken to end there: OpenCV reads
# on past a damaged frame, one failed read per frame, and past the end fails at once.
MAX_UNDECODABLE_RUN = 250


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # (H, W, 3) uint8, BGR
    timestamp_ms: float
    index: int

    @property
    def resolution_wh(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


class FrameSource:
    """Base of all sources: iterate for frames, close when done (also a context manager)."""

    name: str = ""
    fps: float = DEFAULT_IMAGE_FPS
    # True when frames are unrelated stills, so the model must not track between them.
    independent_frames: bool = False
    live: bool = False
    # True for a camera: frames arrive in real time and stale ones are dropped (`dropped`).
    realtime: bool = False
    dropped: int = 0
    # Frames that could not be decoded and were left out (a damaged video), so far.
    skipped: int = 0

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def frames(self, stride: int = 1) -> Iterator[Frame]:
        """Every `stride`th frame (the first, then every Nth after it), with its own index
        and timestamp."""
        return itertools.islice(iter(self), 0, None, stride)

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no length")

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def natural_key(path: Path) -> list[object]:
    """A sort key for file names in natural order: numbers by value (2 before 10), letters
    regardless of case."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def decode_image(path: Path) -> np.ndarray | None:
    """A BGR image, or None when neither OpenCV nor Pillow can decode the file.

    Pillow reads what OpenCV's build does not, such as AVIF (often saved under a .jpg name).
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is not None:
        return image
    try:
        with PIL.Image.open(path) as picture:
            rgb = np.asarray(picture.convert("RGB"))
    except (OSError, ValueError, PIL.Image.DecompressionBombError):
        return None
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _read_image(path: Path) -> np.ndarray:
    image = decode_image(path)
    if image is None:
        raise SourceError(
            f"cannot read image {path}: not an image format posecoach decodes "
            f"(use {', '.join(IMAGE_SUFFIXES)})"
        )
    return image


class VideoFileSource(FrameSource):
    """A video file, decoded frame by frame; timestamps from the frame index and fps.

    A damaged frame that OpenCV cannot decode, with good ones after it, is left out and
    counted in `skipped` (a warning at the end says how many); the frames after it keep their
    own index and time. A video that stops clearly before the frame count its container
    declares (cut off, or damaged beyond reading on) raises SourceError once every frame
    before the break has been yielded.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise SourceError(f"no such video file: {self.path} (check the path)")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(
                f"cannot read video {self.path}: OpenCV could not open it "
                "(is it a complete video file?)"
            )
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not 0 < fps < 1000:
            log.warning("%s reports no frame rate; assuming %g fps", self.path, DEFAULT_IMAGE_FPS)
            fps = DEFAULT_IMAGE_FPS
        self.fps = fps
        self._frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def __len__(self) -> int:
        return self._frame_count

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, stride: int = 1) -> Iterator[Frame]:
        """Every `stride`th frame; the ones between are skipped without being converted."""
        index = 0  # of the next frame: frames that fail to decode count too, to keep time
        failed: list[int] = []  # the wanted frames among the failed reads in a row
        run = 0  # failed reads in a row
        first_skipped: int | None = None
        yielded = 0
        self.skipped = 0
        while True:
            wanted = index % stride == 0
            image = None
            if wanted:
                ok, image = self._capture.read()
            else:
                ok = self._capture.grab()
            if not ok or (wanted and image is None):
                run += 1
                if wanted:
                    failed.append(index)
                if run >= MAX_UNDECODABLE_RUN or 0 < self._frame_count <= index + 1:
                    break  # the end, or nothing more can be read
                index += 1
                continue
            if failed:  # damaged frames with a good one after them: left out
                self.skipped += len(failed)
                first_skipped = failed[0] if first_skipped is None else first_skipped
                failed = []
            run = 0
            if image is not None:  # a wanted frame
                yield Frame(image, index * 1000.0 / self.fps, index)
                yielded += 1
            index += 1
        if self.skipped:
            log.warning(
                "%s: %d frame(s) could not be decoded and were left out, the first at %.2f s "
                "(is the file damaged?)",
                self.path,
                self.skipped,
                (first_skipped or 0) / self.fps,
            )
        if yielded == 0:
            raise SourceError(f"cannot read video {self.path}: no frame could be decoded")
        ended_at = index + 1 - run  # the frames before the end, decoded or not
        tolerance = max(
            EARLY_END_TOLERANCE_FRAMES, EARLY_END_TOLERANCE_FRACTION * self._frame_count
        )
        if self._frame_count - ended_at > tolerance:
            raise SourceError(
                f"video {self.path} ends early, after {ended_at} of its {self._frame_count} "
                "frames: the rest could not be decoded (is the file truncated or damaged?)"
            )

    def close(self) -> None:
        self._capture.release()


class ImageSource(FrameSource):
    """One still image, yielded once."""

    independent_frames = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise SourceError(f"no such image file: {self.path} (check the path)")
        self._image = _read_image(self.path)

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(self._image, 0.0, 0)


class ImageFolderSource(FrameSource):
    """Every image in a folder, in natural name order (2 before 10), one frame each."""

    independent_frames = True

    def __init__(self, path: str | Path, fps: float = DEFAULT_IMAGE_FPS) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.fps = fps
        if not self.path.is_dir():
            raise SourceError(f"no such folder: {self.path}")
        self.files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
            key=natural_key,
        )
        if not self.files:
            raise SourceError(
                f"no images in {self.path}: expecting files ending in {', '.join(IMAGE_SUFFIXES)}"
            )

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[Frame]:
        yielded = 0
        for index, path in enumerate(self.files):
            image = decode_image(path)
            if image is None:
                log.warning("skipping %s: not an image posecoach can decode", path)
                continue
            yielded += 1
            yield Frame(image, index * 1000.0 / self.fps, index)
        if yielded == 0:
            raise SourceError(f"no image in {self.path} could be decoded (are they images?)")


class CameraSource(FrameSource):
    """A webcam through `cv2.VideoCapture(index)`; timestamps from a monotonic clock.

    A capture thread reads the camera at its own rate and keeps only the newest frame, so
    whoever iterates always gets the latest picture: frames that arrive while the previous
    one is still being analysed are dropped, and counted in `dropped`.

    Ends (raising CameraError) when the camera stops delivering frames. `capture` replaces
    the device with any object that reads like `cv2.VideoCapture` (such as `VideoCamera`).
    """

    live = True
    realtime = True

    def __init__(
        self,
        index: int = 0,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        max_failed_reads: int = 30,
        capture: Any = None,
        name: str | None = None,
    ) -> None:
        self.index = index
        self.name = name or f"camera {index}"
        self._capture = cv2.VideoCapture(index) if capture is None else capture
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(
                f"cannot open camera {index}: is a webcam connected and free? "
                "(try another --camera number, or replay a video file instead)"
            )
        for prop, value in (
            (cv2.CAP_PROP_FRAME_WIDTH, width),
            (cv2.CAP_PROP_FRAME_HEIGHT, height),
            (cv2.CAP_PROP_FPS, fps),
        ):
            if value:
                self._capture.set(prop, float(value))
        reported = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported if 0 < reported < 1000 else (fps or DEFAULT_IMAGE_FPS)
        self.max_failed_reads = max_failed_reads
        self._grabber: _Grabber | None = None

    @property
    def dropped(self) -> int:  # type: ignore[override]
        return 0 if self._grabber is None else self._grabber.dropped

    def __iter__(self) -> Iterator[Frame]:
        self._stop_grabber()
        grabber = self._grabber = _Grabber(self._capture, self._read_failed, self._stalled)
        try:
            while True:
                frame = grabber.take()
                if frame is None:
                    return
                yield frame
        finally:
            grabber.stop()

    def _read_failed(self, failures: int) -> None:
        if getattr(self._capture, "ended", False):
            raise StopIteration  # a video standing in for the camera has ended
        if failures >= self.max_failed_reads:
            raise CameraError(f"{self.name} stopped delivering frames (was it unplugged?)")

    def _stalled(self, seconds: float) -> CameraError:
        return CameraError(
            f"{self.name} gave no picture for {seconds:.0f} s (was it unplugged, or is another "
            "program using it?)"
        )

    def _stop_grabber(self) -> bool:
        """Stop the capture thread; False when it is still stuck in a read."""
        return self._grabber is None or self._grabber.stop()

    def close(self) -> None:
        if self._stop_grabber():
            self._capture.release()
        else:  # releasing a device another thread is reading can crash the process
            log.warning("%s is stuck in a read: left open", self.name)


class _Grabber:
    """Reads a capture in a thread, keeping only the newest frame for `take`.

    A frame replaced before it was taken counts as dropped. Whatever ends the reading (the
    camera failing, the stand-in video ending, an error) reaches the taker: `take` returns
    None at an ordinary end and raises anything else.
    """

    STALL_S = 10.0  # no frame for this long while one is awaited: the camera is gone

    def __init__(
        self,
        capture: Any,
        read_failed: Callable[[int], None],
        stalled: Callable[[float], BaseException],
    ) -> None:
        self._capture = capture
        self._read_failed = read_failed
        self._stalled = stalled
        self._condition = threading.Condition()
        self._newest: Frame | None = None
        self._ended: BaseException | None = None  # StopIteration at an ordinary end
        self._stopping = False
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="posecoach-capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        index = 0
        failures = 0
        try:
            while not self._stopping:
                ok, image = self._capture.read()
                captured_ms = time.monotonic() * 1000.0
                if not ok or image is None:
                    failures += 1
                    self._read_failed(failures)
                    continue
                failures = 0
                with self._condition:
                    if self._newest is not None:
                        self.dropped += 1
                    self._newest = Frame(image, captured_ms, index)
                    self._condition.notify_all()
                index += 1
        except BaseException as error:  # handed to the taker, raised there
            with self._condition:
                self._ended = error
                self._condition.notify_all()

    def take(self) -> Frame | None:
        """The newest frame not taken yet, waiting for one; None when the input has ended
        (or reading was stopped)."""
        waited_since = time.monotonic()
        with self._condition:
            while self._newest is None and self._ended is None:
                if self._stopping:
                    return None
                if time.monotonic() - waited_since > self.STALL_S:
                    raise self._stalled(self.STALL_S)
                self._condition.wait(timeout=0.1)
            if self._newest is not None:
                frame, self._newest = self._newest, None
                return frame
            if isinstance(self._ended, StopIteration):
                return None
            assert self._ended is not None
            raise self._ended

    def stop(self) -> bool:
        """Stop reading, waiting for the read in progress; True when it has stopped (the
        capture may then be released), False when a read is stuck."""
        self._stopping = True
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        return not self._thread.is_alive()


class VideoCamera:
    """A video file that reads like a camera: `cv2.VideoCapture`'s interface, frames served in
    real time at the video's frame rate (a reader that falls behind gets the frame due now,
    as from a camera), then `ended`. With `loop` it starts again at the end, for ever.

    It stands in for a webcam: `posecoach live --camera-video FILE`, tests and benchmarks.
    """

    def __init__(self, path: str | Path, loop: bool = False) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"no such video file: {self.path} (check the path)")
        self._video = cv2.VideoCapture(str(self.path))
        if not self._video.isOpened():
            raise SourceError(f"cannot read video {self.path}: OpenCV could not open it")
        fps = float(self._video.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0 < fps < 1000 else DEFAULT_IMAGE_FPS
        self.loop = loop
        self.ended = False
        self._start: float | None = None
        self._served = 0  # frames of the video read so far (over every loop)

    def isOpened(self) -> bool:
        return bool(self._video.isOpened())

    def set(self, prop: int, value: float) -> bool:
        return False  # a video's size and rate are what they are

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS:
            return self.fps
        return float(self._video.get(prop))

    def read(self) -> tuple[bool, np.ndarray | None]:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        # The frame due at this moment: frames whose time has passed are skipped, as a
        # camera's would be; an early reader waits for the next one.
        due = int((now - self._start) * self.fps)
        if due < self._served:
            time.sleep(max(self._start + self._served / self.fps - now, 0.0))
            due = self._served
        while self._served <= due:
            ok = self._video.grab()
            if not ok and self.loop and self._served > 0:
                self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok = self._video.grab()
            if not ok:
                self.ended = True
                return False, None
            self._served += 1
        ok, image = self._video.retrieve()
        return (True, image) if ok else (False, None)

    def release(self) -> None:
        self._video.release()
