"""Stage 2, frames in: a video file, a folder of photos or a camera, as one `FrameSource`
of timestamped frames (`sources`); files written whole or not at all (`files`).
"""
