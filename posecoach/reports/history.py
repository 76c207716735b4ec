"""Progress over time: every session's numbers (never video or images) kept in a SQLite
database in the per-user data folder, and the per-stretch series `posecoach history` shows.

Saving never loses a session. A database another process holds locked past the busy timeout,
one written by a newer posecoach, or one that cannot be written at all: the session goes, as
one JSON line, to a pending file beside it (`NAME.pending.jsonl`), added the next time the
database opens fine. A damaged database (not a database, malformed) is moved aside to
`NAME.corrupt-YYYYmmdd-HHMMSS` and a new one started. Each case gives one line for the user
(`Saved.messages`); library code prints nothing.

Every session carries a random `uid`, unique in the database, so a pending session imported
twice (a crash between the import and the pending file's removal) is stored once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecoach import __version__
from posecoach.config.errors import PosecoachError
from posecoach.inputs.files import atomic_output

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HISTORY_ENV = "POSECOACH_HISTORY"
DB_NAME = "history.sqlite3"
SCHEMA_VERSION = 1  # PRAGMA user_version of the database this posecoach writes
BUSY_TIMEOUT_S = 5.0  # how long a save waits for another process's write lock
READ_AFTER_BUSY_S = 1.0  # reading, after adding the pending sessions waited in vain
TREND_SESSIONS = 3  # the trend compares the mean of the last N sessions with the first N
KINDS = ("session", "live", "replay")  # a guided session, a live stretch, a replayed file
STATUSES = ("done", "skipped", "stopped")
SIDES = ("left", "right")
BOTH = "both"  # the side of a stretch not done per side
PENDING_LINE_VERSION = 1

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CORRUPT, _SQLITE_NOTADB = 5, 6, 11, 26

_SCHEMA = (
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL,  -- ISO 8601 with the UTC offset
        kind TEXT NOT NULL CHECK (kind IN ('session', 'live', 'replay')),
        routine TEXT,
        routine_name TEXT,
        source TEXT,
        duration_s REAL,
        complete INTEGER NOT NULL,
        ended_by TEXT,
        posecoach_version TEXT
    )""",
    """CREATE TABLE stretches (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,  -- order in the session, from 0
        pose TEXT NOT NULL,
        pose_name TEXT NOT NULL,
        mode TEXT NOT NULL,  -- hold or reps
        per_side INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'skipped', 'stopped')),
        duration_s REAL,
        complete INTEGER,
        ended_by TEXT,
        range_rule TEXT,  -- the rule whose value is the sides' range
        UNIQUE (session_id, position)
    )""",
    """CREATE TABLE sides (
        stretch_id INTEGER NOT NULL REFERENCES stretches (id) ON DELETE CASCADE,
        side TEXT NOT NULL CHECK (side IN ('left', 'right', 'both')),
        reps INTEGER NOT NULL,
        hold_s REAL NOT NULL,
        good_form_s REAL,  -- seconds in position with no form rule failing
        range REAL,  -- how far the stretch went, in the range rule's unit
        best_rep REAL,
        rule_medians TEXT NOT NULL,  -- JSON: rule id -> median value while in position
        faults INTEGER NOT NULL,
        PRIMARY KEY (stretch_id, side)
    )""",
    "CREATE INDEX stretches_by_pose ON stretches (pose)",
)


class HistoryError(PosecoachError):
    """History that cannot be read, or a session that could be saved nowhere."""


class _Refused(Exception):
    """A database this posecoach must not write: a newer schema, or not a posecoach history."""


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """The history database: `$POSECOACH_HISTORY` if set, else
    `$XDG_DATA_HOME/posecoach/history.sqlite3`, else the platform's per-user data folder
    (`~/.local/share`, `~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on
    Windows). `environ` defaults to the process environment."""
    env = os.environ if environ is None else environ
    chosen = env.get(HISTORY_ENV, "")
    if chosen:
        return Path(chosen).expanduser()
    data = env.get("XDG_DATA_HOME", "")
    if data and Path(data).is_absolute():  # the XDG spec ignores a relative one
        base = Path(data)
    elif sys.platform == "win32":
        local = env.get("LOCALAPPDATA", "")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path.home() / ".local" / "share"
    return base / "posecoach" / DB_NAME


# --- What is stored ---------------------------------------------------------------------


@dataclass(frozen=True)
class SideRecord:
    """One side's numbers for one stretch of a session (`side` "both" when the stretch is
    not done per side)."""

    side: str
    reps: int
    hold_s: float
    good_form_s: float | None
    range: float | None  # how far the stretch went, in the unit of the stretch's range rule
    best_rep: float | None
    rule_medians: dict[str, float]
    faults: int  # form faults flagged on this side


@dataclass(frozen=True)
class StretchRecord:
    """One stretch of a session: its numbers per side (none when skipped)."""

    pose: str
    pose_name: str
    mode: str  # "hold" or "reps"
    per_side: bool
    status: str  # "done", "skipped" or "stopped"
    duration_s: float | None
    complete: bool | None
    ended_by: str | None
    range_rule: str | None
    sides: tuple[SideRecord, ...]


@dataclass(frozen=True)
class SessionRecord:
    """What the history keeps of one session: numbers and names only."""

    uid: str
    started_at: datetime  # timezone-aware
    kind: str  # one of KINDS
    routine: str | None
    routine_name: str | None
    source: str | None
    duration_s: float | None
    complete: bool
    ended_by: str | None
    posecoach_version: str | None
    stretches: tuple[StretchRecord, ...]

    @classmethod
    def from_session(cls, session: Mapping[str, Any]) -> SessionRecord:
        """From a guided session's JSON (`kind` "session", `stretches` each with `pose`,
        `pose_name`, `status` and `report`). HistoryError when something is missing."""
        where = "session"
        kind = _text(session, "kind", where, default="session")
        if kind not in KINDS:
            raise HistoryError(f"{where}: expected a kind of {', '.join(KINDS)}, got {kind!r}")
        stretches = session.get("stretches")
        if not isinstance(stretches, list):
            raise HistoryError(f"{where}: expected a list of stretches, got {stretches!r}")
        return cls(
            uid=uuid.uuid4().hex,
            started_at=_when(session.get("started_at"), where),
            kind=kind,
            routine=_text(session, "routine", where, default=None),
            routine_name=_text(session, "routine_name", where, default=None),
            source=_text(session, "source", where, default=None),
            duration_s=_number(session, "duration_s", where, default=None),
            complete=bool(session.get("complete", True)),
            ended_by=_text(session, "ended_by", where, default=None),
            posecoach_version=__version__,
            stretches=tuple(
                _stretch_record(item, f"{where}: stretch {i + 1}")
                for i, item in enumerate(stretches)
            ),
        )

    @classmethod
    def from_report(
        cls, report: Mapping[str, Any], kind: str, started_at: datetime | str | None
    ) -> SessionRecord:
        """From one stretch's report (`SessionReport.to_dict()`), coached live or replayed."""
        complete = bool(report.get("complete", True))
        return cls.from_session(
            {
                "kind": kind,
                "started_at": started_at,
                "source": report.get("source"),
                "duration_s": report.get("duration_s"),
                "complete": complete,
                "ended_by": report.get("ended_by"),
                "stretches": [
                    {
                        "pose": report.get("pose"),
                        "pose_name": report.get("pose_name"),
                        "status": "done" if complete else "stopped",
                        "report": report,
                    }
                ],
            }
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        return {"pending_version": PENDING_LINE_VERSION, **data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionRecord:
        """The inverse of `to_json` (a pending line); KeyError, TypeError or ValueError when
        it is not one."""
        if data.get("pending_version") != PENDING_LINE_VERSION:
            raise ValueError(f"unknown pending_version {data.get('pending_version')!r}")
        fields = {k: v for k, v in data.items() if k != "pending_version"}
        fields["started_at"] = _when(fields["started_at"], "pending session")
        fields["stretches"] = tuple(
            StretchRecord(
                **{
                    **stretch,
                    "sides": tuple(SideRecord(**side) for side in stretch["sides"]),
                }
            )
            for stretch in fields["stretches"]
        )
        return cls(**fields)


def _stretch_record(item: Any, where: str) -> StretchRecord:
    if not isinstance(item, Mapping):
        raise HistoryError(f"{where}: expected an object, got {item!r}")
    report = item.get("report")
    if report is not None and not isinstance(report, Mapping):
        raise HistoryError(f"{where}: expected the report as an object, got {report!r}")
    report = report or {}
    pose = item.get("pose") or report.get("pose")
    if not isinstance(pose, str) or not pose:
        raise HistoryError(f"{where}: expected the stretch's pose id, got {pose!r}")
    where = f"{where} ({pose})"
    status = _text(item, "status", where, default="done" if report else "skipped")
    if status == "not reached":  # a guided session that ended before this stretch
        status = "skipped"
    if status not in STATUSES:
        raise HistoryError(f"{where}: expected a status of {', '.join(STATUSES)}, got {status!r}")
    mode = _text(report, "mode", where, default="hold")
    return StretchRecord(
        pose=pose,
        pose_name=str(item.get("pose_name") or report.get("pose_name") or pose),
        mode=mode,
        per_side=bool(report.get("per_side", False)),
        status=status,
        duration_s=_number(report, "duration_s", where, default=None),
        complete=bool(report["complete"]) if "complete" in report else None,
        ended_by=_text(report, "ended_by", where, default=None),
        range_rule=_text(report, "range_rule", where, default=None),
        sides=_side_records(report, mode, where) if report else (),
    )


def _side_records(report: Mapping[str, Any], mode: str, where: str) -> tuple[SideRecord, ...]:
    """Per side "left" and "right" from the report's `sides`; one "both" from its totals when
    the stretch is not done per side (or no side was reached)."""
    faults = report.get("faults") or []
    if not isinstance(faults, list):
        raise HistoryError(f"{where}: expected a list of faults, got {faults!r}")
    sides = report.get("sides") or {}
    if not isinstance(sides, Mapping):
        raise HistoryError(f"{where}: expected sides as an object, got {sides!r}")
    records = []
    for side in SIDES:
        numbers = sides.get(side)
        if numbers is None:
            continue
        if not isinstance(numbers, Mapping):
            raise HistoryError(f"{where}: expected side {side} as an object, got {numbers!r}")
        side_faults = sum(1 for f in faults if isinstance(f, Mapping) and f.get("side") == side)
        records.append(_side_record(side, numbers, mode, side_faults, f"{where}, {side} side"))
    if not records:
        records.append(_side_record(BOTH, report, mode, len(faults), where))
    return tuple(records)


def _side_record(
    side: str, numbers: Mapping[str, Any], mode: str, faults: int, where: str
) -> SideRecord:
    best_rep = _number(numbers, "best_rep", where, default=None)
    if "range" in numbers:
        range_ = _number(numbers, "range", where, default=None)
    else:  # a report from before `range`: a rep stretch's range is its best rep
        range_ = best_rep if mode == "reps" else None
    medians = numbers.get("rule_medians") or {}
    if not isinstance(medians, Mapping):
        raise HistoryError(f"{where}: expected rule_medians as an object, got {medians!r}")
    return SideRecord(
        side=side,
        reps=int(_number(numbers, "reps", where, default=0) or 0),
        hold_s=_number(numbers, "hold_s", where, default=0.0) or 0.0,
        good_form_s=_number(numbers, "good_form_s", where, default=None),
        range=range_,
        best_rep=best_rep,
        rule_medians={
            str(rule): float(value)
            for rule, value in medians.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        },
        faults=faults,
    )


def _text(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise HistoryError(f"{where}: expected text for {key}, got {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HistoryError(f"{where}: expected a number for {key}, got {value!r}")
    return float(value)


def _when(value: Any, where: str) -> datetime:
    """An ISO 8601 time (a naive one is local time) or a datetime, made timezone-aware; now
    when None."""
    if value is None:
        return datetime.now().astimezone()
    if isinstance(value, str):
        try:
            # Python 3.10 reads no "Z"; it is "+00:00".
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise HistoryError(
                f"{where}: expected started_at as an ISO 8601 time, got {value!r}"
            ) from None
    if not isinstance(value, datetime):
        raise HistoryError(f"{where}: expected started_at as a time, got {value!r}")
    return value if value.tzinfo is not None else value.astimezone()


# --- Saving -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """Where a session went: the database, or (`pending`) the pending file beside it."""

    uid: str | None  # the session's, or None when there was none (an import only)
    path: Path
    pending: bool
    messages: tuple[str, ...]  # one line each for the user: a file moved aside, ...


class History:
    """The history database at `path` (default: `default_path()`) and its pending file.

    `busy_timeout_s`: how long to wait for another process's lock before keeping a session
    in the pending file (or, reading, giving up); default BUSY_TIMEOUT_S."""

    def __init__(self, path: str | Path | None = None, busy_timeout_s: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.busy_timeout_s = BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s

    @property
    def pending_path(self) -> Path:
        """`NAME.pending.jsonl` beside the database (NAME without its suffix)."""
        return self.path.with_name(f"{self.path.stem}.pending.jsonl")

    @property
    def unreadable_path(self) -> Path:
        """Where pending lines that cannot be read (cut off by a crash) are kept."""
        return self.path.with_name(f"{self.path.stem}.pending-unreadable.jsonl")

    def record_session(self, session: Mapping[str, Any]) -> Saved:
        """Save a guided session (its JSON as `posecoach session` writes it)."""
        return self.save(SessionRecord.from_session(session))

    def record_report(
        self,
        report: Mapping[str, Any],
        kind: str = "live",
        started_at: datetime | str | None = None,
    ) -> Saved:
        """Save one stretch's report, coached live (`kind` "live") or replayed ("replay");
        `started_at` defaults to now."""
        return self.save(SessionRecord.from_report(report, kind, started_at))

    def save(self, record: SessionRecord | None) -> Saved:
        """Add `record` (None: only the pending sessions) in one transaction, with the
        pending sessions; or keep it in the pending file, saying why. HistoryError only when
        it could be kept nowhere."""
        messages: list[str] = []
        reason = ""
        for attempt in range(2):
            try:
                messages += self._write(record)
                uid = None if record is None else record.uid
                return Saved(uid, self.path, False, tuple(messages))
            except sqlite3.Error as error:
                problem = _problem(error)
                if problem == "corrupt" and attempt == 0:
                    try:
                        moved = self._move_aside()
                        messages.append(
                            f"history database {self.path} was damaged ({_one_line(error)}): "
                            f"moved it to {moved} and started a new one"
                        )
                        continue
                    except OSError as move_error:
                        reason = (
                            f"history database {self.path} is damaged ({_one_line(error)}) and "
                            f"could not be moved aside ({move_error.strerror or move_error})"
                        )
                elif problem == "busy":
                    reason = f"history database {self.path} is busy (another posecoach running?)"
                else:
                    reason = f"cannot write history database {self.path} ({_one_line(error)})"
            except _Refused as refused:
                reason = str(refused)
            except OSError as error:
                reason = f"cannot write history database {self.path} ({error.strerror or error})"
            break
        if record is None:
            waiting = len(self._pending_records()[0])
            if waiting:
                messages.append(
                    f"{reason}: {waiting} session(s) kept in {self.pending_path} wait to be added"
                )
            return Saved(None, self.pending_path, True, tuple(messages))
        try:
            self._keep_pending(record)
        except OSError as error:
            raise HistoryError(
                f"{reason}, and the session could not be kept in {self.pending_path} either "
                f"({error.strerror or error})"
            ) from error
        messages.append(
            f"{reason}: this session was kept in {self.pending_path} and will be added next time"
        )
        return Saved(record.uid, self.pending_path, True, tuple(messages))

    def load(self) -> tuple[list[SessionRecord], list[str]]:
        """Every session, oldest first, and lines for the user. Pending sessions are added
        to the database first when it is free, and shown either way. A damaged database is
        moved aside (history starts again empty). HistoryError when the database is busy past
        the timeout, or refused."""
        messages: list[str] = []
        wait_s = self.busy_timeout_s
        if self._pending_files():
            imported = self.save(None)
            messages += imported.messages
            if imported.pending:  # waited once already: a reader only needs a brief pause
                wait_s = min(wait_s, READ_AFTER_BUSY_S)
        records: dict[str, SessionRecord] = {}
        if self.path.exists():
            try:
                records = {r.uid: r for r in self._read(wait_s)}
            except sqlite3.Error as error:
                problem = _problem(error)
                if problem == "busy":
                    raise HistoryError(
                        f"history database {self.path} is busy (another posecoach is saving a "
                        "session?): try again in a moment"
                    ) from error
                if problem != "corrupt":
                    raise HistoryError(
                        f"cannot read history database {self.path}: {_one_line(error)}"
                    ) from error
                try:
                    moved = self._move_aside()
                    messages.append(
                        f"history database {self.path} was damaged ({_one_line(error)}): moved "
                        f"it to {moved}; the history starts again from the next session"
                    )
                except OSError as move_error:
                    raise HistoryError(
                        f"history database {self.path} is damaged ({_one_line(error)}) and could "
                        f"not be moved aside ({move_error.strerror or move_error})"
                    ) from error
            except _Refused as refused:
                raise HistoryError(str(refused)) from None
        pending, _ = self._pending_records()
        for record in pending:  # not added yet (the database was busy): shown all the same
            records.setdefault(record.uid, record)
        return sorted(records.values(), key=lambda r: r.started_at), messages

    # The database.

    @contextlib.contextmanager
    def _connection(self, timeout_s: float | None = None) -> Iterator[sqlite3.Connection]:
        timeout_s = self.busy_timeout_s if timeout_s is None else timeout_s
        connection = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        try:
            yield connection
        finally:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            connection.close()

    def _write(self, record: SessionRecord | None) -> list[str]:
        """One transaction: check the database (creating it if new), add the pending
        sessions and `record`; then remove the pending files added. Lines for the user."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        messages = []
        with self._connection() as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN IMMEDIATE")  # the write lock now, or busy
            self._check(connection, create=True)
            claimed = self._claim_pending()
            pending, unreadable = _read_pending(claimed)
            added = sum(_insert(connection, p) for p in pending)
            if record is not None:
                _insert(connection, record)
            connection.execute("COMMIT")
        if unreadable:
            self._keep_unreadable(unreadable)
        for path in claimed:
            path.unlink(missing_ok=True)  # if this fails, the uids keep them from doubling
        if added:
            messages.append(f"added {added} session(s) kept in {self.pending_path} to the history")
        if unreadable:
            messages.append(
                f"{len(unreadable)} line(s) of {self.pending_path} could not be read (cut off "
                f"by a crash?): kept in {self.unreadable_path}"
            )
        return messages

    def _read(self, timeout_s: float) -> list[SessionRecord]:
        with self._connection(timeout_s) as connection:
            connection.execute("BEGIN")
            if not self._check(connection, create=False):
                return []
            return _select(connection)

    def _check(self, connection: sqlite3.Connection, create: bool) -> bool:
        """Whether the database holds a history this posecoach reads; creates the tables in
        a new (empty) database when `create`. _Refused, or sqlite3.DatabaseError when
        damaged."""
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _Refused(
                f"history database {self.path} was written by a newer posecoach (schema "
                f"version {version}; this one knows up to {SCHEMA_VERSION}): upgrade posecoach"
            )
        (verdict,) = connection.execute("PRAGMA quick_check(1)").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
        if version == 0:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            ]
            if tables:
                raise _Refused(
                    f"{self.path} is an SQLite database but not a posecoach history (its "
                    f"tables: {', '.join(tables)}): set {HISTORY_ENV} to another file"
                )
            if not create:
                return False
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return True

    def _move_aside(self) -> Path:
        """Rename the damaged database (and its journal) to NAME.corrupt-YYYYmmdd-HHMMSS;
        returns the new name."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        number = 2
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{number}")
            number += 1
        os.replace(self.path, target)
        for suffix in ("-journal", "-wal", "-shm"):  # a journal must not meet the new file
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                os.replace(companion, target.with_name(target.name + suffix))
        return target

    # The pending file.

    def _pending_files(self) -> list[Path]:
        """The pending file, and any claimed by an import that did not finish."""
        claimed = sorted(self.path.parent.glob(f"{self.pending_path.name}.importing-*"))
        return [p for p in (self.pending_path, *claimed) if p.exists()]

    def _claim_pending(self) -> list[Path]:
        """Rename the pending file for this import, so that a session kept meanwhile goes to a
        new one; with any claimed by an import that did not finish."""
        if self.pending_path.exists():
            claim = self.pending_path.with_name(
                f"{self.pending_path.name}.importing-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            )
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.pending_path, claim)
        return self._pending_files()

    def _pending_records(self) -> tuple[list[SessionRecord], list[str]]:
        return _read_pending(self._pending_files())

    def _keep_pending(self, record: SessionRecord) -> None:
        _append_line(self.pending_path, json.dumps(record.to_json(), separators=(",", ":")))

    def _keep_unreadable(self, lines: Sequence[str]) -> None:
        for line in lines:
            _append_line(self.unreadable_path, line)


def _append_line(path: Path, line: str) -> None:
    """Append one line to `path` in one write, synced to disk; after a line cut off by a
    crash, on a new line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        if os.fstat(descriptor).st_size:
            os.lseek(descriptor, -1, os.SEEK_END)
            if os.read(descriptor, 1) != b"\n":
                data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read_pending(paths: Iterable[Path]) -> tuple[list[SessionRecord], list[str]]:
    """The sessions in pending files, and the lines that are not one."""
    records, unreadable = [], []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue  # added meanwhile by another posecoach
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                records.append(SessionRecord.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError, AttributeError, HistoryError):
                unreadable.append(line)
    return records, unreadable


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _problem(error: sqlite3.Error) -> str | None:
    """What went wrong: "busy" (locked by another connection), "corrupt" (not a database,
    malformed), or None (something else)."""
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        primary = code & 0xFF
        if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return "busy"
        if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return "corrupt"
    text = str(error).lower()
    if isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return "busy"
    if "not a database" in text or "malformed" in text:
        return "corrupt"
    return None


def _insert(connection: sqlite3.Connection, record: SessionRecord) -> bool:
    """Add a session unless its uid is there already; whether it was added."""
    cursor = connection.execute(
        "INSERT OR IGNORE INTO sessions (uid, started_at, kind, routine, routine_name, source, "
        "duration_s, complete, ended_by, posecoach_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.uid,
            record.started_at.isoformat(),
            record.kind,
            record.routine,
            record.routine_name,
            record.source,
            record.duration_s,
            int(record.complete),
            record.ended_by,
            record.posecoach_version,
        ),
    )
    if cursor.rowcount == 0:
        return False
    session_id = cursor.lastrowid
    for position, stretch in enumerate(record.stretches):
        stretch_id = connection.execute(
            "INSERT INTO stretches (session_id, position, pose, pose_name, mode, per_side, "
            "status, duration_s, complete, ended_by, range_rule) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                position,
                stretch.pose,
                stretch.pose_name,
                stretch.mode,
                int(stretch.per_side),
                stretch.status,
                stretch.duration_s,
                None if stretch.complete is None else int(stretch.complete),
                stretch.ended_by,
                stretch.range_rule,
            ),
        ).lastrowid
        connection.executemany(
            "INSERT INTO sides (stretch_id, side, reps, hold_s, good_form_s, range, best_rep, "
            "rule_medians, faults) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    stretch_id,
                    side.side,
                    side.reps,
                    side.hold_s,
                    side.good_form_s,
                    side.range,
                    side.best_rep,
                    json.dumps(side.rule_medians),
                    side.faults,
                )
                for side in stretch.sides
            ],
        )
    return True


def _select(connection: sqlite3.Connection) -> list[SessionRecord]:
    """Every session in the database, in the order added."""
    connection.row_factory = _row_dict
    sides: dict[int, list[SideRecord]] = {}
    for row in connection.execute("SELECT * FROM sides"):
        numbers = {key: value for key, value in row.items() if key != "stretch_id"}
        numbers["rule_medians"] = json.loads(numbers["rule_medians"])
        sides.setdefault(row["stretch_id"], []).append(SideRecord(**numbers))
    stretches: dict[int, list[StretchRecord]] = {}
    for row in connection.execute("SELECT * FROM stretches ORDER BY session_id, position"):
        in_order = sorted(sides.get(row["id"], []), key=lambda side: _SIDE_ORDER[side.side])
        stretches.setdefault(row["session_id"], []).append(
            StretchRecord(
                **{key: value for key, value in row.items() if key in _STRETCH_COLUMNS},
                per_side=bool(row["per_side"]),
                complete=None if row["complete"] is None else bool(row["complete"]),
                sides=tuple(in_order),
            )
        )
    return [
        SessionRecord(
            **{key: value for key, value in row.items() if key in _SESSION_COLUMNS},
            started_at=_when(row["started_at"], "history database"),
            complete=bool(row["complete"]),
            stretches=tuple(stretches.get(row["id"], [])),
        )
        for row in connection.execute("SELECT * FROM sessions ORDER BY id")
    ]


def _row_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


# The columns read as they are stored (the others are converted).
_STRETCH_COLUMNS = {"pose", "pose_name", "mode", "status", "duration_s", "ended_by", "range_rule"}
_SESSION_COLUMNS = {
    "uid",
    "kind",
    "routine",
    "routine_name",
    "source",
    "duration_s",
    "ended_by",
    "posecoach_version",
}
_SIDE_ORDER = {"left": 0, "right": 1, BOTH: 2}


def record_session(session: Mapping[str, Any], path: str | Path | None = None) -> Saved:
    """Save a guided session to the history (`History(path).record_session`)."""
    return History(path).record_session(session)


def record_report(
    report: Mapping[str, Any],
    kind: str = "live",
    started_at: datetime | str | None = None,
    path: str | Path | None = None,
) -> Saved:
    """Save one stretch's report to the history (`History(path).record_report`)."""
    return History(path).record_report(report, kind, started_at)


# --- Progress ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Asymmetry:
    """Right minus left in one session, and as a percent of the larger (None when both are
    0 or a side has no value)."""

    amount: float  # seconds held, or reps for a stretch counted in reps
    amount_pct: float | None
    range: float | None
    range_pct: float | None


@dataclass(frozen=True)
class Point:
    """One session's numbers for one stretch, per side ("left" and "right", or "both"); a
    stretch done twice in a session counts as one point: its holds, reps and good-form time
    added, its ranges averaged."""

    started_at: datetime
    kind: str
    routine: str | None
    complete: bool
    sides: dict[str, SideRecord]


@dataclass(frozen=True)
class Trend:
    """The mean of the last `sessions` sessions minus the mean of the first `sessions`: how
    much the amount (seconds held per side, or reps per side) and the range (per side) have
    changed."""

    sessions: int
    amount: float
    range: float | None


@dataclass(frozen=True)
class RangeMeasure:
    """How a stretch's range reads: its unit ("deg", "torso lengths", "") and which way is
    further (a hip extended more: higher; a knee pulled closer to the chest: lower)."""

    unit: str = ""
    higher_is_further: bool = True


def catalogue_measure(pose_id: str, rule_id: str | None) -> RangeMeasure:
    """A range rule's unit and direction, from the stretch's pose file as posecoach finds it
    now (a rep counter's signal goes further toward its peak; a rule with only a maximum,
    lower; otherwise higher). The plain default when the stretch or rule is gone."""
    from posecoach.coaching.posefile import load_pose
    from posecoach.coaching.rules import UNIT_WORDS

    try:
        pose = load_pose(pose_id)
    except PosecoachError:
        return RangeMeasure()
    rule = next((r for r in pose.rules if r.id == (rule_id or pose.range_rule)), None)
    if rule is None:
        return RangeMeasure()
    unit = UNIT_WORDS.get(rule.spec.unit_key, rule.spec.unit_key)
    if pose.counter is not None and pose.counter.signal == rule.id:
        return RangeMeasure(unit, pose.counter.rising)
    return RangeMeasure(unit, not (rule.max_value is not None and rule.min_value is None))


@dataclass
class StretchHistory:
    """One stretch over time: a point per session in which it was done (not skipped)."""

    pose: str
    pose_name: str
    mode: str
    per_side: bool
    range_rule: str | None
    points: list[Point] = field(default_factory=list)
    measure: RangeMeasure = RangeMeasure()

    @property
    def amount_unit(self) -> str:
        return "reps" if self.mode == "reps" else "s"

    def amount(self, point: Point, side: str) -> float | None:
        """Seconds held (reps for a stretch counted in reps) on `side`, None if not done."""
        numbers = point.sides.get(side)
        if numbers is None:
            return None
        return float(numbers.reps) if self.mode == "reps" else numbers.hold_s

    def mean_amount(self, point: Point) -> float:
        """The amount per side done (the whole for a stretch not done per side)."""
        values = [self.amount(point, side) for side in point.sides]
        return _mean([v for v in values if v is not None]) or 0.0

    @staticmethod
    def mean_range(point: Point) -> float | None:
        return _mean([s.range for s in point.sides.values() if s.range is not None])

    @staticmethod
    def good_form_s(point: Point) -> float | None:
        values = [s.good_form_s for s in point.sides.values() if s.good_form_s is not None]
        return sum(values) if values else None

    def asymmetry(self, point: Point) -> Asymmetry | None:
        """Right minus left, when the session did both sides."""
        left, right = point.sides.get("left"), point.sides.get("right")
        if left is None or right is None:
            return None
        left_amount, right_amount = self.amount(point, "left"), self.amount(point, "right")
        assert left_amount is not None and right_amount is not None
        range_ = range_pct = None
        if left.range is not None and right.range is not None:
            range_, range_pct = right.range - left.range, _percent(left.range, right.range)
        return Asymmetry(
            amount=right_amount - left_amount,
            amount_pct=_percent(left_amount, right_amount),
            range=range_,
            range_pct=range_pct,
        )

    def best_range(self, side: str) -> float | None:
        """The furthest range on `side` over every session."""
        values = [
            value
            for point in self.points
            if side in point.sides and (value := point.sides[side].range) is not None
        ]
        if not values:
            return None
        return max(values) if self.measure.higher_is_further else min(values)

    def sides(self) -> list[str]:
        """The sides in the history, in order: left, right, both."""
        seen = {side for point in self.points for side in point.sides}
        return sorted(seen, key=lambda s: _SIDE_ORDER[s])

    def trend(self) -> Trend | None:
        """The mean of the last TREND_SESSIONS sessions minus the first TREND_SESSIONS (with
        fewer than twice that, the later half minus the earlier half); None with fewer than
        two sessions."""
        count = min(TREND_SESSIONS, len(self.points) // 2)
        if count == 0:
            return None
        first, last = self.points[:count], self.points[-count:]
        amounts = [self.mean_amount(p) for p in self.points]
        change = sum(amounts[-count:]) / count - sum(amounts[:count]) / count
        first_range = _mean([r for p in first if (r := self.mean_range(p)) is not None])
        last_range = _mean([r for p in last if (r := self.mean_range(p)) is not None])
        return Trend(
            sessions=count,
            amount=change,
            range=None if first_range is None or last_range is None else last_range - first_range,
        )


def progress(
    records: Iterable[SessionRecord],
    pose: str | None = None,
    measure: Callable[[str, str | None], RangeMeasure] | None = None,
) -> list[StretchHistory]:
    """Per stretch (all, or only `pose`), a point per session in which it was done, oldest
    first; stretches in the order they were last done, the latest first. `measure(pose_id,
    range_rule)` says how each stretch's range reads (`catalogue_measure`; default: higher
    is further, no unit)."""
    histories: dict[str, StretchHistory] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        done: dict[str, list[StretchRecord]] = {}
        for stretch in record.stretches:
            if stretch.status != "skipped" and stretch.sides and pose in (None, stretch.pose):
                done.setdefault(stretch.pose, []).append(stretch)
        for pose_id, stretches in done.items():
            latest = stretches[-1]
            history = histories.setdefault(
                pose_id,
                StretchHistory(pose_id, latest.pose_name, latest.mode, latest.per_side, None),
            )
            # The latest session names the stretch and its range rule.
            history.pose_name, history.mode, history.per_side = (
                latest.pose_name,
                latest.mode,
                latest.per_side,
            )
            history.range_rule = latest.range_rule or history.range_rule
            history.points.append(
                Point(
                    record.started_at,
                    record.kind,
                    record.routine,
                    all(s.status == "done" and s.complete is not False for s in stretches),
                    _merge_sides(stretches),
                )
            )
    for history in histories.values():
        if measure is not None:
            history.measure = measure(history.pose, history.range_rule)
    return sorted(histories.values(), key=lambda h: h.points[-1].started_at, reverse=True)


def _merge_sides(stretches: Sequence[StretchRecord]) -> dict[str, SideRecord]:
    by_side: dict[str, list[SideRecord]] = {}
    for stretch in stretches:
        for side in stretch.sides:
            by_side.setdefault(side.side, []).append(side)
    merged = {}
    for name in sorted(by_side, key=lambda s: _SIDE_ORDER[s]):
        sides = by_side[name]
        if len(sides) == 1:
            merged[name] = sides[0]
            continue
        good = [s.good_form_s for s in sides if s.good_form_s is not None]
        best = [s.best_rep for s in sides if s.best_rep is not None]
        merged[name] = SideRecord(
            side=name,
            reps=sum(s.reps for s in sides),
            hold_s=sum(s.hold_s for s in sides),
            good_form_s=sum(good) if good else None,
            range=_mean([s.range for s in sides if s.range is not None]),
            best_rep=max(best) if best else None,
            rule_medians=sides[-1].rule_medians,
            faults=sum(s.faults for s in sides),
        )
    return merged


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percent(left: float, right: float) -> float | None:
    larger = max(abs(left), abs(right))
    return None if larger == 0 else (right - left) / larger * 100


# --- Text -------------------------------------------------------------------------------


def overview_lines(histories: Sequence[StretchHistory]) -> list[str]:
    """A small table per stretch: sessions and dates, the last session's amount per side,
    the best range per side, the last session's asymmetry and the trend."""
    lines: list[str] = []
    for history in histories:
        unit = history.measure.unit
        last = history.points[-1]
        first_day, last_day = _day(history.points[0].started_at), _day(last.started_at)
        span = last_day if first_day == last_day else f"{first_day} to {last_day}"
        count = len(history.points)
        lines.append(
            f"{history.pose_name} ({history.pose}): {count} session{'' if count == 1 else 's'}, "
            f"{span}"
        )
        what = "reps" if history.mode == "reps" else "held"
        amounts = [
            f"{_side_label(side)}{_amount(history.amount(last, side), history.amount_unit)}"
            for side in last.sides
        ]
        lines.append(f"  {what}, last session:  {', '.join(amounts)}")
        ranges = [(side, history.best_range(side)) for side in history.sides()]
        if any(value is not None for _, value in ranges):
            rule = f" ({history.range_rule})" if history.range_rule else ""
            shown = ", ".join(f"{_side_label(side)}{_value(v, unit)}" for side, v in ranges)
            lines.append(f"  range, best:         {shown}{rule}")
        asymmetry = history.asymmetry(last)
        if asymmetry is not None:
            lines.append(f"  right - left, last:  {_asymmetry_text(asymmetry, history, unit)}")
        trend = history.trend()
        if trend is not None:
            lines.append(f"  trend:               {_trend_text(trend, history, unit)}")
        lines.append("")
    return lines[:-1]


def sessions_lines(history: StretchHistory) -> list[str]:
    """One line per session of one stretch: date, kind, amount per side, good-form time,
    range per side, right minus left; then the trend."""
    unit = history.measure.unit
    sides = history.sides()
    short = "REPS" if history.mode == "reps" else "HOLD"
    headers = ["DATE", "KIND"]
    headers += [f"{short} {_SIDE_SHORT[s]}".strip() for s in sides]
    headers += ["GOOD FORM"]
    headers += [f"RANGE {_SIDE_SHORT[s]}".strip() for s in sides]
    two_sided = "left" in sides and "right" in sides
    if two_sided:
        headers += [f"R-L {short}", "R-L RANGE"]
    rows = []
    for point in history.points:
        kind = point.routine or point.kind
        row = [
            _local(point.started_at).strftime("%Y-%m-%d %H:%M"),
            kind + ("" if point.complete else "*"),
        ]
        row += [_amount(history.amount(point, s), history.amount_unit) for s in sides]
        good = history.good_form_s(point)
        row += ["-" if good is None else f"{good:.1f} s"]
        row += [_value(point.sides[s].range if s in point.sides else None, unit) for s in sides]
        if two_sided:
            asymmetry = history.asymmetry(point)
            if asymmetry is None:
                row += ["-", "-"]
            else:
                row += [
                    _signed(asymmetry.amount, history.amount_unit, asymmetry.amount_pct),
                    "-"
                    if asymmetry.range is None
                    else _signed(asymmetry.range, unit, asymmetry.range_pct),
                ]
        rows.append(row)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    count = len(history.points)
    lines = [f"{history.pose_name} ({history.pose}): {count} session{'' if count == 1 else 's'}"]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    if any(not p.complete for p in history.points):
        lines.append("* stopped before the end")
    trend = history.trend()
    if trend is not None:
        lines.append(f"trend: {_trend_text(trend, history, unit)}")
    return lines


_SIDE_SHORT = {"left": "L", "right": "R", BOTH: ""}


def _side_label(side: str) -> str:
    return "" if side == BOTH else f"{side} "


def _local(when: datetime) -> datetime:
    return when.astimezone()


def _day(when: datetime) -> str:
    return _local(when).strftime("%Y-%m-%d")


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} reps" if unit == "reps" else f"{value:.1f} s"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} {unit}".rstrip()


def _signed(value: float, unit: str, percent: float | None) -> str:
    text = f"{value:+.1f} {unit}".rstrip()
    return text if percent is None else f"{text} ({percent:+.0f}%)"


def _asymmetry_text(asymmetry: Asymmetry, history: StretchHistory, unit: str) -> str:
    what = "reps" if history.mode == "reps" else "hold"
    text = f"{what} {_signed(asymmetry.amount, history.amount_unit, asymmetry.amount_pct)}"
    if asymmetry.range is not None:
        text += f", range {_signed(asymmetry.range, unit, asymmetry.range_pct)}"
    return text


def _trend_text(trend: Trend, history: StretchHistory, unit: str) -> str:
    what = "reps" if history.mode == "reps" else "hold"
    per = " per side" if history.per_side else ""
    text = f"{what}{per} {_signed(trend.amount, history.amount_unit, None)}"
    if trend.range is not None:
        further = trend.range > 0 if history.measure.higher_is_further else trend.range < 0
        way = "" if trend.range == 0 else " further" if further else " less far"
        text += f", range {_signed(trend.range, unit, None)}{way}"
    n = trend.sessions
    compared = "last vs first session" if n == 1 else f"last {n} vs first {n} sessions"
    return f"{text} ({compared})"


# --- Plot -------------------------------------------------------------------------------

_COLORS = {"left": "#2a6fc0", "right": "#d07a1a", BOTH: "#202020", "range": "#7a5ab0"}


def plot(
    histories: Sequence[StretchHistory],
    path: str | Path,
    width_px: int = 1400,
) -> Figure:
    """Draw each stretch's history and write it as a PNG, atomically; returns the figure. A
    row per stretch: the amount per side (seconds held, or reps) over the dates, the range per
    side, and right minus left as a percent of the larger (hold and range). Every panel
    spans the same dates."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure  # drawn off screen (Agg): never opens a window

    dpi = 100
    rows = max(len(histories), 1)
    figure = Figure(figsize=(width_px / dpi, 1.0 + 2.4 * rows), dpi=dpi, layout="constrained")
    axes = figure.subplots(rows, 3, squeeze=False, sharex=True)
    every_date = [_local(p.started_at).replace(tzinfo=None) for h in histories for p in h.points]
    if every_date:
        first, last = min(every_date), max(every_date)
        pad = max((last - first) * 0.04, timedelta(days=1))
        axes[0][0].set_xlim(first - pad, last + pad)
    for row, history in zip(axes, histories, strict=False):
        unit = history.measure.unit
        dates = [_local(p.started_at).replace(tzinfo=None) for p in history.points]
        amount_ax, range_ax, asymmetry_ax = row
        for side in history.sides():
            label = side if side != BOTH else "both"
            pairs = [
                (d, history.amount(p, side)) for d, p in zip(dates, history.points, strict=True)
            ]
            _series(amount_ax, pairs, _COLORS[side], label)
            ranges = [
                (d, p.sides[side].range if side in p.sides else None)
                for d, p in zip(dates, history.points, strict=True)
            ]
            _series(range_ax, ranges, _COLORS[side], label)
        what = "reps" if history.mode == "reps" else "seconds held"
        amount_ax.set_title(
            f"{history.pose_name}: {what}", loc="left", fontsize=9, fontweight="bold"
        )
        amount_ax.set_ylabel(history.amount_unit, fontsize=8)
        rule = f" ({history.range_rule})" if history.range_rule else ""
        range_ax.set_title(f"range{rule}", loc="left", fontsize=9)
        range_ax.set_ylabel(unit, fontsize=8)
        asymmetry_ax.set_title("right - left, % of the larger", loc="left", fontsize=9)
        asymmetry_ax.axhline(0, color="#a8a8a8", lw=1)
        asymmetries = [history.asymmetry(p) for p in history.points]
        _series(
            asymmetry_ax,
            [
                (d, None if a is None else a.amount_pct)
                for d, a in zip(dates, asymmetries, strict=True)
            ],
            _COLORS[BOTH],
            "reps" if history.mode == "reps" else "hold",
        )
        _series(
            asymmetry_ax,
            [
                (d, None if a is None else a.range_pct)
                for d, a in zip(dates, asymmetries, strict=True)
            ],
            _COLORS["range"],
            "range",
        )
        asymmetry_ax.set_ylabel("%", fontsize=8)
        if not history.per_side:
            asymmetry_ax.text(
                0.5, 0.5, "not done per side", transform=asymmetry_ax.transAxes, ha="center"
            )
            asymmetry_ax.set_yticks([])
        for ax in row:
            locator = AutoDateLocator(minticks=2, maxticks=6)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            ax.tick_params(labelsize=8, labelbottom=True)
            ax.grid(axis="y", color="#ececec", lw=0.6, zorder=0)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="best")
    if not histories:
        axes[0][0].text(0.5, 0.5, "no sessions", transform=axes[0][0].transAxes, ha="center")
    sessions = sum(len(h.points) for h in histories)
    figure.suptitle(
        f"posecoach history: {len(histories)} stretch{'' if len(histories) == 1 else 'es'}, "
        f"{sessions} session{'' if sessions == 1 else 's'}",
        fontsize=11,
    )
    with atomic_output(path, binary=True) as stream:
        figure.savefig(stream, format="png")
    return figure


def _series(
    ax: Axes, pairs: Sequence[tuple[datetime, float | None]], color: str, label: str
) -> None:
    """A line with a dot per session, left out where there is no value."""
    shown = [(d, v) for d, v in pairs if v is not None]
    if not shown:
        return
    x, y = zip(*shown, strict=True)
    ax.plot(x, y, color=color, lw=1.2, marker="o", ms=3.5, label=label, zorder=3)
