"""Races of the SLA settings routes (test_write_routes.py's HARNESS): a policy written while
it is deleted, two creations of one tier's policy, two writers of the business hours with the
same If-Match, and a holiday import while someone else edits the holidays."""

import json

from tests.races.race_harness import Harness, Race, exactly_one
from tickets.models import BusinessHours, SlaPolicy
from tickets.services import sla_settings

TIER = "premium"


def _fresh_policy(h: Harness) -> SlaPolicy:
    """A new premium override (the previous round's, if any, removed first)."""

    def make():
        SlaPolicy.objects.filter(tenant=h.tenant, tier=TIER).delete()
        return sla_settings.sla_policy_create(tenant=h.tenant, actor=h.actor, tier=TIER)

    return h.within(make)


def _policy_create(h: Harness) -> Race:
    """The same tier's override created twice at once: one 201, one 409, one row."""
    h.within(lambda: SlaPolicy.objects.filter(tenant=h.tenant, tier=TIER).delete())
    url = f"{h.base}/sla-policies/"
    body = {"tier": TIER, "first_response_minutes": {"critical": 20}}

    def check(write, competitor):
        exactly_one(201)(write, competitor)
        assert h.within(lambda: SlaPolicy.objects.filter(tier=TIER).count()) == 1

    return Race(write=h.send("POST", url, body), competitor=h.send("POST", url, body), check=check)


def _policy_patch(h: Harness) -> Race:
    """A PATCH of an override while it is deleted: 200 before, 404 after; never resurrected."""
    policy = _fresh_policy(h)
    url = f"{h.base}/sla-policies/{policy.public_id}/"

    def check(write, competitor):
        assert not h.within(lambda: SlaPolicy.objects.filter(pk=policy.pk).exists())

    return Race(
        write=h.send("PATCH", url, {"resolution_minutes": {"low": 99}}),
        competitor=h.delete(url),
        check=check,
    )


def _policy_delete(h: Harness) -> Race:
    """Two DELETEs of one override: exactly one 204."""
    policy = _fresh_policy(h)
    url = f"{h.base}/sla-policies/{policy.public_id}/"
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _version(h: Harness) -> int:
    return h.within(lambda: sla_settings.business_hours_get(tenant=h.tenant).version)


def _hours_write(method: str):
    def build(h: Harness) -> Race:
        """Two writers with the same If-Match: one lands (200), the other is told (412)."""
        version = _version(h)
        url = f"{h.base}/business-hours/"
        # New values every round: a write of what is stored already changes nothing (a 200
        # without a new version), which would let both sides answer 200.
        h.round += 1
        mine = [{"weekday": 0, "start": f"{h.round % 10:02d}:00", "end": "16:00"}]
        theirs = [{"weekday": 1, "start": f"{h.round % 10:02d}:30", "end": "18:00"}]
        body = {"timezone": "Europe/Berlin", "holidays": []} if method == "PUT" else {}
        client_a, client_b = h.client(), h.client()

        def send(client, intervals):
            return lambda: client.generic(
                method,
                url,
                json.dumps({**body, "intervals": intervals}),
                "application/json",
                HTTP_IF_MATCH=f'"{version}"',
            )

        def check(write, competitor):
            exactly_one(200)(write, competitor)
            assert {write, competitor} == {200, 412}
            stored = h.within(lambda: BusinessHours.objects.get(tenant=h.tenant))
            assert stored.version == version + 1
            assert stored.intervals == (mine if write == 200 else theirs)

        return Race(write=send(client_a, mine), competitor=send(client_b, theirs), check=check)

    return build


_hours_put = _hours_write("PUT")
_hours_patch = _hours_write("PATCH")


def _holiday_import(h: Harness) -> Race:
    """An import while someone else sets the holiday list: the list set is never lost (the
    import merges into whatever it finds under the lock)."""
    own = [{"date": "2031-06-01", "name": f"Company day {h.round}"}]
    h.round += 1

    def check(write, competitor):
        holidays = h.within(lambda: BusinessHours.objects.get(tenant=h.tenant).holidays)
        assert own[0] in holidays, holidays

    return Race(
        write=h.send(
            "POST", f"{h.base}/business-hours/import-holidays/", {"country": "FR", "years": [2031]}
        ),
        competitor=h.send("PATCH", f"{h.base}/business-hours/", {"holidays": own}),
        check=check,
    )
