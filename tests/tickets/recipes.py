"""Recipes for tickets-app rows. Make them inside tenant_context(tenant) and pass tenant=…
(RLS refuses rows for any other tenant); the foreign keys follow the given tenant."""

import uuid
from itertools import cycle

from model_bakery.recipe import Recipe, foreign_key, seq

from tickets.models import (
    AssignmentCursor,
    Attachment,
    BusinessHours,
    Comment,
    Customer,
    ExportJob,
    SlaPolicy,
    Ticket,
    TicketCounter,
    TicketEvent,
)

customer_recipe = Recipe(Customer, email=seq("customer", suffix="@example.test"), name=seq("C "))
ticket_counter_recipe = Recipe(TicketCounter, last_number=0)
assignment_cursor_recipe = Recipe(AssignmentCursor)
sla_policy_recipe = Recipe(SlaPolicy, name=seq("Policy "), tier=cycle(["basic", "premium"]))
business_hours_recipe = Recipe(BusinessHours, timezone="Europe/Berlin")
ticket_recipe = Recipe(
    Ticket, number=seq(1000), subject=seq("Subject "), requester=foreign_key(customer_recipe)
)
comment_recipe = Recipe(Comment, ticket=foreign_key(ticket_recipe), body=seq("Body "))
ticket_event_recipe = Recipe(
    TicketEvent, ticket=foreign_key(ticket_recipe), actor_label="system", field="status"
)
attachment_recipe = Recipe(
    Attachment,
    ticket=foreign_key(ticket_recipe),
    filename="file.txt",
    content_type="text/plain",
    size=1,
    sha256="0" * 64,
    storage_key=lambda: f"tenants/test/attachments/{uuid.uuid4().hex}",
)
export_job_recipe = Recipe(ExportJob)
