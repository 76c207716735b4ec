"""Nothing leaves the machine: coaching works with no network and tries none.

A camera pointed at someone's living room must never send anything anywhere. The pose model
runs in-process from files in the package; these tests show that a replay (which loads the
model, runs it on every frame and writes the report and the video) works with the network
gone and does not so much as open a socket.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from posecoach.cli.main import EXIT_OK, main

from conftest import REPO

pytestmark = pytest.mark.model

SAMPLE = REPO / "samples" / "bridge_partial_rep.mp4"


def _replay_args(tmp_path: Path) -> list[str]:
    return [
        "replay",
        str(SAMPLE),
        "--pose",
        "bridge",
        "--no-window",
        "--report",
        str(tmp_path / "report.json"),
        "--out",
        str(tmp_path / "annotated.mp4"),
    ]


def test_a_replay_works_with_sockets_that_fail_and_opens_none(tmp_path, monkeypatch):
    attempts: list[str] = []

    class NoSocket(socket.socket):
        def __init__(self, *args: object, **kwargs: object) -> None:
            attempts.append(f"socket{args}")
            raise OSError("the network is off in this test")

    def no_lookup(*args: object, **kwargs: object) -> None:
        attempts.append(f"getaddrinfo{args}")
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", no_lookup)
    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    assert main(_replay_args(tmp_path)) == EXIT_OK
    assert json.loads((tmp_path / "report.json").read_text())["reps"] == 3
    assert attempts == []


def _network_namespace() -> list[str] | None:
    """A command prefix running a command with no network (a namespace of its own, with only
    a loopback that is down): as root, or as a user where user namespaces are allowed."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    for prefix in ([unshare, "-n"], [unshare, "-rn"]):
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return None


def test_a_replay_in_a_network_namespace_makes_no_network_call(tmp_path):
    """The whole process, native code included, under strace in a namespace with no network:
    no socket of an internet family is opened, no such address connected or sent to. (A local
    socket, such as a name-service lookup of the user, would not leave the machine and is
    not counted; there is none today.)"""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("needs strace to see system calls (apt-get install strace)")
    namespace = _network_namespace()
    if namespace is None:
        pytest.skip(
            "cannot make a network namespace here (unshare -n needs root or user namespaces)"
        )
    trace = tmp_path / "network_calls.txt"
    command = [strace, "-f", "-qq", "-e", "trace=%network", "-o", str(trace)]
    command += [*namespace, sys.executable, "-m", "posecoach", *_replay_args(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads((tmp_path / "report.json").read_text())["reps"] == 3
    assert (tmp_path / "annotated.mp4").stat().st_size > 10_000
    calls = trace.read_text().splitlines()
    outward = [c for c in calls if "AF_INET" in c or "AF_NETLINK" in c or "AF_PACKET" in c]
    assert outward == [], "network system calls:\n" + "\n".join(outward)
