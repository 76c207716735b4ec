from posecoach.cli.main import run

run()
