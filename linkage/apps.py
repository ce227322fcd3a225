from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "linkage"
    verbose_name = _("Kết nối OCOP")
