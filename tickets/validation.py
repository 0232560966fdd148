"""Input rules of the tickets app's services (see tenants.validation for the rule shape).

The tag and metadata rules are the API's too: tickets.api.serializers imports them from here,
so the serializer (which answers first at the API) and the service can never drift apart.
"""

import json
import re
from typing import Any

from django.core.exceptions import ValidationError

from tenants.models import User
from tenants.validation import Rule, email_check, model_rule, text_check
from tickets.models import Comment, Customer, Ticket

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_TAGS = 20
TAG_MAX_LENGTH: int = Ticket._meta.get_field("tags").base_field.max_length
METADATA_MAX_BYTES = 16 * 1024
METADATA_MAX_DEPTH = 10
# Text columns without a database limit, capped like their API fields.
DESCRIPTION_MAX_LENGTH = 20_000
COMMENT_BODY_MAX_LENGTH = 50_000


def json_problem(value: Any) -> str | None:
    """Why `value` cannot be stored and passed on, or None. Iterative: the value may be nested
    deeper than json.dumps (recursive) survives; PostgreSQL jsonb refuses NUL characters."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "Must not contain NUL characters."
            continue
        if isinstance(item, dict | list):
            if depth > METADATA_MAX_DEPTH:
                return f"Must nest at most {METADATA_MAX_DEPTH} levels deep."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return None


def _non_string_key(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if any(not isinstance(key, str) for key in item):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def metadata_check(field: str, value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object the API would accept: string keys, JSON values
    (no NaN, no lone surrogates, no NUL), at most 10 levels and 16 KiB."""
    if not isinstance(value, dict):
        raise ValidationError({field: "Must be a JSON object."})
    problem = json_problem(value)
    if problem:
        raise ValidationError({field: problem})
    if _non_string_key(value):
        raise ValidationError({field: "Object keys must be strings."})
    try:
        text = json.dumps(value, allow_nan=False)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise ValidationError({field: "Value must be valid JSON."}) from exc
    if len(text) > METADATA_MAX_BYTES:
        raise ValidationError({field: f"Must be at most {METADATA_MAX_BYTES} bytes."})
    return jsonb_ordered(value)


def jsonb_ordered(value: Any) -> Any:
    """`value` with every object's keys in the order PostgreSQL's jsonb keeps them (shorter
    keys first, then by their bytes), so that what a write returns reads exactly like what a
    later read returns."""
    if isinstance(value, dict):
        return {
            key: jsonb_ordered(value[key])
            for key in sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        }
    if isinstance(value, list):
        return [jsonb_ordered(item) for item in value]
    return value


def tags_check(field: str, value: Any) -> list[str]:
    """Return the tags normalised as the API does (stripped, lowercased, deduplicated in
    order), if `value` is a list of at most 20 non-blank slugs of at most 50 characters."""
    if not isinstance(value, list | tuple):
        kind = type(value).__name__
        raise ValidationError({field: f'Expected a list of items but got type "{kind}".'})
    if len(value) > MAX_TAGS:
        raise ValidationError({field: f"Ensure this field has no more than {MAX_TAGS} elements."})
    for tag in value:
        text_check(field, tag, max_length=TAG_MAX_LENGTH, blank=False)
    normalised = [tag.strip().lower() for tag in value]
    bad = [tag for tag in normalised if not TAG_RE.match(tag)]
    if bad:
        raise ValidationError(
            {field: f"Tags are lowercase letters, digits, '-' and '_' (bad: {', '.join(bad[:5])})."}
        )
    return list(dict.fromkeys(normalised))


def tags_update_check(field: str, value: Any, *, current: list[str]) -> list[str]:
    """tags_check for a change of a ticket's tags: the tags it already has stay as stored (one
    from before these rules, or from an import, must not block an unrelated change such as a
    bulk tags_add); every other tag must pass tags_check."""
    if not isinstance(value, list | tuple) or len(value) > MAX_TAGS:
        return tags_check(field, value)  # its error
    kept = set(current)
    tags_check(field, [tag for tag in value if tag not in kept])
    return list(dict.fromkeys(tag if tag in kept else tag.strip().lower() for tag in value))


def user_or_none_check(field: str, value: Any) -> User | None:
    """Return `value` if it is a User or None (whether they may be assigned is a later check)."""
    if value is not None and not isinstance(value, User):
        raise ValidationError({field: "Must be a user or None."})
    return value


CUSTOMER_RULES: dict[str, Rule] = {
    "email": email_check,
    "name": model_rule(Customer, "name"),
    "tier": model_rule(Customer, "tier"),
    "company": model_rule(Customer, "company"),
    "phone": model_rule(Customer, "phone"),
    "crm_id": model_rule(Customer, "crm_id"),
    "metadata": metadata_check,
}
# What ticket_create takes through **fields (status starts at open, through the workflow only).
TICKET_CREATE_RULES: dict[str, Rule] = {
    "description": model_rule(Ticket, "description", max_length=DESCRIPTION_MAX_LENGTH),
    "priority": model_rule(Ticket, "priority"),
    "category": model_rule(Ticket, "category"),
    "channel": model_rule(Ticket, "channel"),
    "tags": tags_check,
    "metadata": metadata_check,
    # null means "none"; an empty string would be a value every other empty one collides with.
    "external_id": model_rule(Ticket, "external_id", blank=False),
}
TICKET_UPDATE_RULES: dict[str, Rule] = {
    "subject": model_rule(Ticket, "subject", blank=False),
    "status": model_rule(Ticket, "status"),
    "assignee": user_or_none_check,
    **TICKET_CREATE_RULES,
}
COMMENT_BODY_RULE: Rule = model_rule(Comment, "body", max_length=COMMENT_BODY_MAX_LENGTH)
