"""The log of background task runs that the admin jobs page shows: one JobRun row per task id.

A retried task keeps its id, so its row moves started → retrying → started → succeeded/failed
rather than piling up one row per attempt.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case

from folio_common.extensions import db
from folio_common.models import JobRun, JobState, utcnow

SUBJECT_LENGTH = 120
ERROR_LENGTH = 2000


def _run_for(task_id: str | None) -> JobRun | None:
    if task_id is None:
        return None
    return db.session.execute(
        db.select(JobRun).where(JobRun.task_id == task_id).order_by(JobRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def record_start(task_name: str, task_id: str | None, subject: str | None) -> JobRun:
    run = _run_for(task_id)
    if run is None:
        run = JobRun(task=task_name[:120], task_id=task_id)
        db.session.add(run)
    run.subject = subject[:SUBJECT_LENGTH] if subject else None
    run.state = JobState.STARTED
    run.started_at = utcnow()
    run.finished_at = None
    run.error = None
    db.session.flush()
    return run


def record_finish(
    task_id: str | None, state: JobState, error: str | None = None, *, task_name: str = "unknown"
) -> JobRun:
    """Close the run of `task_id` (or open and close one if its start was never recorded)."""
    run = _run_for(task_id)
    if run is None:
        run = JobRun(task=task_name[:120], task_id=task_id, started_at=utcnow())
        db.session.add(run)
    run.state = JobState(state)
    run.error = error[:ERROR_LENGTH] if error else None
    run.finished_at = None if run.state == JobState.RETRYING else utcnow()
    db.session.flush()
    return run


def record(action: str, **fields: Any) -> JobRun:
    """`record_start` or `record_finish` by name; what a deferred record task replays."""
    if action == "start":
        return record_start(**fields)
    return record_finish(**fields)


def recent_runs_query() -> Select[tuple[JobRun]]:
    """Failed runs first (they need attention), then everything else, newest first."""
    failed_first = case((JobRun.state == JobState.FAILED, 0), else_=1)
    return db.select(JobRun).order_by(failed_first, JobRun.started_at.desc(), JobRun.id.desc())


def recent_runs(limit: int = 100) -> list[JobRun]:
    """The latest runs, failures first, then newest first."""
    return list(db.session.execute(recent_runs_query().limit(limit)).scalars())
