"""Stage 1, what every stage shares: the coach's defaults and the valid range of every
pose-file number (`defaults`), the errors each stage raises with the one-line message a user
reads (`errors`), where the shipped pose files, routines, pictures and models are and the
per-user cache folder (`paths`), and the bundled samples (`samples`).
"""
