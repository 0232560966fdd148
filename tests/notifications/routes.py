"""The notifications app's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix and the isolation matrix read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4, never derived from
tenants.permissions. A new notifications route gets its rows here (HEAD and OPTIONS too).
"""

from tests.route_table import Route

ROUTES: list[Route] = []
