"""Stage 2, the body in each frame: the BlazePose models on LiteRT (`blazepose`) behind one
`PoseEstimator` (`estimator`), the 33 `Landmarks` it finds (`landmarks`), and landmark
recordings, which replay a performance without the model (`recording`).
"""
