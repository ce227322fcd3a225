"""Routes of the events' printable pages, under /events/."""

from django.urls import path

from . import views

urlpatterns = [
    path("events/", views.event_list, name="events-list"),
    path("events/<str:code>/schedule/", views.schedule_pages, name="events-schedule"),
]
