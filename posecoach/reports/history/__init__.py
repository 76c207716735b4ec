"""Progress over time: every session's numbers (never video or images) kept in a SQLite
database in the per-user data folder, and the per-stretch series `posecoach history` shows.

`records` holds what is kept of a session, `store` saves and reads the database (and its
pending file), `trend` gives each stretch's series over the sessions, `text` and `chart`
show them. The names other modules use are all importable from here.
"""

from posecoach.reports.history.chart import plot
from posecoach.reports.history.records import (
    BOTH,
    KINDS,
    PENDING_LINE_VERSION,
    SIDES,
    STATUSES,
    HistoryError,
    SessionRecord,
    SideRecord,
    StretchRecord,
)
from posecoach.reports.history.store import (
    BUSY_TIMEOUT_S,
    DB_NAME,
    HISTORY_ENV,
    READ_AFTER_BUSY_S,
    SCHEMA_VERSION,
    History,
    Saved,
    default_path,
    record_report,
    record_session,
)
from posecoach.reports.history.text import overview_lines, sessions_lines
from posecoach.reports.history.trend import (
    TREND_SESSIONS,
    Asymmetry,
    Point,
    RangeMeasure,
    StretchHistory,
    Trend,
    catalogue_measure,
    progress,
)

__all__ = [
    "BOTH",
    "BUSY_TIMEOUT_S",
    "DB_NAME",
    "HISTORY_ENV",
    "KINDS",
    "PENDING_LINE_VERSION",
    "READ_AFTER_BUSY_S",
    "SCHEMA_VERSION",
    "SIDES",
    "STATUSES",
    "TREND_SESSIONS",
    "Asymmetry",
    "History",
    "HistoryError",
    "Point",
    "RangeMeasure",
    "Saved",
    "SessionRecord",
    "SideRecord",
    "StretchHistory",
    "StretchRecord",
    "Trend",
    "catalogue_measure",
    "default_path",
    "overview_lines",
    "plot",
    "progress",
    "record_report",
    "record_session",
    "sessions_lines",
]
