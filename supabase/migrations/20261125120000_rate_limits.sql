-- wagate: rate limits for the stateless API (each Lambda container knows nothing of the others, so
-- the counters live here), and the check that a token's user still exists.
-- Fixed windows per key: `api:<user id>` counts a user's API calls, `send:<session id>` a session's
-- sends. A window starts at its key's first hit and lasts p_window_s seconds.

create table public.wagate_rate_limits (
    key          text primary key,
    window_start timestamptz not null,
    hits         integer not null
);

-- Only the functions below (security definer) touch it; no user ever sees it.
alter table public.wagate_rate_limits enable row level security;
revoke all on public.wagate_rate_limits from anon, authenticated;

-- Count one hit of p_key. Returns 0 when allowed, else the seconds until its window ends (for
-- Retry-After). p_max_hits <= 0 means no limit (nothing is counted).
create function public.hit_rate_limit(p_key text, p_max_hits integer, p_window_s integer)
returns integer
language plpgsql volatile security definer set search_path = public as $$
declare
    counted public.wagate_rate_limits;
    window_length interval := make_interval(secs => greatest(p_window_s, 1));
begin
    if p_max_hits <= 0 then
        return 0;
    end if;
    insert into public.wagate_rate_limits as r (key, window_start, hits)
    values (p_key, now(), 1)
    on conflict (key) do update
       set window_start = case when r.window_start + window_length <= now() then now() else r.window_start end,
           -- capped, so a flood cannot overflow the counter
           hits = case when r.window_start + window_length <= now() then 1
                       else least(r.hits, p_max_hits) + 1 end
    returning * into counted;
    -- now and then, forget keys idle for a day (sessions deleted, users gone): the table stays small
    if random() < 0.001 then
        delete from public.wagate_rate_limits where window_start < now() - interval '1 day';
    end if;
    if counted.hits <= p_max_hits then
        return 0;
    end if;
    return greatest(1, ceil(extract(epoch from counted.window_start + window_length - now())))::integer;
end;
$$;

-- One call per API request: the caller's user must still exist in auth.users (a deleted user's
-- token, still unexpired, must stop working at once), then their call is counted.
create function public.admit_api_call(p_user_id uuid, p_max_calls integer, p_window_s integer)
returns table (user_exists boolean, retry_after_s integer)
language plpgsql volatile security definer set search_path = public as $$
begin
    if not exists (select 1 from auth.users u where u.id = p_user_id) then
        return query select false, 0;
        return;
    end if;
    return query select true, public.hit_rate_limit('api:' || p_user_id::text, p_max_calls, p_window_s);
end;
$$;

revoke execute on function public.hit_rate_limit(text, integer, integer),
    public.admit_api_call(uuid, integer, integer)
    from public, anon, authenticated;
grant execute on function public.hit_rate_limit(text, integer, integer),
    public.admit_api_call(uuid, integer, integer)
    to service_role;
