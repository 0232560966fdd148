"""What the tenant-scoped admin tests share: the admin URLs, reading messages, and the
change form's data."""

TICKETS = "/admin/tickets/ticket/"


CUSTOMERS = "/admin/tickets/customer/"


def admin_key(obj) -> str:
    """What the admin's URLs name an object by: a ticket its number, platform rows (users,
    tenants) their database id, every other tenant row its public id."""
    if hasattr(obj, "number"):
        return str(obj.number)
    if type(obj).__name__ in ("User", "Tenant"):
        return str(obj.pk)
    return str(obj.public_id)


def change_url(base: str, obj) -> str:
    return f"{base}{admin_key(obj)}/change/"
