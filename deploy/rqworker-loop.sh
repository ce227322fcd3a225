#!/usr/bin/env bash
# A background worker that comes back: for machines without systemd (deploy/ocop-rqworker.service
# does the same under systemd). An rq worker exits for good when Redis goes away under it; this
# loop waits until Redis answers, queues again the jobs a dead worker left started
# (`manage.py requeue_interrupted`), and starts the worker again, pausing a little longer after
# each quick exit (up to 30 s). Stop it with SIGTERM or SIGINT: the worker gets the signal and
# finishes its current job first.
#
#   DJANGO_SETTINGS_MODULE=config.settings.production REDIS_URL=redis://... DATABASE_URL=... \
#     deploy/rqworker-loop.sh [queue ...]          # default queue: "default"
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
queues=("$@")
[ ${#queues[@]} -eq 0 ] && queues=(default)

child=""
stopping=0
stop() {
  stopping=1
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap stop TERM INT

pause=1
while [ "$stopping" -eq 0 ]; do
  if ! "$PYTHON" -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_connect_timeout=2).ping()" 2>/dev/null; then
    echo "rqworker-loop: Redis not answering; waiting" >&2
    sleep 2 &
    wait $!
    continue
  fi
  "$PYTHON" manage.py requeue_interrupted || true
  # A signal that came during a pause or the steps above is handled only after them.
  [ "$stopping" -eq 1 ] && break
  started=$(date +%s)
  "$PYTHON" manage.py rqworker --with-scheduler "${queues[@]}" &
  child=$!
  wait "$child"
  status=$?
  # `wait` returns early when a trapped signal arrives: wait for the worker to finish its job.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
  child=""
  [ "$stopping" -eq 1 ] && break
  if [ $(( $(date +%s) - started )) -gt 60 ]; then pause=1; else pause=$(( pause * 2 > 30 ? 30 : pause * 2 )); fi
  echo "rqworker-loop: worker exited with status $status; starting again in ${pause}s" >&2
  sleep "$pause" &
  wait $!
done
