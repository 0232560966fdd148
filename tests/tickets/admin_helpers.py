"""What the tenant-scoped admin tests share: the admin URLs, reading messages, and the
change form's data."""

TICKETS = "/admin/tickets/ticket/"


CUSTOMERS = "/admin/tickets/customer/"


def change_url(base: str, pk: int) -> str:
    return f"{base}{pk}/change/"
