"""Cursor pagination for every list: `next`, `previous`, `results`; page_size <= 100."""

import datetime as dt
import json

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, Field, Func, Value
from django.db.models.lookups import (
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from config.api.filters import storable_datetime
from config.errors import DomainError


class InvalidCursorError(DomainError):
    code = "invalid_cursor"


class CursorKey(Func):
    """An ordering annotation the cursor pages by keyset (the expression itself, unchanged).

    Annotate the list with it and order by it and then one unique field (with the same
    direction): the cursor's position holds both values and the next page starts after them,
    compared as a row — `(key, unique) > (…, …)`, which an index on (…, key, unique) serves
    (under row-level security only if the key is leakproof: no COALESCE).
    Ties of any size page exactly, with no offset (DRF's offsets stop at 1,000). The key must
    never be null (nulls do not compare).
    """

    template = "%(expressions)s"


def _row(*expressions) -> Func:
    return Func(*expressions, function="ROW", output_field=Field())


class CursorPagination(pagination.CursorPagination):
    _keyset: tuple[str, str] | None = None  # the ordering, when it pages by keyset
    _keyset_values: list = []  # the cursor's position, as the database takes it
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
        include = {
            "name": INCLUDE_PARAM,
            "required": False,
            "in": "query",
            "description": "`count`: add the list's size (`count`, `count_estimated`).",
            "schema": {"type": "string", "enum": ["count"]},
        }
        return [*parameters, include]

    def paginate_queryset(self, queryset, request, view=None):
        self._include_count = _include_count(request)  # a bad `include` is a 400 first
        self._queryset = queryset
        self._keyset = self._keyset_ordering(queryset, self.get_ordering(request, queryset, view))
        if self._keyset is None:
            return super().paginate_queryset(queryset, request, view)
        return self._paginate_keyset(queryset, request)

    def paginate_first_page(self, fetch, request, ordering: tuple[str, ...]) -> list:
        """The first page (no cursor) in `ordering`, read by `fetch(n)` (the first n rows in
        that ordering) rather than from a queryset: for a list whose plain first page is
        compiled once per process. Page and links are paginate_queryset's (DRF's first page,
        step by step)."""
        self._include_count = False
        self._keyset = None
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = ordering
        self.cursor = None
        results = fetch(self.page_size + 1)
        self.page = results[: self.page_size]
        self.has_next = len(results) > len(self.page)
        self.next_position = (
            self._get_position_from_instance(results[-1], self.ordering) if self.has_next else None
        )
        self.has_previous, self.previous_position = False, None
        if self.has_next and self.template is not None:
            self.display_page_controls = True
        return self.page

    @staticmethod
    def _keyset_ordering(queryset, ordering) -> tuple[str, str] | None:
        """The ordering when it is a CursorKey annotation and a unique field, else None."""
        first = ordering[0].lstrip("-")
        if not isinstance(queryset.query.annotations.get(first), CursorKey):
            return None
        if len(ordering) != 2 or ordering[0].startswith("-") != ordering[1].startswith("-"):
            raise AssertionError(f"A CursorKey orders with one unique field after it: {ordering}")
        return tuple(ordering)

    def _paginate_keyset(self, queryset, request):
        """DRF's paginate_queryset for a keyset ordering: the position is the row of values
        of the last item seen (decode_cursor), never an offset."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self._keyset
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        current_position = self.cursor.position if self.cursor is not None else None
        if reverse:
            queryset = queryset.order_by(
                *(name[1:] if name.startswith("-") else f"-{name}" for name in self.ordering)
            )
        else:
            queryset = queryset.order_by(*self.ordering)
        if current_position is not None:
            # The rows after the position in the order read: (key, unique) > (…, n), written
            # (key, unique) >= (…, n + 1) for an integer — the same rows, but PostgreSQL
            # estimates a row comparison by its first column alone, and `key > …` counts none
            # of the rows tied at the position (a tenant's many tickets without a running
            # clock): believing the page nearly empty, it sorted everything after it.
            *values, last = self._keyset_values
            backwards = self.ordering[0].startswith("-") != reverse
            if isinstance(last, int) and -(2**63) < last < 2**63 - 1:  # ±1 is still a bigint
                after = LessThanOrEqual if backwards else GreaterThanOrEqual
                values.append(last - 1 if backwards else last + 1)
            else:
                after = LessThan if backwards else GreaterThan
                values.append(last)
            names = [name.lstrip("-") for name in self.ordering]
            queryset = queryset.filter(
                after(_row(*(F(name) for name in names)), _row(*(Value(value) for value in values)))
            )
        results = list(queryset[: self.page_size + 1])
        self.page = results[: self.page_size]
        following_position = (
            self._get_position_from_instance(results[-1], self.ordering)
            if len(results) > len(self.page)
            else None
        )
        has_following = following_position is not None
        if reverse:  # read backwards from the position: the page comes before it
            self.page.reverse()
            self.has_next, self.next_position = current_position is not None, current_position
            self.has_previous, self.previous_position = has_following, following_position
        else:
            self.has_next, self.next_position = has_following, following_position
            self.has_previous = current_position is not None
            self.previous_position = current_position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page

    def _get_position_from_instance(self, instance, ordering):
        if self._keyset is None:
            return super()._get_position_from_instance(instance, ordering)
        values = [getattr(instance, name.lstrip("-")) for name in ordering]
        return json.dumps([v.isoformat() if isinstance(v, dt.datetime) else v for v in values])

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
            if self._keyset is not None and cursor is not None and cursor.offset:
                raise InvalidCursorError(self.invalid_cursor_message)  # never one of ours
            return cursor
        if self._keyset is None:
            value = self._position_value(self.ordering[0], cursor.position)
            return cursor._replace(
                position=value.isoformat() if isinstance(value, dt.datetime) else cursor.position
            )
        # A keyset position: the JSON list of the ordering's values, and never an offset.
        try:
            raw = json.loads(cursor.position)
        except ValueError as exc:
            raise InvalidCursorError(self.invalid_cursor_message) from exc
        if cursor.offset or not isinstance(raw, list) or len(raw) != len(self._keyset):
            raise InvalidCursorError(self.invalid_cursor_message)
        self._keyset_values = [
            self._position_value(name, item) for name, item in zip(self._keyset, raw, strict=True)
        ]
        return cursor._replace(
            position=json.dumps(
                [v.isoformat() if isinstance(v, dt.datetime) else v for v in self._keyset_values]
            )
        )

    def _position_value(self, ordering_field: str, raw):
        """The value a cursor's position holds for one ordering field, as the database takes
        it; InvalidCursorError when the field cannot hold it."""
        name = ordering_field.lstrip("-")
        query = self._queryset.query
        if name in query.annotations:
            field = query.annotations[name].output_field
        else:
            field = self._queryset.model._meta.get_field(name)
        try:
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise TypeError(f"a position value is a string or an integer, not {raw!r}")
            value = field.to_python(raw)
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:  # a naive timestamp was never ours
                    raise ValueError("naive datetime")
                value = storable_datetime(value)
            field.run_validators(value)  # integer ranges of the column
            field.get_prep_value(value)
        except (TypeError, ValueError, DjangoValidationError) as exc:
            raise InvalidCursorError(self.invalid_cursor_message) from exc
        return value

    # --- `Link` and `?include=count` ---------------------------------------------------------

    def get_paginated_response(self, data):
        """The page as `{next, previous, [count, count_estimated,] results}`, with the same
        links in a `Link` header (RFC 8288: rel="next", rel="prev")."""
        response = super().get_paginated_response(data)
        body = response.data
        if getattr(self, "_include_count", False):
            count, estimated = self._count()
            body = {
                "next": body["next"],
                "previous": body["previous"],
                "count": count,
                "count_estimated": estimated,
                "results": body["results"],
            }
            response.data = body
        links = [
            f'<{url}>; rel="{rel}"'
            for url, rel in ((body["next"], "next"), (body["previous"], "prev"))
            if url
        ]
        if links:
            response["Link"] = ", ".join(links)
        return response

    def _count(self) -> tuple[int, bool]:
        """How many rows the whole list holds: exact up to PAGINATION_EXACT_COUNT_MAX (a count
        that stops there), else the planner's estimate — a count of a large list would read
        all of it on every page."""
        limit = settings.PAGINATION_EXACT_COUNT_MAX
        queryset = self._queryset.order_by()
        exact = queryset[: limit + 1].count()
        if exact <= limit:
            return exact, False
        sql, params = queryset.query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            [(plan,)] = cursor.fetchall()
        if isinstance(plan, str):
            plan = json.loads(plan)
        return max(int(plan[0]["Plan"]["Plan Rows"]), limit + 1), True

    def get_paginated_response_schema(self, schema):
        if not isinstance(schema, dict):
            # drf-spectacular asks this with a placeholder to wrap a list operation's example
            # (one item) in a page: a first page, without the optional count.
            return {
                "type": "object",
                "properties": {
                    "next": {
                        "example": "https://support.example.com/api/v1/t/acme/tickets/"
                        "?cursor=cD0yMDI2LTExLTMwKzA5JTNBMTI"
                    },
                    "previous": {"example": None},
                    "results": schema,
                },
            }
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        response["properties"] = {
            "next": properties["next"],
            "previous": properties["previous"],
            "count": {
                "type": "integer",
                "description": "With `include=count`: the rows of the whole list (exact up to "
                f"{settings.PAGINATION_EXACT_COUNT_MAX:,}, estimated above; see "
                "`count_estimated`).",
            },
            "count_estimated": {
                "type": "boolean",
                "description": "With `include=count`: true when `count` is the planner's estimate.",
            },
            "results": properties["results"],
        }
        return response


INCLUDE_PARAM = "include"


def _include_count(request) -> bool:
    """Whether `?include=count` was asked for; any other value of `include` is a 400."""
    values = [
        item.strip()
        for raw in request.query_params.getlist(INCLUDE_PARAM)
        for item in raw.split(",")
    ]
    unknown = sorted({value for value in values if value != "count"})
    if unknown:
        raise ValidationError(
            {INCLUDE_PARAM: ["Use include=count (nothing else can be included)."]}
        )
    return bool(values)


class OldestFirstCursorPagination(CursorPagination):
    """For conversations and histories, read in the order they happened."""

    ordering = ("created_at", "id")
