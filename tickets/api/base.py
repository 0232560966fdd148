"""What the tickets app's views share beyond the tenant bases (tenants.api.base)."""

from functools import cached_property

from tickets import selectors
from tickets.models import Ticket


class TicketScopedMixin:
    """A route under tickets/<number>/ (comments, events, assign, attachments, merge…).

    `self.ticket` is the ticket the URL names, inside the request's tenant, read once per
    request through selectors.ticket_get (with requester, assignee and merged_into): a missing
    number and another tenant's are the same 404. Mix it in ahead of a tenant base
    (TenantAPIView, TenantViewSet), which resolves the tenant and checks the role before a
    handler first reads `self.ticket`. It is a read: a write locks the ticket again in its
    service (ticket_get_for_update) and acts on that row.
    """

    ticket_url_kwarg = "number"

    @cached_property
    def ticket(self) -> Ticket:
        number = int(self.kwargs[self.ticket_url_kwarg])
        return selectors.ticket_get(tenant=self.request.tenant, number=number)
