"""List filters shared by every app: values a filter cannot use are a 400, never ignored and
never passed to PostgreSQL to fail there (a 500)."""

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

# PostgreSQL keeps UTC offsets up to ±15:59 and years 1-9999 (in UTC) in a timestamptz input;
# Python accepts offsets up to ±23:59 and years 1-9999 in local time.
MAX_UTC_OFFSET = dt.timedelta(hours=15, minutes=59)


def storable_datetime(value: dt.datetime) -> dt.datetime:
    """Return `value` in UTC, or raise ValueError when PostgreSQL could not hold it."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError("The UTC offset must be within ±15:59.")
    try:
        return value.astimezone(dt.UTC) if offset is not None else value
    except OverflowError as exc:  # 0001-01-01T00:00+14:00 is in year 0 in UTC
        raise ValueError("The time is outside the years 1 to 9999 (in UTC).") from exc


class _StrictIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return storable_datetime(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


class StrictIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 timestamp PostgreSQL can hold, compared in UTC."""

    field_class = _StrictIsoDateTimeField


class _StrictBooleanField(forms.NullBooleanField):
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """true/false (or 1/0); anything else is a 400, never a silently dropped filter."""

    field_class = _StrictBooleanField
