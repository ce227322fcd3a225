"""Test overrides only: the database and cache still come from DATABASE_URL / REDIS_URL."""
from .base import *  # noqa: F401,F403
from .base import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run gets its own cache namespace so runs on a shared Redis do not see each other.
CACHES["default"]["KEY_PREFIX"] = "test"
