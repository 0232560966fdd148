"""How each table would be laid out on Citus (docs/scale-out.md), declared as data.

Every table of the public schema is one of three kinds, and tests/test_citus_readiness.py
reads PostgreSQL's catalog to prove it:

- **distributed** by `tenant_id`: every table with `tenant_id NOT NULL` that is not listed
  below. All of them are co-located (same shard count, same hash of `tenant_id`), so a join or
  a foreign key between two of them stays on one node. Nothing to declare: the column decides.
- **reference** (`REFERENCE_TABLES`): a full copy on every node. The control tables, read
  before any tenant is known, and every table a distributed table points at that is not itself
  distributed. They may point at each other, never at a distributed table.
- **local** (`LOCAL_TABLES`): stays on the coordinator as a plain (or Citus-local) table.
  Framework bookkeeping that no tenant query joins. A local table may point at a reference
  table (Citus then keeps it on the coordinator as a "Citus local table"), never at a
  distributed one, and no distributed or reference table may point at it.

A new table fails the catalog test until it is distributed (it has `tenant_id NOT NULL`) or
listed here with its reason.
"""

# table -> why it is replicated to every node rather than distributed.
REFERENCE_TABLES: dict[str, str] = {
    "tenants_tenant": (
        "the tenants themselves: every distributed table's tenant_id points at it, and the "
        "request resolves a tenant by its slug before any tenant is known"
    ),
    "tenants_user": (
        "people are global (one login, many tenants) and authenticate before a tenant is "
        "known; tickets and comments point at them (assignee, author)"
    ),
    "tenants_membership": (
        "carries tenant_id, but is read across tenants ('my tenants', the token's user in "
        "every tenant) and joined with the tenant on every request"
    ),
    "tenants_apikey": (
        "carries tenant_id, but is found by its globally unique prefix before the tenant is "
        "known (UNIQUE (prefix) cannot include tenant_id)"
    ),
    "tenants_invitation": (
        "carries tenant_id, but is accepted by its globally unique token hash before the "
        "tenant is known; points at users and API keys (reference tables)"
    ),
    "knox_authtoken": (
        "bearer tokens, found by digest before any tenant is known; points at users. Small, "
        "written once per login"
    ),
}

# table -> why it stays on the coordinator.
LOCAL_TABLES: dict[str, str] = {
    "django_migrations": "the migration ledger, written by `migrate` on the coordinator only",
    "django_content_type": "Django's model registry; read by the admin and permissions",
    "django_session": "admin login sessions, looked up by session key; no tenant_id",
    "django_admin_log": "Django's own admin log (the tenant audit trail is tenants_auditlogentry)",
    "auth_permission": "Django permissions (unused by the tenant role policy)",
    "auth_group": "Django groups (unused by the tenant role policy)",
    "auth_group_permissions": "Django group permissions (unused by the tenant role policy)",
    "tenants_user_groups": "Django's user-group link; points at users (a reference table)",
    "tenants_user_user_permissions": "Django's user-permission link; points at users",
    "notifications_accountemail": (
        "the platform outbox: account emails (address verification, password reset) that "
        "belong to no tenant; written and swept on the coordinator"
    ),
}

# The hot-index rule (every index of a distributed table has tenant_id) admits no exception
# today. An entry here names one index of a distributed table and why it may lack tenant_id;
# the test fails if the index is gone or no longer breaks the rule, so the list cannot rot.
INDEXES_WITHOUT_TENANT_ID: dict[str, str] = {}
