"""gunicorn's settings for this service, read by ``gunicorn config.wsgi`` started in this folder.

Each worker reads the registry's snapshot (from Redis when another process has stored it) and
builds its recommender before it takes its first request, so no user waits for that.
"""

import logging

# A national snapshot is read in about three seconds the first time; the default 30 s leaves
# room, but a worker warming up on a busy machine must not be taken for a hung one.
timeout = 120
# The service's code and its libraries (pandas, scipy, scikit-learn, igraph: over 100 MB) are
# loaded once in the master and shared by the workers it forks.
preload_app = True


def post_worker_init(worker):
    import sys

    from linkage import graph_cache

    # While a thread of the worker refreshes the registry's snapshot, the request being answered
    # waits for the interpreter lock after each database or cache call: 1 ms instead of Python's
    # default 5 ms keeps that wait short.
    sys.setswitchinterval(0.001)

    try:
        graph_cache.warm_up()
    except Exception:
        # A database or cache that is not there yet must not keep the worker from serving: the
        # first request reads the snapshot instead.
        logging.getLogger("linkage.graph_cache").exception("warm-up failed; reading on demand")
