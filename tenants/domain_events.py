"""The tenants app's event contracts (the bus and the registry are in tenants.events).

Tenant events: a member joined, an invitation went out (again). Platform events concern
accounts, which belong to no tenant: they are never listed for tenants and never leave the
deployment, so they may carry internal ids.
"""

from dataclasses import dataclass

from tenants.events import INTERNAL, Event, payload, register


@register
@dataclass(frozen=True)
class MemberAdded(Event):
    type = "member.added"
    description = "Someone joined the tenant (by accepting an invitation, or added directly)."
    visibility = INTERNAL

    member: str = payload("The membership's id.")
    user: str = payload("The new member's user id.")
    role: str = payload("owner, admin, supervisor, agent or viewer.")


@register
@dataclass(frozen=True)
class InvitationCreated(Event):
    type = "invitation.created"
    description = "An address was invited to join the tenant (the invitation email follows)."
    visibility = INTERNAL

    invitation: str = payload("The invitation's id.")
    role: str = payload("The role the invitee will get.")


@register
@dataclass(frozen=True)
class InvitationResent(Event):
    type = "invitation.resent"
    description = "A pending invitation was sent again with a new link (the old one died)."
    visibility = INTERNAL

    invitation: str = payload("The invitation's id.")
    role: str = payload("The role the invitee will get.")


@register
@dataclass(frozen=True)
class WebhookEndpointDisabled(Event):
    type = "webhook.endpoint_disabled"
    description = (
        "A webhook endpoint was switched off by Tenantdesk: it answered 410 Gone, or its "
        "deliveries kept failing (admins are told by email and in the app)."
    )
    visibility = INTERNAL

    endpoint: str = payload("The endpoint's id.")
    host: str = payload("The endpoint URL's host (the full URL may carry a token).")
    reason: str = payload("gone (410) or failing (failing for too long).")


# --- Platform events (accounts) ---------------------------------------------------------------


@register
@dataclass(frozen=True)
class AccountRegistered(Event):
    type = "account.registered"
    description = "A new, unverified account was created (its verification email follows)."
    visibility = INTERNAL
    scope = "platform"

    user_id: int = payload("The account's internal id.")


@register
@dataclass(frozen=True)
class AccountRegistrationRepeated(Event):
    type = "account.registration_repeated"
    description = "Someone tried to register an address that already has an account."
    visibility = INTERNAL
    scope = "platform"

    user_id: int = payload("The existing account's internal id.")


@register
@dataclass(frozen=True)
class PasswordResetRequested(Event):
    type = "account.password_reset_requested"
    description = (
        "A password reset was asked for an address; whether an account uses it is decided "
        "when the email is written, so the request looks the same for every address."
    )
    visibility = INTERNAL
    scope = "platform"

    email: str = payload("The address the reset was asked for (normalised).")
