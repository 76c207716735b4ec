"""Shared fixtures: where the real footage lives, and a virtual screen for window tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOOTAGE = Path(os.environ.get("POSECOACH_FOOTAGE", REPO.parent / "shared" / "footage"))


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tester's own pose folder, overrides file and history out of every test (a
    test that wants them sets these itself; the config folder is tmp_path / "config", the
    data folder, where the history goes, tmp_path / "data")."""
    monkeypatch.delenv("POSECOACH_POSES", raising=False)
    monkeypatch.delenv("POSECOACH_OVERRIDES", raising=False)
    monkeypatch.delenv("POSECOACH_HISTORY", raising=False)
    # No test speaks aloud, nor warns that it cannot (tests of the voice set their own).
    monkeypatch.setenv("POSECOACH_VOICE", "off")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def footage(relative: str) -> Path:
    """A file of ../shared/footage, skipping the test (with the reason) where it is absent."""
    path = FOOTAGE / relative
    if not path.exists():
        pytest.skip(f"real footage not available: {path} is absent")
    return path


@pytest.fixture(scope="session")
def virtual_display() -> Iterator[str]:
    """A display to open windows on: the current one, or an Xvfb started for the tests."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("needs a screen: no DISPLAY and no Xvfb (apt-get install xvfb)")
    # Xvfb picks a free display number and writes it to the pipe (several may run at once).
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    if not number or process.poll() is not None:
        pytest.skip("Xvfb did not start")
    display = f":{number}"
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        del os.environ["DISPLAY"]
        process.terminate()
        process.wait(timeout=10)
