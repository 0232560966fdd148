"""Querysets of one fixed shape, compiled to SQL once per process.

Django builds and compiles a queryset's SQL on every evaluation. For the query every tenant
request runs first (the caller's membership, tenants.selectors) that costs several times the
CPU of running it: about 0.9 ms against 0.1 ms (bench/RESULTS.md). A `CompiledQuery` is
declared with the ORM like any other query, compiled once, and then run with new values in
the parameter places the compilation recorded; its rows become instances as Django makes
them (its converters, select_related models, annotations).

What keeps it honest:
- the queryset is built and compiled twice, with two different sets of stand-in values;
  the SQL must come out the same and the parameters differ exactly where the values go, so
  a value that shapes the SQL (None, a list's length, a transformed pattern) is refused when
  the query is first used, never run with the wrong text;
- both compilations run outside any tenant context, so a tenant model's fail-closed manager
  raises instead of baking one tenant's id into the text: the tenant is a value like any other.
  `tenant_scoped=True` keeps the app wall: `build` gets a `tenant_id` value, which every run
  fills with the current tenant's id (require_tenant_id: outside a tenant context it raises,
  as the fail-closed manager does), never with one the caller chose;
- a value must have the type of its stand-in, checked on every run.
"""

import itertools
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import Model, QuerySet, signals
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery
from django.db.transaction import TransactionManagementError

from tenants.context import outside_tenant_context, require_tenant_id

_STAND_IN_COUNTER = itertools.count(1)


class _Compiled(NamedTuple):
    """What one compilation leaves for every run."""

    sql: str
    params: list
    places: dict[str, list[int]]  # each value's parameter positions
    model: type[Model]
    model_columns: slice  # the model's own columns in a row
    attnames: list[str]
    populators: list  # select_related models
    annotations: dict[str, int]
    converters: dict
    locking: bool  # SELECT … FOR UPDATE


def _stand_in(kind: type) -> Any:
    n = next(_STAND_IN_COUNTER)
    if kind is int:
        return -(2**62) - n
    if kind is str:
        return f"\x1fstand-in-{n}-{uuid.uuid4().hex}\x1f"
    if kind is uuid.UUID:
        return uuid.uuid4()
    raise TypeError(f"CompiledQuery values must be int, str or UUID, not {kind.__name__}")


class CompiledQuery:
    """`build(**values)` returns the queryset; `fetch(**values)` runs it and returns the list
    of instances. `kinds` names each value's type (int, str or UUID)."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        using: str = "default",
        tenant_scoped: bool = False,
        **kinds: type,
    ):
        if "tenant_id" in kinds:
            raise TypeError("tenant_id is the current tenant's: pass tenant_scoped=True")
        self._build = build
        self._using = using
        self._tenant_scoped = tenant_scoped
        self._kinds = {**kinds, "tenant_id": int} if tenant_scoped else kinds
        self._compiled: _Compiled | None = None

    def _compile_once(self, stand_ins: dict[str, Any]) -> tuple:
        queryset = self._build(**stand_ins)
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        return queryset, compiler, sql, tuple(params)

    def _compile(self) -> _Compiled:
        with outside_tenant_context():
            first = {name: _stand_in(kind) for name, kind in self._kinds.items()}
            second = {name: _stand_in(kind) for name, kind in self._kinds.items()}
            queryset, compiler, sql, params = self._compile_once(first)
            _, _, sql_again, params_again = self._compile_once(second)
        if sql != sql_again or len(params) != len(params_again):
            raise ValueError("CompiledQuery: a value changes the query's SQL")
        places: dict[str, list[int]] = {name: [] for name in self._kinds}
        for position, (one, other) in enumerate(zip(params, params_again, strict=True)):
            names = [n for n in self._kinds if one == first[n] and other == second[n]]
            if names:
                places[names[0]].append(position)
            elif one != other:
                raise ValueError(
                    f"CompiledQuery: parameter {position} is neither a value nor fixed"
                )
        missing = [name for name, found in places.items() if not found]
        if missing:
            raise ValueError(f"CompiledQuery: {missing} do not reach the SQL as parameters")
        klass_info, select = compiler.klass_info, compiler.select
        fields = [column[0] for column in select[0 : compiler.col_count]]
        model_fields = klass_info["select_fields"]
        start, end = model_fields[0], model_fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=list(params),
            places=places,
            model=klass_info["model"],
            model_columns=slice(start, end),
            attnames=[column[0].target.attname for column in select[start:end]],
            populators=get_related_populators(klass_info, select, queryset.db),
            annotations=dict(compiler.annotation_col_map or {}),
            converters=compiler.get_converters(fields),
            locking=bool(queryset.query.select_for_update),
        )

    def fetch(self, **values: Any) -> list[Model]:
        """Run the query with `values` and return its instances."""
        if self._compiled is None:
            self._compiled = self._compile()
        compiled = self._compiled
        places = compiled.places
        if self._tenant_scoped:
            if "tenant_id" in values:
                raise TypeError("CompiledQuery: the tenant is the current one, not a value")
            values = {**values, "tenant_id": require_tenant_id()}
        if values.keys() != places.keys():
            raise TypeError(f"CompiledQuery: give exactly {sorted(places)}")
        params = compiled.params.copy()
        for name, value in values.items():
            if type(value) is not self._kinds[name]:
                raise TypeError(f"CompiledQuery: {name} must be {self._kinds[name].__name__}")
            for position in places[name]:
                params[position] = value
        connection = connections[self._using]
        if compiled.locking and connection.get_autocommit():
            # Django refuses this when it compiles; a compiled query is compiled once.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        instances = []
        for raw in rows:
            row = list(raw)
            for position, (functions, expression) in compiled.converters.items():
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            instance = compiled.model.from_db(
                self._using, compiled.attnames, row[compiled.model_columns]
            )
            for populator in compiled.populators:
                populator.populate(row, instance)
            for attribute, position in compiled.annotations.items():
                setattr(instance, attribute, row[position])
            instances.append(instance)
        return instances


# save() methods that do nothing an insert here skips (TenantModel's fills the tenant, as
# insert() does): a model with its own save() takes the ORM's path.
_PLAIN_SAVES = frozenset({"Model.save", "TenantModel.save"})


class Computed(NamedTuple):
    """A column of a CompiledInsert whose value the database computes in the same statement:
    `cte` runs first, as `WITH computed AS (cte)`, with the parameters `params(obj)`; the
    column takes `expression` over it (the row is selected FROM computed) and comes back by
    RETURNING. For a value taken by a write of its own, as late as possible: a per-tenant
    counter that stays locked until COMMIT. `alone(obj)` takes the value by a statement of its
    own, for an insert that goes the ORM's way.
    """

    field: str
    cte: str
    expression: str
    params: Callable[[Model], list]
    alone: Callable[[Model], Any]


class CompiledInsert:
    """Single-row INSERTs of one model whose SQL is built once per process, by Django's own
    insert compiler; each row's values are prepared by its fields as `save()` prepares them
    for an insert (`pre_save(add=True)`, then `get_db_prep_save`) and go in the columns'
    order. The primary key (and any other returning field) comes back by RETURNING.

    For rows written on nearly every request (a ticket, its history entry, the idempotency
    record): the ORM's insert costs about twice the CPU (bench/RESULTS.md). A tenant row
    without a tenant gets the current one, as TenantModel.save() does. A value that is an
    expression, or a model with pre_save/post_save receivers, takes the ORM's path (`save()`
    or `bulk_create`), so nothing is ever written differently. `update_conflicts=(unique,
    update)` turns the insert into bulk_create(update_conflicts=True, …)'s upsert, which
    returns the existing row's key on a conflict.
    """

    def __init__(
        self,
        model: type[Model],
        *,
        using: str = "default",
        update_conflicts: tuple[list[str], list[str]] | None = None,
        computed: Computed | None = None,
    ):
        if computed is not None and update_conflicts is not None:
            raise ValueError("CompiledInsert: a computed column does not go with an upsert")
        self._model = model
        self._using = using
        self._update_conflicts = update_conflicts
        self._computed = computed
        meta = model._meta
        self._fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        self._returning = list(meta.db_returning_fields)
        self._computed_field = None
        if computed is not None:
            self._computed_field = meta.get_field(computed.field)
            self._returning.append(self._computed_field)
        self._sql: str | None = None

    def _orm_insert(self, obj: Model) -> Model:
        if self._computed is not None:
            setattr(obj, self._computed_field.attname, self._computed.alone(obj))
        if self._update_conflicts is None:
            obj.save(force_insert=True, using=self._using)
            return obj
        unique, update = self._update_conflicts
        self._model._default_manager.db_manager(self._using).bulk_create(
            [obj], update_conflicts=True, unique_fields=unique, update_fields=update
        )
        return obj

    def _compile(self, obj: Model) -> str:
        unique, update = self._update_conflicts or (None, None)
        query = InsertQuery(
            self._model,
            on_conflict=OnConflict.UPDATE if self._update_conflicts else None,
            update_fields=[self._model._meta.get_field(name) for name in update or ()],
            unique_fields=[self._model._meta.get_field(name) for name in unique or ()],
        )
        query.insert_values(self._fields, [obj])
        compiler = query.get_compiler(using=self._using)
        compiler.returning_fields = self._returning
        [(text, params)] = compiler.as_sql()
        if len(params) != len(self._fields):
            raise ValueError("CompiledInsert: the insert's parameters are not its columns")
        if self._computed is None:
            return text
        # VALUES (%s, %s::varchar(50)[], …) -> SELECT %s, computed.<expression>, … FROM
        # computed, under WITH computed AS (cte); RETURNING already names the column.
        [row], _ = compiler.assemble_as_sql(self._fields, [[None] * len(self._fields)])
        placeholders = list(row)
        values = f"VALUES ({', '.join(placeholders)})"
        if text.count(values) != 1:
            raise ValueError(f"CompiledInsert: cannot compute a column in {text!r}")
        placeholders[self._fields.index(self._computed_field)] = (
            f"computed.{self._computed.expression}"
        )
        selected = f"SELECT {', '.join(placeholders)} FROM computed"  # noqa: S608 (placeholders, constants)
        return f"WITH computed AS ({self._computed.cte}) " + text.replace(values, selected)

    def insert(self, obj: Model) -> Model:
        """Insert `obj` (a new row) and return it, its primary key set.

        A tenant row is written for the current tenant only: outside a tenant context this
        raises TenantContextMissing (as the tenant manager's bulk_create does), and a row of
        another tenant is refused.
        """
        model = self._model
        if hasattr(obj, "tenant_id"):
            current = require_tenant_id()
            if obj.tenant_id is None:
                obj.tenant_id = current
            elif obj.tenant_id != current:
                raise ValueError("CompiledInsert: a row of another tenant than the current one")
        if (
            signals.pre_save.has_listeners(model)
            or signals.post_save.has_listeners(model)
            or model.save.__qualname__ not in _PLAIN_SAVES
        ):
            return self._orm_insert(obj)
        if self._sql is None:
            # From a throwaway instance: the compiler runs pre_save (auto_now) on what it is
            # given, and obj's values are taken once, below.
            self._sql = self._compile(model())
        obj._prepare_related_fields_for_save(operation_name="save")
        values = [field.pre_save(obj, True) for field in self._fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return self._orm_insert(obj)
        connection = connections[self._using]
        params = [
            field.get_db_prep_save(value, connection)
            for field, value in zip(self._fields, values, strict=True)
            if field is not self._computed_field
        ]
        if self._computed is not None:
            params[:0] = self._computed.params(obj)
        with connection.cursor() as cursor:
            cursor.execute(self._sql, params)
            returned = cursor.fetchone()
        for field, value in zip(self._returning, returned, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = self._using
        return obj
