-- wagate: sessions, messages, runners; Row Level Security; the atomic routing steps.
-- Applies to a real Supabase project (`supabase db push` / `make db-push`) and to the local stack,
-- whose bootstrap creates only what Supabase itself provides (roles, the auth schema, auth.uid()).


-- ---------------------------------------------------------------- tables
create table public.whatsapp_web_sessions (
    id               uuid primary key default gen_random_uuid(),
    user_id          uuid not null references auth.users (id) on delete cascade,
    chatbot_id       uuid not null,
    session_id       text not null unique,
    phone_number     text,
    push_name        text,
    status           text not null default 'pending'
        check (status in ('pending', 'starting', 'qr_ready', 'authenticating', 'connected',
                          'disconnected', 'logged_out', 'qr_expired', 'failed')),
    qr_code          text,
    qr_expires_at    timestamptz,
    pairing_phone    text check (pairing_phone is null or pairing_phone ~ '^[1-9][0-9]{6,14}$'),
    pairing_code     text,
    connected_at     timestamptz,
    runner_id        text,
    lease_expires_at timestamptz,
    epoch            bigint not null default 0,
    last_error       text,
    bot_endpoint     text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);

create table public.whatsapp_web_messages (
    id          uuid primary key default gen_random_uuid(),
    -- deleting a session keeps its messages (detached) unless the caller asks to erase them
    session_id  uuid references public.whatsapp_web_sessions (id) on delete set null,
    chatbot_id  uuid not null,
    message_id  text not null,
    from_number text not null,
    to_number   text not null,
    direction   text not null check (direction in ('inbound', 'outbound')),
    content     text not null,
    timestamp   timestamptz not null default now(),
    -- inbound: received -> replying -> replied | failed; outbound: queued -> sent | failed
    status      text not null
        check (status in ('received', 'replying', 'replied', 'queued', 'sent', 'failed')),
    ack         smallint,
    reply_to    uuid references public.whatsapp_web_messages (id) on delete set null,
    error       text,
    attempts    integer not null default 0,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    -- a redelivered WhatsApp message is stored once
    unique (session_id, message_id)
);

create table public.whatsapp_web_runners (
    runner_id       text primary key,
    queue_url       text not null,
    capacity        integer not null check (capacity >= 0),
    active_sessions integer not null default 0,
    started_at      timestamptz not null default now(),
    heartbeat_at    timestamptz not null default now()
);

create index whatsapp_web_sessions_user_idx on public.whatsapp_web_sessions (user_id, created_at desc);
create index whatsapp_web_sessions_runner_idx on public.whatsapp_web_sessions (runner_id)
    where runner_id is not null;
create index whatsapp_web_sessions_lease_idx on public.whatsapp_web_sessions (lease_expires_at)
    where runner_id is not null;
create index whatsapp_web_messages_history_idx
    on public.whatsapp_web_messages (session_id, timestamp desc, id desc);
create index whatsapp_web_messages_pending_idx on public.whatsapp_web_messages (session_id, created_at)
    where status in ('received', 'replying', 'queued');

create function public.wagate_touch_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create trigger whatsapp_web_sessions_touch before update on public.whatsapp_web_sessions
    for each row execute function public.wagate_touch_updated_at();
create trigger whatsapp_web_messages_touch before update on public.whatsapp_web_messages
    for each row execute function public.wagate_touch_updated_at();

-- ---------------------------------------------------------------- row level security
-- Users read their own sessions and the messages of those sessions. Every write goes through the
-- API or a runner, both with the service role (which bypasses RLS).
alter table public.whatsapp_web_sessions enable row level security;
alter table public.whatsapp_web_messages enable row level security;
alter table public.whatsapp_web_runners enable row level security;

create policy "owners read their sessions" on public.whatsapp_web_sessions
    for select to authenticated using (user_id = (select auth.uid()));

create policy "owners read their messages" on public.whatsapp_web_messages
    for select to authenticated using (
        exists (select 1 from public.whatsapp_web_sessions s
                where s.id = whatsapp_web_messages.session_id and s.user_id = (select auth.uid())));

-- No policy on runners: only the service role sees them.

revoke insert, update, delete, truncate on public.whatsapp_web_sessions from anon, authenticated;
revoke insert, update, delete, truncate on public.whatsapp_web_messages from anon, authenticated;
revoke all on public.whatsapp_web_runners from anon, authenticated;
revoke all on public.whatsapp_web_sessions from anon;
revoke all on public.whatsapp_web_messages from anon;
grant select on public.whatsapp_web_sessions, public.whatsapp_web_messages to authenticated;
grant all on public.whatsapp_web_sessions, public.whatsapp_web_messages, public.whatsapp_web_runners
    to service_role;

-- ---------------------------------------------------------------- atomic routing steps
-- Claim a session for a runner: only when unowned, already this runner's, or its lease has expired.
-- Every claim increments the epoch, the fencing token that makes an older owner's writes fail.
create function public.claim_session(p_session_id uuid, p_runner_id text, p_ttl_seconds integer)
returns setof public.whatsapp_web_sessions
language sql volatile security definer set search_path = public as $$
    update public.whatsapp_web_sessions
       set runner_id = p_runner_id,
           lease_expires_at = now() + make_interval(secs => p_ttl_seconds),
           epoch = epoch + 1
     where id = p_session_id
       and (runner_id is null or runner_id = p_runner_id or lease_expires_at < now())
    returning *;
$$;

-- Renew a lease; true only while the runner still holds it at this epoch.
create function public.renew_lease(p_session_id uuid, p_runner_id text, p_epoch bigint,
                                   p_ttl_seconds integer)
returns boolean
language plpgsql volatile security definer set search_path = public as $$
begin
    update public.whatsapp_web_sessions
       set lease_expires_at = now() + make_interval(secs => p_ttl_seconds)
     where id = p_session_id and runner_id = p_runner_id and epoch = p_epoch;
    return found;
end;
$$;

-- Release a session (shutdown, disconnect): another runner may claim it at once.
create function public.release_session(p_session_id uuid, p_runner_id text, p_epoch bigint)
returns boolean
language plpgsql volatile security definer set search_path = public as $$
begin
    update public.whatsapp_web_sessions
       set runner_id = null, lease_expires_at = null
     where id = p_session_id and runner_id = p_runner_id and epoch = p_epoch;
    return found;
end;
$$;

-- Sessions whose owner is gone (lease expired, or released at shutdown) and which should run again.
create function public.claim_orphaned_sessions(p_runner_id text, p_limit integer, p_ttl_seconds integer)
returns setof public.whatsapp_web_sessions
language sql volatile security definer set search_path = public as $$
    update public.whatsapp_web_sessions s
       set runner_id = p_runner_id,
           lease_expires_at = now() + make_interval(secs => p_ttl_seconds),
           epoch = s.epoch + 1
     where s.id in (
           select id from public.whatsapp_web_sessions
            where (runner_id is not null and lease_expires_at < now()
                   and status not in ('logged_out', 'failed', 'qr_expired'))
               -- released by a runner that stopped (SIGTERM) while the session was live
               or (runner_id is null and status in ('starting', 'qr_ready', 'authenticating', 'connected'))
            order by lease_expires_at nulls first
            limit p_limit
            for update skip locked)
    returning s.*;
$$;

-- Create a session for a user, at most p_max_sessions each: counted and inserted under a per-user
-- lock, so concurrent creates cannot pass the limit together. No row returned: the limit is reached.
create function public.create_session(p_user_id uuid, p_chatbot_id uuid, p_session_id text,
                                      p_pairing_phone text, p_bot_endpoint text, p_max_sessions integer)
returns setof public.whatsapp_web_sessions
language plpgsql volatile security definer set search_path = public as $$
begin
    perform pg_advisory_xact_lock(hashtextextended('wagate.create_session:' || p_user_id::text, 0));
    if (select count(*) from public.whatsapp_web_sessions where user_id = p_user_id) >= p_max_sessions then
        return;
    end if;
    return query
        insert into public.whatsapp_web_sessions (user_id, chatbot_id, session_id, pairing_phone, bot_endpoint)
        values (p_user_id, p_chatbot_id, p_session_id, p_pairing_phone, p_bot_endpoint)
        returning *;
end;
$$;

create function public.register_runner(p_runner_id text, p_queue_url text, p_capacity integer)
returns public.whatsapp_web_runners
language sql volatile security definer set search_path = public as $$
    insert into public.whatsapp_web_runners (runner_id, queue_url, capacity)
    values (p_runner_id, p_queue_url, p_capacity)
    on conflict (runner_id) do update
       set queue_url = excluded.queue_url, capacity = excluded.capacity,
           heartbeat_at = now(), started_at = now()
    returning *;
$$;

create function public.heartbeat_runner(p_runner_id text, p_active_sessions integer)
returns boolean
language plpgsql volatile security definer set search_path = public as $$
begin
    update public.whatsapp_web_runners
       set heartbeat_at = now(), active_sessions = p_active_sessions
     where runner_id = p_runner_id;
    return found;
end;
$$;

revoke execute on function public.create_session(uuid, uuid, text, text, text, integer),
    public.claim_session(uuid, text, integer),
    public.renew_lease(uuid, text, bigint, integer),
    public.release_session(uuid, text, bigint),
    public.claim_orphaned_sessions(text, integer, integer),
    public.register_runner(text, text, integer),
    public.heartbeat_runner(text, integer)
    from public, anon, authenticated;
grant execute on function public.create_session(uuid, uuid, text, text, text, integer),
    public.claim_session(uuid, text, integer),
    public.renew_lease(uuid, text, bigint, integer),
    public.release_session(uuid, text, bigint),
    public.claim_orphaned_sessions(text, integer, integer),
    public.register_runner(text, text, integer),
    public.heartbeat_runner(text, integer)
    to service_role;

-- A runner's write to a message, fenced by the session's lease: a runner that lost the session
-- (its epoch is old) cannot mark, send or fail its messages any more.
create function public.runner_update_message(
    p_message_id uuid, p_runner_id text, p_epoch bigint,
    p_status text, p_whatsapp_id text default null, p_error text default null, p_ack smallint default null,
    p_expected_status text default null)
returns boolean
language plpgsql volatile security definer set search_path = public as $$
begin
    update public.whatsapp_web_messages m
       set status = p_status,
           message_id = coalesce(p_whatsapp_id, m.message_id),
           error = p_error,
           ack = coalesce(p_ack, m.ack),
           attempts = m.attempts + case when p_status in ('sent', 'failed') then 1 else 0 end
      from public.whatsapp_web_sessions s
     where m.id = p_message_id
       and s.id = m.session_id and s.runner_id = p_runner_id and s.epoch = p_epoch
       and (p_expected_status is null or m.status = p_expected_status);
    return found;
end;
$$;
revoke execute on function public.runner_update_message(uuid, text, bigint, text, text, text, smallint, text)
    from public, anon, authenticated;
grant execute on function public.runner_update_message(uuid, text, bigint, text, text, text, smallint, text)
    to service_role;

-- The chatbot's replies to one inbound message, stored in one step with the inbound marked
-- `replied`: a runner that dies in between leaves either nothing (ask again) or both (send them).
create function public.store_replies(
    p_inbound_id uuid, p_runner_id text, p_epoch bigint, p_whatsapp_ids text[], p_texts text[])
returns setof public.whatsapp_web_messages
language plpgsql volatile security definer set search_path = public as $$
declare
    inbound public.whatsapp_web_messages;
begin
    select m.* into inbound
      from public.whatsapp_web_messages m
      join public.whatsapp_web_sessions s on s.id = m.session_id
     where m.id = p_inbound_id and s.runner_id = p_runner_id and s.epoch = p_epoch
       and m.status in ('received', 'replying')
     for update of m;
    if not found then
        return;
    end if;
    update public.whatsapp_web_messages set status = 'replied', error = null where id = p_inbound_id;
    return query
    insert into public.whatsapp_web_messages
        (session_id, chatbot_id, message_id, from_number, to_number, direction, content, status, reply_to)
    select inbound.session_id, inbound.chatbot_id, w.id, inbound.to_number, inbound.from_number,
           'outbound', w.text, 'queued', inbound.id
      from unnest(p_whatsapp_ids, p_texts) as w(id, text)
    returning *;
end;
$$;
revoke execute on function public.store_replies(uuid, text, bigint, text[], text[]) from public, anon, authenticated;
grant execute on function public.store_replies(uuid, text, bigint, text[], text[]) to service_role;
