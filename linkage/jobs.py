"""Background jobs: a django-rq queue on Redis in production, in-process in the embedded default.

With ``settings.REDIS_URL`` set, ``enqueue`` puts the call on the "default" queue (settings
``RQ_QUEUES``) for a worker (``python manage.py rqworker default``); a queue with ``ASYNC: False``
runs it at once, still recording it in Redis. Without Redis the call runs at once in this process
and its outcome is kept in the Django cache under the job id, for ``RESULT_TTL`` seconds.

Whether a piece of work runs in the request or as a job is decided by one rule,
``runs_as_job``: the caller's ``background`` choice (auto, always, never) and, for auto, the
work's estimated size against the limit of what a request may do, when a queue exists. The API
answers every queued run the same way: 202 with ``jobs/<id>/`` (``api.job_views``).

A long job tells how far it has got with ``report_progress(done, total, stage)``: into the rq
job's meta on a worker, into its cache entry in the embedded mode; ``job_status`` gives it as
``progress`` (None until the job reports any).
"""

import contextvars
import logging
import uuid
from importlib import import_module

from django.conf import settings
from django.core.cache import cache

__all__ = [
    "BACKGROUND_CHOICES",
    "JOB_STATUSES",
    "RESULT_TTL",
    "enqueue",
    "job_status",
    "queue_available",
    "queue_reachable",
    "queue_retries",
    "report_progress",
    "runs_as_job",
]

logger = logging.getLogger(__name__)

RESULT_TTL = 24 * 3600
JOB_STATUSES = ("queued", "started", "finished", "failed")
BACKGROUND_CHOICES = ("auto", "always", "never")
_CACHE_PREFIX = "jobs:"
# A job interrupted (its worker killed, Redis or the database gone under it) or failing is run
# again, up to three times, after 10, 30 and 60 s (the worker needs --with-scheduler for the
# pauses). Our jobs only read the registry and store a result, so running one again is safe.
JOB_RETRY_INTERVALS = (10, 30, 60)
JOB_RETRIES = len(JOB_RETRY_INTERVALS)
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
# The id of the job running inline in this thread (embedded mode), for report_progress.
_inline_job: contextvars.ContextVar[str | None] = contextvars.ContextVar("inline_job", default=None)


def queue_available() -> bool:
    """Whether jobs go to a queue that workers take them from (Redis configured)."""
    return bool(getattr(settings, "REDIS_URL", ""))


def runs_as_job(*, size: float, inline_limit: float, background: str = "auto") -> bool:
    """Whether work of estimated ``size`` runs as a job rather than in the request.

    ``never``: in the request. ``always``: as a job (on a worker, or in-process without a queue,
    still followed at ``jobs/<id>/``). ``auto``: as a job when a queue exists and the work is
    larger than ``inline_limit``; without a queue a job would run in this process anyway.
    """
    if background not in BACKGROUND_CHOICES:
        raise ValueError(f"background must be one of {', '.join(BACKGROUND_CHOICES)}")
    if background != "auto":
        return background == "always"
    return queue_available() and size > inline_limit and queue_reachable()


def queue_reachable() -> bool:
    """Whether the queue's Redis answers now. ``auto`` runs in the request when it does not: the
    work is done late rather than not at all; ``always`` and the job states answer 503 instead
    (``api.exceptions``), as they cannot be served without the queue."""
    from redis.exceptions import RedisError

    try:
        _queue().connection.ping()
    except RedisError as exc:
        logger.warning("Job queue out of reach (%s): running in the request", exc)
        return False
    return True


def _queue():
    import django_rq

    # Enqueue at once, not on the next commit (django-rq's default): the caller needs the job id
    # now, and our jobs only read what is already committed.
    return django_rq.get_queue("default", commit_mode="auto")


def queue_retries() -> bool:
    """Whether a failed job is run again by the queue (a worker with Redis, after the pauses of
    its retries). Otherwise (no Redis, or a queue that runs jobs at once) a job runs once, and work
    that must be retried retries itself in the process."""
    return queue_available() and _queue().is_async


def enqueue(func_path: str, /, *, retry_intervals: tuple[int, ...] | None = None, **kwargs) -> str:
    """Run ``func_path`` (dotted path to a function) with ``kwargs`` as a job; returns its id.

    The function's return value must be picklable (Redis) and cacheable (embedded): plain data.
    ``retry_intervals``: the pauses (seconds) before each new run of a job that failed, on a
    worker (default ``JOB_RETRY_INTERVALS``); one run in-process.
    """
    if queue_available():
        from rq import Retry

        intervals = list(JOB_RETRY_INTERVALS if retry_intervals is None else retry_intervals)
        job = _queue().enqueue_call(
            func=func_path,
            kwargs=kwargs,
            result_ttl=RESULT_TTL,
            failure_ttl=RESULT_TTL,
            retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        )
        return job.id
    job_id = uuid.uuid4().hex
    cache.set(_CACHE_PREFIX + job_id, _run_inline(job_id, func_path, kwargs), RESULT_TTL)
    return job_id


def _run_inline(job_id: str, func_path: str, kwargs: dict) -> dict:
    module_path, _, name = func_path.rpartition(".")
    key = _CACHE_PREFIX + job_id
    cache.set(key, _outcome(job_id, "started"), RESULT_TTL)
    token = _inline_job.set(job_id)
    try:
        result = getattr(import_module(module_path), name)(**kwargs)
    except Exception as exc:  # the job's failure is its outcome, reported by job_status
        logger.exception("Job %s (%s) failed", job_id, func_path)
        return _outcome(job_id, "failed", error=str(exc), progress=_progress_of(key))
    finally:
        _inline_job.reset(token)
    return _outcome(job_id, "finished", result=result, progress=_progress_of(key))


def _outcome(job_id, status, *, result=None, error=None, progress=None) -> dict:
    return {"id": job_id, "status": status, "result": result, "error": error, "progress": progress}


def _progress_of(key: str) -> dict | None:
    found = cache.get(key)
    return found.get("progress") if found else None


def report_progress(done: int, total: int, stage: str) -> None:
    """Record how far the current job has got: ``done`` of ``total`` in ``stage`` (e.g. a table
    read, checked or written). Outside a job it does nothing, so the same code runs in a request.
    """
    progress = {"done": int(done), "total": int(total), "stage": str(stage)}
    job_id = _inline_job.get()
    if job_id is not None:
        cache.set(
            _CACHE_PREFIX + job_id, _outcome(job_id, "started", progress=progress), RESULT_TTL
        )
        return
    if not queue_available():
        return
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta["progress"] = progress
        job.save_meta()


def job_status(job_id: str) -> dict | None:
    """{id, status: queued|started|finished|failed, result, error, progress}, or None for an
    unknown id. ``progress`` is the last ``report_progress`` of the job: {done, total, stage}."""
    if not queue_available():
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
    progress = (job.get_meta(refresh=False) or {}).get("progress")
    return _outcome(job.id, status, result=result, error=error, progress=progress)
