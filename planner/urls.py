"""Routes of the planners' pages, under /planner/."""

from django.urls import path

from . import views

urlpatterns = [
    path("planner/", views.index, name="planner-index"),
    path("planner/map/", views.coverage_map, name="planner-map"),
    path("planner/statistics/", views.statistics_page, name="planner-statistics"),
]
