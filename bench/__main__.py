"""python -m bench NAME [--sessions N] [--messages N] [--json PATH] [--profile] [--full]

NAME: memory | latency | startup | api | isolation | webhooks | all, or soak (long; see bench/soak.py),
lifeline (see bench/lifeline.py), browsers (see bench/browsers.py) or analytics (bench/analytics.py).
Each benchmark starts what it needs (a fresh local stack, the simulator, runners, the local bot),
prints a table, writes JSON (default bench/results/NAME.json) and stops everything it started, also
on Ctrl-C and errors."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from bench.harness import RESULTS_DIR, finish, log, new_result, wait_quiet

BENCHMARKS = ("memory", "latency", "startup", "api", "isolation", "webhooks")
LONG_RUNS = ("soak",)
PROBES = ("lifeline", "browsers", "analytics")  # not part of `all` either: a measurement for one question


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("name", choices=[*BENCHMARKS, *LONG_RUNS, *PROBES, "all"])
    p.add_argument("--sessions", type=int, help="sessions (each benchmark has its own default)")
    p.add_argument("--messages", type=int, help="messages (latency) or iterations (api)")
    p.add_argument("--json", help="where to write the JSON (default bench/results/NAME.json)")
    p.add_argument("--profile", action="store_true", help="sample the hot process with py-spy as well")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="S",
        help="first wait up to S seconds for the machine to be quiet (1-minute load average below 1)",
    )
    p.add_argument(
        "--full", action="store_true", help="the sizes the targets are set for (default: quick sizes)"
    )
    for name in (*BENCHMARKS, *LONG_RUNS, *PROBES):
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "add_arguments"):
            module.add_arguments(p.add_argument_group(name))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    names = BENCHMARKS if args.name == "all" else (args.name,)
    if len(names) > 1 and args.json:
        print("--json names one file: run one benchmark at a time with it", file=sys.stderr)
        return 2
    failures = 0
    for name in names:
        if args.wait_quiet:
            wait_quiet(args.wait_quiet)
        log(f"benchmark {name}")
        try:
            result = importlib.import_module(f"bench.{name}").run(args)
        except KeyboardInterrupt:
            log("interrupted; everything it started has been stopped")
            return 130
        except Exception as exc:  # one failing benchmark must not hide the others' figures
            failures += 1
            log(f"benchmark {name} failed: {type(exc).__name__}: {exc}")
            result = new_result(name, {"sessions": args.sessions, "messages": args.messages})
            result["error"] = f"{type(exc).__name__}: {exc}"
            # a failed run never replaces the last good figures
            finish(result, args.json or str(RESULTS_DIR / f"{name}.failed.json"))
            continue
        finish(result, args.json)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
