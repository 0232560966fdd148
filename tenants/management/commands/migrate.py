"""`migrate` runs as the owner role by default: the runtime role has no DDL rights, and
migrating "default" would only record migrations as applied without running them."""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as MigrateCommand

from tenants.db import OWNER_ALIAS


class Command(MigrateCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=OWNER_ALIAS)

    def handle(self, *args, **options):
        if options["database"] != OWNER_ALIAS:
            raise CommandError(f"Migrations run on the '{OWNER_ALIAS}' database alias only.")
        return super().handle(*args, **options)
