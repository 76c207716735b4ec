"""The HTML report: one self-contained page per session (tables, the signals plot, faults,
cues, snapshots), its escaping of user text, the page as headless Chromium draws it, and
`posecoach replay --html`."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from posecoach.cli.main import EXIT_ERROR, EXIT_OK, main
from posecoach.coaching.coach import Coach
from posecoach.coaching.posefile import load_pose
from posecoach.config.errors import PosecoachError
from posecoach.model.recording import RecordingWriter
from posecoach.reports.htmlreport import (
    PLOT_WIDTH_PX,
    StretchSection,
    render_html,
    session_header,
    write_html,
)
from posecoach.reports.report import SessionReport
from posecoach.reports.signals import _COLORS as PLOT_COLORS
from posecoach.reports.signals import SignalTable
from posecoach.reports.summary import StretchSummary

from builders import RESOLUTION, half_kneeling

KNEEL = "half_kneeling_hip_flexor"
FPS = 30.0
FRAME_MS = 1000 / FPS
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
EVIL = "<script>alert(1)</script>"
QUOTES = "\"&'"
# The snapshots' colours (RGB), none of which the page or the plot uses.
BEST_RGB, WORST_RGB = (0, 160, 200), (140, 0, 120)


@dataclass(frozen=True)
class Shot:
    """A snapshot as the pipeline keeps one."""

    t_s: float
    score: float
    jpeg: bytes


@dataclass(frozen=True)
class Shots:
    best: Shot | None
    worst: Shot | None


def snapshot_jpeg(rgb: tuple[int, int, int], size_wh: tuple[int, int] = (320, 240)) -> bytes:
    """A small picture in one colour with a white disc, as JPEG."""
    width, height = size_wh
    image = np.full((height, width, 3), rgb[::-1], np.uint8)
    cv2.circle(image, (width // 2, height // 2), height // 4, (255, 255, 255), -1)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return encoded.tobytes()


def kneeling_plan() -> list[tuple[str | None, float]]:
    """The right side: 1 s upright, 1 s leaning 30 deg, 1 s upright; half a second nobody in
    view; the left side: 2 s upright (the coach takes about a second to see the switch)."""
    right = [("RIGHT", 0.0)] * 30 + [("RIGHT", 30.0)] * 30 + [("RIGHT", 0.0)] * 30
    return [*right, *[(None, 0.0)] * 15, *[("LEFT", 0.0)] * 60]


def kneeling_landmarks(back_leg: str | None, lean: float, i: int):
    if back_leg is None:
        return None
    return half_kneeling(
        torso_lean_deg=lean, back_leg=back_leg, timestamp_ms=i * FRAME_MS, frame_index=i
    )


@pytest.fixture(scope="module")
def session():
    """A two-sided half-kneeling hold, coached frame by frame: the report, the signal table
    of the same assessments, and snapshots (short stays: without the shortest stay)."""
    pose = dataclasses.replace(load_pose(KNEEL), stay_s=0.0)
    coach = Coach(pose)
    report = SessionReport(pose, "kneeling.mp4", "scripted")
    table = SignalTable(pose, "kneeling.mp4")
    for i, (back_leg, lean) in enumerate(kneeling_plan()):
        assessment = coach.update(kneeling_landmarks(back_leg, lean, i), i * FRAME_MS, i)
        report.add(assessment)
        table.add(assessment)
    shots = Shots(Shot(0.5, 1.0, snapshot_jpeg(BEST_RGB)), Shot(1.6, 0.5, snapshot_jpeg(WORST_RGB)))
    return pose, report.summary(fps=FPS), table, shots


@pytest.fixture(scope="module")
def page(session):
    pose, report, table, shots = session
    section = StretchSection.from_session(report, pose, table, shots)
    header = session_header(report, "2025-03-01T08:30:00+01:00", routine="Morning hips")
    return render_html("posecoach: morning", header, [section])


class Page(HTMLParser):
    """A page's tags and text: every start tag with its attributes, each table's rows of
    cell texts, and all the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "table":
            self.tables.append((attributes.get("class", ""), []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, css: str) -> list[list[str]]:
        return next(rows for name, rows in self.tables if name == css)

    def images(self, css: str) -> list[bytes]:
        """The bytes of each image of class `css` (data URIs only)."""
        found = []
        for tag, attributes in self.tags:
            if tag == "img" and attributes.get("class") == css:
                match = re.fullmatch(r"data:image/(png|jpeg);base64,(.+)", attributes["src"])
                assert match, attributes["src"][:60]
                found.append(base64.b64decode(match.group(2), validate=True))
        return found


def clock(seconds: float) -> str:
    tenths = round(seconds * 10)
    return f"{tenths // 600}:{tenths % 600 / 10:04.1f}"


# --- The page --------------------------------------------------------------------------------


def test_the_page_has_the_summary_the_sides_faults_cues_and_rules(session, page):
    report = session[1].to_dict()  # read as the report file has it
    parsed = Page(page)
    left, right = report["sides"]["left"], report["sides"]["right"]
    assert right["hold_s"] > 2 and left["hold_s"] > 0.5  # both sides were held
    assert [f["rule"] for f in report["faults"]] == ["torso_upright", "hip_forward"]

    header = dict(row for row in parsed.table("header"))
    assert header["Routine"] == "Morning hips"
    assert header["Started"] == "2025-03-01 08:30:00+01:00"
    assert header["Source"] == "kneeling.mp4"
    assert header["Session"] == "complete (end of input)"

    summary = parsed.table("summary")
    assert summary[0] == [
        "#", "Stretch", "Status", "Side", "Done / target", "Good form", "Range", "Faults"
    ]  # fmt: skip
    assert summary[1][:4] == ["1", "Half-kneeling hip-flexor stretch", "done", "left"]
    assert summary[1][4:] == [
        f"{left['hold_s']:.1f} of 30 s",
        f"{left['good_form_s']:.1f} s",
        f"{left['range']:.1f} deg",
        "2",
    ]
    assert summary[2] == [
        "right",
        f"{right['hold_s']:.1f} of 30 s",
        f"{right['good_form_s']:.1f} s",
        f"{right['range']:.1f} deg",
    ]
    difference = report["side_difference"]
    assert summary[3] == [
        "right minus left",
        f"{difference['hold_s']:+.1f} s",
        f"{difference['good_form_s']:+.1f} s",
        f"{difference['range']:+.1f} deg",
    ]

    sides = parsed.table("sides")
    assert sides[0] == ["Side", "Held / target", "Good form", "Range (hip_forward)"]
    assert [row[0] for row in sides[1:]] == ["left", "right", "right minus left"]
    assert sides[2][1:] == summary[2][1:]

    faults = parsed.table("faults")
    assert faults[0] == ["Rule", "Cue", "Side", "From", "To", "For"]
    for row, fault in zip(faults[1:], report["faults"], strict=True):
        length = fault["end_s"] - fault["start_s"]
        assert row == [
            fault["rule"],
            fault["cue"],
            "right",
            clock(fault["start_s"]),
            clock(fault["end_s"]),
            f"{length:.1f} s",
        ]
    assert faults[1][3] == "0:01.0"  # the lean began 1 s in

    cues = parsed.table("cues")
    assert cues[1:] == [[clock(cue["t_s"]), cue["text"]] for cue in report["cues"]]
    rules = dict(parsed.table("rules")[1:])
    assert rules["torso_upright"] == f"{report['rules']['torso_upright']:.0%}"
    text = " ".join(parsed.text)
    assert "Best moment, at 0:00.5: 100% of the form rules passing" in text
    assert "Worst moment, at 0:01.6: 50% of the form rules passing" in text


def test_the_images_are_data_uris_of_the_plot_and_the_snapshots(session, page):
    _, _, table, shots = session
    parsed = Page(page)
    (plot,) = parsed.images("plot")
    assert plot[:8] == PNG_MAGIC
    with Image.open(io.BytesIO(plot)) as image:
        assert image.size[0] == PLOT_WIDTH_PX
    assert plot == table.plot_png(PLOT_WIDTH_PX)  # the same drawing as --plot's
    assert parsed.images("snapshot") == [shots.best.jpeg, shots.worst.jpeg]
    for jpeg in parsed.images("snapshot"):
        assert jpeg[:3] == JPEG_MAGIC
        assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (240, 320, 3)


def test_the_page_is_self_contained(page):
    parsed = Page(page)
    links = [
        (tag, name, value)
        for tag, attributes in parsed.tags
        for name, value in attributes.items()
        if name in ("src", "href")
    ]
    assert len(links) == 4  # the summary's link to the stretch, the plot, two snapshots
    for tag, name, value in links:
        assert "http" not in value.lower(), (tag, name, value[:60])
        assert value.startswith("data:" if name == "src" else "#stretch-")
    lowered = page.lower()
    for needle in ("<script", "<link", "<iframe", "@import", "url(", "javascript:"):
        assert needle not in lowered
    assert "http" not in lowered  # no address anywhere
    assert sum(tag == "style" for tag, _ in parsed.tags) == 1  # the CSS is inline


def test_user_text_is_escaped_everywhere():
    evil = f"{EVIL}{QUOTES}"
    report = {
        "pose": evil,
        "pose_name": evil,
        "mode": "hold",
        "target": 30.0,
        "per_side": False,
        "source": evil,
        "duration_s": 12.0,
        "hold_s": 10.0,
        "good_form_s": 8.0,
        "range_rule": evil,
        "sides": {},
        "side_difference": None,
        "rules": {evil: 0.5},
        "cues": [{"t_s": 1.0, "text": evil}],
        "faults": [{"rule": evil, "cue": evil, "side": evil, "start_s": 1.0, "end_s": 2.0}],
        "overrides": {evil: {"value": 1.0, "from": evil}},
        "ended_by": evil,
        "complete": False,
    }
    header = {"routine": evil, "started_at": evil, "source": evil, "ended_by": evil}
    section = StretchSection(
        StretchSummary.from_dict(report), status=evil, description=evil, range_unit=evil
    )
    page = render_html(evil, header, [section])
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&amp;&#x27;" in page
    assert QUOTES not in page
    parsed = Page(page)
    assert not any(tag == "script" for tag, _ in parsed.tags)
    # Read back, the text is what was given.
    assert parsed.table("cues")[1] == ["0:01.0", evil]
    assert parsed.table("faults")[1][:3] == [evil, evil, evil]
    assert parsed.table("summary")[1][1:3] == [evil, evil]  # the stretch and its status
    assert dict(parsed.table("header"))["Routine"] == evil
    assert "".join(parsed.text).count(evil) >= 10


def test_a_skipped_stretch_and_one_not_done_per_side():
    counted = {
        "pose": "bridge",
        "pose_name": "Bridge",
        "mode": "reps",
        "target": 8.0,
        "per_side": False,
        "reps": 3,
        "good_form_s": 4.25,
        "sides": {},
        "faults": [],
        "cues": [],
    }
    stretches = [
        StretchSection(StretchSummary.from_dict(counted), "stopped"),
        StretchSection(StretchSummary(pose="pigeon", pose_name="Pigeon"), "skipped"),
    ]
    parsed = Page(render_html("two stretches", {}, stretches))
    summary = parsed.table("summary")
    assert summary[1] == ["1", "Bridge", "stopped", "both", "3 of 8 reps", "4.2 s", "\u2013", "0"]
    assert summary[2] == ["2", "Pigeon", "skipped", "", "\u2013", "\u2013", "\u2013", "0"]
    text = " ".join(parsed.text)
    assert "No faults" in text and "No cue was shown." in text
    assert "No signals plot for this stretch." in text
    assert "No snapshot: never in position." in text
    assert "Skipped: not coached." in text
    assert not parsed.images("plot") and not parsed.images("snapshot")


def test_write_html_replaces_the_file_whole(tmp_path, page):
    path = tmp_path / "out" / "report.html"
    stretch = StretchSection(StretchSummary(pose="bridge", pose_name="Bridge"), "skipped")
    assert write_html(path, "t", {}, [stretch]) == path
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary left
    with pytest.raises(PosecoachError, match=r"cannot write HTML report /proc/posecoach\.html"):
        write_html("/proc/posecoach.html", "t", {}, [stretch])


def test_plot_png_is_the_plot_as_bytes(tmp_path, session):
    _, _, table, _ = session
    png = table.plot_png(700)
    assert png[:8] == PNG_MAGIC
    table.plot(tmp_path / "plot.png", width_px=700)
    with Image.open(io.BytesIO(png)) as drawn, Image.open(tmp_path / "plot.png") as written:
        assert drawn.size == written.size
        assert np.array_equal(np.asarray(drawn), np.asarray(written))


# --- The page in a browser -------------------------------------------------------------------


def browser() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    pytest.skip("needs a browser: Debian's chromium is not installed (apt-get install chromium)")


def screenshot(page: Path, out: Path, size_wh: tuple[int, int] = (1200, 4000)) -> np.ndarray:
    """The page as headless Chromium draws it, (height, width, 3) RGB."""
    command = [
        browser(),
        "--headless=new",
        "--no-sandbox",  # as root in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--no-first-run",
        f"--user-data-dir={out.parent / 'chromium-profile'}",
        f"--window-size={size_wh[0]},{size_wh[1]}",
        f"--screenshot={out}",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    with Image.open(out) as image:
        return np.asarray(image.convert("RGB"))


def pixels(image: np.ndarray, rgb: str | tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels are within `tolerance` of the colour (per channel)."""
    if isinstance(rgb, str):
        rgb = (int(rgb[1:3], 16), int(rgb[3:5], 16), int(rgb[5:7], 16))
    difference = np.abs(image.astype(np.int16) - np.array(rgb, dtype=np.int16))
    return int((difference.max(axis=2) <= tolerance).sum())


PLOT_MARKS = ("pass", "fail", "threshold")  # the verdict bands and the threshold lines


def test_chromium_draws_the_plot_and_the_snapshots(tmp_path, page):
    with_plot = tmp_path / "report.html"
    with_plot.write_text(page, encoding="utf-8")
    without_plot = tmp_path / "no_plot.html"
    stripped, removed = re.subn(r'<img class="plot" [^>]*>', "", page)
    assert removed == 1
    without_plot.write_text(stripped, encoding="utf-8")

    shown = screenshot(with_plot, tmp_path / "with_plot.png")
    bare = screenshot(without_plot, tmp_path / "without_plot.png")
    assert shown.shape == bare.shape == (4000, 1200, 3)
    counts = {mark: pixels(shown, PLOT_COLORS[mark]) for mark in PLOT_MARKS}
    bare_counts = {mark: pixels(bare, PLOT_COLORS[mark]) for mark in PLOT_MARKS}
    print(f"plot colours with the plot {counts}, without {bare_counts}")
    # The plot, scaled to the page: a green band under 7 of its 8 panels nearly all along,
    # a red one under the lean on two, dashed orange thresholds on most.
    assert counts["pass"] > 20_000
    assert counts["fail"] > 1_000
    assert counts["threshold"] > 100
    assert all(count < 50 for count in bare_counts.values()), bare_counts
    # Both snapshots are on screen, scaled up from 320x240, in both renders.
    for image in (shown, bare):
        for rgb in (BEST_RGB, WORST_RGB):
            assert pixels(image, rgb, tolerance=16) > 320 * 240 * 0.7
    print(
        "snapshot pixels with the plot",
        [pixels(shown, rgb, tolerance=16) for rgb in (BEST_RGB, WORST_RGB)],
    )


# --- posecoach replay --html -----------------------------------------------------------------


def kneeling_recording(path: Path) -> Path:
    """The fixture's session as a landmark recording (replays without the model)."""
    with RecordingWriter(path, model="scripted", source=path.name, fps=FPS) as writer:
        for i, (back_leg, lean) in enumerate(kneeling_plan()):
            landmarks = kneeling_landmarks(back_leg, lean, i)
            writer.write(landmarks, i * FRAME_MS, i, RESOLUTION)
    return path


def test_replay_writes_the_html_report(tmp_path, capsys):
    recording = kneeling_recording(tmp_path / "kneeling.pcrec")
    page_path = tmp_path / "pages" / "kneeling.html"
    code = main(
        [
            "replay",
            str(recording),
            "--pose",
            KNEEL,
            "--no-window",
            "--report",
            str(tmp_path / "kneeling.json"),
            "--out",
            str(tmp_path / "kneeling.mp4"),
            "--html",
            str(page_path),
        ]
    )
    assert code == EXIT_OK
    assert f"html:   {page_path}" in capsys.readouterr().out
    page = page_path.read_text(encoding="utf-8")
    parsed = Page(page)
    assert [row[0] for row in parsed.table("faults")[1:]] == ["torso_upright", "hip_forward"]
    assert dict(parsed.table("header"))["Source"].endswith("kneeling.pcrec")
    (plot,) = parsed.images("plot")
    assert plot[:8] == PNG_MAGIC
    snapshots = parsed.images("snapshot")
    assert len(snapshots) == 2  # drawn by the session: the best and the worst moment
    assert all(jpeg[:3] == JPEG_MAGIC for jpeg in snapshots)
    text = " ".join(parsed.text)
    assert "Best moment, at" in text and "100% of the form rules passing" in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("report.htm", "cannot write HTML report {}: expected a .html file name, got .htm"),
        ("a_file/report.html", "cannot write HTML report {}: cannot create its folder"),
    ],
)
def test_a_bad_html_path_is_refused_before_the_run(tmp_path, capsys, name, message):
    (tmp_path / "a_file").write_text("not a folder")
    path = tmp_path / name
    code = main(["replay", str(tmp_path / "not_read.mp4"), "--pose", KNEEL, "--html", str(path)])
    assert code == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"posecoach: error: {message.format(path)}")


def test_html_is_for_one_source(tmp_path, capsys):
    first = kneeling_recording(tmp_path / "a.pcrec")
    second = kneeling_recording(tmp_path / "b.pcrec")
    code = main(
        ["replay", str(first), str(second), "--pose", KNEEL, "--html", str(tmp_path / "r.html")]
    )
    assert code == EXIT_ERROR
    assert "an HTML report is for one source" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
