"""`make db-push` (infra/db_push.py) against a real Postgres (pgserver's embedded build)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.db_push import MIGRATIONS_DIR, MigrationError, find_migrations, main, push


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pgserver = pytest.importorskip("pgserver")
    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def database(postgres: str) -> Iterator[str]:
    """A fresh database per test on the shared server."""
    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    yield postgres.replace("/postgres?", f"/{name}?")
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"drop database {name} with (force)")


def write(directory: Path, name: str, sql: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(sql)


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select table_name from information_schema.tables where table_schema = 'public'")
        return {row[0] for row in rows}


def versions(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select version from supabase_migrations.schema_migrations order by version")
        return [row[0] for row in rows]


def test_applies_pending_migrations_in_order_once(database, tmp_path):
    migrations = tmp_path / "migrations"
    write(migrations, "20260102000000_second.sql", "alter table first add column note text;")
    write(migrations, "20260101000000_first.sql", "create table first (id int primary key);")
    applied = push(database, find_migrations(migrations))
    assert [m.name for m in applied] == ["first", "second"]
    assert push(database, find_migrations(migrations)) == []
    write(migrations, "20260103000000_third.sql", "create table third (id int);")
    assert [m.version for m in push(database, find_migrations(migrations))] == ["20260103000000"]
    assert tables(database) == {"first", "third"}
    assert versions(database) == ["20260101000000", "20260102000000", "20260103000000"]


def test_a_failing_migration_is_rolled_back_and_named(database, tmp_path):
    migrations = tmp_path / "migrations"
    write(migrations, "20260101000000_good.sql", "create table good (id int);")
    write(migrations, "20260102000000_bad.sql", "create table half (id int); select no_such_function();")
    with pytest.raises(MigrationError, match=r"20260102000000_bad\.sql"):
        push(database, find_migrations(migrations))
    assert tables(database) == {"good"}
    assert versions(database) == ["20260101000000"]


def test_dry_run_lists_without_applying(database, tmp_path, capsys):
    migrations = tmp_path / "migrations"
    write(migrations, "20260101000000_only.sql", "create table only_one (id int);")
    assert main(["--db-url", database, "--migrations", str(migrations), "--dry-run"]) == 0
    assert "pending: 20260101000000_only.sql" in capsys.readouterr().out
    assert tables(database) == set()


def test_misnamed_files_are_refused(tmp_path):
    write(tmp_path, "schema.sql", "select 1;")
    with pytest.raises(MigrationError, match=r"<version>_<name>\.sql"):
        find_migrations(tmp_path)


def test_requires_a_database_url(monkeypatch, capsys):
    monkeypatch.delenv("SUPABASE_DB_URL", raising=False)
    with pytest.raises(SystemExit):
        main([])
    assert "SUPABASE_DB_URL" in capsys.readouterr().err


def test_the_projects_migrations_apply_to_a_supabase_like_database(database):
    # Supabase provides roles, the auth schema and auth.uid(); the local stack's bootstrap stands in.
    bootstrap = pytest.importorskip("devstack.postgres").BOOTSTRAP_SQL
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(Path(bootstrap).read_text())
    assert main(["--db-url", database]) == 0
    assert versions(database)[-1] == find_migrations(MIGRATIONS_DIR)[-1].version
    assert {"whatsapp_web_sessions", "whatsapp_web_messages", "whatsapp_web_runners"} <= tables(database)
    assert main(["--db-url", database]) == 0  # nothing left to apply
