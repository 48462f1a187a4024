"""The endpoint guard: the one way wagate reaches a URL a tenant chose (a chatbot's own endpoint
today; webhooks and media URLs use it too).

Tenants are untrusted, and so is every address their URLs lead to. A URL is checked when it is
set (`check_endpoint`: a clear 4xx `endpoint_not_allowed` with the reason) and again on every call
(`GuardedClients` + `post`), where the checked address is the one connected to:

- https only (http too with `WAGATE_ALLOW_PRIVATE_ENDPOINTS`), no credentials in the URL, port 443
  or 1024-65535 (any port on a trusted network);
- the host resolved once and every answer refused when it is loopback, private, link-local,
  CGNAT, multicast, reserved, unspecified, a cloud metadata address, or an IPv6 form that carries
  one of those (IPv4-mapped, NAT64, 6to4, Teredo), whatever the textual form (`2130706433`,
  `0x7f.1`, `[::ffff:127.0.0.1]`, full-width letters, ...);
- the connection made to the address that was checked (no second lookup: no DNS rebinding);
- no redirects, a response size cap, one deadline for the whole call (connect to last byte);
- a pool of connections per tenant, so one tenant's slow endpoint cannot take the others'.

`WAGATE_ALLOW_PRIVATE_ENDPOINTS` (an operator's trusted network; on in the local stack) allows
private, loopback and CGNAT addresses and http; link-local and cloud metadata stay refused.

The address rules are `ssrfguard`'s table (IANA's special-purpose registries, the metadata
endpoints named); this module decides the policy and turns refusals into words a tenant may read.
Failures at call time carry a stable `code` and a plain message, never which internal port or
address answered.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx
from ssrfguard import (
    DEFAULT_DENIED,
    AddressTable,
    Block,
    BlockedAddressError,
    BlockedURLError,
    Policy,
    Reach,
    SSRFGuardError,
    TooManyRedirectsError,
    resolve,
)
from ssrfguard.httpx import AsyncClient as SafeAsyncClient

from wagate.errors import InvalidInput

log = logging.getLogger("wagate.endpoints")

ALLOW_PRIVATE_SETTING = "WAGATE_ALLOW_PRIVATE_ENDPOINTS"
PUBLIC_PORTS = frozenset({443, *range(1024, 65536)})
ANY_PORT = frozenset(range(1, 65536))
# A trusted network's own addresses; the metadata addresses inside them (100.100.100.200,
# fd00:ec2::254) have rows of their own in the table and stay refused (longest prefix wins).
PRIVATE_NETWORKS = frozenset(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "::1/128")
) | {ipaddress.ip_network("fc00::/7")}


class EndpointNotAllowed(InvalidInput):
    """A URL a tenant gave is refused by the guard (400 `endpoint_not_allowed`, with the reason)."""

    code = "endpoint_not_allowed"


class EndpointFailure(Exception):
    """A call to a tenant's URL did not give an answer. `code`: not_allowed, timeout, unreachable,
    redirect, too_large, bad_answer; `message`: plain words a tenant may read."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class EndpointAnswer:
    status: int
    body: bytes
    headers: Mapping[str, str]


# Cloud services inside private ranges that a trusted network must still never reach (the table
# already names AWS's IPv6 metadata and Alibaba's): GCP's metadata over IPv6, EKS Pod Identity.
CLOUD_SERVICES_IN_PRIVATE_RANGES = (
    Block(
        ipaddress.ip_network("fd20:ce::254/128"), "Cloud metadata (GCP over IPv6)", "RFC4193", Reach.DENIED
    ),
    Block(
        ipaddress.ip_network("fd00:ec2::23/128"),
        "Cloud credentials (EKS Pod Identity)",
        "RFC4193",
        Reach.DENIED,
    ),
)


def _private_table() -> AddressTable:
    blocks = tuple(
        replace(block, reach=Reach.PERMITTED) if block.network in PRIVATE_NETWORKS else block
        for block in DEFAULT_DENIED.blocks
    )
    return AddressTable((*blocks, *CLOUD_SERVICES_IN_PRIVATE_RANGES))


_PUBLIC_POLICY = Policy(
    allowed_schemes=frozenset({"https"}),
    allowed_ports=PUBLIC_PORTS,
    max_redirects=0,
    on_partial_block="reject",
)
_PRIVATE_POLICY = Policy(
    allowed_schemes=frozenset({"https", "http"}),
    allowed_ports=ANY_PORT,
    denied_networks=_private_table(),
    max_redirects=0,
    on_partial_block="reject",
)


def endpoint_policy(*, allow_private: bool) -> Policy:
    return _PRIVATE_POLICY if allow_private else _PUBLIC_POLICY


# ---------------------------------------------------------------- when a URL is set
def check_endpoint(url: str, *, allow_private: bool, resolver=None) -> str:
    """`url` if wagate may call it; else `EndpointNotAllowed` saying why (the host is resolved:
    a name that leads to a refused address is refused now, not at the first customer message)."""
    policy = endpoint_policy(allow_private=allow_private)
    _check_shape(url, allow_private=allow_private)
    try:  # checked as httpx will send it (IDNA 2008, its own parsing), not as it was typed
        sent_as = str(httpx.URL(url))
    except httpx.InvalidURL as exc:
        raise EndpointNotAllowed("the endpoint is not a valid URL") from exc
    try:
        target = policy.check_url(sent_as)
    except BlockedURLError as exc:
        raise EndpointNotAllowed(f"the endpoint is not allowed: {_plain(exc.reason)}") from exc
    except BlockedAddressError as exc:
        raise EndpointNotAllowed(f"the endpoint is not allowed: {_plain(exc.reason)}") from exc
    if target.address is not None:
        return url
    try:
        resolve(target, policy=policy, resolver=resolver)
    except BlockedAddressError as exc:
        # The address a private name resolves to is not the tenant's business: the kind is enough.
        raise EndpointNotAllowed(
            f"the endpoint is not allowed: {target.host} resolves to {_kind_of(exc.address, policy)}"
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise EndpointNotAllowed(f"the endpoint is not allowed: {target.host} does not resolve") from exc
    return url


def _check_shape(url: str, *, allow_private: bool) -> None:
    """The rules a tenant can fix by retyping, in their words (before ssrfguard's)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EndpointNotAllowed("the endpoint is not a valid URL") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise EndpointNotAllowed(
            "the endpoint must be an https:// URL"
            + (" (or http:// on this trusted network)" if allow_private else "")
        )
    if parts.username is not None or parts.password is not None:
        raise EndpointNotAllowed("the endpoint must not carry credentials (user:password@)")
    if port is not None and not allow_private and port not in PUBLIC_PORTS:
        raise EndpointNotAllowed(f"port {port} is not allowed: use 443 or a port from 1024 to 65535")


def _kind_of(address: str, policy: Policy) -> str:
    try:
        verdict = policy.denied_networks.classify(address)
    except ValueError:
        return "an address wagate does not call"
    name = verdict.block.name if verdict.block is not None else "a refused range"
    return f"an address wagate does not call ({name})"


def _plain(reason: str) -> str:
    return reason.replace("allowed_ports", "the allowed ports").replace("allow_userinfo", "credentials")


# ---------------------------------------------------------------- when it is called
class GuardedClients:
    """One guarded connection pool per tenant (up to `per_tenant` connections each): a tenant
    whose endpoint holds its connections waits on its own pool, never on another's. Pools idle
    for `idle_s` are closed; at most `max_tenants` are kept."""

    def __init__(
        self,
        *,
        allow_private: bool,
        per_tenant: int = 8,
        max_tenants: int = 512,
        idle_s: float = 300.0,
        user_agent: str = "wagate",
    ) -> None:
        self.policy = endpoint_policy(allow_private=allow_private)
        self.per_tenant = max(1, per_tenant)
        self.max_tenants = max_tenants
        self.idle_s = idle_s
        self.user_agent = user_agent
        self._clients: OrderedDict[str, _Pool] = OrderedDict()

    def _pool(self, tenant: str) -> _Pool:
        pool = self._clients.get(tenant)
        if pool is None:
            client = SafeAsyncClient(
                policy=self.policy,
                trust_env=False,  # no proxy from the environment: the checked address is the one used
                follow_redirects=False,
                timeout=None,  # the caller's deadline bounds the whole call
                limits=httpx.Limits(
                    max_connections=self.per_tenant, max_keepalive_connections=min(4, self.per_tenant)
                ),
                headers={"User-Agent": self.user_agent},
            )
            pool = self._clients[tenant] = _Pool(client)
        self._clients.move_to_end(tenant)
        pool.last_used = time.monotonic()
        self._evict()
        return pool

    def _evict(self) -> None:
        now = time.monotonic()
        for tenant, pool in list(self._clients.items()):
            over = len(self._clients) > self.max_tenants
            if pool.in_use == 0 and (over or now - pool.last_used > self.idle_s):
                del self._clients[tenant]
                asyncio.get_running_loop().create_task(pool.client.aclose())

    async def post(
        self,
        tenant: str,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str],
        deadline_s: float,
        max_bytes: int,
    ) -> EndpointAnswer:
        return await self._call(
            tenant, "POST", url, content=content, headers=headers, deadline_s=deadline_s, max_bytes=max_bytes
        )

    async def get(
        self, tenant: str, url: str, *, deadline_s: float, max_bytes: int, headers: Mapping[str, str] = {}
    ) -> EndpointAnswer:
        """GET a file a tenant named (a media URL): the body as sent, at most `max_bytes`."""
        return await self._call(
            tenant, "GET", url, headers=headers, deadline_s=deadline_s, max_bytes=max_bytes
        )

    async def _call(self, tenant: str, method: str, url: str, **options) -> EndpointAnswer:
        pool = self._pool(tenant)
        pool.in_use += 1
        try:
            return await request(pool.client, method, url, **options)
        finally:
            pool.in_use -= 1
            pool.last_used = time.monotonic()

    async def aclose(self) -> None:
        clients = [pool.client for pool in self._clients.values()]
        self._clients.clear()
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)


@dataclass
class _Pool:
    client: httpx.AsyncClient
    in_use: int = 0
    last_used: float = 0.0


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    deadline_s: float,
    max_bytes: int,
) -> EndpointAnswer:
    """POST `content` and read the whole answer within `deadline_s` (waiting for a connection,
    connecting, sending, every byte of the body) and at most `max_bytes` of it."""
    return await request(
        client, "POST", url, content=content, headers=headers, deadline_s=deadline_s, max_bytes=max_bytes
    )


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    deadline_s: float,
    max_bytes: int,
    content: bytes | None = None,
) -> EndpointAnswer:
    """One call through the guard within `deadline_s`, its answer at most `max_bytes`. A POST's
    answer may come compressed (decoded here, capped once decoded); a GET fetches a file as is."""
    compressed = method == "POST"
    try:
        async with asyncio.timeout(deadline_s):
            request_headers = {**headers, "Accept-Encoding": "gzip, deflate" if compressed else "identity"}
            async with client.stream(method, url, content=content, headers=request_headers) as response:
                if response.is_redirect:
                    raise EndpointFailure("redirect", "the endpoint answered with a redirect")
                raw = bytearray()
                async for chunk in response.aiter_raw():
                    raw += chunk
                    if len(raw) > max_bytes:
                        raise EndpointFailure("too_large", f"the answer is larger than {max_bytes} bytes")
                encoding = response.headers.get("content-encoding", "") if compressed else ""
                body = _decoded(bytes(raw), encoding, max_bytes)
                return EndpointAnswer(response.status_code, body, dict(response.headers))
    except TimeoutError as exc:
        raise EndpointFailure("timeout", f"no complete answer within {deadline_s:g} s") from exc
    except TooManyRedirectsError as exc:
        raise EndpointFailure("redirect", "the endpoint answered with a redirect") from exc
    except SSRFGuardError as exc:
        log.info("endpoint refused by the guard: %s", exc)
        raise EndpointFailure(
            "not_allowed", "the endpoint leads to an address wagate does not call (private or reserved)"
        ) from exc
    except httpx.TimeoutException as exc:
        raise EndpointFailure("timeout", f"no complete answer within {deadline_s:g} s") from exc
    except (httpx.TransportError, OSError) as exc:
        log.info("endpoint unreachable: %s", type(exc).__name__)
        raise EndpointFailure("unreachable", "the endpoint could not be reached") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a URL httpx cannot send, a protocol error
        log.info("endpoint call failed: %s", type(exc).__name__)
        raise EndpointFailure("unreachable", "the endpoint could not be reached") from exc


__all__ = [
    "ALLOW_PRIVATE_SETTING",
    "EndpointAnswer",
    "EndpointFailure",
    "EndpointNotAllowed",
    "GuardedClients",
    "check_endpoint",
    "endpoint_policy",
    "post",
    "request",
]


def _decoded(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    """The body without its gzip/deflate encoding, refused past `max_bytes` once decoded (a small
    compressed answer must not become gigabytes in the runner's memory)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "deflate"):
        raise EndpointFailure("bad_answer", f"the answer uses an unsupported encoding ({encoding[:20]})")
    decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    try:
        body = decoder.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise EndpointFailure("bad_answer", "the answer's compression is corrupt") from exc
    if len(body) > max_bytes or decoder.unconsumed_tail:
        raise EndpointFailure("too_large", f"the answer is larger than {max_bytes} bytes")
    return body
