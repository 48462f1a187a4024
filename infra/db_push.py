"""Apply `supabase/migrations/*.sql` to a Supabase project's Postgres, in order, once each.

    SUPABASE_DB_URL=postgresql://postgres.<ref>:<password>@<host>:5432/postgres python infra/db_push.py

Applied versions are recorded in `supabase_migrations.schema_migrations`, the table the Supabase CLI
keeps, so this and `supabase db push` agree on what is applied. Each file runs in its own
transaction: a failing migration leaves nothing half-applied and stops the run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS_DIR = REPO_ROOT / "supabase" / "migrations"
# The Supabase CLI's file naming: <version>_<name>.sql, the version being digits (a timestamp).
MIGRATION_FILE = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")
TRACKING_DDL = (
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
)


class MigrationError(RuntimeError):
    """A migration could not be applied; the message names the file."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def find_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `directory`, oldest first; a `.sql` file with another name is an error."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named <version>_<name>.sql")
        migrations.append(Migration(match["version"], match["name"], path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version")
    return sorted(migrations, key=lambda m: int(m.version))


def push(db_url: str, migrations: Sequence[Migration], *, dry_run: bool = False) -> list[Migration]:
    """Apply the migrations not yet recorded; the ones applied (or, with `dry_run`, pending)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        for statement in TRACKING_DDL:
            conn.execute(statement)
        applied = {
            row[0] for row in conn.execute("select version from supabase_migrations.schema_migrations")
        }
        pending = [m for m in migrations if m.version not in applied]
        if dry_run:
            return pending
        for migration in pending:
            sql = migration.sql()
            try:
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "insert into supabase_migrations.schema_migrations (version, name, statements)"
                        " values (%s, %s, %s)",
                        (migration.version, migration.name, [sql]),
                    )
            except psycopg.Error as exc:
                raise MigrationError(f"{migration.path.name}: {exc}") from exc
    return pending


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db-url",
        default=os.environ.get("SUPABASE_DB_URL", ""),
        help="Postgres connection string of the Supabase project (default: $SUPABASE_DB_URL)",
    )
    parser.add_argument("--migrations", type=Path, default=MIGRATIONS_DIR, help="directory of .sql files")
    parser.add_argument("--dry-run", action="store_true", help="list pending migrations, apply nothing")
    args = parser.parse_args(argv)
    if not args.db_url:
        parser.error(
            "set SUPABASE_DB_URL (Supabase dashboard > Connect: the connection string, with the "
            "database password)"
        )
    try:
        done = push(args.db_url, find_migrations(args.migrations), dry_run=args.dry_run)
    except MigrationError as exc:
        print(f"db push failed: {exc}", file=sys.stderr)
        return 1
    verb = "pending" if args.dry_run else "applied"
    for migration in done:
        print(f"{verb}: {migration.path.name}")
    print(f"{len(done)} migration(s) {verb}" if done else "database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
