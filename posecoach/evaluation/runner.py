"""Running `posecoach eval`'s pairs: one after another, or in worker processes, the rows
in the jobs' order (`run_jobs`)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from posecoach.evaluation.jobs import run_job
from posecoach.evaluation.pairs import Job, Row
from posecoach.model.blazepose.models import WORKER_THREADS


def run_jobs(
    jobs: Sequence[Job], workers: int = 1, progress: Callable[[str], None] | None = None
) -> list[Row]:
    """Run every job (in `workers` processes when more than 1), rows in the jobs' order.
    `progress` gets one line per finished job."""
    started = time.perf_counter()
    rows: list[Row | None] = [None] * len(jobs)

    def finished(index: int, row: Row) -> None:
        rows[index] = row
        if progress is not None:
            done = sum(r is not None for r in rows)
            what = f"skipped: {row.skipped}" if row.skipped else f"{row.frames} frames"
            progress(
                f"[{done}/{len(jobs)}] {row.clip} as {row.pose}: {what} "
                f"({time.perf_counter() - started:.0f} s)"
            )

    for index, job in enumerate(jobs):
        if job.skip is not None:
            finished(index, run_job(job))
    runnable = [i for i, job in enumerate(jobs) if job.skip is None]
    if workers <= 1 or len(runnable) <= 1:
        for index in runnable:
            finished(index, run_job(jobs[index]))
    else:
        # Spawned, not forked: a parent that has run the model holds threads a fork would copy.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(workers, len(runnable)), mp_context=context)
        try:
            futures: dict[Future[Row], int] = {
                # One model thread per worker: the workers fill the cores between them.
                pool.submit(
                    run_job, dataclasses.replace(jobs[index], threads=WORKER_THREADS)
                ): index
                for index in runnable
            }
            for future in as_completed(futures):
                finished(futures[future], future.result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return [row for row in rows if row is not None]
