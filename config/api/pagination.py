"""Cursor pagination for every list: `next`, `previous`, `results`; page_size <= 100."""

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from config.api.filters import storable_datetime
from config.errors import DomainError


class InvalidCursorError(DomainError):
    code = "invalid_cursor"


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    # The cursor encodes created_at (plus an offset among equal values); the id keeps the
    # order of equal timestamps stable between pages and is never exposed.
    ordering = ("-created_at", "-id")

    def get_page_size(self, request):
        """`page_size` from 1 up; above 100 is 100. Anything else is a 400, never ignored."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1 or not raw.strip().isdigit():
            raise ValidationError({self.page_size_query_param: ["Use a whole number from 1."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page, default {self.page_size}; above "
                    f"{self.max_page_size} counts as {self.max_page_size}."
                )
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset = queryset
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """Return the request's cursor, its position normalised for the database.

        A cursor that does not decode, or whose position the ordering field cannot hold
        (tampered, from another ordering, a time PostgreSQL cannot store), is a 400
        `invalid_cursor` — never a 500 and never a 404 (the list exists).
        """
        try:
            cursor = super().decode_cursor(request)  # runs after self.ordering is known
        except NotFound as exc:
            raise InvalidCursorError(self.invalid_cursor_message) from exc
        if cursor is None or cursor.position is None:
            return cursor
        name = self.ordering[0].lstrip("-")
        query = self._queryset.query
        if name in query.annotations:
            field = query.annotations[name].output_field
        else:
            field = self._queryset.model._meta.get_field(name)
        try:
            value = field.to_python(cursor.position)
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:  # a naive timestamp was never ours
                    raise ValueError("naive datetime")
                value = storable_datetime(value)
            field.run_validators(value)  # integer ranges of the column
            field.get_prep_value(value)
        except (TypeError, ValueError, DjangoValidationError) as exc:
            raise InvalidCursorError(self.invalid_cursor_message) from exc
        return cursor._replace(
            position=value.isoformat() if isinstance(value, dt.datetime) else cursor.position
        )


class OldestFirstCursorPagination(CursorPagination):
    """For conversations and histories, read in the order they happened."""

    ordering = ("created_at", "id")
