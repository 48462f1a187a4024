-- What a Supabase project provides before any migration runs, and nothing more:
-- the API roles, the auth schema with auth.users and the helpers RLS policies call.
-- Idempotent: applied on every local start.

do $$
begin
    if not exists (select from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    if not exists (select from pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

create schema if not exists extensions;
create schema if not exists auth;
grant usage on schema public, extensions to anon, authenticated, service_role;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
    id         uuid primary key,
    email      text unique,
    role       text not null default 'authenticated',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create or replace function auth.jwt() returns jsonb
language sql stable as $$
    select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable as $$
    select nullif(
        coalesce(current_setting('request.jwt.claim.sub', true), auth.jwt() ->> 'sub'), ''
    )::uuid
$$;

create or replace function auth.role() returns text
language sql stable as $$
    select nullif(
        coalesce(current_setting('request.jwt.claim.role', true), auth.jwt() ->> 'role'), ''
    )::text
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, service_role;

-- Supabase's default privileges: new objects in public are reachable by the API roles, and
-- Row Level Security decides what each may see.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- The Supabase CLI's migration ledger, so `supabase db push` and the local stack agree.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version    text primary key,
    statements text[],
    name       text
);
