"""Cursor pagination for every list: `next`, `previous`, `results`; page_size <= 100."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    # The cursor encodes created_at (plus an offset among equal values); the id keeps the
    # order of equal timestamps stable between pages and is never exposed.
    ordering = ("-created_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset = queryset
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """A cursor whose position the ordering field cannot hold (tampered, or from another
        ordering) is an invalid cursor — the 404 DRF gives any bad cursor — never a 500."""
        cursor = super().decode_cursor(request)  # runs after self.ordering is known
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
            if getattr(value, "tzinfo", True) is None:  # a naive timestamp was never ours
                raise ValueError("naive datetime")
            field.get_prep_value(value)
        except (TypeError, ValueError, DjangoValidationError) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        return cursor


class OldestFirstCursorPagination(CursorPagination):
    """For conversations and histories, read in the order they happened."""

    ordering = ("created_at", "id")
