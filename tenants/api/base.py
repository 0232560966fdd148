"""The bases of every tenant route: member routes (/api/v1/t/<tenant_slug>/…) and public ones.

A member route (TenantViewMixin) owns, and subclasses cannot override:
- the transaction the request runs in (the tenant GUC is transaction-local);
- authentication first (401), then tenant + membership in one query (404 for an unknown
  tenant and for a non-member alike), then tenant_context(), then the role check (403);
- get_queryset(): always filtered by the request's tenant, narrowed by the view's selector;
- rendering inside the context (the browsable API evaluates querysets while rendering).
PostHog's TeamAndOrgViewSetMixin guards its subclasses the same way. A public route
(PublicTenantViewMixin: no credentials, e.g. the help center) shares the transaction, the
context and the guard; its contract is in its docstring.
"""

from contextlib import ExitStack

from django.db import DatabaseError, transaction
from rest_framework import exceptions, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from config.api.client import client_ip
from config.api.throttling import (
    AnonRateThrottle,
    PublicAddressRateThrottle,
    PublicRecipientRateThrottle,
    PublicScopedRateThrottle,
    PublicTenantRateThrottle,
    throttles_refusing,
)
from config.logging import request_tenant_id_var, user_id_var
from tenants import idempotency
from tenants.access import Actor
from tenants.authentication import ApiKeyPrincipal
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.permissions import HasTenantCapability
from tenants.selectors import tenant_access_resolve, tenant_get

# What a tenant view may not redefine: tenant resolution, authentication, quotas, the role
# check and the scoped queryset all stay with the base.
_FINAL = (
    "dispatch",
    "initial",
    "handle_exception",
    "finalize_response",
    "get_queryset",
    "get_permissions",
    "get_authenticators",
    "get_throttles",
    "check_permissions",
    "check_throttles",
    "perform_authentication",
)
_FINAL_ATTRIBUTES = ("permission_classes", "authentication_classes", "throttle_classes")
_DESCRIBE_METHODS = ("HEAD", "OPTIONS")


def _changed_nothing(connection) -> bool:
    """Whether the current transaction wrote or locked no row (PostgreSQL assigns a
    transaction id at the first one), has no on_commit callback waiting and no failed
    statement. One statement; False when the transaction cannot run it.

    It does not see what request code never does: NOTIFY, a session-level SET, a cursor
    WITH HOLD (a COMMIT would keep them). Keep them out of request transactions."""
    if connection.needs_rollback or connection.run_on_commit:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NULL")
            return cursor.fetchone()[0]
    except DatabaseError:
        return False


def actor_from_request(request) -> Actor:
    """Build the audit actor of a DRF request (user token/session or tenant API key)."""
    access = getattr(request, "access", None)
    principal = request.user
    api_key = principal.api_key if isinstance(principal, ApiKeyPrincipal) else None
    return Actor(
        user=None if api_key is not None or not principal.is_authenticated else principal,
        api_key=api_key,
        role=access.role if access else None,
        ip=client_ip(request),
        request_id=getattr(request, "request_id", "") or "",
    )


class TenantContextMixin:
    """A request that runs in one transaction, inside its tenant's context once `initial()`
    has resolved the tenant (`_enter_tenant`); rendering happens inside it too. Errors, HEAD
    and OPTIONS roll back. The bases below build on it; views never subclass it directly."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:  # the bases defined here own these
            return
        # Every class the view inherits from ahead of these bases counts, mixins included.
        own = [
            klass
            for klass in cls.__mro__
            if klass.__module__ != __name__
            and not klass.__module__.startswith(("rest_framework.", "django."))
            and klass is not object
        ]
        overridden = sorted(
            {name for klass in own for name in (*_FINAL, *_FINAL_ATTRIBUTES) if name in vars(klass)}
        )
        if overridden:
            raise TypeError(
                f"{cls.__name__} may not override {', '.join(overridden)}: tenant views "
                "narrow data through `selector` and declare capabilities instead"
            )

    def dispatch(self, request, *args, **kwargs):
        self.tenant_slug = kwargs.pop("tenant_slug")
        # When this request owns the transaction, COMMIT discards the tenant settings; inside
        # an enclosing transaction (tests) they are restored on the way out.
        self._restore_context = transaction.get_connection().in_atomic_block
        with transaction.atomic():
            with ExitStack() as stack:
                self._tenant_stack = stack
                response = super().dispatch(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    if transaction.get_connection().needs_rollback:
                        # A write failed after it began, in a service that keeps no savepoint
                        # (ticket_create): no statement may run before the rollback, and the
                        # browsable API's page would query for its forms. The error goes out
                        # as JSON, which needs none.
                        response.accepted_renderer = JSONRenderer()
                        response.accepted_media_type = JSONRenderer.media_type
                    response = response.render()
            # HEAD and OPTIONS only describe: whatever a handler did, nothing is kept. When
            # this request owns its transaction and changed nothing, it commits instead: the
            # same outcome, and a ROLLBACK would make psycopg drop the connection's prepared
            # statements. Inside an enclosing transaction the block is a savepoint, whose
            # release would keep what a rollback to it undoes (its advisory locks): it rolls
            # back, as before.
            refused = response.status_code >= 400 or request.method in _DESCRIBE_METHODS
            if refused and (
                self._restore_context or not _changed_nothing(transaction.get_connection())
            ):
                transaction.set_rollback(True)
        return response

    def _enter_tenant(self, tenant: Tenant, *, applied: bool = False) -> None:
        request_tenant_id_var.set(tenant.pk)
        self._tenant_stack.enter_context(
            # The view's own transaction holds the settings: no savepoint needed.
            tenant_context(tenant, savepoint=False, restore=self._restore_context, applied=applied)
        )

    def _check_throttles(self, request, *, tenant_phase: bool | None) -> None:
        """Count the request against the caller's quotas (tenant_phase False), the tenant's
        (True) or both (None), in one round trip where they are plain counters."""
        throttles = [
            throttle
            for throttle in self.get_throttles()
            if tenant_phase is None or getattr(throttle, "tenant_scoped", False) == tenant_phase
        ]
        waits = [throttle.wait() for throttle in throttles_refusing(throttles, request, self)]
        if waits:
            self.throttled(request, max((w for w in waits if w is not None), default=None))

    @property
    def actor(self) -> Actor:
        return actor_from_request(self.request)


class TenantViewMixin(TenantContextMixin):
    permission_classes = [IsAuthenticated, HasTenantCapability]
    # Response fields that carry a secret shown once: an Idempotency-Key record stores them as
    # null and a replay says so (tenants.idempotency).
    idempotency_redact: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        # DRF's initial(), reordered: the caller's own quotas (user, API key, anonymous
        # address) apply before the tenant is looked up, so 401s and 404s count too; the
        # tenant's quota and the role check apply inside the tenant.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        negotiated = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = negotiated
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme

        try:
            user = request.user  # authenticates
        except exceptions.AuthenticationFailed:
            self._check_throttles(request, tenant_phase=False)  # now as the anonymous caller
            raise
        if not user.is_authenticated:
            self._check_throttles(request, tenant_phase=False)
            raise exceptions.NotAuthenticated()
        api_key = user.api_key if isinstance(user, ApiKeyPrincipal) else None
        # A user's membership query also applies the tenant's settings (one round trip).
        access = tenant_access_resolve(
            user=user, api_key=api_key, slug=self.tenant_slug, apply_context=True
        )
        if access is None:
            self._check_throttles(request, tenant_phase=False)  # 404s count too
            raise exceptions.NotFound()
        self._enter_tenant(access.tenant, applied=access.context_applied)
        # On the HttpRequest, which DRF's Request proxies: the clones DRF makes to ask "may this
        # caller POST here?" (OPTIONS metadata, the browsable API's forms) see them too.
        django_request = request._request
        django_request.access = access
        django_request.membership = access.membership
        django_request.tenant = access.tenant
        if api_key is None:
            user_id_var.set(str(user.public_id))  # session users (token/key auth set it already)
        # The caller's quota and the tenant's, counted together in one round trip.
        self._check_throttles(request, tenant_phase=None)
        self.check_permissions(request)
        self._idempotency = idempotency.begin(request)  # may replay a stored response

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        pending = getattr(self, "_idempotency", None)
        if pending is not None:
            self._idempotency = None
            idempotency.finish(request, pending, response, redact_fields=self.idempotency_redact)
        return response


class TenantAPIView(TenantViewMixin, APIView):
    """A single-operation tenant endpoint."""


class TenantViewSet(TenantViewMixin, viewsets.GenericViewSet):
    """A tenant resource. Set `selector` (tenant -> QuerySet) and `permission_map`."""

    selector = None
    model = None  # what `selector` returns rows of (read by the OpenAPI schema generator)
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    # action -> input serializer, so the browsable API and the schema show the input shape.
    input_serializers: dict = {}

    def get_serializer_class(self):
        # By the action the request's method maps to: DRF asks with a cloned POST/PUT request
        # while `action` stays "list" or "metadata" (OPTIONS, the browsable API's forms).
        action = self.action_map.get(self.request.method.lower(), self.action)
        return self.input_serializers.get(action, self.serializer_class)

    def filter_queryset(self, queryset):
        # List filters narrow lists. A detail route names its object: `tickets/2/?status=closed`
        # is ticket 2 whatever its status (and a malformed filter there is no error).
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no request tenant; it only needs the model.
            return self.model._base_manager.none()
        tenant = self.request.tenant
        # The explicit filter stays even if a selector forgets it (and is a literal predicate
        # on every query, which Citus routing will need).
        return type(self).selector(tenant=tenant).filter(tenant=tenant)


class PublicTenantViewMixin(TenantContextMixin):
    """The base of a public tenant route (the help center's): anyone may call it.

    Contract:
    - No authentication: no authenticator runs, so an Authorization header, valid or not, is
      ignored (no 401; the caller is anonymous, `request.user` is AnonymousUser).
    - The tenant comes from the URL's `tenant_slug`: an unknown or deactivated tenant is the
      standard 404 (`{"detail": "Not found.", "code": "not_found"}`), and so is a tenant the
      view's `tenant_serves(tenant)` refuses (e.g. one that turned its help center off).
    - The request runs like a member route's: in one transaction, inside
      `tenant_context(tenant)` (row-level security scopes every query to the tenant), with
      `request.tenant` set; errors, HEAD and OPTIONS roll back. `self.actor` is anonymous
      (address and request id only).
    - Read-only: GET, HEAD and OPTIONS. A subclass that accepts a write lists it, e.g.
      `http_method_names = [*PublicTenantAPIView.http_method_names, "post"]`; any other
      method is a 405, even where a handler exists.
    - Throttled per client address: the `anon` rate over every anonymous route (counted before
      the tenant is looked up, so 404s count) and the `public` rate per tenant
      (THROTTLE_PUBLIC_RATE); a view may add quotas on its writes: `throttle_scope` (per
      address per tenant), `throttle_address_scope` (per address across tenants) and
      `throttle_recipient_scope` (per email address named in the body). Addresses count by
      IPv4 address or IPv6 /64. Beyond any quota, 429 with Retry-After.
    - No Idempotency-Key handling (there is no principal to key it by) and no role check.
    Like member routes, subclasses may not override the methods and attributes that make this
    contract (dispatch, initial, authentication, throttles, permissions).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [
        AnonRateThrottle,
        PublicAddressRateThrottle,
        PublicRecipientRateThrottle,
        PublicTenantRateThrottle,
        PublicScopedRateThrottle,
    ]
    # Quotas a view may opt into for its writes (config.api.throttling): per address in this
    # tenant, per address across tenants, per email address named in the body.
    throttle_scope: str | None = None
    throttle_address_scope: str | None = None
    throttle_recipient_scope: str | None = None
    http_method_names = ["get", "head", "options"]

    def initial(self, request, *args, **kwargs):
        # DRF's initial() without authentication: the address's quota first, then the tenant,
        # then the tenant's quota inside it.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        negotiated = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = negotiated
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme

        self._check_throttles(request, tenant_phase=False)
        tenant = tenant_get(slug=self.tenant_slug)  # NotFoundError: unknown or deactivated
        if not self.tenant_serves(tenant):
            raise exceptions.NotFound()
        self._enter_tenant(tenant)
        request._request.tenant = tenant
        self._check_throttles(request, tenant_phase=True)
        self.check_permissions(request)

    def tenant_serves(self, tenant: Tenant) -> bool:
        """Whether this route is open for `tenant` (a 404 otherwise, like an unknown one)."""
        return True


class PublicTenantAPIView(PublicTenantViewMixin, APIView):
    """A public tenant endpoint (see PublicTenantViewMixin)."""
