-- wagate: tenants isolated everywhere they can reach.
--   * chatbots have owners (`wagate_chatbots`, `wagate_chatbot_owner`), and each chatbot a signing
--     secret for the calls wagate makes to its endpoint (`wagate_chatbot_secrets`, service only);
--   * failures a tenant reads carry a stable code (`last_error_code`, `error_code`);
--   * messages carry their owner (`user_id`), indexed, so RLS reads use an index and deleting a
--     user deletes their messages;
--   * deleting a session, or a user in Supabase Auth, queues the logout of its WhatsApp device and
--     the erasure of its checkpoints (`wagate_erasures`), which the runners carry out;
--   * least privilege: tenants read only the columns the API shows; every function has a fixed
--     search_path and is executable by the service role alone.


-- ---------------------------------------------------------------- chatbots and their owners
create table public.wagate_chatbots (
    chatbot_id uuid primary key,
    user_id    uuid not null references auth.users (id) on delete cascade,
    created_at timestamptz not null default now()
);
create index wagate_chatbots_user_idx on public.wagate_chatbots (user_id);
alter table public.wagate_chatbots enable row level security;
create policy "owners read their chatbots" on public.wagate_chatbots
    for select to authenticated using (user_id = (select auth.uid()));

-- Who owns a chatbot (null: nobody yet; the first user who links it becomes its owner).
-- A deployment whose app keeps its own chatbots table replaces this one function, e.g.
--   create or replace function public.wagate_chatbot_owner(p_chatbot_id uuid) returns uuid
--   language sql stable security definer set search_path = '' as
--   $$ select c.owner_id from public.chatbots c where c.id = p_chatbot_id $$;
-- and then a chatbot the app does not know is `chatbot_not_found` for everyone.
create function public.wagate_chatbot_owner(p_chatbot_id uuid) returns uuid
language sql stable security definer set search_path = '' as $$
    select c.user_id from public.wagate_chatbots c where c.chatbot_id = p_chatbot_id
$$;

-- Sessions created before owners existed: each chatbot belongs to the user of its first session.
insert into public.wagate_chatbots (chatbot_id, user_id, created_at)
select distinct on (s.chatbot_id) s.chatbot_id, s.user_id, s.created_at
  from public.whatsapp_web_sessions s
 order by s.chatbot_id, s.created_at
on conflict (chatbot_id) do nothing;

-- The secret that signs wagate's calls to a chatbot's own endpoint (Standard Webhooks, `whsec_…`).
-- While a rotation's overlap lasts, calls carry a signature with each secret. Never readable by
-- tenants: shown to the owner once, when it is made.
create table public.wagate_chatbot_secrets (
    chatbot_id           uuid primary key,
    -- the owner it was made for: if the chatbot changes hands (an app's own table), the new owner
    -- makes a secret of their own; the old one never signs their calls
    user_id              uuid not null references auth.users (id) on delete cascade,
    secret               text not null,
    previous_secret      text,
    previous_valid_until timestamptz,
    created_at           timestamptz not null default now(),
    rotated_at           timestamptz
);
alter table public.wagate_chatbot_secrets enable row level security;

-- Rotate (or create) a chatbot's secret for its owner; the old one stays valid p_overlap_s more.
-- No row: the caller does not own the chatbot.
create function public.rotate_chatbot_secret(p_user_id uuid, p_chatbot_id uuid, p_secret text,
                                             p_overlap_s integer)
returns setof public.wagate_chatbot_secrets
language plpgsql volatile security definer set search_path = '' as $$
begin
    if public.wagate_chatbot_owner(p_chatbot_id) is distinct from p_user_id then
        return;
    end if;
    return query
        insert into public.wagate_chatbot_secrets as s (chatbot_id, user_id, secret)
        values (p_chatbot_id, p_user_id, p_secret)
        on conflict (chatbot_id) do update
           set previous_secret = case when s.user_id = excluded.user_id then s.secret end,
               previous_valid_until = case when s.user_id = excluded.user_id
                   then now() + make_interval(secs => greatest(p_overlap_s, 0)) end,
               user_id = excluded.user_id,
               secret = excluded.secret,
               rotated_at = now()
        returning s.*;
end;
$$;

-- What a runner needs to call a session's chatbot: whether the session's user still owns it, and
-- the secrets that sign the call (the previous one only while its overlap lasts).
create function public.chatbot_call_profile(p_chatbot_id uuid, p_user_id uuid)
returns table (owned boolean, secrets text[])
language sql stable security definer set search_path = '' as $$
    select public.wagate_chatbot_owner(p_chatbot_id) is not distinct from p_user_id,
           coalesce((select array_remove(array[s.secret,
                                               case when s.previous_valid_until > now()
                                                    then s.previous_secret end], null)
                       from public.wagate_chatbot_secrets s
                      where s.chatbot_id = p_chatbot_id and s.user_id = p_user_id), '{}')
$$;


-- ---------------------------------------------------------------- stable failure codes
alter table public.whatsapp_web_sessions add column last_error_code text;
alter table public.whatsapp_web_messages add column error_code text;
-- What was recorded before could hold internal detail (bucket names, KMS text, which internal port
-- answered a tenant's endpoint): replaced with plain words.
update public.whatsapp_web_sessions
   set last_error = 'recorded before error codes: restart the session', last_error_code = 'unknown'
 where last_error is not null;
update public.whatsapp_web_messages
   set error = 'failed (recorded before error codes)', error_code = 'unknown'
 where error is not null;


-- ---------------------------------------------------------------- messages carry their owner
alter table public.whatsapp_web_messages
    add column user_id uuid references auth.users (id) on delete cascade;
update public.whatsapp_web_messages m
   set user_id = s.user_id
  from public.whatsapp_web_sessions s
 where s.id = m.session_id;
-- Messages of sessions deleted before this (detached) get no owner: their chatbot may have been
-- linked by several users then, so nobody can say whose they were. Nobody reads them.
create index whatsapp_web_messages_user_idx
    on public.whatsapp_web_messages (user_id, timestamp desc, id desc);

create function public.wagate_message_owner() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
    if new.user_id is null then
        select s.user_id into new.user_id from public.whatsapp_web_sessions s where s.id = new.session_id;
    end if;
    return new;
end;
$$;
create trigger whatsapp_web_messages_owner before insert on public.whatsapp_web_messages
    for each row execute function public.wagate_message_owner();

-- RLS on the owner column itself: an index scan, not a scan of every tenant's rows.
drop policy "owners read their messages" on public.whatsapp_web_messages;
create policy "owners read their messages" on public.whatsapp_web_messages
    for select to authenticated using (user_id = (select auth.uid()));


-- ---------------------------------------------------------------- chatbots are checked at create
drop function public.create_session(uuid, uuid, text, text, text, integer);
-- Create a session for a user, at most p_max_sessions each. The chatbot must be the user's: one
-- nobody owns becomes theirs; another user's raises WG404 (`chatbot_not_found`, as if it did not
-- exist). p_signing_secret: the chatbot's endpoint secret, stored if it has none yet.
-- No row returned: the session limit is reached.
create function public.create_session(p_user_id uuid, p_chatbot_id uuid, p_session_id text,
                                      p_pairing_phone text, p_bot_endpoint text, p_max_sessions integer,
                                      p_signing_secret text default null)
returns setof public.whatsapp_web_sessions
language plpgsql volatile security definer set search_path = '' as $$
declare
    v_owner uuid;
begin
    perform pg_advisory_xact_lock(hashtextextended('wagate.create_session:' || p_user_id::text, 0));
    if (select count(*) from public.whatsapp_web_sessions where user_id = p_user_id) >= p_max_sessions then
        return;  -- before anything is claimed: a user at the limit claims no chatbot
    end if;
    v_owner := public.wagate_chatbot_owner(p_chatbot_id);
    if v_owner is null then
        insert into public.wagate_chatbots (chatbot_id, user_id) values (p_chatbot_id, p_user_id)
        on conflict (chatbot_id) do nothing;
        v_owner := public.wagate_chatbot_owner(p_chatbot_id);
    end if;
    if v_owner is distinct from p_user_id then
        raise exception 'chatbot_not_found' using errcode = 'WG404';
    end if;
    if p_signing_secret is not null then
        insert into public.wagate_chatbot_secrets (chatbot_id, user_id, secret)
        values (p_chatbot_id, p_user_id, p_signing_secret)
        on conflict (chatbot_id) do nothing;
    end if;
    return query
        insert into public.whatsapp_web_sessions (user_id, chatbot_id, session_id, pairing_phone, bot_endpoint)
        values (p_user_id, p_chatbot_id, p_session_id, p_pairing_phone, p_bot_endpoint)
        returning *;
end;
$$;


-- ---------------------------------------------------------------- runner writes keep the code
drop function public.runner_update_message(uuid, text, bigint, text, text, text, smallint, text);
create function public.runner_update_message(
    p_message_id uuid, p_runner_id text, p_epoch bigint,
    p_status text, p_whatsapp_id text default null, p_error text default null, p_ack smallint default null,
    p_expected_status text default null, p_error_code text default null)
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
begin
    update public.whatsapp_web_messages m
       set status = p_status,
           message_id = coalesce(p_whatsapp_id, m.message_id),
           error = p_error,
           error_code = case when p_error is null then null else p_error_code end,
           ack = case when p_ack is null then m.ack
                      when p_ack < 0 then p_ack
                      else greatest(coalesce(m.ack, 0), p_ack) end,
           attempts = m.attempts + case when p_status in ('sent', 'failed') then 1 else 0 end
      from public.whatsapp_web_sessions s
     where m.id = p_message_id
       and s.id = m.session_id and s.runner_id = p_runner_id and s.epoch = p_epoch
       and (p_expected_status is null or m.status = p_expected_status);
    return found;
end;
$$;

create or replace function public.store_replies(
    p_inbound_id uuid, p_runner_id text, p_epoch bigint, p_whatsapp_ids text[], p_texts text[])
returns setof public.whatsapp_web_messages
language plpgsql volatile security definer set search_path = '' as $$
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
    update public.whatsapp_web_messages set status = 'replied', error = null, error_code = null
     where id = p_inbound_id;
    return query
    insert into public.whatsapp_web_messages
        (session_id, chatbot_id, user_id, message_id, from_number, to_number, direction, content, status,
         reply_to)
    select inbound.session_id, inbound.chatbot_id, inbound.user_id, w.id, inbound.to_number,
           inbound.from_number, 'outbound', w.text, 'queued', inbound.id
      from unnest(p_whatsapp_ids, p_texts) as w(id, text)
    returning *;
end;
$$;


-- ---------------------------------------------------------------- erasures: logout + checkpoints
-- One row per deleted session whose WhatsApp device may still be linked and whose checkpoints may
-- still be in S3. Written by the delete itself (an API delete, or a user deleted in Supabase Auth,
-- whose sessions go by cascade), so none is missed; the runners claim, act and remove them. The
-- runner that held the session goes first (until its lease would have run out), then any runner.
create table public.wagate_erasures (
    id               bigint generated always as identity primary key,
    session_id       uuid not null,
    user_id          uuid,
    reason           text not null check (reason in ('session_deleted', 'user_deleted')),
    runner_id        text,
    lease_expires_at timestamptz,
    attempts         integer not null default 0,
    claimed_by       text,
    claimed_until    timestamptz,
    last_error       text,
    created_at       timestamptz not null default now()
);
create index wagate_erasures_due_idx on public.wagate_erasures (claimed_until nulls first, id);
alter table public.wagate_erasures enable row level security;

create function public.wagate_queue_erasure() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
    insert into public.wagate_erasures (session_id, user_id, reason, runner_id, lease_expires_at)
    values (old.id, old.user_id,
            case when exists (select 1 from auth.users u where u.id = old.user_id)
                 then 'session_deleted' else 'user_deleted' end,
            old.runner_id, old.lease_expires_at);
    return old;
end;
$$;
create trigger whatsapp_web_sessions_erase before delete on public.whatsapp_web_sessions
    for each row execute function public.wagate_queue_erasure();

-- A user deleted in Supabase Auth leaves nothing of theirs: sessions, chatbots and secrets go by
-- cascade (the sessions queuing their erasures), messages by their owner column, and here the
-- rate-limit counters.
create function public.wagate_forget_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
    delete from public.wagate_rate_limits where key = 'api:' || old.id::text;
    return old;
end;
$$;
create trigger wagate_forget_user before delete on auth.users
    for each row execute function public.wagate_forget_user();

-- Up to p_limit erasures for this runner: its own first, anyone's once the holder's lease is past.
create function public.claim_erasures(p_runner_id text, p_limit integer, p_claim_s integer)
returns setof public.wagate_erasures
language sql volatile security definer set search_path = '' as $$
    update public.wagate_erasures e
       set claimed_by = p_runner_id,
           claimed_until = now() + make_interval(secs => p_claim_s),
           attempts = e.attempts + 1
     where e.id in (
           select id from public.wagate_erasures
            where (claimed_until is null or claimed_until < now())
              and (runner_id is null or runner_id = p_runner_id
                   or lease_expires_at is null or lease_expires_at < now())
            order by id
            limit p_limit
            for update skip locked)
    returning e.*;
$$;

-- Done: the device logged out (or it could not be, after enough attempts) and the checkpoints gone.
create function public.finish_erasure(p_id bigint, p_runner_id text) returns boolean
language plpgsql volatile security definer set search_path = '' as $$
begin
    delete from public.wagate_erasures where id = p_id and claimed_by = p_runner_id;
    return found;
end;
$$;

-- Not done this time: try again after p_retry_s (any runner).
create function public.retry_erasure(p_id bigint, p_runner_id text, p_error text, p_retry_s integer)
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
begin
    update public.wagate_erasures
       set claimed_until = now() + make_interval(secs => p_retry_s), last_error = p_error,
           runner_id = null
     where id = p_id and claimed_by = p_runner_id;
    return found;
end;
$$;


-- ---------------------------------------------------------------- least privilege
alter function public.wagate_touch_updated_at() set search_path = '';

-- Tenants (authenticated) read, through PostgREST, exactly what the API shows of their rows; the
-- anon role nothing. Everything else is the service role's (the API and the runners).
revoke all on public.whatsapp_web_sessions, public.whatsapp_web_messages, public.whatsapp_web_runners,
    public.wagate_rate_limits, public.wagate_chatbots, public.wagate_chatbot_secrets,
    public.wagate_erasures
    from anon, authenticated;
grant select (id, user_id, session_id, chatbot_id, status, phone_number, push_name, qr_code, qr_expires_at,
              pairing_code, connected_at, last_error, last_error_code, created_at, updated_at)
    on public.whatsapp_web_sessions to authenticated;
grant select (id, user_id, session_id, chatbot_id, message_id, direction, from_number, to_number, content,
              status, ack, timestamp, reply_to, error, error_code)
    on public.whatsapp_web_messages to authenticated;
grant select (chatbot_id, user_id, created_at) on public.wagate_chatbots to authenticated;
grant all on public.wagate_chatbots, public.wagate_chatbot_secrets, public.wagate_erasures to service_role;

revoke execute on function
    public.wagate_touch_updated_at(),
    public.wagate_chatbot_owner(uuid),
    public.rotate_chatbot_secret(uuid, uuid, text, integer),
    public.chatbot_call_profile(uuid, uuid),
    public.wagate_message_owner(),
    public.create_session(uuid, uuid, text, text, text, integer, text),
    public.runner_update_message(uuid, text, bigint, text, text, text, smallint, text, text),
    public.store_replies(uuid, text, bigint, text[], text[]),
    public.wagate_queue_erasure(),
    public.wagate_forget_user(),
    public.claim_erasures(text, integer, integer),
    public.finish_erasure(bigint, text),
    public.retry_erasure(bigint, text, text, integer)
    from public, anon, authenticated;
grant execute on function
    public.wagate_chatbot_owner(uuid),
    public.rotate_chatbot_secret(uuid, uuid, text, integer),
    public.chatbot_call_profile(uuid, uuid),
    public.create_session(uuid, uuid, text, text, text, integer, text),
    public.runner_update_message(uuid, text, bigint, text, text, text, smallint, text, text),
    public.store_replies(uuid, text, bigint, text[], text[]),
    public.claim_erasures(text, integer, integer),
    public.finish_erasure(bigint, text),
    public.retry_erasure(bigint, text, text, integer)
    to service_role;

-- Every other wagate function gets a fixed search_path too (Supabase's linter:
-- function_search_path_mutable); they already have `public`, now nothing implicit.
alter function public.claim_session(uuid, text, integer) set search_path = '';
alter function public.renew_lease(uuid, text, bigint, integer) set search_path = '';
alter function public.release_session(uuid, text, bigint) set search_path = '';
alter function public.claim_orphaned_sessions(text, integer, integer) set search_path = '';
alter function public.register_runner(text, text, integer) set search_path = '';
alter function public.heartbeat_runner(text, integer) set search_path = '';
alter function public.hit_rate_limit(text, integer, integer) set search_path = '';
alter function public.admit_api_call(uuid, integer, integer) set search_path = '';
alter function public.renew_leases(text, uuid[], bigint[], integer) set search_path = '';
alter function public.store_acks(uuid[], text[], smallint[]) set search_path = '';
