from posecoach.cli import run

run()
