"""`python -m simulator --host 127.0.0.1 --port 8300 [--ref-first-ms 60000 ...] [--tls-cert C --tls-key K]`"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import socket
import sys

import uvicorn

from simulator.config import SimulatorConfig
from simulator.core import Simulator
from simulator.web import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Local WhatsApp Web simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300, help="0 picks a free port")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (with --tls-key)")
    parser.add_argument("--tls-key", help="the certificate's PEM private key")
    defaults = SimulatorConfig()
    for field in dataclasses.fields(SimulatorConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = int if isinstance(getattr(defaults, field.name), int) else str
        parser.add_argument(
            flag, type=kind, default=getattr(defaults, field.name), help="(default: %(default)s)"
        )
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    return args


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    values = {field.name: getattr(args, field.name) for field in dataclasses.fields(SimulatorConfig)}
    return SimulatorConfig().updated(values)


async def serve(args: argparse.Namespace) -> None:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        sys.exit(f"simulator: {exc}")
    listener = socket.create_server((args.host, args.port))
    host, port = listener.getsockname()[:2]
    server = _AnnouncingServer(
        uvicorn.Config(
            create_app(Simulator(config)),
            log_level=args.log_level,
            ws="websockets-sansio",
            lifespan="off",
            access_log=False,
            ssl_certfile=args.tls_cert,
            ssl_keyfile=args.tls_key,
        ),
        ready_line=f"simulator ready on {'https' if args.tls_cert else 'http'}://{host}:{port}/",
    )
    await server.serve(sockets=[listener])


class _AnnouncingServer(uvicorn.Server):
    """Prints one line once it listens, for whoever started the process."""

    def __init__(self, config: uvicorn.Config, ready_line: str) -> None:
        super().__init__(config)
        self.ready_line = ready_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self.ready_line, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
