"""Create the PostgreSQL roles and database Tenantdesk needs, if absent (idempotent).

Connects as a superuser (PG_SUPERUSER_URL, default: postgres on 127.0.0.1 with local trust
auth) and creates:
  - the owner role (from DATABASE_OWNER_URL): LOGIN CREATEDB — owns the schema, runs
    migrations, creates the test databases;
  - the runtime role (from DATABASE_URL): LOGIN, NOSUPERUSER, NOBYPASSRLS, owns nothing;
  - the database, owned by the owner role.
"""

import os
import sys
from urllib.parse import unquote, urlsplit

import environ
import psycopg
from psycopg import sql

DEFAULT_APP = "postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/tenantdesk"
DEFAULT_OWNER = "postgres://tenantdesk_owner:tenantdesk_owner@127.0.0.1:5432/tenantdesk"
DEFAULT_SUPER = "postgres://postgres@127.0.0.1:5432/postgres"


def _parts(url: str) -> tuple[str, str, str]:
    parsed = urlsplit(url)
    return unquote(parsed.username or ""), unquote(parsed.password or ""), parsed.path.lstrip("/")


def ensure_role(cur, name: str, password: str, attrs: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    verb = "ALTER" if cur.fetchone() else "CREATE"
    cur.execute(
        sql.SQL(f"{verb} ROLE {{}} {attrs} PASSWORD {{}}").format(
            sql.Identifier(name), sql.Literal(password or None)
        )
    )


def main() -> int:
    env_file = os.path.join(os.path.dirname(__file__), "..", ".env")
    if os.path.isfile(env_file):
        environ.Env.read_env(env_file)  # same .env the Django settings read
    app_user, app_password, database = _parts(os.environ.get("DATABASE_URL", DEFAULT_APP))
    owner_user, owner_password, _ = _parts(os.environ.get("DATABASE_OWNER_URL", DEFAULT_OWNER))
    super_url = os.environ.get("PG_SUPERUSER_URL", DEFAULT_SUPER)
    try:
        conn = psycopg.connect(super_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"db_bootstrap: cannot connect as superuser ({super_url}): {exc}", file=sys.stderr)
        print("Set PG_SUPERUSER_URL to a PostgreSQL superuser connection URL.", file=sys.stderr)
        return 1
    with conn, conn.cursor() as cur:
        ensure_role(cur, owner_user, owner_password, "LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS")
        ensure_role(cur, app_user, app_password, "LOGIN NOCREATEDB NOSUPERUSER NOBYPASSRLS")
        # The owner may act as the runtime role (SET ROLE), never the other way round.
        cur.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(app_user), sql.Identifier(owner_user))
        )
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if not cur.fetchone():
            cur.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(owner_user)
                )
            )
            print(f"db_bootstrap: created database {database}")
    print(
        f"db_bootstrap: roles {owner_user} (owner), {app_user} (runtime), "
        f"database {database}: ready"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
