"""A user's notifications and webhooks (the notifications app): the signed-in user's own only.

Anonymous requests answer 401; another user's notification or webhook answers 404.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import services
from notifications.models import Notification, Webhook, WebhookDelivery

from .queries import NotificationQuery, read_query
from .serializers import (
    NotificationSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)

__all__ = [
    "NotificationListView",
    "NotificationReadAllView",
    "NotificationReadView",
    "WebhookViewSet",
]


class NotificationListView(ListAPIView):
    """My notifications, newest first; ``unread=true`` for the unread ones only."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filter_backends = []

    @extend_schema(parameters=[NotificationQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: no user
            return Notification.objects.none()
        notes = Notification.objects.filter(recipient=self.request.user)
        unread = read_query(NotificationQuery, self.request)["unread"]
        if unread is not None:
            notes = notes.filter(read_at__isnull=unread)
        return notes


class NotificationReadView(APIView):
    """Mark one of my notifications read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk: int):
        try:
            note = services.notification_read(user=request.user, notification_id=pk)
        except Notification.DoesNotExist as exc:
            raise NotFound(_("No notification %s.") % pk) from exc
        return Response(NotificationSerializer(note, context={"request": request}).data)


class NotificationReadAllView(APIView):
    """Mark all my notifications read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()}),
    )
    def post(self, request):
        return Response({"marked": services.notifications_read_all(user=request.user)})


class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """My webhooks: register one (its secret is answered once), list, change, delete, and see
    its deliveries."""

    permission_classes = [IsAuthenticated]
    serializer_class = WebhookSerializer
    lookup_value_regex = "[0-9]+"
    filter_backends = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: no user
            return Webhook.objects.none()
        return Webhook.objects.filter(owner=self.request.user)

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = services.webhook_create(owner=request.user, **serializer.validated_data)
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_update(
            webhook=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.webhook_delete(webhook=instance)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        deliveries = WebhookDelivery.objects.filter(webhook=self.get_object()).prefetch_related(
            "attempt_log"
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
