from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from config.api.etags import etag, expected_version, with_etag
from config.api.pagination import OldestFirstCursorPagination
from tenants.api.base import TenantAPIView, TenantViewSet
from tickets import selectors
from tickets.api.sla import serializers as s
from tickets.models import SlaPolicy
from tickets.services import sla_settings


class SlaPolicyViewSet(mixins.ListModelMixin, TenantViewSet):
    """SLA targets in business minutes per priority: the tenant's default policy (DESIGN.md §6
    targets until changed) and optional per-tier overrides. A change recomputes the due times
    of unfinished tickets in the background."""

    selector = staticmethod(selectors.sla_policy_list)
    model = SlaPolicy
    filter_backends: list = []
    pagination_class = OldestFirstCursorPagination
    if_match = {"partial_update", "destroy"}
    etag = {"retrieve", "create", "partial_update"}
    serializer_class = s.SlaPolicyOutputSerializer
    input_serializers = {
        "create": s.SlaPolicyCreateInputSerializer,
        "partial_update": s.SlaPolicyUpdateInputSerializer,
    }
    permission_map = {
        "list": "sla.read",
        "retrieve": "sla.read",
        "create": "sla.manage",
        "partial_update": "sla.manage",
        "destroy": "sla.manage",
    }

    def list(self, request, *args, **kwargs):
        sla_settings.sla_policy_default(tenant=request.tenant)  # every tenant shows one
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, id=None):
        policy = self.get_object()
        return with_etag(Response(s.SlaPolicyOutputSerializer(policy).data), policy)

    def create(self, request):
        data = s.SlaPolicyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = sla_settings.sla_policy_create(
            tenant=request.tenant,
            actor=self.actor,
            tier=data.validated_data["tier"],
            **s.targets_in(data.validated_data),
        )
        response = Response(
            s.SlaPolicyOutputSerializer(policy).data, status=status.HTTP_201_CREATED
        )
        response["Location"] = f"{request.path}{policy.public_id}/"
        return with_etag(response, policy)

    def partial_update(self, request, id=None):
        policy = self.get_object()
        data = s.SlaPolicyUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = sla_settings.sla_policy_update(
            tenant=request.tenant,
            actor=self.actor,
            policy=policy,
            expected_version=expected_version(request),
            **s.targets_in(data.validated_data),
        )
        return with_etag(Response(s.SlaPolicyOutputSerializer(policy).data), policy)

    def destroy(self, request, id=None):
        sla_settings.sla_policy_delete(
            tenant=request.tenant,
            actor=self.actor,
            policy=self.get_object(),
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class BusinessHoursApi(TenantAPIView):
    """The tenant's business calendar: its time zone, weekly open intervals and holidays. SLA
    clocks count only open time; without intervals they count around the clock. PUT replaces
    everything, PATCH what it names; either recomputes unfinished tickets in the background."""

    name = "Business hours"
    permission_map = {"get": "sla.read", "put": "sla.manage", "patch": "sla.manage"}
    serializer_class = s.BusinessHoursSerializer
    if_match = {"put", "patch"}
    etag = {"get", "put", "patch"}
    html_form = False  # intervals and holidays are lists: the browsable API edits JSON

    def get_serializer(self, *args, **kwargs):
        # The browsable API's JSON form starts from the current calendar, writable fields only.
        return s.BusinessHoursEditSerializer(*args, **kwargs)

    def _answer(self, hours) -> Response:
        response = Response(s.BusinessHoursSerializer(hours).data)
        response["ETag"] = etag(hours)
        return response

    @extend_schema(responses={200: s.BusinessHoursSerializer})
    def get(self, request):
        return self._answer(sla_settings.business_hours_get(tenant=request.tenant))

    def _update(self, request, *, partial: bool) -> Response:
        data = s.BusinessHoursSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        hours = sla_settings.business_hours_update(
            tenant=request.tenant,
            actor=self.actor,
            expected_version=expected_version(request),
            **s.hours_in(data.validated_data),
        )
        return self._answer(hours)

    @extend_schema(request=s.BusinessHoursSerializer, responses={200: s.BusinessHoursSerializer})
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(request=s.BusinessHoursSerializer, responses={200: s.BusinessHoursSerializer})
    def patch(self, request):
        return self._update(request, partial=True)


class BusinessHoursHolidayImportApi(TenantAPIView):
    """Add a country's public holidays (the maintained `holidays` calendars) for some years to
    the tenant's holidays; dates already listed keep their name."""

    name = "Import public holidays"
    html_form = False  # `years` is a list: the browsable API edits JSON

    def get_serializer(self, *args, **kwargs):
        return s.HolidayImportInputSerializer(*args, **kwargs)

    permission_map = {"post": "sla.manage"}
    serializer_class = s.HolidayImportInputSerializer

    @extend_schema(
        request=s.HolidayImportInputSerializer, responses={200: s.BusinessHoursSerializer}
    )
    def post(self, request):
        data = s.HolidayImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hours = sla_settings.business_hours_import_holidays(
            tenant=request.tenant,
            actor=self.actor,
            country=data.validated_data["country"],
            subdivision=data.validated_data.get("subdivision"),
            years=data.validated_data["years"],
        )
        response = Response(s.BusinessHoursSerializer(hours).data)
        response["ETag"] = etag(hours)
        return response
