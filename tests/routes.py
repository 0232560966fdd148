"""Every tenant route the matrices test: the per-app lists, concatenated.

A new app adds tests/<app>/routes.py (format: tests/route_table.py) and one line here.
"""

from tests.integrations import routes as integrations_routes
from tests.knowledge_base import routes as knowledge_base_routes
from tests.notifications import routes as notifications_routes
from tests.route_table import Route
from tests.tenants import routes as tenants_routes
from tests.tickets import routes as tickets_routes

# app label (the package of the route's view) -> its routes
ROUTES_BY_APP: dict[str, list[Route]] = {
    "tenants": tenants_routes.ROUTES,
    "tickets": tickets_routes.ROUTES,
    "notifications": notifications_routes.ROUTES,
    "integrations": integrations_routes.ROUTES,
    "knowledge_base": knowledge_base_routes.ROUTES,
}
ALL_ROUTES: list[Route] = [route for routes in ROUTES_BY_APP.values() for route in routes]
HOW_TO_FIX = (
    "edit the routes.py of the app that serves the route (a new app: list it in tests/routes.py)"
)


def route_file(app: str) -> str:
    return f"tests/{app}/routes.py"


def missing_and_extra(real: dict[tuple[str, str], str]) -> dict[str, dict[str, list]]:
    """Compare the real routes {(name, method): app} with the listed ones: per routes.py file
    to edit, the rows it lacks and the rows it has for no (or another app's) route."""
    problems = {}
    for app in sorted(set(real.values()) | set(ROUTES_BY_APP)):
        listed = [route.key for route in ROUTES_BY_APP.get(app, [])]
        wanted = {key for key, owner in real.items() if owner == app}
        missing = sorted(wanted - set(listed))
        extra = sorted(set(listed) - wanted)
        duplicated = sorted({key for key in listed if listed.count(key) > 1})
        if missing or extra or duplicated:
            problems[route_file(app)] = {
                "add rows for": missing,
                "remove (no such route in this app)": extra,
                "listed twice": duplicated,
            }
    return problems
