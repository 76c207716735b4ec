"""Screenshots of the real posecoach window on a virtual 1920x1080 screen (Xvfb), driven with
key presses as a person would (XTest): the menu, getting set up, holding, and a fault's cue.

    python tools/screenshots.py [OUT_DIR]      (default: docs/)

Needs Xvfb (apt-get install xvfb) and libXtst; the bundled samples play as the camera. The
tests use `VirtualScreen` to check the window's layout from its screenshots.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageGrab

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


class VirtualScreen:
    """An Xvfb screen of `size`, with screenshots (`grab`) and key presses (`press`)."""

    def __init__(self, size: tuple[int, int] = (1920, 1080)) -> None:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise RuntimeError("needs Xvfb (apt-get install xvfb)")
        self.size = size
        read_end, write_end = os.pipe()
        screen = f"{size[0]}x{size[1]}x24"
        self._process = subprocess.Popen(
            [xvfb, "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        with os.fdopen(read_end) as announced:
            number = announced.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        self._keys = _XKeys(self.display)

    def grab(self) -> np.ndarray:
        """The whole screen, RGB."""
        return np.asarray(ImageGrab.grab(xdisplay=self.display).convert("RGB"))

    def press(self, *keys: str) -> None:
        """Press and release each X key name in turn ("Right", "Return", "d", "6")."""
        for key in keys:
            self._keys.press(key)
            time.sleep(0.15)

    def wait_for(
        self,
        changed_from: np.ndarray,
        process: subprocess.Popen[bytes] | None = None,
        timeout_s: float = 120.0,
    ) -> np.ndarray:
        """The screen once it differs from `changed_from` over most of its area (a window
        came up, or its drawing changed). A `process` that ends first, or the time running
        out, is an error that says what the process printed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            shot = self.grab()
            if np.mean(np.any(shot != changed_from, axis=2)) > 0.5:
                return shot
            if process is not None and process.poll() is not None:
                break
            time.sleep(0.2)
        said = ""
        if process is not None:
            if process.poll() is None:
                process.terminate()
            _, err = process.communicate(timeout=20)
            said = f" (exit {process.returncode}; it said: {err.decode(errors='replace')[-800:]})"
        raise TimeoutError(f"the window did not appear{said}")

    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display, "POSECOACH_VOICE": "off"}

    def close(self) -> None:
        self._keys.close()
        self._process.terminate()
        self._process.wait(timeout=10)


class _XKeys:
    """Key presses sent to an X display through the XTest extension."""

    def __init__(self, display: str) -> None:
        x11, xtst = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
        if x11 is None or xtst is None:
            raise RuntimeError("needs libX11 and libXtst (apt-get install libxtst6)")
        self._x = ctypes.CDLL(x11)
        self._xtst = ctypes.CDLL(xtst)
        self._x.XOpenDisplay.restype = ctypes.c_void_p
        self._x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x.XStringToKeysym.restype = ctypes.c_ulong
        self._x.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self._x.XKeysymToKeycode.restype = ctypes.c_ubyte
        self._x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self._x.XFlush.argtypes = [ctypes.c_void_p]
        self._x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._xtst.XTestFakeKeyEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self._display = self._x.XOpenDisplay(display.encode())
        if not self._display:
            raise RuntimeError(f"cannot open display {display}")

    def press(self, name: str) -> None:
        keysym = self._x.XStringToKeysym(name.encode())
        code = self._x.XKeysymToKeycode(self._display, keysym)
        if not code:
            raise ValueError(f"no key {name!r}")
        for down in (1, 0):
            self._xtst.XTestFakeKeyEvent(self._display, code, down, 0)
            self._x.XFlush(self._display)

    def close(self) -> None:
        self._x.XCloseDisplay(self._display)


def posecoach(screen: VirtualScreen, args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    """`posecoach ARGS` on `screen`, with the history and voice off."""
    command = [sys.executable, "-m", "posecoach.cli.main", *args]
    return subprocess.Popen(
        command, cwd=cwd, env=screen.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def menu_number(pose_id: str) -> int:
    """The number of the card of stretch `pose_id` in the menu of `posecoach live`."""
    from posecoach.coaching.posefile import pose_paths

    return list(pose_paths()).index(pose_id) + 1


def take(out_dir: Path) -> list[Path]:
    """The four screenshots, written to `out_dir`; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    screen = VirtualScreen()
    written: list[Path] = []

    def save(name: str, shot: np.ndarray) -> None:
        path = out_dir / name
        Image.fromarray(shot).save(path, optimize=True)
        written.append(path)

    try:
        with tempfile.TemporaryDirectory() as work:
            empty = screen.grab()
            both = str(SAMPLES / "half_kneeling_both_sides.mp4")
            live = posecoach(screen, ["live", "--camera-video", both, "--no-history"], Path(work))
            try:
                save("window_menu.png", screen.wait_for(empty, live))
                # The half-kneeling stretch, by typing its card's number.
                screen.press(*str(menu_number("half_kneeling_hip_flexor")))
                time.sleep(3.0)  # the person walks in: getting into position
                save("window_setup.png", screen.grab())
                time.sleep(6.0)  # kneeling, holding
                save("window_holding.png", screen.grab())
            finally:
                stop(live)
            lean = str(SAMPLES / "half_kneeling_torso_lean.mp4")
            stretch = ["--pose", "half_kneeling_hip_flexor"]
            fault = posecoach(
                screen, ["live", *stretch, "--camera-video", lean, "--no-history"], Path(work)
            )
            try:
                screen.wait_for(empty, fault)
                time.sleep(10.0)  # in position, leaning forward: the cue to sit up
                save("window_fault.png", screen.grab())
            finally:
                stop(fault)
    finally:
        screen.close()
    return written


if __name__ == "__main__":
    for path in take(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs"):
        print(path)
