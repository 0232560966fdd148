"""Cursor pagination for every list: `next`, `previous`, `results`; page_size <= 100."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
