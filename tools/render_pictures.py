"""Render the reference picture of every built-in stretch (or of the ids given) to
poses/pictures/<id>.png, the pictures posecoach ships. Run it after changing the synthetic
performer or a built-in pose file, and commit the pictures.

    python tools/render_pictures.py [ID ...]
    python tools/render_pictures.py --check     # exit 1 when a shipped picture is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from posecoach.coaching.posefile import load_pose_file, pose_paths
from posecoach.inputs.files import atomic_output
from posecoach.output.pictures import PICTURES_FOLDER, encode_png, read_picture
from posecoach.synth.picture import render_picture

OUT = Path(__file__).resolve().parent.parent / "poses" / PICTURES_FOLDER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="built-in stretches to render (default: all)")
    parser.add_argument(
        "--check", action="store_true", help="compare with the shipped pictures, write nothing"
    )
    args = parser.parse_args(argv)
    builtin = pose_paths()  # no extra folders: the built-in pose files only
    unknown = sorted(set(args.ids) - set(builtin))
    if unknown:
        parser.error(f"not built-in: {', '.join(unknown)}; expecting some of {', '.join(builtin)}")
    stale = []
    for pose_id in args.ids or sorted(builtin):
        picture = render_picture(load_pose_file(builtin[pose_id]))
        path = OUT / f"{pose_id}.png"
        if args.check:
            shipped = read_picture(path)
            if shipped is None or not np.array_equal(shipped, picture):
                stale.append(pose_id)
            continue
        data = encode_png(picture)
        with atomic_output(path, binary=True) as stream:
            stream.write(data)
        height, width = picture.shape[:2]
        print(f"{path.relative_to(OUT.parent.parent)}: {width}x{height}, {len(data) / 1024:.0f} KB")
    if stale:
        print(f"out of date (run python tools/render_pictures.py): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
