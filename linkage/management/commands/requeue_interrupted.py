"""Put back on the queue the jobs whose worker died under them.

A worker killed (or stopped by Redis going away) leaves its job "started" in rq's
StartedJobRegistry. rq notices only when the job's time limit has passed (15 minutes here) and
then retries it if it has retries left, else fails it as abandoned. Run before a worker starts
(``deploy/rqworker-loop.sh`` and ``deploy/ocop-rqworker.service`` do), this command does the same
at once for the jobs whose worker is gone: no longer registered in Redis, or registered from this
machine with a process that no longer exists. A job with retries left (``linkage.jobs`` gives three)
is queued again at once, spending one; a job without is failed, saying it was interrupted.
Jobs of live workers, here or on other machines, are left alone.

Our jobs only read the registry and store a result, so a job run twice (its work-horse outliving
a killed worker) does no harm.
"""

import os
import socket

from django.core.management.base import BaseCommand

from linkage.jobs import queue_available


def _process_exists(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _worker_gone(worker, host: str) -> bool:
    if worker is None:
        return True
    return worker.hostname == host and not _process_exists(worker.pid)


class Command(BaseCommand):
    help = "Queue again the jobs left started by a worker that died (run before starting one)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", default="default")

    def handle(self, *args, queue: str = "default", **options):
        if not queue_available():
            self.stdout.write("No REDIS_URL: jobs run in-process, nothing to requeue.")
            return
        import django_rq
        from rq import Worker
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus
        from rq.job_lifecycle import record_job_failure

        rq_queue = django_rq.get_queue(queue)
        connection = rq_queue.connection
        registry = rq_queue.started_job_registry
        workers = {worker.name: worker for worker in Worker.all(connection=connection)}
        host = socket.gethostname()
        requeued = failed = 0
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            if job.get_status() != JobStatus.STARTED:
                continue
            if not _worker_gone(workers.get(job.worker_name), host):
                continue
            registry.remove_executions(job)
            if job.retries_left is None or job.retries_left > 0:
                job.retries_left = max((job.retries_left or 1) - 1, 0)
                job.save()
                rq_queue.enqueue_job(job)
                requeued += 1
            else:
                with connection.pipeline() as pipeline:
                    record_job_failure(
                        job, "Interrupted: its worker died, and it has no retries left.", pipeline
                    )
                    pipeline.execute()
                failed += 1
        self.stdout.write(f"Requeued {requeued} interrupted job(s); failed {failed}.")
