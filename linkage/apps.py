import os
import sys
import threading

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "linkage"
    verbose_name = _("Kết nối OCOP")

    def ready(self):
        if _serving_with_runserver():
            # The embedded default's first page would otherwise read the registry and fit the
            # outlet ranking while its user waits (4 s on the Hà Nội demo): done as the server
            # starts instead. gunicorn warms its workers itself (gunicorn.conf.py).
            threading.Thread(target=_warm_up, daemon=True, name="registry-warm-up").start()


def _serving_with_runserver() -> bool:
    # With the autoreloader, the process that serves is the child it marks with RUN_MAIN.
    return sys.argv[1:2] == ["runserver"] and (
        os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv
    )


def _warm_up() -> None:
    import logging

    from django.db import connection

    from . import graph_cache

    try:
        graph_cache.warm_up()
    except Exception:
        # A database not migrated yet, say: the first request reads the registry instead.
        logging.getLogger("linkage.graph_cache").exception("warm-up failed; reading on demand")
    finally:
        connection.close()
