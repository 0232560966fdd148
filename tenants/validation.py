"""Input rules services enforce themselves (STYLE.md §12: at the edge, and again in the service).

Inbound email, the help center, CRM sync and the admin call services without a serializer, so
a service checks what it is given before its first write. Each rule is `rule(field, value)`:
it returns the value to store (normalised where the API normalises too, e.g. emails) or raises
django.core.exceptions.ValidationError keyed by `field`. `fields_clean` runs a table of rules
over keyword input, refuses unknown names, and reports every bad field at once.

Limits come from the model fields (`max_length`, `choices`, `blank`, `null`) wherever the model
states them; the messages are DRF's, so a service caller reads what an API client would.
"""

import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from tenants.models import (
    API_KEY_ROLES,
    ASSIGNMENT_STRATEGIES,
    SEARCH_LANGUAGES,
    ApiKey,
    Membership,
    Tenant,
)

Rule = Callable[[str, Any], Any]

EMAIL_MAX_LENGTH = 254
UNKNOWN_FIELD = "Unknown field."
NOT_A_STRING = "Not a valid string."
BLANK = "This field may not be blank."
NULL = "This field may not be null."
NUL_CHARACTER = "Null characters are not allowed."
NOT_A_BOOLEAN = "Must be a valid boolean."
INVALID_EMAIL = "Enter a valid email address."


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _too_long(max_length: int) -> str:
    return f"Ensure this field has no more than {max_length} characters."


def storable_problem(value: str) -> str | None:
    """Why PostgreSQL cannot store the text `value` (NUL, a lone UTF-16 surrogate), or None."""
    if "\x00" in value:
        return NUL_CHARACTER
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"Surrogate characters are not allowed: U+{ord(value[exc.start]):X}."
    return None


def text_check(
    field: str,
    value: Any,
    *,
    max_length: int | None,
    blank: bool = True,
    null: bool = False,
) -> str | None:
    """Return `value` if it is storable text within `max_length`; None only when `null`."""
    if value is None:
        if null:
            return None
        raise _fail(field, NULL)
    if not isinstance(value, str):
        raise _fail(field, NOT_A_STRING)
    problem = storable_problem(value)
    if problem:
        raise _fail(field, problem)
    if not blank and not value.strip():
        raise _fail(field, BLANK)
    if max_length is not None and len(value) > max_length:
        raise _fail(field, _too_long(max_length))
    return value


def choice_check(field: str, value: Any, choices: Iterable[str]) -> str:
    """Return `value` if it is one of `choices`."""
    if not isinstance(value, str) or value not in set(choices):
        raise _fail(field, f'"{value}" is not a valid choice.')
    return value


def boolean_check(field: str, value: Any) -> bool:
    """Return `value` if it is a real bool (not 0/1, not "true")."""
    if type(value) is not bool:
        raise _fail(field, NOT_A_BOOLEAN)
    return value


def email_check(field: str, value: Any) -> str:
    """Return the address stripped and lowercased, if it is a valid email of at most 254."""
    if not isinstance(value, str):
        raise _fail(field, INVALID_EMAIL)
    text_check(field, value, max_length=None)
    email = value.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise _fail(field, _too_long(EMAIL_MAX_LENGTH))
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _fail(field, INVALID_EMAIL) from exc
    return email


def model_rule(model: type[models.Model], name: str, **overrides: Any) -> Rule:
    """The rule of model field `name`: its choices, or text within its max_length (blank and
    null as the field allows them), or a bool. `overrides` replace what the field says."""
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.BooleanField):
        return boolean_check
    if model_field.choices and "choices" not in overrides:
        values = [value for value, _ in model_field.choices]
        return lambda field, value: choice_check(field, value, values)
    if "choices" in overrides:
        values = list(overrides["choices"])
        return lambda field, value: choice_check(field, value, values)
    options = {
        "max_length": model_field.max_length,
        "blank": model_field.blank,
        "null": model_field.null,
        **overrides,
    }
    return lambda field, value: text_check(field, value, **options)


def fields_clean(values: Mapping[str, Any], rules: Mapping[str, Rule]) -> dict[str, Any]:
    """Run `rules` over `values`; return the cleaned values or raise one ValidationError naming
    every bad or unknown field (unknown names are never silently stored)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        rule = rules.get(name)
        if rule is None:
            errors[name] = [UNKNOWN_FIELD]
            continue
        try:
            cleaned[name] = rule(name, value)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Tenants ----------------------------------------------------------------------------------

# Names in the tz database that are not zones a tenant lives in: "localtime" is whatever the
# server's clock is set to, "posixrules"/"Factory" are tooling entries, and the posix/ and
# right/ trees duplicate every zone (right/ counts leap seconds, which nothing else here does).
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_NOT_ZONE_PREFIXES = ("posix/", "right/")
UNKNOWN_TIMEZONE = "Unknown time zone (use an IANA name such as UTC)."
ESCALATION_HOURS_RANGE = (1, 720)


@cache
def timezone_names() -> frozenset[str]:
    """The IANA zones a tenant may live in."""
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(_NOT_ZONE_PREFIXES)
    )


def timezone_check(field: str, value: Any) -> str:
    """Return `value` if it names a zone of timezone_names()."""
    if not isinstance(value, str) or value not in timezone_names():
        raise _fail(field, UNKNOWN_TIMEZONE)
    return value


def _escalation_hours_check(field: str, value: Any) -> int:
    low, high = ESCALATION_HOURS_RANGE
    if type(value) is not int:
        raise _fail(field, "A valid integer is required.")
    if not low <= value <= high:
        raise _fail(field, f"Ensure this value is between {low} and {high}.")
    return value


def tenant_settings_check(field: str, value: Any) -> dict[str, Any]:
    """Return `value` if it is a settings object of known keys with valid values."""
    if not isinstance(value, dict):
        raise _fail(field, "Must be a JSON object.")
    rules: dict[str, Rule] = {
        "assignment_strategy": lambda f, v: choice_check(f, v, ASSIGNMENT_STRATEGIES),
        "unassigned_escalation_hours": _escalation_hours_check,
        "help_center_enabled": boolean_check,
        "auto_assign": boolean_check,
        "search_language": lambda f, v: choice_check(f, v, SEARCH_LANGUAGES),
    }
    try:
        return fields_clean(value, rules)
    except ValidationError as exc:
        messages = [f"{key}: {m}" for key, found in exc.message_dict.items() for m in found]
        raise ValidationError({field: messages}) from exc


TENANT_UPDATE_RULES: dict[str, Rule] = {
    "name": model_rule(Tenant, "name", blank=False),
    "timezone_name": lambda field, value: timezone_check(field, value),
    "settings": tenant_settings_check,
}
MEMBER_UPDATE_RULES: dict[str, Rule] = {
    "role": model_rule(Membership, "role"),
    "is_senior": boolean_check,
    "is_active": boolean_check,
}
API_KEY_ROLE_MESSAGE = "API keys have the role admin, supervisor, agent or viewer."


def _api_key_role_check(field: str, value: Any) -> str:
    if value not in API_KEY_ROLES:
        raise _fail(field, API_KEY_ROLE_MESSAGE)
    return value


API_KEY_CREATE_RULES: dict[str, Rule] = {
    "name": model_rule(ApiKey, "name", blank=False),
    "role": _api_key_role_check,
}
