"""How a request to the API is signed: an expiring, revocable token (django-rest-knox).

The token goes in ``Authorization: Token <key>`` until it expires (``TOKEN_TTL_HOURS``) or is
revoked (``api.auth_views``: sign-in, sign-out); only a hash of each token is stored. The pages
and the admin sign in with the session instead.
"""

from knox import auth as knox_auth
from rest_framework import exceptions

__all__ = ["TokenAuthentication"]


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token check, refusing a key that cannot be one (not UTF-8, a NUL character) with 401
    before it reaches the database."""

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("utf-8")
        except UnicodeError:
            text = None
        if text is None or "\x00" in text:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)
