"""Coach the bundled samples (and the real bridge clip, where ../shared/footage is present)
with a given `posecoach` and keep the session reports and per-frame signals; then compare two
such folders field for field, timing and file locations aside.

    python tools/compare_reports.py run  BIN/posecoach  DIR     # DIR: the reports, signals
    python tools/compare_reports.py diff DIR_A DIR_B            # prints every difference

`diff` exits 1 when the folders differ.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = ROOT.parent / "shared" / "footage"
# Fields that measure the machine or name where files are, not what the coach found.
IGNORED = {"timing", "pose_file", "source"}


def clips() -> list[tuple[str, Path, str]]:
    """(name, clip, pose id) for every bundled sample and the real bridge clip."""
    found = []
    for truth in sorted((ROOT / "samples").glob("*.truth.json")):
        video = truth.with_name(truth.name.replace(".truth.json", ".mp4"))
        found.append((video.stem, video, json.loads(truth.read_text())["pose"]))
    bridge = FOOTAGE / "physioplus" / "bridging.mp4"
    if bridge.exists():
        found.append(("physioplus_bridging", bridge, "bridge"))
    return found


def run(posecoach: str, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, clip, pose in clips():
        command = [
            posecoach,
            "replay",
            str(clip),
            "--pose",
            pose,
            "--no-window",
            "--report",
            str(out / f"{name}.json"),
            "--signals",
            str(out / f"{name}.csv"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        print(f"{name}: exit {result.returncode}")
        (out / f"{name}.exit").write_text(f"{result.returncode}\n")
    return 0


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if key in IGNORED:
                continue
            if key not in a or key not in b:
                found.append(f"{where}.{key}: only in {'second' if key not in a else 'first'}")
            else:
                found += differences(a[key], b[key], f"{where}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} against {b!r}"]


def diff(first: Path, second: Path) -> int:
    found = []
    names = sorted({p.name for p in first.iterdir()} | {p.name for p in second.iterdir()})
    for name in names:
        a, b = first / name, second / name
        if not (a.exists() and b.exists()):
            found.append(f"{name}: only in {first if a.exists() else second}")
        elif name.endswith(".json"):
            found += [
                f"{name}{d}"
                for d in differences(json.loads(a.read_text()), json.loads(b.read_text()))
            ]
        elif a.read_bytes() != b.read_bytes():
            found.append(f"{name}: differs")
    for line in found:
        print(line)
    print(f"{len(names)} files compared, {len(found)} differences")
    return 1 if found else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "run":
        return run(argv[1], Path(argv[2]))
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
