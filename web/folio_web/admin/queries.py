"""What the admin pages list: users matching a search, and job runs with failures first."""

from __future__ import annotations

from sqlalchemy import Select, case, func, or_, select

from folio_common.models import JobRun, JobState, User


def users_matching(q: str) -> Select[tuple[User]]:
    """Users whose username or email contains `q` (any case), newest accounts first."""
    query = select(User)
    q = q.strip()
    if q:
        # Wildcards the admin typed are matched literally.
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    return query.order_by(User.created_at.desc(), User.id.desc())


def recent_job_runs() -> Select[tuple[JobRun]]:
    """Failed runs first (they need attention), then everything else, newest first."""
    failed_first = case((JobRun.state == JobState.FAILED, 0), else_=1)
    return select(JobRun).order_by(failed_first, JobRun.started_at.desc(), JobRun.id.desc())
