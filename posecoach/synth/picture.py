"""A reference picture of a stretch's target position: the performer holding it, seen from the
stretch's own view (side-on, or face-on for the butterfly), zoomed in on the body with the
room around it, as in the clips.

The picture is a frame of a short generated clip: the middle of the first hold, judged in
position and in good form by the pose file's own rules, or for a rep stretch the top of the
first rep. Any pose file whose id has a motion script (`STRETCH_MOTIONS`) can be pictured; for
any other id `render_picture` raises SynthError. The same pose file and size give the same
picture, byte for byte (with the same posecoach and OpenCV versions).
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np

from posecoach.coaching.posefile import Mode, PoseSpec, View
from posecoach.synth.clip import Clip, ClipSpec, SynthError, TruthFrame
from posecoach.synth.motion import Phase

PICTURE_WH = (480, 360)
_SEED = 0  # one performer and room for every stretch's picture
_FPS = 10.0  # frames of the short clip the picture is taken from; its truth picks the frame
_HOLD_S = 4.0
_MARGIN = 0.1  # room left around the body on each side, as a share of its larger extent
_PEAK_BAND = 0.03  # frames within this share of the counter's range of a rep's peak are the top


def picture_spec(pose: PoseSpec, size_wh: tuple[int, int] = PICTURE_WH) -> ClipSpec:
    """The short clip a picture of `pose` is taken from: one hold or one rep, on the first
    side, from the stretch's view, the performer facing image right."""
    return ClipSpec(
        pose_id=pose.id,
        sides=("left",) if pose.per_side else (None,),
        reps=1,
        hold_s=_HOLD_S,
        view="front" if pose.view is View.FRONT else "side",
        seed=_SEED,
        size_wh=size_wh,
        fps=_FPS,
        facing="right",
    )


def render_picture(pose: PoseSpec, size_wh: tuple[int, int] = PICTURE_WH) -> np.ndarray:
    """The picture of `pose`'s target position: BGR uint8, (height, width, 3) of `size_wh`.

    Raises SynthError when the performer has no motion for `pose.id`, or never gets into the
    position by the pose file's rules."""
    width, height = size_wh
    if width < 16 or height < 16:
        raise SynthError(f"a picture must be at least 16x16 pixels: got {width}x{height}")
    clip = Clip(picture_spec(pose, size_wh), pose)
    index = chosen_frame(clip)
    x0, y0, x1, y1 = _crop_box(_body_box(clip, index), size_wh)
    # Render again, scaled so the crop comes out at about the picture's size: no upscaling blur,
    # and lines and edges as thin as in the clips.
    zoom = width / (x1 - x0)
    scaled_wh = (round(width * zoom), round(height * zoom))
    large = Clip(picture_spec(pose, scaled_wh), pose).still(index)
    crop = large[round(y0 * zoom) : round(y1 * zoom), round(x0 * zoom) : round(x1 * zoom)]
    return cv2.resize(crop, size_wh, interpolation=cv2.INTER_AREA)


def chosen_frame(clip: Clip) -> int:
    """The index of the frame that shows the position best.

    Holds: the first stay in the position (truly in position while the script holds), and in
    it the middle of the longest run of frames in which every rule passes (else the middle of
    the stay). Reps: the first full rep's top, where the counter's signal is nearest its peak.
    """
    frames = clip.truth_frames()
    counter = clip.pose.counter
    if clip.pose.mode is Mode.REPS and counter is not None:
        rep = next((r for r in clip.script.reps() if r.full), None)
        if rep is not None:
            during = [
                f
                for f in frames
                if rep.start_s <= f.t_s <= rep.end_s and f.values.get(counter.signal) is not None
            ]
            if during:
                sign = 1.0 if counter.rising else -1.0

                def height(frame: TruthFrame) -> float:
                    return sign * float(frame.values[counter.signal])  # type: ignore[arg-type]

                top = max(height(f) for f in during)
                band = _PEAK_BAND * abs(counter.peak - counter.start)
                return _middle([f for f in during if height(f) >= top - band])
    held = [f.in_position and f.phase is Phase.IN_POSE for f in frames]
    stay = _first_run(frames, held) or _first_run(frames, [f.in_position for f in frames])
    if not stay:
        raise SynthError(
            f"the performer never gets into the position of {clip.pose.id} by the rules of "
            f"{clip.pose.path}: no picture of it can be taken"
        )
    good = [all(p is not False for p in f.passes.values()) for f in stay]
    runs = [list(run) for ok, run in _runs(stay, good) if ok]
    return _middle(max(runs, key=len) if runs else stay)


def _runs(frames: list[TruthFrame], flags: list[bool]) -> list[tuple[bool, list[TruthFrame]]]:
    """The frames in consecutive runs of equal flags: (flag, frames) per run, in order."""
    paired = zip(flags, frames, strict=True)
    return [(flag, [f for _, f in run]) for flag, run in itertools.groupby(paired, lambda p: p[0])]


def _first_run(frames: list[TruthFrame], flags: list[bool]) -> list[TruthFrame]:
    return next((run for flag, run in _runs(frames, flags) if flag), [])


def _middle(frames: list[TruthFrame]) -> int:
    return frames[(len(frames) - 1) // 2].index


def _body_box(clip: Clip, index: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) pixels around the performer drawn in frame `index` and the props the
    motion uses (the bench under a raised foot)."""
    drawn = np.any(clip.still(index) != clip.renderer.room(), axis=2)
    ys, xs = np.nonzero(drawn)
    if xs.size == 0:
        raise SynthError(f"the performer of {clip.pose.id} is out of view in frame {index}")
    x0, y0 = float(np.min(xs)), float(np.min(ys))
    x1, y1 = float(np.max(xs)) + 1, float(np.max(ys)) + 1
    for box in clip.renderer.props:
        corners = np.array(list(itertools.product(*zip(box.low_m, box.high_m, strict=True))))
        px, _ = clip.camera.project(corners)
        x0, y0 = min(x0, float(px[:, 0].min())), min(y0, float(px[:, 1].min()))
        x1, y1 = max(x1, float(px[:, 0].max())), max(y1, float(px[:, 1].max()))
    return x0, y0, x1, y1


def _crop_box(
    body: tuple[float, float, float, float], size_wh: tuple[int, int]
) -> tuple[float, float, float, float]:
    """The part of the frame to show: `body` with a margin, widened to the frame's shape, and
    moved inside the frame (the whole frame when the body fills it)."""
    width, height = size_wh
    x0, y0, x1, y1 = body
    margin = _MARGIN * max(x1 - x0, y1 - y0)
    crop_w = max(x1 - x0 + 2 * margin, (y1 - y0 + 2 * margin) * width / height)
    crop_w = min(crop_w, float(width))
    crop_h = crop_w * height / width
    left = min(max((x0 + x1 - crop_w) / 2, 0.0), width - crop_w)
    top = min(max((y0 + y1 - crop_h) / 2, 0.0), height - crop_h)
    if not all(math.isfinite(v) for v in (left, top, crop_w, crop_h)):
        raise SynthError(f"cannot frame the body in a {width}x{height} picture")
    return left, top, left + crop_w, top + crop_h
