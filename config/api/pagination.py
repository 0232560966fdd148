"""Cursor pagination for every list: `next`, `previous`, `results`; page_size <= 100."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    # The cursor encodes created_at (plus an offset among equal values); the id keeps the
    # order of equal timestamps stable between pages and is never exposed.
    ordering = ("-created_at", "-id")


class OldestFirstCursorPagination(CursorPagination):
    """For conversations and histories, read in the order they happened."""

    ordering = ("created_at", "id")
