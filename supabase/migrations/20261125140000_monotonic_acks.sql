-- Acks only move forward: marking a message `sent` (ack 1) must not undo a delivery ack (2) or a
-- read ack (3) the page reported a moment earlier. A negative ack (the send failed) still wins.
create or replace function public.runner_update_message(
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
