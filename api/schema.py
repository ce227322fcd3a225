"""The OpenAPI schema's shared parts: the error answers every operation can give.

drf-spectacular describes each view's own answers; the errors come from layers around the views
(parameters, authentication, permissions, throttling, the database), so they are added here to
every operation, once: 400 (a field and its reasons), 401, 403, 404, 409, 413, 429 and 503.
"""

__all__ = ["add_error_responses"]

_FIELD_ERRORS = {
    "type": "object",
    "description": "Each field (or non_field_errors) with its reasons, in the request's language.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": ("A parameter or field is wrong; each is named with its reasons.", _FIELD_ERRORS),
    "401": ("Sign-in needed, or the token is unknown or expired.", _DETAIL),
    "403": (
        "The account may not do this (detail), or may not set these fields (each named).",
        {"type": "object", "additionalProperties": True},
    ),
    "404": ("Nothing at this address (an unknown code).", _DETAIL),
    "409": ("Other records still refer to this one.", _FIELD_ERRORS),
    "413": ("The body or the uploaded file is too large.", _DETAIL),
    "429": ("Too many requests or failed sign-ins; see Retry-After.", _DETAIL),
    "503": ("The database or Redis cannot be reached just now; see Retry-After.", _DETAIL),
}
_METHODS = ("get", "put", "patch", "post", "delete", "head", "options")


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: the shared error answers on every operation."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": schema}},
                    },
                )
    return result
