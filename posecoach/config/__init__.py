"""Settings and the things every stage shares: the coach's defaults and the valid range
of every pose-file number (`defaults`), the errors each stage raises with the one-line message
a user reads (`errors`), and where the bundled samples are (`samples`).
"""
