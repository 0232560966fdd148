"""The row format of the per-app route lists (tests/<app>/routes.py).

Each app lists its tenant routes (/api/v1/t/<slug>/…) once, as data: for every (url name,
method) the path, the bodies, how tenant isolation attacks it and the status each actor of
ACTORS expects. The permission matrix, the isolation matrix and their meta-tests read these
lists (through tests/routes.py), so a new app adds rows in its own folder.

The expected statuses are literal tables written by hand from the design (DESIGN.md §4),
never derived from tenants.permissions: a test that imports the policy checks nothing.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The callers of the permission matrix; every Route.expected is in this order.
ACTORS = (
    "owner",
    "admin",
    "supervisor",
    "agent",
    "viewer",
    "key-admin",
    "key-viewer",
    "non-member",
    "anonymous",
)

# How the isolation matrix attacks a (route, method):
#   "tenant"   the tenant itself (or a route without tenant data): only the mount is foreign;
#   "list"     a list, which must hold only the caller's rows;
#   "create"   a create, whose payload must not be able to name another tenant;
#   "object"   one object, looked up by its id: another tenant's is 404;
#   "describe" OPTIONS (or HEAD where there is no GET) on an object route: never looks the
#              object up, so it answers for a foreign object exactly what it answers for a
#              missing one;
#   "public"   a public route (PublicTenantAPIView, every method of it): no member credential
#              counts there, so another tenant's member gets what an anonymous caller gets
#              (and an unknown tenant is the standard 404); what its own credential opens is
#              tested by its app's tests.
ISOLATION_KINDS = frozenset({"tenant", "list", "create", "object", "describe", "public"})


@dataclass(frozen=True)
class Upload:
    """A multipart file upload body (a fresh file object for every request)."""

    content: bytes
    name: str
    content_type: str


# A body: a literal (dict, Upload or None) or a function of the world (name -> object).
Body = dict | Upload | Callable[[dict[str, Any]], dict] | None


def resolve_body(body: Body, world: dict[str, Any]):
    """The body to send: a fresh copy of a literal, or the function's result for `world`."""
    return body(world) if callable(body) else copy.deepcopy(body)


@dataclass(frozen=True)
class Route:
    """One (url name, method) row.

    path: relative to /api/v1/<mount>/<slug>/ (mount "t", or "help"), with str.format
        placeholders filled from a world of objects ("tickets/{ticket.number}/",
        "members/{member.public_id}/").
    body: what the permission matrix sends, to every actor (and on every method of the route).
    attack_body: what the isolation matrix sends into another tenant.
    isolation: one of ISOLATION_KINDS.
    expected: the status for each actor, in ACTORS order.
    """

    name: str
    method: str
    path: str
    body: Body
    attack_body: Body
    isolation: str
    expected: tuple[int, ...]
    mount: str = "t"  # the route lives under /api/v1/<mount>/<slug>/ ("help": the help center)

    def __post_init__(self):
        assert self.isolation in ISOLATION_KINDS, (self.name, self.method, self.isolation)
        assert len(self.expected) == len(ACTORS), (self.name, self.method, self.expected)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.method)

    def url(self, tenant_slug: str, world: dict[str, Any]) -> str:
        return f"/api/v1/{self.mount}/{tenant_slug}/" + self.path.format(**world)


@dataclass(frozen=True)
class Endpoint:
    """What the methods of one url name share: path and bodies. `row` makes its Routes."""

    name: str
    path: str
    body: Body = None
    attack_body: Body = None
    mount: str = "t"

    def row(self, method: str, isolation: str, expected: tuple[int, ...]) -> Route:
        return Route(
            name=self.name,
            method=method,
            path=self.path,
            body=self.body,
            attack_body=self.attack_body,
            isolation=isolation,
            expected=expected,
            mount=self.mount,
        )
