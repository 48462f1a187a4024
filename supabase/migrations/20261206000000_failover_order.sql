-- wagate: a survivor restores first the sessions whose customers are waiting.
-- A runner adopting a dead runner's sessions claims them one at a time as it can open them
-- (OPEN_CONCURRENCY at once): the order decides who waits for whom. First the sessions with
-- messages still to answer or to send (a customer waiting on a stored message), then the connected
-- ones (customers write to them; WhatsApp holds their messages until the session is back), then the
-- rest (a QR someone may be about to scan); oldest lease first within each.

create or replace function public.claim_orphaned_sessions(
    p_runner_id text, p_limit integer, p_ttl_seconds integer)
returns setof public.whatsapp_web_sessions
language sql volatile security definer set search_path = '' as $$
    update public.whatsapp_web_sessions s
       set runner_id = p_runner_id,
           lease_expires_at = now() + make_interval(secs => p_ttl_seconds),
           epoch = s.epoch + 1
     where s.id in (
           select o.id from public.whatsapp_web_sessions o
            where (o.runner_id is not null and o.lease_expires_at < now()
                   and o.status not in ('logged_out', 'failed', 'qr_expired'))
               -- released by a runner that stopped (SIGTERM) while the session was live
               or (o.runner_id is null and o.status in ('starting', 'qr_ready', 'authenticating', 'connected'))
            order by exists (select 1 from public.whatsapp_web_messages m    -- the pending index
                              where m.session_id = o.id
                                and m.status in ('received', 'replying', 'queued')) desc,
                     o.status = 'connected' desc,
                     o.lease_expires_at nulls first
            limit p_limit
            for update of o skip locked)
    returning s.*;
$$;
