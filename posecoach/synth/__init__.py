"""Stage 8, the synthetic performer: generated stretch clips with exact ground truth.

`figure` (the body and its kinematics) and `postures` -> `stretches` (with `kneeling` and
`floor`), `lookalikes` and `motion` (what it does over time) -> `camera` and `render` (how it
looks) -> `clip` (the video and its truth sidecar) -> `evalset` (a labelled set of clips for
`posecoach eval`) and `picture` (a still of each stretch's target position, for the window).
"""

# The look-alike exercises' ids, in the order `lookalikes.LOOKALIKES` defines them: here, so
# the command line can list them without loading the renderer.
LOOKALIKE_IDS = (
    "forward_lunge",
    "reverse_lunge",
    "static_lunge",
    "dead_bug",
    "double_leg_tabletop",
    "leg_raises",
    "hollow_hold",
    "seated_knee_tucks",
    "sit_ups",
    "happy_baby",
    "childs_pose",
    "downward_dog",
    "tabletop",
    "cat_cow",
    "plank",
    "cobra",
)
