-- The operator's view of the fleet (GET /api/admin/fleet, wagate/admin_api.py):
--   * a session knows since when it has its status (`status_changed_at`: `updated_at` moves with
--     every lease renewal, so it cannot tell a session stuck in `starting`);
--   * a runner reports how often its browser was relaunched (`browser_restarts`, by its heartbeat);
--   * counts, stuck sessions and failures per hour are SQL functions of the service role only.

-- ---------------------------------------------------------------- since when a status holds
alter table public.whatsapp_web_sessions add column status_changed_at timestamptz not null default now();
update public.whatsapp_web_sessions set status_changed_at = updated_at;

create function public.wagate_touch_status_changed_at() returns trigger
language plpgsql set search_path = '' as $$
begin
    if new.status is distinct from old.status then
        new.status_changed_at := now();
    end if;
    return new;
end;
$$;

create trigger whatsapp_web_sessions_status_changed before update on public.whatsapp_web_sessions
    for each row execute function public.wagate_touch_status_changed_at();

create index whatsapp_web_sessions_unsettled_idx on public.whatsapp_web_sessions (status_changed_at)
    where status in ('pending', 'starting', 'authenticating');
create index whatsapp_web_messages_failed_idx on public.whatsapp_web_messages (updated_at)
    where status = 'failed';

-- ---------------------------------------------------------------- browser restarts, by heartbeat
alter table public.whatsapp_web_runners add column browser_restarts integer not null default 0;

-- The two-argument call of runners of the previous release still matches (the third defaults).
drop function public.heartbeat_runner(text, integer);
create function public.heartbeat_runner(
    p_runner_id text, p_active_sessions integer, p_browser_restarts integer default null)
returns boolean
language plpgsql volatile security definer set search_path = '' as $$
begin
    update public.whatsapp_web_runners
       set heartbeat_at = now(), active_sessions = p_active_sessions,
           browser_restarts = coalesce(p_browser_restarts, browser_restarts)
     where runner_id = p_runner_id;
    return found;
end;
$$;

-- ---------------------------------------------------------------- the operator's figures
create function public.admin_session_counts()
returns table (status text, sessions bigint)
language sql stable security definer set search_path = '' as $$
    select s.status, count(*) from public.whatsapp_web_sessions s group by s.status order by s.status;
$$;

-- Sessions that do not move: opening (`starting`, `authenticating`) for longer than p_stuck_after_s;
-- `pending` that long with nobody claiming it; a lease expired that long ago and nobody adopting it.
-- Ids, owner, chatbot, status and runner only: never a phone number, a QR or a message.
create function public.admin_stuck_sessions(p_stuck_after_s integer, p_limit integer)
returns table (id uuid, user_id uuid, chatbot_id uuid, status text, status_since timestamptz,
               runner_id text, lease_expires_at timestamptz, last_error_code text, reason text)
language sql stable security definer set search_path = '' as $$
    select s.id, s.user_id, s.chatbot_id, s.status, s.status_changed_at, s.runner_id,
           s.lease_expires_at, s.last_error_code,
           case
               when s.status in ('starting', 'authenticating')
                    and s.status_changed_at < now() - make_interval(secs => p_stuck_after_s)
                   then 'opening_too_long'
               when s.status = 'pending'
                    and s.status_changed_at < now() - make_interval(secs => p_stuck_after_s)
                   then 'not_claimed'
               else 'lease_expired'
           end
      from public.whatsapp_web_sessions s
     where (s.status in ('pending', 'starting', 'authenticating')
            and s.status_changed_at < now() - make_interval(secs => p_stuck_after_s))
        or (s.runner_id is not null
            and s.lease_expires_at < now() - make_interval(secs => p_stuck_after_s)
            and s.status not in ('logged_out', 'failed', 'qr_expired'))
     order by s.status_changed_at
     limit p_limit;
$$;

-- Failures per hour since p_since: sessions by `last_error_code` (when their status changed) and
-- failed messages by `error_code` (when they were last written).
create function public.admin_failures(p_since timestamptz)
returns table (hour timestamptz, source text, code text, failures bigint)
language sql stable security definer set search_path = '' as $$
    select date_trunc('hour', s.status_changed_at), 'session', s.last_error_code, count(*)
      from public.whatsapp_web_sessions s
     where s.last_error_code is not null and s.status_changed_at >= p_since
     group by 1, 3
    union all
    select date_trunc('hour', m.updated_at), 'message', coalesce(m.error_code, 'unknown'), count(*)
      from public.whatsapp_web_messages m
     where m.status = 'failed' and m.updated_at >= p_since
     group by 1, 3
     order by 1, 2, 3;
$$;

-- An operator's release of a session a runner holds: the holder's lease ends now and its epoch is
-- outrun, so its writes and renewals fail and it lets go. A live session (starting ... connected)
-- is then taken by another runner as a stopping runner's would be (orphan scan, or the START the
-- API sends); one still `pending` or `disconnected` waits `pending` for the start queue. No row:
-- nobody holds it.
create function public.admin_release_session(p_session_id uuid)
returns setof public.whatsapp_web_sessions
language sql volatile security definer set search_path = '' as $$
    update public.whatsapp_web_sessions
       set runner_id = null, lease_expires_at = null, epoch = epoch + 1,
           qr_code = null, qr_expires_at = null, pairing_code = null,
           status = case when status in ('pending', 'disconnected') then 'pending' else status end
     where id = p_session_id and runner_id is not null
       and status not in ('logged_out', 'failed', 'qr_expired')
    returning *;
$$;

revoke execute on function
    public.wagate_touch_status_changed_at(),
    public.heartbeat_runner(text, integer, integer),
    public.admin_session_counts(),
    public.admin_stuck_sessions(integer, integer),
    public.admin_failures(timestamptz),
    public.admin_release_session(uuid)
    from public, anon, authenticated;
grant execute on function
    public.heartbeat_runner(text, integer, integer),
    public.admin_session_counts(),
    public.admin_stuck_sessions(integer, integer),
    public.admin_failures(timestamptz),
    public.admin_release_session(uuid)
    to service_role;
