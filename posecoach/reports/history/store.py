"""Saving and reading the history: every session's numbers kept in a SQLite database in
the per-user data folder (`History`, `default_path`).

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from posecoach.reports.history.records import (
    SIDE_ORDER,
    HistoryError,
    SessionRecord,
    SideRecord,
    StretchRecord,
    when,
)
from posecoach.reports.summary import GuidedSummary, StretchSummary

HISTORY_ENV = "POSECOACH_HISTORY"
DB_NAME = "history.sqlite3"
SCHEMA_VERSION = 1  # PRAGMA user_version of the database this posecoach writes
BUSY_TIMEOUT_S = 5.0  # how long a save waits for another process's write lock
READ_AFTER_BUSY_S = 1.0  # reading, after adding the pending sessions waited in vain

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

    def record_session(self, session: GuidedSummary) -> Saved:
        """Save a guided session (`Guide.summary`: what `posecoach session` writes)."""
        return self.save(SessionRecord.from_summary(session))

    def record_report(
        self,
        report: StretchSummary,
        kind: str = "live",
        started_at: datetime | str | None = None,
    ) -> Saved:
        """Save one stretch's report (`SessionReport.summary()`), coached live (`kind`
        "live") or replayed ("replay"); `started_at` defaults to now."""
        return self.save(SessionRecord.from_stretch(report, kind, started_at))

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
        in_order = sorted(sides.get(row["id"], []), key=lambda side: SIDE_ORDER[side.side])
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
            started_at=when(row["started_at"], "history database"),
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


def record_session(session: GuidedSummary, path: str | Path | None = None) -> Saved:
    """Save a guided session to the history (`History(path).record_session`)."""
    return History(path).record_session(session)


def record_report(
    report: StretchSummary,
    kind: str = "live",
    started_at: datetime | str | None = None,
    path: str | Path | None = None,
) -> Saved:
    """Save one stretch's report to the history (`History(path).record_report`)."""
    return History(path).record_report(report, kind, started_at)
