"""Who may write what: reading is open, writing needs a token."""
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOnlyOrAuthorised(BasePermission):
    """Anyone may read; only signed-in accounts may write (ownership is checked per object)."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_authenticated)
