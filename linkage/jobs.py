"""Background jobs: a django-rq queue on Redis in production, in-process in the embedded default.

With ``settings.REDIS_URL`` set, ``enqueue`` puts the call on the "default" queue (settings
``RQ_QUEUES``) for a worker (``python manage.py rqworker default``); a queue with ``ASYNC: False``
runs it at once, still recording it in Redis. Without Redis the call runs at once in this process
and its outcome is kept in the Django cache under the job id, for ``RESULT_TTL`` seconds.
"""

import logging
import uuid
from importlib import import_module

from django.conf import settings
from django.core.cache import cache

__all__ = ["JOB_STATUSES", "RESULT_TTL", "enqueue", "job_status"]

logger = logging.getLogger(__name__)

RESULT_TTL = 24 * 3600
JOB_STATUSES = ("queued", "started", "finished", "failed")
_CACHE_PREFIX = "jobs:"
# rq's statuses, folded into the four the API promises.
_STATUS = {
    "queued": "queued",
    "deferred": "queued",
    "scheduled": "queued",
    "created": "queued",
    "started": "started",
    "finished": "finished",
    "failed": "failed",
    "stopped": "failed",
    "canceled": "failed",
}


def _uses_redis() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


def _queue():
    import django_rq

    # Enqueue at once, not on the next commit (django-rq's default): the caller needs the job id
    # now, and our jobs only read what is already committed.
    return django_rq.get_queue("default", commit_mode="auto")


def enqueue(func_path: str, **kwargs) -> str:
    """Run ``func_path`` (dotted path to a function) with ``kwargs`` as a job; returns its id.

    The function's return value must be picklable (Redis) and cacheable (embedded): plain data.
    """
    if _uses_redis():
        job = _queue().enqueue_call(
            func=func_path, kwargs=kwargs, result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL
        )
        return job.id
    job_id = uuid.uuid4().hex
    cache.set(_CACHE_PREFIX + job_id, _run_inline(job_id, func_path, kwargs), RESULT_TTL)
    return job_id


def _run_inline(job_id: str, func_path: str, kwargs: dict) -> dict:
    module_path, _, name = func_path.rpartition(".")
    try:
        result = getattr(import_module(module_path), name)(**kwargs)
    except Exception as exc:  # the job's failure is its outcome, reported by job_status
        logger.exception("Job %s (%s) failed", job_id, func_path)
        return {"id": job_id, "status": "failed", "result": None, "error": str(exc)}
    return {"id": job_id, "status": "finished", "result": result, "error": None}


def job_status(job_id: str) -> dict | None:
    """{id, status: queued|started|finished|failed, result, error}, or None for an unknown id."""
    if not _uses_redis():
        return cache.get(_CACHE_PREFIX + job_id)
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=_queue().connection)
    except NoSuchJobError:
        return None
    status = _STATUS.get(str(getattr(job.get_status(), "value", job.get_status())), "queued")
    result, error = None, None
    latest = job.latest_result() if status in ("finished", "failed") else None
    if status == "finished" and latest is not None:
        result = latest.return_value
    elif status == "failed":
        exc_string = (latest.exc_string if latest is not None else "") or ""
        # The traceback stays in the worker's log; the client gets its last line.
        error = exc_string.strip().splitlines()[-1] if exc_string.strip() else "The job failed."
    return {"id": job.id, "status": status, "result": result, "error": error}
