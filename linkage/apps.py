from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "linkage"
    verbose_name = _("Kết nối OCOP")

    def ready(self):
        # Every write bumps the linkage graph's version, so every API process sees it at once.
        from . import signals  # noqa: F401
