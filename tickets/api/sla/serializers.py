from rest_framework import serializers

from config.api.serializers import InputSerializer
from tickets.models import Tier
from tickets.services.sla_settings import HOLIDAY_YEARS, MAX_HOLIDAYS, MAX_INTERVALS, TARGET_RANGE
from tickets.sla import PRIORITIES, policy_targets

_CLOCK_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


def _minutes(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=TARGET_RANGE[0], max_value=TARGET_RANGE[1], **kwargs)


class TargetsSerializer(serializers.Serializer):
    critical = _minutes()
    high = _minutes()
    medium = _minutes()
    low = _minutes()


class TargetsInputSerializer(InputSerializer):
    """Minutes of business time per priority; leave out the ones you do not change."""

    critical = _minutes(required=False)
    high = _minutes(required=False)
    medium = _minutes(required=False)
    low = _minutes(required=False)


class SlaPolicyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        allow_null=True,
        help_text="The customer tier this policy overrides the default for; null: the default.",
    )
    is_default = serializers.BooleanField()
    first_response_minutes = serializers.SerializerMethodField()
    resolution_minutes = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_first_response_minutes(self, policy) -> TargetsSerializer:
        return policy_targets(policy)["first_response"]

    def get_resolution_minutes(self, policy) -> TargetsSerializer:
        return policy_targets(policy)["resolution"]


class SlaPolicyCreateInputSerializer(InputSerializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    name = serializers.CharField(max_length=100, required=False)
    first_response_minutes = TargetsInputSerializer(
        required=False, help_text="Targets not given copy the default policy's."
    )
    resolution_minutes = TargetsInputSerializer(required=False)


class SlaPolicyUpdateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    first_response_minutes = TargetsInputSerializer(required=False)
    resolution_minutes = TargetsInputSerializer(required=False)


class IntervalSerializer(InputSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday … 6 Sunday.")
    start = serializers.RegexField(_CLOCK_PATTERN, help_text='Local time "HH:MM".')
    end = serializers.RegexField(
        _CLOCK_PATTERN, help_text='Local time "HH:MM", after start ("24:00": midnight).'
    )


class HolidaySerializer(InputSerializer):
    date = serializers.DateField(format="%Y-%m-%d", input_formats=["%Y-%m-%d"])
    name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")


class BusinessHoursSerializer(InputSerializer):
    timezone = serializers.CharField(
        max_length=64, help_text="IANA time zone of the intervals and holidays."
    )
    intervals = serializers.ListField(
        child=IntervalSerializer(),
        max_length=MAX_INTERVALS,
        help_text="Weekly open intervals (several a day allowed, none overlapping). Empty: "
        "open around the clock (24/7).",
    )
    holidays = serializers.ListField(
        child=HolidaySerializer(), max_length=MAX_HOLIDAYS, help_text="Closed local dates."
    )
    always_open = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, hours):
        return {
            "timezone": hours.timezone,
            "intervals": hours.intervals,
            "holidays": hours.holidays,
            "always_open": not hours.intervals,
            "version": hours.version,
            "updated_at": serializers.DateTimeField().to_representation(hours.updated_at)
            if hours.updated_at
            else None,
        }


class BusinessHoursEditSerializer(BusinessHoursSerializer):
    """What a PUT sends back: the current calendar without the read-only fields."""

    def to_representation(self, hours):
        shown = super().to_representation(hours)
        return {key: shown[key] for key in ("timezone", "intervals", "holidays")}


class HolidayImportInputSerializer(InputSerializer):
    country = serializers.CharField(
        max_length=3, help_text="ISO 3166-1 alpha-2 code, e.g. DE, US, FR."
    )
    subdivision = serializers.CharField(
        max_length=10, required=False, help_text="A state or region code, e.g. BY for Bavaria."
    )
    years = serializers.ListField(
        child=serializers.IntegerField(min_value=HOLIDAY_YEARS[0], max_value=HOLIDAY_YEARS[1]),
        min_length=1,
        max_length=10,
    )


def targets_in(validated: dict) -> dict:
    """The service's keyword arguments from a validated policy input."""
    out = {}
    if "name" in validated:
        out["name"] = validated["name"]
    for target in ("first_response_minutes", "resolution_minutes"):
        if target in validated:
            out[target] = {
                str(p): validated[target][p] for p in PRIORITIES if p in validated[target]
            }
    return out


def hours_in(validated: dict) -> dict:
    """The service's keyword arguments from validated business hours."""
    out = {}
    if "timezone" in validated:
        out["timezone"] = validated["timezone"]
    if "intervals" in validated:
        out["intervals"] = [dict(item) for item in validated["intervals"]]
    if "holidays" in validated:
        out["holidays"] = [
            {"date": item["date"].isoformat(), "name": item.get("name", "")}
            for item in validated["holidays"]
        ]
    return out
