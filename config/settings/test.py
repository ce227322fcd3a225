"""Test overrides only: the database and cache still come from DATABASE_URL / REDIS_URL."""

from .base import *  # noqa: F401,F403
from .base import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run gets its own cache namespace so runs on a shared Redis do not see each other.
CACHES["default"]["KEY_PREFIX"] = "test"
CACHES["throttle"]["KEY_PREFIX"] = "test"

import os  # noqa: E402

from .base import DATABASES  # noqa: E402

# Lets two runs share one PostgreSQL server without dropping each other's test database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}

from .base import RQ_QUEUES  # noqa: E402

# Jobs run synchronously through Redis in tests, so the queued path is exercised without a worker.
RQ_QUEUES["default"]["ASYNC"] = False

# The first recommendation after a write waits for the ranking fitted on that write, so a test
# sees the ranking of the data it has just made.
RANKING_FIT_IN_BACKGROUND = False

# A test reads what it has just written: the snapshot is refreshed in the request (a thread would
# not see the test's uncommitted transaction). Tests of the background refresh switch it on.
REGISTRY_REFRESH_IN_BACKGROUND = False

# Webhook tests post to a receiver on 127.0.0.1 and retry without pausing; the SSRF tests switch
# the address check back on.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
WEBHOOK_INLINE_BACKOFF_SECONDS = 0.0
WEBHOOK_TIMEOUT_SECONDS = 2.0
