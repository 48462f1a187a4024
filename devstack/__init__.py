"""The local stack: embedded Postgres, PostgREST behind a Supabase-like gateway, moto's server,
the API via `chalice local`, and (later) runners, the simulator and the dashboard. No Docker."""
