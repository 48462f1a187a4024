-- wagate: how far the webhook dispatchers are behind, for the operator's alarm: deliveries due now
-- (pending or past their lease, of enabled endpoints) and how long the oldest has been due.
create function public.webhook_backlog()
returns table (due integer, oldest_due_s double precision)
language sql stable security definer set search_path = '' as $$
    select count(*)::integer,
           coalesce(extract(epoch from now() - min(d.next_attempt_at))::double precision, 0)
      from public.wagate_deliveries d
      join public.wagate_webhooks w on w.id = d.webhook_id and w.enabled
     where d.status in ('pending', 'delivering') and d.next_attempt_at <= now();
$$;
revoke execute on function public.webhook_backlog() from public, anon, authenticated;
grant execute on function public.webhook_backlog() to service_role;
