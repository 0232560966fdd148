"""The API's one exception handler, and the one error shape.

Every error body is `{"detail", "code"}`; validation errors add `"errors": {field: [messages]}`
(nested serializers nest: `{"settings": {"colour": [...]}}`), and domain errors may add
`"extra"` with machine-readable context (the allowed transitions, the current version).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError

VALIDATION_CODE = "invalid"


def _leaves(errors, path=()):
    """Yield (field path, message) for every message in a DRF error structure, in order."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(errors, list | tuple):
        for value in errors:
            yield from _leaves(value, path)
    else:
        yield ".".join(path), str(errors)


def _summary(errors) -> str:
    """One line naming the first problem, so a person reading only `detail` knows what to fix."""
    leaves = list(_leaves(errors))
    if not leaves:
        return "Invalid input."
    field, message = leaves[0]
    unnamed = field in ("", api_settings.NON_FIELD_ERRORS_KEY)
    text = message if unnamed else f"{field}: {message}"
    others = len({f for f, _ in leaves}) - 1
    return f"{text} (and problems in {others} more field{'s' * (others > 1)})" if others else text


def validation_error_body(errors) -> dict:
    """The body of a 400 for `errors` (a DRF ValidationError's detail)."""
    if not isinstance(errors, dict):
        errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
    return {"detail": _summary(errors), "code": VALIDATION_CODE, "errors": errors}


def exception_handler(exc, context):
    """Map domain and Django errors onto DRF responses in the one error shape; leave anything
    else to DRF (then 500)."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.detail, "code": exc.code}
        if exc.extra:
            body["extra"] = exc.extra
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_error_body(response.data)
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or getattr(
            exc, "default_code", "error"
        )
    return response
