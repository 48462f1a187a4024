-- wagate: analytics for a business owner (GET /api/analytics), answered by one SQL function over
-- the message table, with the indexes it needs.
--
-- What the figures mean (README "Analytics"):
--   * a customer is `customer_phone`, else `customer_lid`, else the other party's number
--     (`from_number` of an inbound message, `to_number` of an outbound one);
--   * every figure counts the owner's rows of one chatbot (or one of its sessions) whose
--     `timestamp` is in [from, to), bucketed by day or hour in the caller's time zone;
--   * reply time: from an inbound message's `timestamp` (when the customer sent it, by WhatsApp's
--     clock) to the `timestamp` of its first reply that was sent (when wagate stored the chatbot's
--     answer, just before the page sent it), counted in the inbound message's bucket; never
--     below 0 (the two clocks differ by up to a second). The database keeps that reply's timestamp
--     on the inbound row (`first_reply_at`), so the figure is read, not joined, at query time;
--   * a customer is new in the bucket of their first message in the period when no message with
--     them (either direction) is older than the period; returning otherwise.
--
-- A direct query over a month of a busy chatbot (333,000 rows of a million) took 1-2 s; so the
-- database keeps rollups, by triggers of the statements that change the messages:
--   * `wagate_analytics_slots`: message counts per 15-minute slot (UTC) and direction, status,
--     type and error code. Every time zone's hours and days since 1970 start on a quarter hour, so
--     any bucket is a sum of whole slots; the ragged ends of a period not on a quarter hour are
--     counted from the messages themselves;
--   * `wagate_analytics_customer_slots`: which customers wrote (or were written to) in each slot;
--   * `wagate_analytics_customers`: each customer's first message per session (never moved back
--     when messages are deleted: a customer whose history was erased still counts as returning);
--   * `first_reply_at` on inbound rows (above).

-- The chatbot's messages by time: the ragged ends of a period, and the CSV export.
create index whatsapp_web_messages_analytics_idx
    on public.whatsapp_web_messages (chatbot_id, timestamp);

-- An inbound message's replies (`first_reply_at`; also what `on delete set null` of `reply_to` looks up).
create index whatsapp_web_messages_reply_to_idx
    on public.whatsapp_web_messages (reply_to) where reply_to is not null;


-- ---------------------------------------------------------------- first_reply_at, kept by the database
-- The `timestamp` of an inbound message's earliest reply whose status is `sent`: set when a reply
-- is stored sent or becomes sent, recomputed when one stops being sent (an ack of -1 fails it) or
-- goes. Joining every inbound message of a month to its replies at query time took most of a
-- second at a million messages (bench/analytics.py).
alter table public.whatsapp_web_messages add column first_reply_at timestamptz;
-- Reply times are read from this index alone.
create index whatsapp_web_messages_replied_idx
    on public.whatsapp_web_messages (chatbot_id, timestamp) include (first_reply_at, user_id, session_id)
    where direction = 'inbound' and first_reply_at is not null;

create function public.wagate_note_first_reply() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
    v_inbound uuid := case when tg_op = 'DELETE' then old.reply_to else new.reply_to end;
    v_first timestamptz;
begin
    select min(r.timestamp) into v_first from public.whatsapp_web_messages r
     where r.reply_to = v_inbound and r.status = 'sent' and r.direction = 'outbound';
    update public.whatsapp_web_messages set first_reply_at = v_first
     where id = v_inbound and first_reply_at is distinct from v_first;
    return null;
end;
$$;
create trigger whatsapp_web_messages_first_reply_inserted after insert on public.whatsapp_web_messages
    for each row when (new.reply_to is not null and new.status = 'sent')
    execute function public.wagate_note_first_reply();
create trigger whatsapp_web_messages_first_reply_changed after update on public.whatsapp_web_messages
    for each row when (new.reply_to is not null
                       and (old.status is distinct from new.status or old.timestamp is distinct from new.timestamp)
                       and (old.status = 'sent' or new.status = 'sent'))
    execute function public.wagate_note_first_reply();
create trigger whatsapp_web_messages_first_reply_deleted after delete on public.whatsapp_web_messages
    for each row when (old.reply_to is not null and old.status = 'sent')
    execute function public.wagate_note_first_reply();
revoke all on function public.wagate_note_first_reply() from public, anon, authenticated;

update public.whatsapp_web_messages i
   set first_reply_at = r.first_at
  from (select reply_to, min(timestamp) as first_at from public.whatsapp_web_messages
         where reply_to is not null and status = 'sent' and direction = 'outbound'
         group by reply_to) r
 where i.id = r.reply_to;



-- ---------------------------------------------------------------- rollups
create table public.wagate_analytics_slots (
    user_id    uuid not null references auth.users (id) on delete cascade,
    chatbot_id uuid not null,
    session_id uuid,
    slot       timestamptz not null,
    direction  text not null,
    status     text not null,
    type       text not null,
    error_code text not null,  -- '' for none
    n          bigint not null,
    unique nulls not distinct (chatbot_id, slot, user_id, session_id, direction, status, type, error_code)
);
create table public.wagate_analytics_customer_slots (
    user_id    uuid not null references auth.users (id) on delete cascade,
    chatbot_id uuid not null,
    session_id uuid,
    slot       timestamptz not null,
    customer   text not null,
    n          bigint not null,
    unique nulls not distinct (chatbot_id, slot, user_id, session_id, customer)
);
create table public.wagate_analytics_customers (
    user_id    uuid not null references auth.users (id) on delete cascade,
    chatbot_id uuid not null,
    session_id uuid,
    customer   text not null,
    first_at   timestamptz not null,
    unique nulls not distinct (chatbot_id, user_id, customer, session_id)
);
alter table public.wagate_analytics_slots enable row level security;
alter table public.wagate_analytics_customer_slots enable row level security;
alter table public.wagate_analytics_customers enable row level security;
revoke all on public.wagate_analytics_slots, public.wagate_analytics_customer_slots,
    public.wagate_analytics_customers from public, anon, authenticated;
grant all on public.wagate_analytics_slots, public.wagate_analytics_customer_slots,
    public.wagate_analytics_customers to service_role;

-- The 15-minute slot of a time, and a message's customer (as the figures count them).
create function public.wagate_slot(p_at timestamptz) returns timestamptz
language sql immutable parallel safe set search_path = '' as $$
    select date_bin('15 minutes', p_at, timestamptz '2000-01-01 00:00:00+00')
$$;

create function public.wagate_count_message() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
    -- OLD is null in an insert's trigger, NEW in a delete's
    v_old_customer text := coalesce(old.customer_phone, old.customer_lid,
                                    case when old.direction = 'inbound' then old.from_number else old.to_number end);
    v_new_customer text := coalesce(new.customer_phone, new.customer_lid,
                                    case when new.direction = 'inbound' then new.from_number else new.to_number end);
    -- a status change (the usual update) leaves the customer tables alone
    v_customer_moved boolean := tg_op <> 'UPDATE'
        or (old.user_id, old.chatbot_id, old.session_id, public.wagate_slot(old.timestamp), v_old_customer)
           is distinct from
           (new.user_id, new.chatbot_id, new.session_id, public.wagate_slot(new.timestamp), v_new_customer);
begin
    if tg_op in ('UPDATE', 'DELETE') and old.user_id is not null then
        update public.wagate_analytics_slots set n = n - 1
         where chatbot_id = old.chatbot_id and slot = public.wagate_slot(old.timestamp)
           and user_id = old.user_id and session_id is not distinct from old.session_id
           and direction = old.direction and status = old.status and type = old.type
           and error_code = coalesce(old.error_code, '');
        if v_customer_moved then
            update public.wagate_analytics_customer_slots set n = n - 1
             where chatbot_id = old.chatbot_id and slot = public.wagate_slot(old.timestamp)
               and user_id = old.user_id and session_id is not distinct from old.session_id
               and customer = v_old_customer;
        end if;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.user_id is not null then
        insert into public.wagate_analytics_slots as a
            (user_id, chatbot_id, session_id, slot, direction, status, type, error_code, n)
        values (new.user_id, new.chatbot_id, new.session_id, public.wagate_slot(new.timestamp), new.direction,
                new.status, new.type, coalesce(new.error_code, ''), 1)
        on conflict (chatbot_id, slot, user_id, session_id, direction, status, type, error_code)
        do update set n = a.n + 1;
        if v_customer_moved then
            insert into public.wagate_analytics_customer_slots as a
                (user_id, chatbot_id, session_id, slot, customer, n)
            values (new.user_id, new.chatbot_id, new.session_id, public.wagate_slot(new.timestamp),
                    v_new_customer, 1)
            on conflict (chatbot_id, slot, user_id, session_id, customer) do update set n = a.n + 1;
            insert into public.wagate_analytics_customers as a
                (user_id, chatbot_id, session_id, customer, first_at)
            values (new.user_id, new.chatbot_id, new.session_id, v_new_customer, new.timestamp)
            on conflict (chatbot_id, user_id, customer, session_id)
            do update set first_at = excluded.first_at where excluded.first_at < a.first_at;
        end if;
    end if;
    return null;
end;
$$;
create trigger whatsapp_web_messages_counted after insert or delete on public.whatsapp_web_messages
    for each row execute function public.wagate_count_message();
create trigger whatsapp_web_messages_recounted after update on public.whatsapp_web_messages
    for each row when ((old.user_id, old.chatbot_id, old.session_id, old.timestamp, old.direction, old.status,
                        old.type, old.error_code, old.customer_phone, old.customer_lid, old.from_number,
                        old.to_number)
                       is distinct from
                       (new.user_id, new.chatbot_id, new.session_id, new.timestamp, new.direction, new.status,
                        new.type, new.error_code, new.customer_phone, new.customer_lid, new.from_number,
                        new.to_number))
    execute function public.wagate_count_message();
revoke all on function public.wagate_count_message(), public.wagate_slot(timestamptz)
    from public, anon, authenticated;

-- What was there before.
insert into public.wagate_analytics_slots
    (user_id, chatbot_id, session_id, slot, direction, status, type, error_code, n)
select user_id, chatbot_id, session_id, public.wagate_slot(timestamp), direction, status, type,
       coalesce(error_code, ''), count(*)
  from public.whatsapp_web_messages where user_id is not null
 group by 1, 2, 3, 4, 5, 6, 7, 8;
insert into public.wagate_analytics_customer_slots (user_id, chatbot_id, session_id, slot, customer, n)
select user_id, chatbot_id, session_id, public.wagate_slot(timestamp),
       coalesce(customer_phone, customer_lid, case when direction = 'inbound' then from_number else to_number end),
       count(*)
  from public.whatsapp_web_messages where user_id is not null
 group by 1, 2, 3, 4, 5;
insert into public.wagate_analytics_customers (user_id, chatbot_id, session_id, customer, first_at)
select user_id, chatbot_id, session_id,
       coalesce(customer_phone, customer_lid, case when direction = 'inbound' then from_number else to_number end),
       min(timestamp)
  from public.whatsapp_web_messages where user_id is not null
 group by 1, 2, 3, 4;


-- ---------------------------------------------------------------- the figures
-- As JSON: {"totals": {...}, "buckets": [{"start", ...}], "hours": [[isodow, hour, n]]}. Every
-- bucket of the period is listed, empty ones too. Whole slots come from the rollups, the ragged
-- ends ([from, the first slot) and [the last slot, to)) from the messages. Planned with the call's
-- values (EXECUTE), so the session filter and the period's range pick their indexes.
create function public.wagate_analytics(
    p_user_id uuid, p_chatbot_id uuid, p_session_id uuid,
    p_from timestamptz, p_to timestamptz, p_bucket text, p_tz text)
returns jsonb
language plpgsql stable security definer set search_path = '' set work_mem = '64MB' as $$
declare
    series text;
    v_first timestamptz := public.wagate_slot(p_from - interval '1 microsecond') + interval '15 minutes';
    v_last timestamptz := public.wagate_slot(p_to);
    result jsonb;
begin
    if v_first >= v_last then  -- no whole slot: every row is read from the messages
        v_first := p_to;
        v_last := p_to;
    end if;
    if p_bucket = 'day' then
        -- local midnights (a day is 23 or 25 hours when the clocks change)
        series := 'select (d at time zone $7) as bucket from generate_series('
                  'date_trunc(''day'', $4, $7) at time zone $7, ($5 - interval ''1 microsecond'') at time zone $7,'
                  ' interval ''1 day'') d';
    elsif p_bucket = 'hour' then
        series := 'select generate_series(date_trunc(''hour'', $4, $7), $5 - interval ''1 microsecond'','
                  ' interval ''1 hour'') as bucket';
    else
        raise exception 'bucket must be day or hour' using errcode = '22023';
    end if;
    execute format($sql$
        with edges as (
            select m.timestamp as ts, m.direction, m.status, coalesce(m.error_code, '') as error_code, m.type,
                   coalesce(m.customer_phone, m.customer_lid,
                            case when m.direction = 'inbound' then m.from_number else m.to_number end)
                       as customer
              from public.whatsapp_web_messages m
             where m.chatbot_id = $2 and m.user_id = $1 %1$s
               and ((m.timestamp >= $4 and m.timestamp < $8) or (m.timestamp >= $9 and m.timestamp < $5))
        ),
        counted as (  -- (slot or time, what, how many)
            select s.slot as ts, s.direction, s.status, s.error_code, s.type, s.n
              from public.wagate_analytics_slots s
             where s.chatbot_id = $2 and s.user_id = $1 %2$s and s.slot >= $8 and s.slot < $9 and s.n > 0
            union all
            select ts, direction, status, error_code, type, 1 from edges
        ),
        slotted as (  -- by bucket first: a month of slots is a few thousand rows
            select date_trunc($6, ts, $7) as bucket, direction, status, error_code, type, sum(n) as n
              from counted group by 1, 2, 3, 4, 5
        ),
        counts as (
            select coalesce(bucket, '-infinity') as k, jsonb_build_object(
                       'messages_in', coalesce(sum(n) filter (where direction = 'inbound'), 0),
                       'messages_out', coalesce(sum(n) filter (where direction = 'outbound'), 0),
                       'answered', coalesce(sum(n) filter (where direction = 'inbound' and status = 'replied'), 0),
                       'failed', coalesce(sum(n) filter (where direction = 'inbound' and status = 'failed'), 0),
                       'unanswered', coalesce(sum(n) filter (where direction = 'inbound'
                                                             and status in ('received', 'replying')), 0),
                       'replies_sent', coalesce(sum(n) filter (where direction = 'outbound' and status = 'sent'), 0),
                       'replies_failed', coalesce(sum(n) filter (where direction = 'outbound'
                                                                 and status = 'failed'), 0),
                       'replies_queued', coalesce(sum(n) filter (where direction = 'outbound'
                                                                 and status = 'queued'), 0))
                       as figures
              from slotted group by grouping sets ((bucket), ())
        ),
        present as (  -- (bucket, customer) once
            select date_trunc($6, c.slot, $7) as bucket, c.customer
              from public.wagate_analytics_customer_slots c
             where c.chatbot_id = $2 and c.user_id = $1 %3$s and c.slot >= $8 and c.slot < $9 and c.n > 0
            union
            select date_trunc($6, ts, $7), customer from edges
        ),
        conversations as (
            select bucket as k, count(*) as n from present group by bucket
            union all
            select '-infinity', count(*) from (select customer from present group by customer) c  -- hashed
        ),
        newcomers as (
            select coalesce(bucket, '-infinity') as k, count(*) as n from (
                select date_trunc($6, min(f.first_at), $7) as bucket
                  from public.wagate_analytics_customers f
                 where f.chatbot_id = $2 and f.user_id = $1 %4$s
                 group by f.customer
                having min(f.first_at) >= $4 and min(f.first_at) < $5) c
             group by grouping sets ((bucket), ())
        ),
        replies as (
            select date_trunc($6, r.timestamp, $7) as bucket,
                   greatest(0, extract(epoch from r.first_reply_at - r.timestamp) * 1000) as ms
              from public.whatsapp_web_messages r
             where r.chatbot_id = $2 and r.user_id = $1 %5$s and r.timestamp >= $4 and r.timestamp < $5
               and r.direction = 'inbound' and r.first_reply_at is not null
        ),
        reply_times as (
            select coalesce(bucket, '-infinity') as k, jsonb_build_object(
                       'count', count(*),
                       'p50', round((percentile_cont(0.5) within group (order by ms))::numeric, 1),
                       'p95', round((percentile_cont(0.95) within group (order by ms))::numeric, 1))
                       as figures
              from replies group by grouping sets ((bucket), ())
        ),
        failures as (
            select k, jsonb_object_agg(code, n) as figures from (
                select coalesce(bucket, '-infinity') as k, coalesce(nullif(error_code, ''), 'unknown') as code,
                       sum(n) as n
                  from slotted where status = 'failed'
                 group by grouping sets ((bucket, coalesce(nullif(error_code, ''), 'unknown')),
                                         (coalesce(nullif(error_code, ''), 'unknown')))) f
             group by k
        ),
        media as (
            select k, jsonb_object_agg(direction, types) as figures from (
                select k, direction, jsonb_object_agg(type, n) as types from (
                    select coalesce(bucket, '-infinity') as k, direction, type, sum(n) as n
                      from slotted where type <> 'chat'
                     group by grouping sets ((bucket, direction, type), (direction, type))) t
                 group by k, direction) d
             group by k
        ),
        figures as (
            select c.k, c.figures || jsonb_build_object(
                       'conversations', coalesce(v.n, 0),
                       'new_customers', coalesce(n.n, 0),
                       'reply_time_ms', coalesce(r.figures, '{"count": 0, "p50": null, "p95": null}'),
                       'failures', coalesce(f.figures, '{}'),
                       'media', coalesce(m.figures, '{}')) as figures
              from counts c
              left join conversations v on v.k = c.k
              left join reply_times r on r.k = c.k
              left join newcomers n on n.k = c.k
              left join failures f on f.k = c.k
              left join media m on m.k = c.k
        ),
        series as (%6$s)
        select jsonb_build_object(
            'totals', (select figures from figures where k = '-infinity'),
            'buckets', (select coalesce(jsonb_agg(jsonb_build_object('start', s.bucket)
                                                  || coalesce(f.figures, '{}') order by s.bucket), '[]')
                          from series s left join figures f on f.k = s.bucket),
            'hours', (select coalesce(jsonb_agg(jsonb_build_array(dow, hour, n)), '[]') from (
                          select extract(isodow from ts at time zone $7)::int as dow,
                                 extract(hour from ts at time zone $7)::int as hour, sum(n) as n
                            from counted where direction = 'inbound' group by 1, 2) h))
        $sql$,
        case when p_session_id is null then '' else 'and m.session_id = $3' end,
        case when p_session_id is null then '' else 'and s.session_id = $3' end,
        case when p_session_id is null then '' else 'and c.session_id = $3' end,
        case when p_session_id is null then '' else 'and f.session_id = $3' end,
        case when p_session_id is null then '' else 'and r.session_id = $3' end,
        series)
    into result
    using p_user_id, p_chatbot_id, p_session_id, p_from, p_to, p_bucket, p_tz, v_first, v_last;
    return result;
end;
$$;
revoke all on function public.wagate_analytics(uuid, uuid, uuid, timestamptz, timestamptz, text, text)
    from public, anon, authenticated;
grant execute on function public.wagate_analytics(uuid, uuid, uuid, timestamptz, timestamptz, text, text)
    to service_role;
