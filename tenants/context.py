"""The tenant context: which tenant the current code acts for, in Python and in PostgreSQL.

`tenant_context(tenant)` sets a ContextVar and, on the database connection, the
transaction-local `app.tenant_id` setting and the runtime role (research/tenancy.md §2.2).
Transaction-local means PostgreSQL forgets both at COMMIT/ROLLBACK, so a pooled or persistent
connection can never carry a tenant into the next request. `SET LOCAL` survives RELEASE
SAVEPOINT, so a nested context restores the outer values explicitly on exit.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction
from django.db.models.expressions import RawSQL

from tenants.db import TENANT_GUC


class TenantContextMissing(RuntimeError):
    """Tenant-owned data was touched outside tenant_context()."""


@dataclass(frozen=True)
class _Frame:
    tenant_id: int
    using: str


_current: ContextVar[_Frame | None] = ContextVar("tenant_frame", default=None)

_APPLY_SQL = f"SELECT set_config('role', %s, true), set_config('{TENANT_GUC}', %s, true)"


def current_tenant_id() -> int | None:
    """Return the id of the tenant the current context acts for, or None."""
    frame = _current.get()
    return frame.tenant_id if frame else None


@contextmanager
def outside_tenant_context() -> Iterator[None]:
    """Run the block as if no tenant context were active (in Python only: the database
    settings stay as they are). For code that must not pick up the current tenant, such as a
    query compiled once for every tenant (tenants.compiled)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def require_tenant_id() -> int:
    """Return the current tenant id; raise TenantContextMissing outside a tenant context."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissing("tenant-owned data used outside tenant_context()")
    return tenant_id


def _apply(using: str, *, role: str, tenant_id: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(_APPLY_SQL, [role, tenant_id])


def tenant_settings_applied_by(tenant_id_column: str) -> RawSQL:
    """An expression that applies, for the rest of the transaction, what tenant_context()
    applies on entry — for the tenant whose id is in `tenant_id_column` of the row it is
    evaluated in. A query that selects it and returns exactly one row stands in for
    tenant_context's first statement (one round trip instead of two): enter
    `tenant_context(tenant, applied=True)` right after it, in the same transaction.

    PostgreSQL evaluates the output list only for rows that pass the query's conditions, so a
    query that finds no row (not a member) applies nothing.
    """
    # The column is the caller's code constant, never input; the role is a parameter.
    return RawSQL(  # noqa: S611
        f"set_config('role', %s, true) || set_config('{TENANT_GUC}', {tenant_id_column}::text, "
        "true)",
        (settings.TENANCY_DB_ROLE,),
    )


@contextmanager
def tenant_context(
    tenant,
    *,
    using: str = "default",
    savepoint: bool = True,
    restore: bool | None = None,
    applied: bool = False,
) -> Iterator[int]:
    """Run the block as `tenant` (a Tenant or its id): ContextVar + GUC + runtime role.

    Opens a transaction (or a savepoint inside one; `savepoint=False` joins the caller's
    transaction, for callers that own error handling such as the base API view). Re-entering
    the same tenant on the same connection costs nothing. On exit inside a transaction that
    goes on, the outer settings are restored; `restore=False` skips that when the caller
    knows COMMIT follows immediately. `applied=True`: the transaction's last statement already
    applied the settings (tenant_settings_applied_by); requires `savepoint=False`.
    """
    tenant_id = int(getattr(tenant, "pk", tenant))
    outer = _current.get()
    if outer == _Frame(tenant_id, using) and connections[using].in_atomic_block:
        yield tenant_id
        return

    nested = connections[using].in_atomic_block if restore is None else restore
    if applied and (savepoint or not connections[using].in_atomic_block):
        raise ValueError("applied=True joins the transaction that applied the settings")
    with transaction.atomic(using=using, savepoint=savepoint):
        if not applied:
            _apply(using, role=settings.TENANCY_DB_ROLE, tenant_id=str(tenant_id))
        token = _current.set(_Frame(tenant_id, using))
        try:
            yield tenant_id
        finally:
            _current.reset(token)
        # Normal exit only: on an exception the rollback (savepoint or transaction) undoes
        # the SET LOCALs, and a broken transaction (needs_rollback) accepts no statements.
        if nested and not connections[using].needs_rollback:
            if outer is not None and outer.using == using:
                _apply(using, role=settings.TENANCY_DB_ROLE, tenant_id=str(outer.tenant_id))
            else:
                _apply(using, role="none", tenant_id="")
