from django.apps import AppConfig


class PlannerConfig(AppConfig):
    """The planners' HTML pages: the coverage map and the statistics, reading the API."""

    name = "planner"
