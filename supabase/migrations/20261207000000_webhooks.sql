-- wagate: webhooks. Every event to the app's own endpoints, signed, from a durable outbox.
--   * `wagate_webhooks`: a user's endpoints (URL, event types, optional session or chatbot scope,
--     the signing secret and the previous one while a rotation's overlap lasts, disabled with the
--     reason after failing for days);
--   * `wagate_events`: the outbox. An event row is written by a trigger of the very statement that
--     changes what it describes (a session's status, a message's insert, status or ack), so it
--     commits or rolls back with the change: none is lost, none invented. Written only when an
--     endpoint of the owner subscribes to it;
--   * `wagate_deliveries`: one per event and endpoint, claimed by dispatchers with
--     `FOR UPDATE SKIP LOCKED` (any number in parallel); a claim is a lease: a dispatcher that dies
--     in the middle of a delivery leaves it due again when the lease ends (at least once);
--   * `wagate_delivery_attempts`: every attempt, with its status code, latency and error.
-- Ordering: an endpoint with `ordered` (the default) gets one session's events in the order they
-- happened: a delivery waits while an earlier one of the same session to the same endpoint is not
-- yet delivered or given up. A waiting delivery (behind an earlier one, or for a disabled
-- endpoint) is due at 'infinity' and made due when it may go (`wagate_promote_deliveries`), so the
-- dispatchers' scan of due rows never wades through a backlog that cannot be sent.


-- ---------------------------------------------------------------- tables
create table public.wagate_webhooks (
    id                   uuid primary key default gen_random_uuid(),
    user_id              uuid not null references auth.users (id) on delete cascade,
    url                  text not null,
    events               text[] not null check (cardinality(events) > 0),
    description          text,
    session_id           uuid references public.whatsapp_web_sessions (id) on delete cascade,
    chatbot_id           uuid,
    ordered              boolean not null default true,
    secret               text not null,
    previous_secret      text,
    previous_valid_until timestamptz,
    rotated_at           timestamptz,
    enabled              boolean not null default true,
    disabled_reason      text,
    disabled_at          timestamptz,
    failing_since        timestamptz,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    check (session_id is null or chatbot_id is null)
);
create index wagate_webhooks_user_idx on public.wagate_webhooks (user_id, created_at);
create trigger wagate_webhooks_touch before update on public.wagate_webhooks
    for each row execute function public.wagate_touch_updated_at();

create table public.wagate_events (
    id          text primary key,
    type        text not null,
    user_id     uuid not null references auth.users (id) on delete cascade,
    session_id  uuid,
    chatbot_id  uuid,
    data        jsonb not null,
    created_at  timestamptz not null default clock_timestamp()
);
create index wagate_events_created_idx on public.wagate_events (created_at);

create table public.wagate_deliveries (
    id               uuid primary key default gen_random_uuid(),
    seq              bigint generated always as identity,
    event_id         text not null references public.wagate_events (id) on delete cascade,
    webhook_id       uuid not null references public.wagate_webhooks (id) on delete cascade,
    -- the session whose events go in order to this endpoint (null: no order kept)
    order_key        uuid,
    status           text not null default 'pending'
        check (status in ('pending', 'delivering', 'delivered', 'failed')),
    attempts         integer not null default 0,
    -- pending: when it is due ('infinity': waiting, see above); delivering: when the claim's
    -- lease ends (then it is due again)
    next_attempt_at  timestamptz not null default now(),
    claimed_by       text,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz not null default clock_timestamp(),
    delivered_at     timestamptz,
    failed_at        timestamptz
);
create index wagate_deliveries_due_idx on public.wagate_deliveries (next_attempt_at, seq)
    where status in ('pending', 'delivering');
create index wagate_deliveries_order_idx on public.wagate_deliveries (webhook_id, order_key, seq)
    where status in ('pending', 'delivering') and order_key is not null;
create index wagate_deliveries_waiting_idx on public.wagate_deliveries (webhook_id, order_key, seq)
    where status = 'pending' and next_attempt_at = 'infinity';
create index wagate_deliveries_webhook_idx on public.wagate_deliveries (webhook_id, created_at desc, id desc);
create index wagate_deliveries_event_idx on public.wagate_deliveries (event_id);

create table public.wagate_delivery_attempts (
    id           bigint generated always as identity primary key,
    delivery_id  uuid not null references public.wagate_deliveries (id) on delete cascade,
    attempt      integer not null,
    attempted_at timestamptz not null default now(),
    status_code  integer,
    latency_ms   integer,
    error        text
);
create index wagate_delivery_attempts_delivery_idx on public.wagate_delivery_attempts (delivery_id, id);

alter table public.wagate_webhooks enable row level security;
alter table public.wagate_events enable row level security;
alter table public.wagate_deliveries enable row level security;
alter table public.wagate_delivery_attempts enable row level security;


-- ---------------------------------------------------------------- writing events
-- An event for the owner's endpoints that subscribe to it (by type, and by session or chatbot
-- when they are scoped); nothing at all when none does. A disabled endpoint's deliveries are
-- written too: they wait, and go out in order once its owner enables it again (within the
-- retention, `purge_webhook_events`).
create function public.wagate_emit(p_type text, p_user_id uuid, p_session_id uuid, p_chatbot_id uuid,
                                   p_data jsonb)
returns text
language plpgsql volatile security definer set search_path = '' as $$
declare
    v_id text;
begin
    if p_user_id is null then
        return null;
    end if;
    if not exists (select 1 from public.wagate_webhooks w
                    where w.user_id = p_user_id and p_type = any (w.events)
                      and (w.session_id is null or w.session_id = p_session_id)
                      and (w.chatbot_id is null or w.chatbot_id = p_chatbot_id)) then
        return null;
    end if;
    v_id := 'evt_' || replace(gen_random_uuid()::text, '-', '');
    insert into public.wagate_events (id, type, user_id, session_id, chatbot_id, data)
    values (v_id, p_type, p_user_id, p_session_id, p_chatbot_id, p_data);
    insert into public.wagate_deliveries (event_id, webhook_id, order_key, next_attempt_at)
    select v_id, w.id, case when w.ordered then p_session_id end,
           case when not w.enabled
                  or (w.ordered and exists (
                        select 1 from public.wagate_deliveries e
                         where e.webhook_id = w.id and e.order_key = p_session_id
                           and e.status in ('pending', 'delivering')))
                then 'infinity'::timestamptz else now() end
      from public.wagate_webhooks w
     where w.user_id = p_user_id and p_type = any (w.events)
       and (w.session_id is null or w.session_id = p_session_id)
       and (w.chatbot_id is null or w.chatbot_id = p_chatbot_id)
     order by w.id;
    return v_id;
end;
$$;

-- What an event says of a message: the API's message object (wagate/presenters.py MESSAGE_FIELDS).
create function public.wagate_public_message(m public.whatsapp_web_messages) returns jsonb
language sql stable set search_path = '' as $$
    select jsonb_build_object(
        'id', m.id, 'session_id', m.session_id, 'message_id', m.message_id, 'direction', m.direction,
        'from_number', m.from_number, 'to_number', m.to_number, 'content', m.content,
        'status', m.status, 'ack', m.ack, 'timestamp', m.timestamp, 'reply_to', m.reply_to,
        'error', m.error, 'error_code', m.error_code, 'chat_id', m.chat_id,
        'customer_lid', m.customer_lid, 'customer_phone', m.customer_phone,
        'edited_at', m.edited_at, 'revoked_at', m.revoked_at)
$$;

-- Sessions: every status change (`session.status`, with the error), and each new QR code
-- (`session.qr`: that one is ready and until when, never the code itself).
create function public.wagate_session_events() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
    if not exists (select 1 from public.wagate_webhooks w where w.user_id = new.user_id) then
        return null;
    end if;
    if tg_op = 'INSERT' or old.status is distinct from new.status then
        perform public.wagate_emit('session.status', new.user_id, new.id, new.chatbot_id,
            jsonb_build_object(
                'id', new.id, 'session_id', new.session_id, 'chatbot_id', new.chatbot_id,
                'status', new.status,
                'previous_status', case when tg_op = 'UPDATE' then old.status end,
                'phone_number', new.phone_number, 'push_name', new.push_name,
                'connected_at', new.connected_at,
                'last_error', new.last_error, 'last_error_code', new.last_error_code));
    end if;
    if new.qr_code is not null and (tg_op = 'INSERT' or old.qr_code is distinct from new.qr_code) then
        perform public.wagate_emit('session.qr', new.user_id, new.id, new.chatbot_id,
            jsonb_build_object('id', new.id, 'session_id', new.session_id, 'chatbot_id', new.chatbot_id,
                               'status', new.status, 'qr_expires_at', new.qr_expires_at));
    end if;
    return null;
end;
$$;
create trigger wagate_session_created_events after insert on public.whatsapp_web_sessions
    for each row execute function public.wagate_session_events();
-- (not on the lease renewals every few seconds: only on what an event describes)
create trigger wagate_session_events after update on public.whatsapp_web_sessions
    for each row when (old.status is distinct from new.status or old.qr_code is distinct from new.qr_code)
    execute function public.wagate_session_events();

-- Messages: received (an inbound insert), sent, failed, acked (delivered 2, read 3, played 4).
create function public.wagate_message_events() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
    v_message jsonb;
    v_status_changed boolean := tg_op = 'INSERT' or old.status is distinct from new.status;
begin
    if new.user_id is null
       or not exists (select 1 from public.wagate_webhooks w where w.user_id = new.user_id) then
        return null;
    end if;
    v_message := public.wagate_public_message(new);
    if tg_op = 'INSERT' and new.direction = 'inbound' then
        perform public.wagate_emit('message.received', new.user_id, new.session_id, new.chatbot_id,
                                   jsonb_build_object('message', v_message));
    end if;
    if v_status_changed and new.status = 'sent' then
        perform public.wagate_emit('message.sent', new.user_id, new.session_id, new.chatbot_id,
                                   jsonb_build_object('message', v_message));
    end if;
    if v_status_changed and new.status = 'failed' then
        perform public.wagate_emit('message.failed', new.user_id, new.session_id, new.chatbot_id,
            jsonb_build_object('message', v_message, 'error', new.error, 'error_code', new.error_code));
    end if;
    if tg_op = 'UPDATE' and new.direction = 'outbound' and new.ack is distinct from old.ack
       and new.ack >= 2 then
        perform public.wagate_emit('message.ack', new.user_id, new.session_id, new.chatbot_id,
            jsonb_build_object('message', v_message, 'ack', new.ack,
                               'state', case new.ack when 2 then 'delivered' when 3 then 'read'
                                                     else 'played' end));
    end if;
    return null;
end;
$$;
create trigger wagate_message_created_events after insert on public.whatsapp_web_messages
    for each row execute function public.wagate_message_events();
create trigger wagate_message_events after update on public.whatsapp_web_messages
    for each row when (old.status is distinct from new.status or old.ack is distinct from new.ack)
    execute function public.wagate_message_events();

-- `message.replied`: the inbound message and its replies. The replies are inserted after the
-- inbound row is marked (`store_replies`), so this runs when the transaction commits.
create function public.wagate_replied_event() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
    v_inbound public.whatsapp_web_messages;
begin
    select m.* into v_inbound from public.whatsapp_web_messages m where m.id = new.id;
    if not found or v_inbound.status <> 'replied' then
        return null;
    end if;
    perform public.wagate_emit('message.replied', v_inbound.user_id, v_inbound.session_id,
        v_inbound.chatbot_id,
        jsonb_build_object(
            'message', public.wagate_public_message(v_inbound),
            'replies', coalesce((select jsonb_agg(public.wagate_public_message(r) order by r.created_at, r.id)
                                   from public.whatsapp_web_messages r where r.reply_to = v_inbound.id),
                                '[]'::jsonb)));
    return null;
end;
$$;
create constraint trigger wagate_replied_event after update on public.whatsapp_web_messages
    deferrable initially deferred
    for each row when (new.status = 'replied' and old.status is distinct from new.status)
    execute function public.wagate_replied_event();


-- Waiting deliveries that may go now (their endpoint enabled, nothing earlier of their session still
-- to deliver) become due: of one endpoint's session (p_order_key), of one endpoint, or of all
-- (nulls; the dispatchers run that now and then, in case a delivery was written behind an earlier
-- one while that one was finishing).
create function public.wagate_promote_deliveries(p_webhook_id uuid, p_order_key uuid)
returns integer
language sql volatile security definer set search_path = '' as $$
    with promoted as (
        update public.wagate_deliveries d
           set next_attempt_at = now()
         where d.status = 'pending' and d.next_attempt_at = 'infinity'
           and (p_webhook_id is null or d.webhook_id = p_webhook_id)
           and (p_order_key is null or d.order_key = p_order_key)
           and exists (select 1 from public.wagate_webhooks w where w.id = d.webhook_id and w.enabled)
           and (d.order_key is null or not exists (
                   select 1 from public.wagate_deliveries e
                    where e.webhook_id = d.webhook_id and e.order_key = d.order_key
                      and e.status in ('pending', 'delivering') and e.seq < d.seq))
        returning 1)
    select count(*)::integer from promoted;
$$;

-- Disabled (by its owner, or after failing for days): its pending deliveries wait. Enabled again:
-- they go, each session's in order.
create function public.wagate_webhook_enabled() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
    if new.enabled then
        perform public.wagate_promote_deliveries(new.id, null);
    else
        update public.wagate_deliveries d set next_attempt_at = 'infinity'
         where d.webhook_id = new.id and d.status = 'pending';
    end if;
    return null;
end;
$$;
create trigger wagate_webhook_enabled after update on public.wagate_webhooks
    for each row when (old.enabled is distinct from new.enabled)
    execute function public.wagate_webhook_enabled();


-- ---------------------------------------------------------------- the API's writes
-- A new endpoint for a user, at most p_max each (no row: the limit is reached).
create function public.create_webhook(p_user_id uuid, p_url text, p_events text[], p_description text,
                                      p_session_id uuid, p_chatbot_id uuid, p_ordered boolean,
                                      p_secret text, p_max integer)
returns setof public.wagate_webhooks
language plpgsql volatile security definer set search_path = '' as $$
begin
    perform pg_advisory_xact_lock(hashtext('wagate_webhooks:' || p_user_id::text));
    if (select count(*) from public.wagate_webhooks w where w.user_id = p_user_id) >= p_max then
        return;
    end if;
    return query
    insert into public.wagate_webhooks (user_id, url, events, description, session_id, chatbot_id, ordered,
                                        secret)
    values (p_user_id, p_url, p_events, p_description, p_session_id, p_chatbot_id, p_ordered, p_secret)
    returning *;
end;
$$;

-- A new secret; the old one keeps signing (a second signature) for p_overlap_s.
create function public.rotate_webhook_secret(p_user_id uuid, p_webhook_id uuid, p_secret text,
                                             p_overlap_s integer)
returns setof public.wagate_webhooks
language sql volatile security definer set search_path = '' as $$
    update public.wagate_webhooks w
       set previous_secret = w.secret,
           previous_valid_until = now() + make_interval(secs => p_overlap_s),
           secret = p_secret,
           rotated_at = now()
     where w.id = p_webhook_id and w.user_id = p_user_id
    returning w.*;
$$;

-- A `ping` event to this one endpoint (its test button), whatever it subscribes to.
create function public.webhook_ping(p_user_id uuid, p_webhook_id uuid)
returns text
language plpgsql volatile security definer set search_path = '' as $$
declare
    v_id text := 'evt_' || replace(gen_random_uuid()::text, '-', '');
    v_hook public.wagate_webhooks;
begin
    select w.* into v_hook from public.wagate_webhooks w where w.id = p_webhook_id and w.user_id = p_user_id;
    if not found then
        return null;
    end if;
    insert into public.wagate_events (id, type, user_id, session_id, chatbot_id, data)
    values (v_id, 'ping', p_user_id, v_hook.session_id, v_hook.chatbot_id,
            jsonb_build_object('webhook_id', v_hook.id, 'message', 'a test event from wagate'));
    insert into public.wagate_deliveries (event_id, webhook_id) values (v_id, v_hook.id);
    return v_id;
end;
$$;


-- ---------------------------------------------------------------- the dispatchers
-- Up to p_limit due deliveries of enabled endpoints, each leased to p_worker for p_lease_s, at most
-- p_per_user of one user's, none of the users in p_busy_users (those the dispatcher already calls
-- as much as it will: a slow endpoint holds up its owner's deliveries, not everyone's). Ordered
-- endpoints get a session's next delivery only once the earlier ones are done.
create function public.claim_webhook_deliveries(p_worker text, p_limit integer, p_lease_s integer,
                                                p_per_user integer, p_busy_users uuid[])
returns table (delivery_id uuid, attempt integer, webhook_id uuid, user_id uuid, url text,
               secrets text[], event jsonb)
language sql volatile security definer set search_path = '' as $$
    with candidates as (
        select d.id, d.next_attempt_at, d.seq,
               row_number() over (partition by d.user_id order by d.next_attempt_at, d.seq) as nth
          from (select d0.*, w0.user_id
                  from public.wagate_deliveries d0
                  join public.wagate_webhooks w0 on w0.id = d0.webhook_id
                 where d0.status in ('pending', 'delivering') and d0.next_attempt_at <= now()
                   and w0.enabled and not (w0.user_id = any (p_busy_users))
                 order by d0.next_attempt_at, d0.seq
                 limit p_limit * 20) d
         where (d.order_key is null or not exists (
                   select 1 from public.wagate_deliveries e
                    where e.webhook_id = d.webhook_id and e.order_key = d.order_key
                      and e.status in ('pending', 'delivering') and e.seq < d.seq))),
    due as (
        select d.id
          from public.wagate_deliveries d
         where d.id in (select c.id from candidates c where c.nth <= p_per_user
                         order by c.next_attempt_at, c.seq limit p_limit)
           and d.status in ('pending', 'delivering') and d.next_attempt_at <= now()
         for update of d skip locked),
    claimed as (
        update public.wagate_deliveries d
           set status = 'delivering', attempts = d.attempts + 1, claimed_by = p_worker,
               next_attempt_at = now() + make_interval(secs => p_lease_s)
          from due
         where d.id = due.id
        returning d.*)
    select c.id, c.attempts, w.id, w.user_id, w.url,
           array_remove(array[w.secret,
                              case when w.previous_valid_until > now() then w.previous_secret end], null),
           jsonb_build_object('id', ev.id, 'type', ev.type, 'created_at', ev.created_at,
                              'user_id', ev.user_id, 'session_id', ev.session_id,
                              'chatbot_id', ev.chatbot_id, 'data', ev.data)
      from claimed c
      join public.wagate_events ev on ev.id = c.event_id
      join public.wagate_webhooks w on w.id = c.webhook_id
     order by c.seq;
$$;

-- One attempt's outcome. p_retry_in_s: when to try again after a failure (null: give up, `failed`).
-- An endpoint failing without a success for p_disable_after_s is disabled with the reason.
-- Returns the delivery's status, or null when the claim was lost (its lease ended and another
-- dispatcher took it): the attempt is still recorded.
create function public.finish_webhook_delivery(p_delivery_id uuid, p_worker text, p_attempt integer,
                                               p_ok boolean, p_status_code integer, p_latency_ms integer,
                                               p_error text, p_retry_in_s double precision,
                                               p_disable_after_s integer)
returns text
language plpgsql volatile security definer set search_path = '' as $$
declare
    v_delivery public.wagate_deliveries;
    v_status text;
begin
    insert into public.wagate_delivery_attempts (delivery_id, attempt, status_code, latency_ms, error)
    select p_delivery_id, p_attempt, p_status_code, p_latency_ms, left(p_error, 500)
     where exists (select 1 from public.wagate_deliveries d where d.id = p_delivery_id);
    select d.* into v_delivery from public.wagate_deliveries d
     where d.id = p_delivery_id and d.status = 'delivering' and d.claimed_by = p_worker
       and d.attempts = p_attempt
       for update;
    if not found then
        return null;
    end if;
    v_status := case when p_ok then 'delivered' when p_retry_in_s is null then 'failed' else 'pending' end;
    update public.wagate_deliveries d
       set status = v_status,
           last_status_code = p_status_code,
           last_error = case when p_ok then null else left(p_error, 500) end,
           next_attempt_at = case when v_status = 'pending'
                                  then now() + make_interval(secs => p_retry_in_s) else d.next_attempt_at end,
           delivered_at = case when p_ok then now() end,
           failed_at = case when v_status = 'failed' then now() end,
           claimed_by = null
     where d.id = p_delivery_id;
    if v_status <> 'pending' and v_delivery.order_key is not null then  -- the session's next may go
        perform public.wagate_promote_deliveries(v_delivery.webhook_id, v_delivery.order_key);
    end if;
    if p_ok then
        update public.wagate_webhooks w set failing_since = null
         where w.id = v_delivery.webhook_id and w.failing_since is not null;
    else
        update public.wagate_webhooks w
           set failing_since = coalesce(w.failing_since, now()),
               enabled = case when w.failing_since < now() - make_interval(secs => p_disable_after_s)
                              then false else w.enabled end,
               disabled_at = case when w.failing_since < now() - make_interval(secs => p_disable_after_s)
                                  then now() else w.disabled_at end,
               disabled_reason = case when w.failing_since < now() - make_interval(secs => p_disable_after_s)
                                      then 'no delivery succeeded since ' || to_char(w.failing_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
                                           || ' UTC; last error: ' || left(coalesce(p_error, 'HTTP ' || p_status_code), 200)
                                      else w.disabled_reason end
         where w.id = v_delivery.webhook_id;
    end if;
    return v_status;
end;
$$;

-- Events older than p_older_than_s go, with their deliveries and attempts, once every delivery is
-- done (delivered or failed) or waits for a disabled endpoint: the deliveries list keeps that long.
create function public.purge_webhook_events(p_older_than_s integer, p_limit integer)
returns integer
language sql volatile security definer set search_path = '' as $$
    with gone as (
        delete from public.wagate_events ev
         where ev.id in (
               select e.id from public.wagate_events e
                where e.created_at < now() - make_interval(secs => p_older_than_s)
                  and not exists (select 1 from public.wagate_deliveries d
                                    join public.wagate_webhooks w on w.id = d.webhook_id
                                   where d.event_id = e.id and d.status in ('pending', 'delivering')
                                     and w.enabled)
                order by e.created_at
                limit p_limit)
        returning 1)
    select count(*)::integer from gone;
$$;


-- ---------------------------------------------------------------- least privilege
revoke all on public.wagate_webhooks, public.wagate_events, public.wagate_deliveries,
    public.wagate_delivery_attempts from anon, authenticated;
grant all on public.wagate_webhooks, public.wagate_events, public.wagate_deliveries,
    public.wagate_delivery_attempts to service_role;
revoke execute on function
    public.wagate_emit(text, uuid, uuid, uuid, jsonb),
    public.wagate_public_message(public.whatsapp_web_messages),
    public.wagate_session_events(),
    public.wagate_message_events(),
    public.wagate_replied_event(),
    public.wagate_webhook_enabled(),
    public.wagate_promote_deliveries(uuid, uuid),
    public.create_webhook(uuid, text, text[], text, uuid, uuid, boolean, text, integer),
    public.rotate_webhook_secret(uuid, uuid, text, integer),
    public.webhook_ping(uuid, uuid),
    public.claim_webhook_deliveries(text, integer, integer, integer, uuid[]),
    public.finish_webhook_delivery(uuid, text, integer, boolean, integer, integer, text, double precision, integer),
    public.purge_webhook_events(integer, integer)
    from public, anon, authenticated;
grant execute on function
    public.wagate_promote_deliveries(uuid, uuid),
    public.create_webhook(uuid, text, text[], text, uuid, uuid, boolean, text, integer),
    public.rotate_webhook_secret(uuid, uuid, text, integer),
    public.webhook_ping(uuid, uuid),
    public.claim_webhook_deliveries(text, integer, integer, integer, uuid[]),
    public.finish_webhook_delivery(uuid, text, integer, boolean, integer, integer, text, double precision, integer),
    public.purge_webhook_events(integer, integer)
    to service_role;
