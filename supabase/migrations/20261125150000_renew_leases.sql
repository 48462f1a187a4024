-- Renew every lease a runner holds in one statement (one round trip per lease period, however
-- many sessions): returns the sessions still held. A session missing from the answer was taken
-- over (newer epoch) or released: the runner lets it go.
create function public.renew_leases(p_runner_id text, p_session_ids uuid[], p_epochs bigint[],
                                    p_ttl_seconds integer)
returns setof uuid
language sql volatile security definer set search_path = public as $$
    update public.whatsapp_web_sessions s
       set lease_expires_at = now() + make_interval(secs => p_ttl_seconds)
      from unnest(p_session_ids, p_epochs) as held(id, epoch)
     where s.id = held.id and s.runner_id = p_runner_id and s.epoch = held.epoch
    returning s.id;
$$;
revoke execute on function public.renew_leases(text, uuid[], bigint[], integer) from public, anon, authenticated;
grant execute on function public.renew_leases(text, uuid[], bigint[], integer) to service_role;
