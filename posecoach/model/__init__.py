"""Stage 3, the body in each frame: the BlazePose models on LiteRT (`blazepose`) behind one
`PoseEstimator` (`estimator`), the 33 `Landmarks` it finds (`landmarks`), landmark
recordings, which replay a performance without the model (`recording`, re-exporting
`recording_format`, `recording_write` and `recording_read`), and `opening`: a source opened
with the model it needs (none for a recording), as every command opens one.
"""
