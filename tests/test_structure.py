"""The package's shape, checked by tools/check_structure.py: each stage's folder imports only
from the stages before it, no private name is used across modules, no import cycle, and no
module outside synth/ over 600 lines."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_structure.py"


def load_checker():
    spec = importlib.util.spec_from_file_location("check_structure", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_package_follows_its_stages_with_no_cycle_private_import_or_long_module():
    assert load_checker().problems() == []


def test_every_module_lives_in_a_stage_folder():
    checker = load_checker()
    loose = [
        name
        for name in checker.modules()
        if name.count(".") == 1
        and name.split(".")[1] not in ("__main__",)
        and checker.layer(name) is None
    ]
    assert loose == []


def test_the_checker_finds_each_kind_of_problem(tmp_path, monkeypatch):
    checker = load_checker()
    package = tmp_path / "posecoach"
    for folder in ("config", "coaching"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "config" / "low.py").write_text(
        "from posecoach.coaching.high import thing\n" + "x = 1\n" * 601
    )
    (package / "coaching" / "high.py").write_text(
        "from posecoach.config import low\nthing = low._hidden\n"
    )
    monkeypatch.setattr(checker, "PACKAGE", package)
    found = "\n".join(checker.problems())
    assert "config/low.py: 602 lines, over 600" in found
    assert "config/low.py:1: imports posecoach.coaching.high, a later stage" in found
    assert "coaching/high.py:2: imports the private name _hidden of posecoach.config.low" in found
    assert "import cycle: posecoach.coaching.high -> posecoach.config.low" in found
