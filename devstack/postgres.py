"""Postgres for the local stack: the embedded build shipped by `pgserver`, run as a child process
on 127.0.0.1, its data kept in the state directory between runs. Or an external server named by
`DATABASE_URL`, to which only the bootstrap and migrations are applied."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from devstack.process import ProcessSpec

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO / "supabase" / "migrations"
BOOTSTRAP_SQL = Path(__file__).resolve().parent / "sql" / "bootstrap.sql"
SYSTEM_USER = "pgserver"  # Postgres refuses to run as root


def _bin_dir() -> Path:
    import pgserver

    return Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
    return SYSTEM_USER


def _open_path_to(path: Path) -> None:
    """Let the Postgres user traverse down to `path` (as pgserver itself does when run as root)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        parent.chmod(mode | 0o055)


def ensure_cluster(data_dir: Path, superuser_password: str) -> None:
    """initdb once; later starts find yesterday's data."""
    if (data_dir / "PG_VERSION").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    user = _run_as()
    bin_dir = _bin_dir()
    if user:
        _open_path_to(data_dir.parent)
        _open_path_to(bin_dir.parent / "lib")
        shutil.chown(data_dir, user, user)
    data_dir.chmod(0o700)
    with tempfile.NamedTemporaryFile("w", delete=False, dir="/tmp", prefix="wagate-pw-") as pwfile:
        pwfile.write(superuser_password)
    os.chmod(pwfile.name, 0o644)
    try:
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--pwfile",
                pwfile.name,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"initdb failed: {exc.stderr.decode(errors='replace')[-2000:]}") from exc
    finally:
        os.unlink(pwfile.name)


def postgres_spec(data_dir: Path, port: int, log_path: Path) -> ProcessSpec:
    return ProcessSpec(
        name="postgres",
        argv=[
            str(_bin_dir() / "postgres"),
            "-D",
            str(data_dir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ],
        log_path=log_path,
        user=_run_as(),
        stop_signal="SIGINT",  # fast shutdown
    )


def wait_until_accepting(dsn: str, timeout_s: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"postgres did not accept connections: {last}")


def apply_schema(dsn: str, authenticator_password: str) -> list[str]:
    """The Supabase-provided bootstrap (idempotent) and every migration not yet applied, in order.
    Returns the versions applied now."""
    applied_now: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(BOOTSTRAP_SQL.read_text())
        conn.execute(
            psycopg.sql.SQL("alter role authenticator with login password {}").format(
                psycopg.sql.Literal(authenticator_password)
            )
        )
        done = {row[0] for row in conn.execute("select version from supabase_migrations.schema_migrations")}
        for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
            version, _, name = path.stem.partition("_")
            if version in done:
                continue
            with conn.transaction():
                conn.execute(path.read_text())
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, name) values (%s, %s)",
                    (version, name),
                )
            applied_now.append(version)
        conn.execute("notify pgrst, 'reload schema'")
    return applied_now
