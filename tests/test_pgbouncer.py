"""Tenant isolation behind a real PgBouncer in transaction mode (docs/operations.md
"Connection pooling (PgBouncer)").

In transaction mode one server connection serves many clients, one transaction at a time. Each
test starts a pgbouncer with ONE server connection per pool, so every transaction of every
client runs on the same PostgreSQL backend (checked through pg_backend_pid()), and anything a
transaction left on that backend would be seen by the next client. The tenant context is
transaction-local, so nothing is left: the tests show that for raw connections running the
project's own tenant SQL, then for the Django ORM (tenant_context, the ticket services) from
two threads and two tenants. A negative control shows that a session-level setting does leak
through this set-up, so the tests can see a leak when there is one.
"""

import ast
import copy
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction

from config.pooling import transaction_pooling
from tenants.context import _APPLY_SQL, tenant_context
from tests.concurrency import JOIN_TIMEOUT, race
from tests.pgbouncer import PgBouncer
from tests.tenants.recipes import tenant_recipe
from tests.tickets.helpers import make_ticket
from tests.tickets.recipes import customer_recipe
from tickets.models import Customer, Ticket

REPO_ROOT = Path(__file__).resolve().parent.parent
# Committed for real: other clients of the pooler must see the rows.
committed = pytest.mark.django_db(transaction=True, databases=["default", "owner"])


@pytest.fixture
def pgbouncer(tmp_path, django_db_setup):
    """A pgbouncer (transaction mode, one server connection) in front of the test database,
    for the runtime role; stopped after the test."""
    runtime = connections["default"].settings_dict
    direct = connections["owner"].settings_dict  # always PostgreSQL itself, never a pooler
    bouncer = PgBouncer.start(
        tmp_path / "pgbouncer",
        server_host=direct["HOST"] or "127.0.0.1",
        server_port=direct["PORT"] or 5432,
        users={runtime["USER"]: runtime["PASSWORD"] or ""},
        databases=[runtime["NAME"]],
        pool_size=1,
        max_client_conn=8,
    )
    yield bouncer
    bouncer.stop()


@pytest.fixture
def tenants_with_rows():
    """Two tenants, committed for real: alpha with 3 customers, bravo with 2."""
    alpha = tenant_recipe.make(slug="alpha")
    bravo = tenant_recipe.make(slug="bravo")
    with tenant_context(alpha):
        customer_recipe.make(tenant=alpha, _quantity=3)
    with tenant_context(bravo):
        customer_recipe.make(tenant=bravo, _quantity=2)
    return alpha, bravo


def _client(bouncer: PgBouncer) -> psycopg.Connection:
    """A raw client of the pooler as the runtime role, like the app's runtime connection:
    no prepared statements (PgBouncer 1.18 cannot carry them in transaction mode)."""
    runtime = connections["default"].settings_dict
    return psycopg.connect(
        bouncer.conninfo(
            user=runtime["USER"], password=runtime["PASSWORD"] or "", dbname=runtime["NAME"]
        ),
        autocommit=True,
        prepare_threshold=None,
    )


@dataclass(frozen=True)
class Seen:
    """What one transaction saw: the tenant setting and role it started with, its backend,
    and the tenant ids of the customer rows it could read."""

    setting_at_start: str | None
    role_at_start: str
    backend: int
    tenant_ids: list[int]


def _transaction(client: psycopg.Connection, tenant_id: int | None = None) -> Seen:
    """One transaction: BEGIN, look at the session, set the tenant with the project's own SQL
    (tenants.context._APPLY_SQL) unless tenant_id is None, read the customers, COMMIT."""
    with client.transaction(), client.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.tenant_id', true), current_user, pg_backend_pid()"
        )
        setting, role, backend = cursor.fetchone()
        if tenant_id is not None:
            cursor.execute(_APPLY_SQL, [settings.TENANCY_DB_ROLE, str(tenant_id)])
        cursor.execute("SELECT tenant_id FROM tickets_customer ORDER BY tenant_id")
        tenant_ids = [row[0] for row in cursor.fetchall()]
    return Seen(setting, role, backend, tenant_ids)


@committed
def test_interleaved_tenant_transactions_share_one_backend_and_never_leak(
    pgbouncer, tenants_with_rows
):
    alpha, bravo = tenants_with_rows
    login = connections["default"].settings_dict["USER"]
    with _client(pgbouncer) as first, _client(pgbouncer) as second:
        assert first.info.backend_pid != 0 and second.info.backend_pid != 0
        steps = [
            (first, alpha.pk),
            (second, bravo.pk),
            (second, None),  # right after bravo, same client
            (first, None),  # right after the other client's tenant transaction
            (second, alpha.pk),
            (first, bravo.pk),
            (second, None),
            (first, alpha.pk),
            (first, None),
        ]
        seen = [_transaction(client, tenant_id) for client, tenant_id in steps]

        # A transaction that fails after setting its tenant leaves nothing behind either.
        with pytest.raises(psycopg.errors.DivisionByZero):
            with first.transaction(), first.cursor() as cursor:
                cursor.execute(_APPLY_SQL, [settings.TENANCY_DB_ROLE, str(alpha.pk)])
                cursor.execute("SELECT 1 / 0")
        after_failure = _transaction(second)

    # One server connection carried every transaction of both clients.
    backends = {s.backend for s in [*seen, after_failure]}
    assert len(backends) == 1
    for (_, tenant_id), s in zip(steps, seen, strict=True):
        # Every transaction starts clean: no tenant, the login role.
        assert s.setting_at_start in (None, ""), s
        assert s.role_at_start == login
        expected = {alpha.pk: [alpha.pk] * 3, bravo.pk: [bravo.pk] * 2, None: []}[tenant_id]
        assert s.tenant_ids == expected, (tenant_id, s)
    assert after_failure.setting_at_start in (None, "")
    assert after_failure.tenant_ids == []


@committed
def test_session_level_setting_would_leak_through_the_shared_backend(pgbouncer, tenants_with_rows):
    """Negative control: is_local=false survives COMMIT on the server connection, and the
    next transaction of ANOTHER client inherits it. The project must never do this."""
    alpha, _ = tenants_with_rows
    with _client(pgbouncer) as first, _client(pgbouncer) as second:
        with first.transaction(), first.cursor() as cursor:
            cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [str(alpha.pk)])
            cursor.execute("SELECT pg_backend_pid()")
            (leaking_backend,) = cursor.fetchone()
        leaked = _transaction(second)

    assert leaked.backend == leaking_backend
    assert leaked.setting_at_start == str(alpha.pk)
    assert leaked.tenant_ids == [alpha.pk] * 3


@committed
def test_the_session_time_zone_django_sets_stays_with_its_client(pgbouncer):
    """The one session-level setting Django itself makes: on connect it runs
    set_config('TimeZone', 'UTC', false) when the server's zone is not literally 'UTC'.
    PgBouncer tracks TimeZone per client and restores it on the shared server connection, so
    it never reaches another client (a custom setting like app.tenant_id is not tracked: the
    negative control above)."""
    with _client(pgbouncer) as first, _client(pgbouncer) as second:
        started_with = second.info.parameter_status("TimeZone")
        other_zone = "America/New_York" if started_with != "America/New_York" else "Asia/Tokyo"
        first.execute("SELECT set_config('TimeZone', %s, false)", [other_zone])
        (backend,) = first.execute("SELECT pg_backend_pid()").fetchone()
        zone, second_backend = second.execute(
            "SELECT current_setting('TimeZone'), pg_backend_pid()"
        ).fetchone()
        (first_zone,) = first.execute("SELECT current_setting('TimeZone')").fetchone()
    assert second_backend == backend
    assert zone == started_with
    assert first_zone == other_zone


_SET_CONFIG = re.compile(r"set_config\(\s*'([^']+)'\s*,\s*([^,]+?)\s*,\s*(\w+)\s*\)", re.I)
# A session-level SET of the role or an app.* setting at the start of an SQL statement.
_SESSION_SET = re.compile(r"(?:^|;)\s*SET\s+(?:SESSION\s+)?(?:ROLE\b|\"?app\.)", re.I | re.M)


def _project_strings() -> list[tuple[Path, str]]:
    """Every string literal of the project's Python code (application code and migrations,
    whose RunSQL and functions hold the SQL), docstrings aside; not tests or benchmarks."""
    skip = {".venv", "tests", "bench", "node_modules"}
    found = []
    for path in REPO_ROOT.rglob("*.py"):
        if skip & set(path.relative_to(REPO_ROOT).parts):
            continue
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        found += [
            (path, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ]
    return found


def test_the_project_sets_tenant_and_role_transaction_locally_only():
    """What the negative control shows must never ship: every set_config() in the project
    (application code, migrations and the SQL functions they define) is is_local=true, and
    no SQL statement is a session-level SET ROLE / SET app.*."""
    applied = _SET_CONFIG.findall(_APPLY_SQL)
    assert [(name, local.lower()) for name, _, local in applied] == [
        ("role", "true"),
        ("app.tenant_id", "true"),
    ]

    calls, session_sets = [], []
    for path, text in _project_strings():
        calls += [(path, m.group(1), m.group(3).lower()) for m in _SET_CONFIG.finditer(text)]
        session_sets += [(path, m.group(0)) for m in _SESSION_SET.finditer(text)]
    # The scan reads the places that set the tenant (the context, the migrations' functions).
    assert any(path.name == "context.py" for path, _, _ in calls)
    assert any("migrations" in path.parts for path, _, _ in calls)
    assert [call for call in calls if call[2] != "true"] == []
    assert session_sets == []
    # The patterns do find what they look for.
    assert _SET_CONFIG.search("SELECT set_config('app.tenant_id', '7', false)").group(3) == "false"
    assert _SESSION_SET.search("BEGIN; SET ROLE tenantdesk_app") is not None
    assert _SESSION_SET.search("SET LOCAL ROLE tenantdesk_app") is None


def _pooled_wrapper(bouncer: PgBouncer):
    """A 'default' connection for the calling thread that reaches the test database through
    the pooler, with the settings DATABASE_POOLING=transaction gives the runtime connection."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(bouncer.port))
    transaction_pooling(settings_dict)
    return connections["default"].__class__(settings_dict, "default")


def _tenant_round(tenant, index: int) -> dict:
    """One tenant's write and reads through the ORM, as the application makes them, then a
    transaction without a tenant on the same connection."""
    ticket = make_ticket(
        tenant, subject=f"{tenant.slug} {index}", customer_email=f"c{index}@x.test"
    )
    with tenant_context(tenant):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('app.tenant_id', true), pg_backend_pid(), "
                "array(SELECT DISTINCT tenant_id FROM tickets_ticket), "
                "array(SELECT DISTINCT tenant_id FROM tickets_customer)"
            )
            setting, backend, ticket_tenants, customer_tenants = cursor.fetchone()
        seen = {
            "setting": setting,
            "backend": backend,
            # Past the app's own tenant filter: only row-level security decides these.
            "ticket_tenants": set(Ticket._base_manager.values_list("tenant_id", flat=True)),
            "customer_tenants": set(Customer._base_manager.values_list("tenant_id", flat=True)),
            "raw_tenants": set(ticket_tenants) | set(customer_tenants),
            "own_ticket_visible": Ticket.objects.filter(pk=ticket.pk).exists(),
        }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.tenant_id', true), pg_backend_pid(), "
            "(SELECT count(*) FROM tickets_ticket) + (SELECT count(*) FROM tickets_customer)"
        )
        seen["untenanted"] = cursor.fetchone()
    seen["prepare_threshold"] = connection.connection.prepare_threshold
    seen["server_side_cursors_off"] = connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
    return seen


def _check_rounds(tenant, rounds: list[dict]) -> set[int]:
    for seen in rounds:
        assert seen["setting"] == str(tenant.pk)
        assert seen["ticket_tenants"] == {tenant.pk}
        assert seen["customer_tenants"] == {tenant.pk}
        assert seen["raw_tenants"] == {tenant.pk}
        assert seen["own_ticket_visible"]
        setting, _, count = seen["untenanted"]
        assert setting in (None, "")
        assert count == 0
        assert seen["prepare_threshold"] is None
        assert seen["server_side_cursors_off"] is True
    return {seen["backend"] for seen in rounds} | {seen["untenanted"][1] for seen in rounds}


ROUNDS = 4


@committed
def test_orm_tenants_taking_turns_on_one_pooled_backend(pgbouncer):
    """Two threads, two tenants, strictly alternating transactions (alpha, bravo, alpha, …) on
    one server connection: each sees only its own rows; an untenanted one sees none."""
    alpha = tenant_recipe.make(slug="alpha")
    bravo = tenant_recipe.make(slug="bravo")
    turn = threading.Condition()
    state = {"next": 0}

    def worker(index: int, tenant) -> list[dict]:
        connections["default"] = _pooled_wrapper(pgbouncer)
        rounds = []
        for number in range(ROUNDS):
            with turn:
                if not turn.wait_for(lambda: state["next"] == index, timeout=JOIN_TIMEOUT):
                    raise AssertionError("the other thread never passed the turn")
            try:
                rounds.append(_tenant_round(tenant, number))
            finally:
                with turn:
                    state["next"] = 1 - index
                    turn.notify_all()
        return rounds

    alpha_rounds, bravo_rounds = race(lambda: worker(0, alpha), lambda: worker(1, bravo))
    assert isinstance(alpha_rounds, list), alpha_rounds
    assert isinstance(bravo_rounds, list), bravo_rounds
    backends = _check_rounds(alpha, alpha_rounds) | _check_rounds(bravo, bravo_rounds)
    assert len(backends) == 1  # every transaction of both threads on the same backend
    with tenant_context(alpha):
        assert Ticket.objects.count() == ROUNDS
    with tenant_context(bravo):
        assert Ticket.objects.count() == ROUNDS


@committed
def test_orm_tenants_racing_through_one_pooled_backend(pgbouncer):
    """The same without turns: both threads run as fast as the pooler lets them."""
    alpha = tenant_recipe.make(slug="alpha")
    bravo = tenant_recipe.make(slug="bravo")

    def worker(tenant) -> list[dict]:
        connections["default"] = _pooled_wrapper(pgbouncer)
        return [_tenant_round(tenant, number) for number in range(ROUNDS * 2)]

    alpha_rounds, bravo_rounds = race(lambda: worker(alpha), lambda: worker(bravo))
    assert isinstance(alpha_rounds, list), alpha_rounds
    assert isinstance(bravo_rounds, list), bravo_rounds
    backends = _check_rounds(alpha, alpha_rounds) | _check_rounds(bravo, bravo_rounds)
    assert len(backends) == 1


def _settings_in_subprocess(**environment: str) -> subprocess.CompletedProcess:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({a: [s.DATABASES[a].get('OPTIONS', {}), "
        "s.DATABASES[a]['DISABLE_SERVER_SIDE_CURSORS']] for a in ('default', 'owner')}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **environment}
    return subprocess.run(  # noqa: S603 (our interpreter, fixed code)
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )


def test_database_pooling_switch():
    """DATABASE_POOLING=transaction pins the runtime connection's settings (no prepared
    statements); the owner connection (migrations) is left alone; off changes nothing; a typo
    is refused."""
    off = _settings_in_subprocess(DATABASE_POOLING="none")
    assert off.returncode == 0, off.stderr
    off_settings = json.loads(off.stdout)
    # Direct to PostgreSQL the runtime connection prepares its hot statements.
    assert off_settings["default"][0]["prepare_threshold"] == 5
    assert off_settings["default"][0]["server_side_binding"] is True
    assert "prepare_threshold" not in off_settings["owner"][0]
    pooled = _settings_in_subprocess(DATABASE_POOLING="transaction")
    assert pooled.returncode == 0, pooled.stderr
    assert json.loads(pooled.stdout) == {
        "default": [{**off_settings["default"][0], "prepare_threshold": None}, True],
        "owner": off_settings["owner"],
    }
    unprepared = _settings_in_subprocess(DATABASE_PREPARED_STATEMENTS="0")
    assert unprepared.returncode == 0, unprepared.stderr
    assert json.loads(unprepared.stdout)["default"][0] == {}
    wrong = _settings_in_subprocess(DATABASE_POOLING="transactions")
    assert wrong.returncode != 0
    assert "DATABASE_POOLING must be one of none, transaction" in wrong.stderr


def test_transaction_pooling_settings():
    database = {"OPTIONS": {"prepare_threshold": 5, "sslmode": "require"}}
    assert transaction_pooling(database) is database
    assert database == {
        "OPTIONS": {"prepare_threshold": None, "sslmode": "require"},
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
    assert transaction_pooling({})["OPTIONS"] == {"prepare_threshold": None}
    # Django would SET ROLE for the session on connect: the next client would inherit it.
    with pytest.raises(ImproperlyConfigured, match="assume_role"):
        transaction_pooling({"OPTIONS": {"assume_role": "someone"}})
