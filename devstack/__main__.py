"""python -m devstack COMMAND: run | up | down | status | token | reset | env.

run     the whole local stack in the foreground until Ctrl-C (make dev)
up      the same in the background; returns when it is ready (make up)
down    stop a stack started by `up` (make down)
status  is a stack running, and where
token   mint a Supabase-shaped access token for a local user (created if new)
reset   stop, then erase the local data (Postgres data, secrets)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack.stack import REPO, LocalStack, StackOptions, StackPaths, read_env_file

DEFAULT_STATE = REPO / ".local"
BANNER_KEYS = (
    "DASHBOARD_URL",
    "API_URL",
    "SUPABASE_URL",
    "DATABASE_URL",
    "AWS_ENDPOINT_URL",
    "SIMULATOR_URL",
)


def _options(args: argparse.Namespace) -> StackOptions:
    state = Path(args.state_dir).resolve()
    kwargs = {
        "database_url": os.environ.get("DATABASE_URL") or None,
        "runners": args.runners,
        "simulator": args.sim,
    }
    if args.ports == "auto":
        return StackOptions.auto_ports(state, **kwargs)
    return StackOptions(state_dir=state, **kwargs)


def cmd_run(args: argparse.Namespace) -> int:
    stack = LocalStack(_options(args))
    try:
        env = stack.start()
    except Exception as exc:
        stack.stop()
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    print("devstack: ready", flush=True)
    _print_urls(env)
    print(f"  env file           {stack.paths.env_file}", flush=True)
    try:
        return stack.serve_forever()
    finally:
        stack.stop()
        print("devstack: stopped", flush=True)


def _print_urls(env: dict[str, str]) -> None:
    from devstack.dashboard import DEMO_EMAIL, dist_dir

    for key in BANNER_KEYS:
        if key in env:
            shown = env[key].split("@")[-1] if key == "DATABASE_URL" else env[key]
            if key == "DASHBOARD_URL":
                built = (dist_dir() / "index.html").is_file()
                shown += f"  (signed in as {DEMO_EMAIL})" if built else "  (not built yet: make dashboard)"
            print(f"  {key:<18} {shown}", flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    paths = StackPaths(Path(args.state_dir).resolve())
    if paths.running_pid() and paths.env_file.exists():
        print(f"devstack: already running (pid {paths.running_pid()}), env in {paths.env_file}")
        _print_urls(read_env_file(paths.env_file))
        return 0
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "devstack",
        "--state-dir",
        str(paths.state_dir),
        "run",
        "--ports",
        args.ports,
        "--runners",
        str(args.runners),
        *(["--sim"] if args.sim else []),
    ]
    with open(paths.log_dir / "stack.log", "ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print((paths.log_dir / "stack.log").read_text()[-3000:], file=sys.stderr)
            print(f"devstack: failed to start (exit {proc.returncode})", file=sys.stderr)
            return 1
        if paths.env_file.exists():
            print(f"devstack: up (pid {proc.pid}); env in {paths.env_file}; logs in {paths.log_dir}")
            _print_urls(read_env_file(paths.env_file))
            return 0
        time.sleep(0.2)
    proc.terminate()
    print(f"devstack: not ready after {args.timeout} s; see {paths.log_dir}", file=sys.stderr)
    return 1


def cmd_down(args: argparse.Namespace) -> int:
    paths = StackPaths(Path(args.state_dir).resolve())
    pid = paths.running_pid()
    if pid is None:
        print("devstack: not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and paths.running_pid() == pid:
        time.sleep(0.2)
    if paths.running_pid() == pid:
        os.kill(pid, signal.SIGKILL)
        print("devstack: killed (did not stop in time)", file=sys.stderr)
        return 1
    print("devstack: stopped")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    paths = StackPaths(Path(args.state_dir).resolve())
    pid = paths.running_pid()
    if pid and paths.env_file.exists():
        print(f"running (pid {pid}); env in {paths.env_file}")
        _print_urls(read_env_file(paths.env_file))
        return 0
    print("not running")
    return 1


def cmd_token(args: argparse.Namespace) -> int:
    from devstack.keys import user_token
    from devstack.users import ensure_user

    paths = StackPaths(Path(args.state_dir).resolve())
    if not paths.env_file.exists():
        print("devstack: the stack is not running (make up)", file=sys.stderr)
        return 1
    env = read_env_file(paths.env_file)
    user_id = args.user_id
    email = args.email or (None if user_id else "demo@wagate.local")
    user_id = ensure_user(env["DATABASE_URL"], email=email, user_id=user_id)
    claims = {}
    if args.admin:  # an operator (GET /api/admin/fleet): the custom claim Supabase keeps in app_metadata
        claims["app_metadata"] = {"provider": "email", "providers": ["email"], "role": "admin"}
    token = user_token(
        env["SUPABASE_URL"], env["SUPABASE_JWT_SECRET"], user_id, email=email, ttl_s=args.ttl, **claims
    )
    if args.json:
        print(json.dumps({"user_id": user_id, "email": email, "access_token": token}))
    else:
        print(token)
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    cmd_down(args)
    paths = StackPaths(Path(args.state_dir).resolve())
    for target in (paths.state_dir / "data", paths.secrets_file):
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    print(f"devstack: local data erased in {paths.state_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="devstack %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(
        prog="python -m devstack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state-dir", default=str(DEFAULT_STATE), help="where data, logs and stack.env live")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "up"):
        p = sub.add_parser(name)
        p.add_argument(
            "--ports",
            choices=("default", "auto"),
            default="default",
            help="default: the fixed ports of the README; auto: free ports",
        )
        p.add_argument("--timeout", type=float, default=180.0)
        p.add_argument(
            "--runners",
            type=int,
            default=int(os.environ.get("RUNNERS", "1") or 1),
            help="how many runners to start (RUNNERS)",
        )
        p.add_argument(
            "--sim",
            action="store_true",
            default=os.environ.get("SIM", "0") == "1",
            help="also start the WhatsApp Web simulator and point the runners at it (SIM=1)",
        )
    for name in ("down", "reset"):
        sub.add_parser(name).add_argument("--timeout", type=float, default=60.0)
    sub.add_parser("status")
    p = sub.add_parser("token")
    p.add_argument("--email")
    p.add_argument("--user-id")
    p.add_argument("--ttl", type=int, default=24 * 3600)
    p.add_argument("--json", action="store_true")
    p.add_argument("--admin", action="store_true", help="an operator's token (app_metadata.role admin)")
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "up": cmd_up,
        "down": cmd_down,
        "status": cmd_status,
        "token": cmd_token,
        "reset": cmd_reset,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
