"""Shared fixtures: where the real footage lives, a virtual screen for window tests, a cache
shared by every worker of a test session (generated clips and the model's runs on them are
made once per session, not once per test file or worker), and the check that keeps the
`model` and `synth` markers true: a test that loads the pose model or renders a clip in the
test process without its marker fails, so the quick selection (`-m "not model and not synth"`)
stays quick."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
FOOTAGE = Path(os.environ.get("POSECOACH_FOOTAGE", REPO.parent / "shared" / "footage"))


# The test being run (set up, called or torn down), for the marker check.
_RUNNING: list[pytest.Item] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _RUNNING.append(item)
    try:
        yield
    finally:
        _RUNNING.pop()


def _needs_marker(marker: str, what: str, function: Callable[..., T]) -> Callable[..., T]:
    """`function`, failing the running test unless it carries `marker`."""

    def checked(*args: object, **kwargs: object) -> T:
        if _RUNNING and _RUNNING[-1].get_closest_marker(marker) is None:
            pytest.fail(
                f"{_RUNNING[-1].nodeid} {what}: mark it with @pytest.mark.{marker}", pytrace=False
            )
        return function(*args, **kwargs)

    return checked


def pytest_configure(config: pytest.Config) -> None:
    from posecoach.model.estimator import BlazePoseEstimator
    from posecoach.synth.clip import Clip

    BlazePoseEstimator.__init__ = _needs_marker(  # type: ignore[method-assign]
        "model", "loads the pose model", BlazePoseEstimator.__init__
    )
    Clip.frames = _needs_marker(  # type: ignore[method-assign]
        "synth", "renders a clip", Clip.frames
    )
    Clip.still = _needs_marker(  # type: ignore[method-assign]
        "synth", "renders a clip", Clip.still
    )


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tester's own pose folder, overrides file, history and cache out of every test
    (a test that wants them sets these itself; the config folder is tmp_path / "config", the
    data folder, where the history goes, tmp_path / "data", the cache folder, where rendered
    pictures go, tmp_path / "cache")."""
    monkeypatch.delenv("POSECOACH_POSES", raising=False)
    monkeypatch.delenv("POSECOACH_OVERRIDES", raising=False)
    monkeypatch.delenv("POSECOACH_HISTORY", raising=False)
    # No test speaks aloud, nor warns that it cannot (tests of the voice set their own).
    monkeypatch.setenv("POSECOACH_VOICE", "off")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


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


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this test session shares, and no other session: under
    pytest-xdist each worker's base temporary folder is inside the session's, without it the
    base folder is the session's own."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "session-cache"
    folder.mkdir(exist_ok=True)
    return folder


def cached_folder(
    tmp_path_factory: pytest.TempPathFactory, key: str, make: Callable[[Path], None]
) -> Path:
    """The folder `key` of the session cache, filled by `make(folder)` the first time any
    worker asks for it; the others wait on a file lock meanwhile. `make` fills a partial folder
    that is renamed when it returns, so a failed `make` leaves nothing behind (the next test
    that asks tries again)."""
    folder = session_folder(tmp_path_factory) / key
    with FileLock(f"{folder}.lock"):
        if not folder.is_dir():
            partial = folder.with_name(f"{key}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            try:
                make(partial)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
            partial.rename(folder)
    return folder


def cached_pickle(path: Path, make: Callable[[], T]) -> T:
    """`make()`, computed by whichever worker asks first and pickled to `path` for the others
    (which wait on a file lock meanwhile), so it must pickle."""
    with FileLock(f"{path}.lock"):
        if not path.exists():
            value = make()
            partial = path.with_name(f"{path.name}.partial")
            partial.write_bytes(pickle.dumps(value))
            partial.replace(path)
            return value
    loaded: T = pickle.loads(path.read_bytes())
    return loaded


def cached_value(tmp_path_factory: pytest.TempPathFactory, key: str, make: Callable[[], T]) -> T:
    """`make()`, computed once per test session (see cached_pickle)."""
    return cached_pickle(session_folder(tmp_path_factory) / f"{key}.pickle", make)
