"""Local users: rows in the local `auth.users` (what Supabase Auth owns in a real project)."""

from __future__ import annotations

import uuid

import psycopg


def ensure_user(database_url: str, *, email: str | None = None, user_id: str | None = None) -> str:
    """The id of the local user with `email` (or `user_id`), created if missing."""
    if not email and not user_id:
        raise ValueError("ensure_user needs an email or a user id")
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        if email:
            row = conn.execute(
                "insert into auth.users (id, email) values (%s, %s) "
                "on conflict (email) do update set updated_at = now() returning id",
                (user_id or str(uuid.uuid4()), email),
            ).fetchone()
            return str(row[0])
        conn.execute("insert into auth.users (id) values (%s) on conflict do nothing", (user_id,))
        return str(user_id)
