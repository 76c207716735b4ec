"""posecoach: a camera-based coach for psoas and hip-flexor stretches."""

__version__ = "0.1.0"
