"""Serializer fields that resolve ids only inside the current tenant (PostHog's
TeamScopedPrimaryKeyRelatedField pattern): another tenant's id is "does not exist", a 400,
never a link."""

from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenants.context import current_tenant_id


@extend_schema_field(OpenApiTypes.UUID)
class TenantScopedRelatedField(serializers.SlugRelatedField):
    """Resolve a public id through `queryset_fn(tenant_id)` at validation time.

    The queryset is built per call, inside the request's tenant context, never captured at
    import time; outside a tenant context it is empty (fail safe).

    `resolve=False` checks only the id's shape and hands the service the UUID: for a service
    that looks the object up itself under a lock (one statement where resolving here and
    locking there took two), and answers a missing one with the same field error. The
    queryset still lists the browsable API's choices.
    """

    def __init__(
        self,
        *,
        queryset_fn,
        slug_field: str = "public_id",
        display=None,
        resolve: bool = True,
        **kwargs,
    ):
        self.queryset_fn = queryset_fn
        self.display = display  # how the browsable API's select names a choice (default str())
        self.resolve = resolve
        super().__init__(slug_field=slug_field, **kwargs)

    def to_representation(self, obj):
        return str(obj) if isinstance(obj, UUID) else super().to_representation(obj)

    def display_value(self, instance) -> str:
        return self.display(instance) if self.display else super().display_value(instance)

    def get_queryset(self):
        tenant_id = current_tenant_id()
        if tenant_id is None:
            return self.queryset_fn(None).none()
        return self.queryset_fn(tenant_id).filter(tenant_id=tenant_id)

    def to_internal_value(self, data):
        try:
            if not self.resolve:
                return UUID(str(data))
            return self.get_queryset().get(**{self.slug_field: data})
        except (ObjectDoesNotExist, TypeError, ValueError, DjangoValidationError):
            # A malformed id is answered exactly like a foreign or missing one.
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:64])
