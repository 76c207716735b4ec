"""The reference pictures of the stretches: shipped for the built-ins, rendered once into the
per-user cache for a user's own pose file, and what the synthetic performer renders now."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecoach.coaching.posefile import PoseSpec, load_pose, load_pose_file, pose_paths
from posecoach.config.errors import PosecoachError
from posecoach.config.paths import user_cache_dir
from posecoach.output.pictures import Pictures, read_picture, shipped_pictures_dir

BUILTIN = sorted(pose_paths())
PICTURE_SHAPE = (360, 480, 3)
MAX_PNG_BYTES = 60 * 1024
KNEEL = "half_kneeling_hip_flexor"


class CountingRender:
    """A stand-in for `render_picture`: a plain picture, and how often it was asked."""

    def __init__(self, fails: bool = False) -> None:
        self.calls: list[str] = []
        self.fails = fails

    def __call__(self, pose: PoseSpec) -> np.ndarray:
        self.calls.append(pose.id)
        if self.fails:
            raise PosecoachError(f"no motion script for {pose.id!r}")
        picture = np.zeros((36, 48, 3), np.uint8)
        picture[:, :, 2] = len(self.calls) * 40  # each render differs from the one before
        return picture


def user_pose(
    tmp_path: Path, pose_id: str = KNEEL, name: str = "My lunge", new_id: str = ""
) -> PoseSpec:
    """A user's own copy of a built-in pose file, with another name (so other bytes) and, when
    `new_id` is given, another id."""
    text = pose_paths()[pose_id].read_text(encoding="utf-8")
    name_line = next(line for line in text.splitlines() if line.startswith("name = "))
    text = text.replace(name_line, f'name = "{name}"', 1)
    if new_id:
        text = text.replace(f'id = "{pose_id}"', f'id = "{new_id}"', 1)
    path = tmp_path / "user_poses" / f"{new_id or pose_id}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_pose_file(path)


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "posecoach" / "pictures").glob("*.png"))


@pytest.mark.parametrize("pose_id", BUILTIN)
def test_every_builtin_stretch_has_a_small_shipped_picture(pose_id: str) -> None:
    path = shipped_pictures_dir() / f"{pose_id}.png"
    picture = read_picture(path)
    assert picture is not None, f"{path} is missing: run python tools/render_pictures.py"
    assert picture.shape == PICTURE_SHAPE
    assert path.stat().st_size < MAX_PNG_BYTES


def test_no_shipped_picture_without_a_builtin_stretch() -> None:
    shipped = sorted(path.stem for path in shipped_pictures_dir().glob("*.png"))
    assert shipped == BUILTIN


def test_a_builtin_stretch_gets_its_shipped_picture_without_rendering(tmp_path: Path) -> None:
    render = CountingRender()
    picture = Pictures(render=render).get(load_pose(KNEEL))
    assert picture is not None
    assert np.array_equal(picture, read_picture(shipped_pictures_dir() / f"{KNEEL}.png"))
    assert render.calls == []
    assert cache_files(tmp_path) == []


def test_a_shipped_picture_loads_without_the_synthetic_performer() -> None:
    code = (
        "import sys\n"
        "from posecoach.cli.common import pictures\n"
        "from posecoach.coaching.posefile import load_pose\n"
        f"assert pictures().get(load_pose({KNEEL!r})).shape == {PICTURE_SHAPE}\n"
        "loaded = [m for m in sys.modules if m.startswith('posecoach.synth')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_user_pose_file_is_rendered_once_into_the_cache(tmp_path: Path) -> None:
    pose = user_pose(tmp_path)
    render = CountingRender()
    pictures = Pictures(render=render)
    first = pictures.get(pose)
    assert first is not None and render.calls == [KNEEL]
    assert [path.name.split("-")[0] for path in cache_files(tmp_path)] == [KNEEL]
    assert np.array_equal(pictures.get(pose), first)  # remembered: not rendered again
    first[:] = 255  # the caller's copy: drawing on it changes nothing kept
    again = CountingRender()
    cached = Pictures(render=again).get(pose)  # a later session reads the cache
    assert again.calls == []
    assert cached is not None and cached.shape == (36, 48, 3) and cached[0, 0, 2] == 40


def test_an_edited_pose_file_gets_a_new_picture(tmp_path: Path) -> None:
    render = CountingRender()
    Pictures(render=render).get(user_pose(tmp_path, name="My lunge"))
    Pictures(render=render).get(user_pose(tmp_path, name="My deeper lunge"))
    assert len(render.calls) == 2
    assert len(cache_files(tmp_path)) == 2


def test_a_damaged_cached_picture_is_rendered_again(tmp_path: Path) -> None:
    pose = user_pose(tmp_path)
    Pictures(render=CountingRender()).get(pose)
    (cached,) = cache_files(tmp_path)
    cached.write_bytes(b"not a png")
    render = CountingRender()
    assert Pictures(render=render).get(pose) is not None
    assert render.calls == [KNEEL]
    assert read_picture(cached) is not None


def test_an_unwritable_cache_still_gives_the_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    render = CountingRender()
    picture = Pictures(render=render).get(user_pose(tmp_path))
    assert picture is not None and picture.shape == (36, 48, 3)
    assert render.calls == [KNEEL]


def test_a_stretch_that_cannot_be_rendered_has_no_picture_and_is_asked_once(
    tmp_path: Path,
) -> None:
    pose = user_pose(tmp_path, new_id="my_own_stretch")
    render = CountingRender(fails=True)
    pictures = Pictures(render=render)
    assert pictures.get(pose) is None
    assert pictures.get(pose) is None
    assert render.calls == ["my_own_stretch"]
    assert cache_files(tmp_path) == []
    assert Pictures().get(pose) is None  # no render given: only shipped and cached pictures


def test_the_performer_has_no_picture_of_a_stretch_without_motion(tmp_path: Path) -> None:
    from posecoach.synth.clip import SynthError
    from posecoach.synth.picture import render_picture

    with pytest.raises(SynthError, match="no motion script for 'my_own_stretch'"):
        render_picture(user_pose(tmp_path, new_id="my_own_stretch"))


def test_the_cache_folder_follows_xdg(tmp_path: Path) -> None:
    assert user_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "posecoach"
    if sys.platform.startswith("linux"):  # a relative one is ignored, as the XDG spec says
        assert user_cache_dir({"XDG_CACHE_HOME": "rel"}) == Path.home() / ".cache" / "posecoach"


@pytest.mark.synth
def test_render_picture_is_deterministic() -> None:
    from posecoach.synth.picture import render_picture

    pose = load_pose("bridge")
    first = render_picture(pose)
    assert first.shape == PICTURE_SHAPE and first.dtype == np.uint8
    assert np.array_equal(render_picture(pose), first)
    assert render_picture(pose, (320, 240)).shape == (240, 320, 3)


@pytest.mark.synth
@pytest.mark.parametrize("pose_id", BUILTIN)
def test_the_shipped_picture_is_what_the_performer_renders_now(pose_id: str) -> None:
    from posecoach.synth.picture import render_picture

    rendered = render_picture(load_pose(pose_id))
    shipped = read_picture(shipped_pictures_dir() / f"{pose_id}.png")
    assert shipped is not None and shipped.shape == rendered.shape
    # Another OpenCV build may antialias an edge differently; a changed performer, position or
    # framing moves whole limbs. (tools/render_pictures.py --check compares exactly.)
    changed = np.abs(shipped.astype(int) - rendered.astype(int)).max(axis=2) > 16
    assert changed.mean() < 0.005, (
        f"{pose_id}: the shipped picture is out of date: run python tools/render_pictures.py"
    )


@pytest.mark.synth
def test_a_user_copy_of_a_stretch_with_motion_is_rendered_by_the_performer(
    tmp_path: Path,
) -> None:
    from posecoach.synth.picture import render_picture

    pose = user_pose(tmp_path)
    calls: list[str] = []

    def render(spec: PoseSpec) -> np.ndarray:
        calls.append(spec.id)
        return render_picture(spec)

    picture = Pictures(render=render).get(pose)
    assert picture is not None and picture.shape == PICTURE_SHAPE
    assert len(cache_files(tmp_path)) == 1
    assert np.array_equal(Pictures(render=render).get(pose), picture)
    assert calls == [KNEEL]
