-- Delivery and read acks of many messages, of any sessions, in one statement: a runner collects the
-- acks its pages report and writes them about once a second, instead of one request per ack (two
-- or three per message sent). Acks only rise, as in runner_update_message; returns the rows changed.
create function public.store_acks(p_session_ids uuid[], p_message_ids text[], p_acks smallint[])
returns integer
language sql volatile security definer set search_path = public as $$
    with changed as (
        update public.whatsapp_web_messages m
           set ack = reported.ack
          from unnest(p_session_ids, p_message_ids, p_acks) as reported(session_id, message_id, ack)
         where m.session_id = reported.session_id and m.message_id = reported.message_id
           and (m.ack is null or m.ack < reported.ack)
        returning 1)
    select count(*)::integer from changed;
$$;
revoke execute on function public.store_acks(uuid[], text[], smallint[]) from public, anon, authenticated;
grant execute on function public.store_acks(uuid[], text[], smallint[]) to service_role;
