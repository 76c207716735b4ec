"""The synthetic performer: generated stretch clips with exact ground truth.

`figure` (the body and its kinematics) -> `stretches` and `motion` (what it does over time)
-> `camera` and `render` (how it looks) -> `clip` (the video and its truth sidecar).
"""
