"""The base of every tenant-owned table: `tenant_id NOT NULL`, a fail-closed default manager,
`UNIQUE (tenant_id, id)` and the RLS policy; and references that outlive their target."""

import uuid

from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState

from tenants.context import require_tenant_id
from tenants.db import TenantRLS
from tenants.models.tenants import Tenant


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        tenant_id = require_tenant_id()
        objs = list(objs)  # a generator would be spent here, and nothing created
        for obj in objs:
            if obj.tenant_id is None:
                obj.tenant_id = tenant_id
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of tenant models: scoped to the current tenant, raises outside one."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant_id=require_tenant_id())

    def none(self):
        # Reads no rows, so needs no tenant (the OpenAPI generator builds filters from it).
        return super().get_queryset().none()


class TenantModel(models.Model):
    """Base of every tenant-owned table."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = TenantManager()
    # The escape hatch, named so it can be grepped for. RLS still applies underneath it.
    unscoped = models.Manager()

    class Meta:
        abstract = True
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "id"], name="%(app_label)s_%(class)s_tenant_id_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "public_id"], name="%(app_label)s_%(class)s_tenant_pub_uniq"
            ),
            TenantRLS(name="%(app_label)s_%(class)s_rls"),
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        """A row read from the database, as Model.from_db makes it, without Model.__init__.

        A list page builds about 50 of these; __init__ sets each field through setattr and
        sends pre_init/post_init, which cost more than the row itself. For a whole row and
        no init receivers this does what __init__ would leave behind: every column's value
        in the instance's dict (the foreign keys' descriptors only clear a related-object
        cache a new instance does not have) and a ModelState saying "from `db`, not new".
        Anything else (deferred columns, receivers) goes through Django's own path.
        """
        attnames = cls.__dict__.get("_row_attnames")
        if attnames is None:
            attnames = tuple(field.attname for field in cls._meta.concrete_fields)
            cls._row_attnames = attnames
        if (
            len(values) != len(attnames)
            or signals.pre_init.has_listeners(cls)
            or signals.post_init.has_listeners(cls)
        ):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        new.__dict__.update(zip(attnames, values, strict=True))
        return new

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant_id = require_tenant_id()
        super().save(*args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        # save() updates go through the base manager (WHERE id = …); keep a literal tenant
        # predicate on them too, for the query auditor today and Citus routing tomorrow.
        base_qs = base_qs.filter(tenant_id=self.tenant_id)
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)


def historical_reference(to, *, db_index: bool = False) -> models.ForeignKey:
    """A nullable reference that must outlive its target (who did it, who uploaded it).

    No database constraint and no ON DELETE rewrite: append-only and history rows keep the id
    of a user or key that is gone, and readers get None through select_related. No index by
    default: on a tenant table, reads are tenant-scoped and a single-column index without
    tenant_id is not one a distributed table wants (docs/scale-out.md); a platform table may
    ask for one.
    """
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=db_index,
        related_name="+",
    )
