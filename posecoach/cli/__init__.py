"""The `posecoach` command: the parser and the commands (`main`), replay over many files
(`batch`) and the guided session (`session`).
"""
