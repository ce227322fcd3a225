"""Signing in to the API: expiring, revocable tokens (django-rest-knox) behind a lockout (axes).

``POST auth/login/`` (``auth/token/``, its former name, still answers) takes ``username`` and
``password`` and returns ``{"token", "expiry"}``; the token goes in ``Authorization: Token <key>``
until it expires (``TOKEN_TTL_HOURS``) or is revoked: ``POST auth/logout/`` revokes the token
sent, ``POST auth/logout-all/`` every token of the account. Only a hash of each token is stored.

Failed sign-ins are counted per account and per client address by django-axes; past the limit the
login answers 429 with the reason and a Retry-After, even to the right password. The login also
has its own throttle ("login" rate, per address).
"""

from axes.helpers import get_cool_off
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import exceptions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny

from . import schema_extensions  # noqa: F401 - registers the token scheme
from .authentication import TokenAuthentication
from .exceptions import LoginLockedOut
from .throttling import LoginRateThrottle

__all__ = ["LoginView", "LogoutAllView", "LogoutView"]


TOKEN_ANSWER = inline_serializer(
    "TokenAnswer",
    fields={"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
)


class LoginView(knox_views.LoginView):
    """Exchange a username and password for a token that expires."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (LoginRateThrottle,)
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses={200: TOKEN_ANSWER})
    def post(self, request, format=None):
        # The request goes to authenticate() so that django-axes can count and refuse.
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # django-axes marks the request when the account or the address is locked out.
            if getattr(request, "axes_locked_out", False):
                cool_off = get_cool_off(request)
                raise LoginLockedOut(wait=cool_off.total_seconds() if cool_off else None)
            raise exceptions.ValidationError(serializer.errors)
        request.user = serializer.validated_data["user"]
        return super().post(request, format=format)


class LogoutView(knox_views.LogoutView):
    """Revoke the token this request is signed with."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)


class LogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the signed-in account."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format=format)
