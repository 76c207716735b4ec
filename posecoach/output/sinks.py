"""Where annotated frames go: a window on screen, or a video file."""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path

import cv2
import numpy as np

from posecoach.config.errors import PosecoachError
from posecoach.inputs.files import atomic_output
from posecoach.inputs.sources import IMAGE_SUFFIXES


class Key(enum.Enum):
    """What a key press in the window asks for."""

    NONE = "none"
    QUIT = "quit"
    PAUSE = "pause"
    MUTE = "mute"  # cues on or off
    VOICE = "voice"  # spoken cues on or off
    SKIP = "skip"  # a guided session: on to the next stretch
    REPEAT = "repeat"  # a guided session: this stretch again from its start
    FULL_SCREEN = "full_screen"  # full screen or a window
    DEVELOPER = "developer"  # the developer overlay (rule ids, values, speed) on or off
    PICTURE = "picture"  # the picture of the target position, also while in position
    UP = "up"  # menus: the item above
    DOWN = "down"  # menus: the item below
    LEFT = "left"  # menus: the item before
    RIGHT = "right"  # menus: the item after
    CHOOSE = "choose"  # menus: take the item chosen (Enter)
    NUMBER = "number"  # menus: a digit typed (`WindowSink.number`)


_KEYS = {
    ord("q"): Key.QUIT,
    27: Key.QUIT,
    ord(" "): Key.PAUSE,
    ord("m"): Key.MUTE,
    ord("v"): Key.VOICE,
    ord("n"): Key.SKIP,
    ord("r"): Key.REPEAT,
    ord("f"): Key.FULL_SCREEN,
    ord("d"): Key.DEVELOPER,
    ord("p"): Key.PICTURE,
    ord("w"): Key.UP,
    ord("s"): Key.DOWN,
    13: Key.CHOOSE,  # Enter
    10: Key.CHOOSE,
}
# Arrow keys as cv2.waitKeyEx reports them (X11 keysyms; Windows' virtual-key codes).
_ARROWS = {
    0xFF51: Key.LEFT,
    0xFF52: Key.UP,
    0xFF53: Key.RIGHT,
    0xFF54: Key.DOWN,
    0x250000: Key.LEFT,
    0x260000: Key.UP,
    0x270000: Key.RIGHT,
    0x280000: Key.DOWN,
}
# The digit keys: a menu item is chosen by typing its number.
NUMBER_KEYS = {ord(str(n)): n for n in range(10)}


def has_display() -> bool:
    """Whether a window can be shown (on Linux, an X11 or Wayland display is set)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


# The window's size where the screen's cannot be found.
FALLBACK_WINDOW_WH = (1280, 720)


def screen_size() -> tuple[int, int] | None:
    """The screen's size in pixels (X11: the default screen of $DISPLAY); None when unknown."""
    if not (sys.platform.startswith("linux") and os.environ.get("DISPLAY")):
        return None
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        xlib = ctypes.CDLL(name)
    except OSError:
        return None
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    for function in (xlib.XDefaultScreen, xlib.XDisplayWidth, xlib.XDisplayHeight):
        function.restype = ctypes.c_int
    xlib.XDefaultScreen.argtypes = [ctypes.c_void_p]
    xlib.XDisplayWidth.argtypes = xlib.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = xlib.XOpenDisplay(None)
    if not display:
        return None
    try:
        screen = xlib.XDefaultScreen(display)
        size = (xlib.XDisplayWidth(display, screen), xlib.XDisplayHeight(display, screen))
    finally:
        xlib.XCloseDisplay(display)
    return size if min(size) > 0 else None


class WindowSink:
    """An OpenCV window, filling the screen (f: a window of its own, resizable; f again: full
    screen). `show` returns the key pressed (q or Esc quits, space pauses, m mutes or unmutes
    the cues, v turns the voice off or on, d the developer overlay, p the target picture).
    `number` is the digit typed last (Key.NUMBER), for menus."""

    def __init__(self, title: str, full_screen: bool = True) -> None:
        if not has_display():
            raise PosecoachError("no screen to show a window on: add --no-window")
        self.title = title
        # Free ratio: the picture fills the window (it is drawn for the window's size).
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO)
        # As large as the screen, also where no window manager makes it full screen.
        self._asked_wh = screen_size() or FALLBACK_WINDOW_WH
        cv2.resizeWindow(title, *self._asked_wh)
        cv2.moveWindow(title, 0, 0)
        self._shown = False
        self.full_screen = False
        if full_screen:
            self.toggle_full_screen()
        self.number: int | None = None
        self._opened = True

    def toggle_full_screen(self) -> None:
        self.full_screen = not self.full_screen
        mode = cv2.WINDOW_FULLSCREEN if self.full_screen else cv2.WINDOW_NORMAL
        cv2.setWindowProperty(self.title, cv2.WND_PROP_FULLSCREEN, mode)

    def size(self) -> tuple[int, int]:
        """The window's drawing area (width, height) in pixels."""
        if not self._shown:
            return self._asked_wh
        try:
            _, _, width, height = cv2.getWindowImageRect(self.title)
        except cv2.error:
            return self._asked_wh
        return (width, height) if width > 1 and height > 1 else self._asked_wh

    def show(self, image: np.ndarray, wait_ms: int = 1) -> Key:
        cv2.imshow(self.title, image)
        self._shown = True
        return self.poll(wait_ms)

    def poll(self, wait_ms: int = 1) -> Key:
        code = cv2.waitKeyEx(wait_ms)
        if code >= 0:
            if code in _ARROWS:
                return _ARROWS[code]
            if code in NUMBER_KEYS:
                self.number = NUMBER_KEYS[code]
                return Key.NUMBER
            return _KEYS.get(code & 0xFF, Key.NONE) if code <= 0xFFFF else Key.NONE
        if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            return Key.QUIT  # the user closed the window
        return Key.NONE

    def close(self) -> None:
        if self._opened:
            self._opened = False
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)


_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
VIDEO_SUFFIXES = tuple(_FOURCC)


def part_path(path: Path) -> Path:
    """Where an output is written before it is complete: a hidden file beside `path` with the
    same suffix (OpenCV picks the container and image format by the suffix)."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def _sync(path: Path) -> None:
    """Flush a written file to the disk, so a crash after the rename finds it whole."""
    with open(path, "rb") as written:
        os.fsync(written.fileno())


class VideoSink:
    """An annotated video file, opened at the first frame (when the size is known).

    Frames go to a hidden file beside `path` (`part_path`), renamed to `path` when closed:
    a process killed mid-session never leaves a half-written video under the final name. A
    session stopped early (Ctrl-C, SIGTERM, a failure) still closes the sink, so the video of
    every frame written so far is kept.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in _FOURCC:
            raise PosecoachError(
                f"cannot write {self.path}: expecting a name ending in "
                f"{', '.join(_FOURCC)} (a video) or {', '.join(IMAGE_SUFFIXES)} (images)"
            )
        self.part = part_path(self.path)
        self.fps = fps
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._size_wh = (0, 0)

    def write(self, image: np.ndarray) -> None:
        """Append a frame; frames of another size (a folder of photos) are scaled to the first."""
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            height, width = image.shape[:2]
            self._size_wh = (width, height)
            fourcc = cv2.VideoWriter.fourcc(*_FOURCC[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self.part), fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                self._writer = None
                raise PosecoachError(
                    f"cannot write video {self.path}: check the folder exists and is writable"
                )
        if (image.shape[1], image.shape[0]) != self._size_wh:
            image = cv2.resize(image, self._size_wh, interpolation=cv2.INTER_AREA)
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        """Finalise the video and give it its name; safe to call twice."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        try:
            _sync(self.part)
            os.replace(self.part, self.path)
        except OSError as error:
            raise PosecoachError(
                f"cannot write video {self.path}: {error.strerror or error}"
            ) from error


class ImageSink:
    """Annotated stills: the first frame to `path`, later ones to `<stem>_<index><suffix>`.

    Each image is written whole to a temporary file and renamed, so no name ever holds half
    an image."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        target = (
            self.path
            if self.frames == 0
            else self.path.with_name(f"{self.path.stem}_{self.frames:04d}{self.path.suffix}")
        )
        try:
            ok, encoded = cv2.imencode(target.suffix, image)
        except cv2.error:
            ok = False
        if not ok:
            raise PosecoachError(
                f"cannot write image {target}: OpenCV cannot encode {target.suffix} images "
                "(use .png or .jpg)"
            )
        try:
            with atomic_output(target, binary=True) as stream:
                stream.write(encoded.tobytes())
        except OSError as error:
            raise PosecoachError(
                f"cannot write image {target}: {error.strerror or error}"
            ) from error
        self.frames += 1

    def close(self) -> None:
        """Nothing to finalise: every image is complete when written."""


def open_frame_sink(path: str | Path, fps: float) -> VideoSink | ImageSink:
    """A video file for video names, annotated images for image names."""
    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        return ImageSink(path)
    return VideoSink(path, fps)
