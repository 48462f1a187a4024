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

-- The chatbot's messages by time: every figure is a range scan of it.
create index whatsapp_web_messages_analytics_idx
    on public.whatsapp_web_messages (chatbot_id, timestamp);

-- Has this customer written (or been written to) before the period? One probe per customer.
create index whatsapp_web_messages_chatbot_customer_idx
    on public.whatsapp_web_messages (
        chatbot_id,
        (coalesce(customer_phone, customer_lid,
                  case when direction = 'inbound' then from_number else to_number end)),
        timestamp);

-- An inbound message's replies (`first_reply_at`; also what `on delete set null` of `reply_to` looks up).
create index whatsapp_web_messages_reply_to_idx
    on public.whatsapp_web_messages (reply_to) where reply_to is not null;


-- ---------------------------------------------------------------- first_reply_at, kept by the database
-- The `timestamp` of an inbound message's earliest reply whose status is `sent`: set when a reply
-- is stored sent or becomes sent, recomputed when one stops being sent (an ack of -1 fails it) or
-- goes. Joining every inbound message of a month to its replies at query time took most of a
-- second at a million messages (bench/analytics.py).
alter table public.whatsapp_web_messages add column first_reply_at timestamptz;

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


-- The figures as JSON: {"totals": {...}, "buckets": [{"start", ...}], "hours": [[isodow, hour, n]]}.
-- Every bucket of the period is listed, empty ones too. Planned with the call's values (EXECUTE),
-- so the session filter and the period's range pick their indexes.
create function public.wagate_analytics(
    p_user_id uuid, p_chatbot_id uuid, p_session_id uuid,
    p_from timestamptz, p_to timestamptz, p_bucket text, p_tz text)
returns jsonb
-- a month of a busy chatbot's rows sorts in memory, not on disk
language plpgsql stable security definer set search_path = '' set work_mem = '64MB' as $$
declare
    series text;
    result jsonb;
begin
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
        with scoped as (
            select m.timestamp as ts, m.direction, m.status, m.error_code, m.type, m.first_reply_at,
                   date_trunc($6, m.timestamp, $7) as bucket,
                   coalesce(m.customer_phone, m.customer_lid,
                            case when m.direction = 'inbound' then m.from_number else m.to_number end)
                       as customer
              from public.whatsapp_web_messages m
             where m.chatbot_id = $2 and m.user_id = $1 %1$s
               and m.timestamp >= $4 and m.timestamp < $5
        ),
        counts as (
            select coalesce(bucket, '-infinity') as k, jsonb_build_object(
                       'messages_in', count(*) filter (where direction = 'inbound'),
                       'messages_out', count(*) filter (where direction = 'outbound'),
                       'answered', count(*) filter (where direction = 'inbound' and status = 'replied'),
                       'failed', count(*) filter (where direction = 'inbound' and status = 'failed'),
                       'unanswered', count(*) filter (where direction = 'inbound'
                                                      and status in ('received', 'replying')),
                       'replies_sent', count(*) filter (where direction = 'outbound' and status = 'sent'),
                       'replies_failed', count(*) filter (where direction = 'outbound' and status = 'failed'),
                       'replies_queued', count(*) filter (where direction = 'outbound' and status = 'queued'))
                       as figures
              from scoped group by grouping sets ((bucket), ())
        ),
        replies as (
            select bucket, greatest(0, extract(epoch from first_reply_at - ts) * 1000) as ms
              from scoped where direction = 'inbound' and first_reply_at is not null
        ),
        reply_times as (
            select coalesce(bucket, '-infinity') as k, jsonb_build_object(
                       'count', count(*),
                       'p50', round((percentile_cont(0.5) within group (order by ms))::numeric, 1),
                       'p95', round((percentile_cont(0.95) within group (order by ms))::numeric, 1))
                       as figures
              from replies group by grouping sets ((bucket), ())
        ),
        customers as (
            select customer, min(bucket) as first_bucket
              from scoped group by customer
        ),
        conversations as (
            select bucket as k, count(*) as n from (select bucket from scoped group by bucket, customer) c
             group by bucket
            union all
            select '-infinity', count(*) from customers
        ),
        newcomers as (
            select coalesce(c.first_bucket, '-infinity') as k, count(*) as n
              from customers c
             where not exists (
                   select 1 from public.whatsapp_web_messages e
                    where e.chatbot_id = $2 and e.user_id = $1 %2$s
                      and coalesce(e.customer_phone, e.customer_lid,
                                   case when e.direction = 'inbound' then e.from_number else e.to_number end)
                          = c.customer
                      and e.timestamp < $4)
             group by grouping sets ((c.first_bucket), ())
        ),
        failures as (
            select k, jsonb_object_agg(code, n) as figures from (
                select coalesce(bucket, '-infinity') as k, coalesce(error_code, 'unknown') as code,
                       count(*) as n
                  from scoped where status = 'failed'
                 group by grouping sets ((bucket, coalesce(error_code, 'unknown')),
                                         (coalesce(error_code, 'unknown')))) f
             group by k
        ),
        media as (
            select k, jsonb_object_agg(direction, types) as figures from (
                select k, direction, jsonb_object_agg(type, n) as types from (
                    select coalesce(bucket, '-infinity') as k, direction, type, count(*) as n
                      from scoped where type <> 'chat'
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
        series as (%3$s)
        select jsonb_build_object(
            'totals', (select figures from figures where k = '-infinity'),
            'buckets', (select coalesce(jsonb_agg(jsonb_build_object('start', s.bucket)
                                                  || coalesce(f.figures, '{}') order by s.bucket), '[]')
                          from series s left join figures f on f.k = s.bucket),
            'hours', (select coalesce(jsonb_agg(jsonb_build_array(dow, hour, n)), '[]') from (
                          select extract(isodow from ts at time zone $7)::int as dow,
                                 extract(hour from ts at time zone $7)::int as hour, count(*) as n
                            from scoped where direction = 'inbound' group by 1, 2) h))
        $sql$,
        case when p_session_id is null then '' else 'and m.session_id = $3' end,
        case when p_session_id is null then '' else 'and e.session_id = $3' end,
        series)
    into result
    using p_user_id, p_chatbot_id, p_session_id, p_from, p_to, p_bucket, p_tz;
    return result;
end;
$$;
revoke all on function public.wagate_analytics(uuid, uuid, uuid, timestamptz, timestamptz, text, text)
    from public, anon, authenticated;
grant execute on function public.wagate_analytics(uuid, uuid, uuid, timestamptz, timestamptz, text, text)
    to service_role;
