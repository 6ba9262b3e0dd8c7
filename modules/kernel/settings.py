"""Process settings, read from `NIJA_*` environment variables.

Every default works on a machine with no external service: embedded PostgreSQL, the in-process
bus, Postgres-backed state and the local transit keyring.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

import msgspec

ALL_MODULES: tuple[str, ...] = (
    "identity",
    "vault",
    "routing",
    "execution",
    "dashboard",
    "strategy",
)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: str = ".nija"
    database_url: str | None = None
    db_pool_min: int = 2
    # Few connections, each busy: every connection is a server process with its own prepared
    # statements, planned afresh (five custom plans each) and its catalog caches built on first
    # use, so 40 of them cost PostgreSQL more CPU per order than 6 (docs/performance.md). Work
    # waiting for a connection queues in the pool.
    db_pool_max: int = 6
    # Connections beyond `db_pool_max` that only HTTP requests take, so an order is accepted
    # without waiting behind a backlog of fills and folds (docs/performance.md).
    db_pool_requests: int = 2
    migrate_on_start: bool = True
    # Count every SQL statement and transaction by module (nija_db_statements_total): what the
    # order-path benchmark and its budget test read; off by default (a callback per statement).
    db_statement_stats: bool = False
    # Also count each statement's text (nija_db_statement_texts_total{schema,text}): where a
    # module's statements go, for the order bench's `--statements`; implies the counting above.
    db_statement_texts: bool = False
    modules: tuple[str, ...] = ALL_MODULES
    pubsub: Literal["memory", "dapr"] = "memory"
    state: Literal["postgres", "dapr"] = "postgres"
    dapr_grpc_address: str = "127.0.0.1:50001"
    dapr_http_endpoint: str = "http://127.0.0.1:3500"
    dapr_pubsub_name: str = "pubsub"
    dapr_state_store_prefix: str = "statestore-"
    bus_max_attempts: int = 5
    bus_concurrency: int = 16
    bus_retry_base_seconds: float = 0.05
    bus_retry_max_seconds: float = 2.0
    outbox_poll_seconds: float = 0.5
    jwt_secret: str | None = None
    jwt_issuer: str = "nija"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    redis_url: str | None = None
    # How WebSocket pushes reach sockets held by other processes: `auto` is Redis when
    # redis_url is set, else PostgreSQL LISTEN/NOTIFY; `local` for a single process only.
    push_fanout: Literal["auto", "local", "postgres", "redis"] = "auto"
    # permessage-deflate on the WebSocket: a zlib compressor and decompressor per socket cost
    # ~50 KiB each socket, for pushes of a few hundred bytes that barely shrink. Off by default.
    ws_compression: bool = False
    # Expo's push service (the dashboard's phone pushes): its base URL, and the project's access
    # token when Expo's enhanced push security is on (a secret, like jwt_secret: never logged).
    expo_push_url: str = "https://exp.host"
    expo_access_token: str | None = None
    # Proxies (addresses or CIDR blocks) whose X-Forwarded-For is believed; nobody else's is.
    trusted_proxies: tuple[str, ...] = ()
    # Overrides of the per-user API budget by tier (requests a minute), e.g. for load tests:
    # NIJA_API_RATE_LIMITS_PER_MINUTE='{"basic": 100000}'.
    api_rate_limits_per_minute: dict[str, int] = msgspec.field(default_factory=dict)
    log_level: str = "INFO"
    log_json: bool = True
    market_tick_seconds: float = 1.0
    # How often a venue's queue workers look for orders another replica queued (an order this
    # replica queues wakes its own workers at once); each look is one statement per venue.
    queue_poll_seconds: float = 1.0
    sim_seed: int = 7
    sim_latency_scale: float = 1.0
    # Simulated market time runs this many times faster than the wall clock (60: a 1m bar a
    # second); 1 keeps it on the wall clock, the same on every replica.
    sim_speed: float = 1.0
    # What a simulated venue's paper wallet starts with, in USD, for each new account (API key).
    sim_paper_usd: Decimal = Decimal(10_000)
    # The simulated exchanges' own connections (a real exchange is another system: its work
    # does not wait for the platform's pool, nor count as the platform's database cost).
    sim_pool_size: int = 3
    # Transit keyring: the local 0600 key file, or HashiCorp Vault Transit through hvac/AppRole.
    keyring: Literal["local", "vault"] = "local"
    vault_addr: str = "http://127.0.0.1:8200"
    vault_role_id: str | None = None
    vault_secret_id: str | None = None  # a secret, like jwt_secret: never logged
    vault_transit_mount: str = "transit"
    vault_namespace: str | None = None
    # Rotate the transit key (and rewrap every data key) this often; 0 turns it off.
    key_rotation_interval_seconds: float = 0.0
    # "test": argon2id at its smallest cost, so a test suite that registers and logs in hundreds
    # of users does not spend minutes hashing. Refused unless env is "test".
    password_hash_cost: Literal["production", "test"] = "production"

    def __post_init__(self) -> None:
        if self.password_hash_cost == "test" and self.env != "test":
            raise ValueError("password_hash_cost 'test' is for the test suite only (env 'test')")

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return _networks(self.trusted_proxies)

    @property
    def data_path(self) -> str:
        return os.path.abspath(self.data_dir)


@functools.cache
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    # Parsed once per list, not on every login that asks where the caller is.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


_LIST_FIELDS = {"modules", "trusted_proxies"}
_JSON_FIELDS = {"api_rate_limits_per_minute"}


def _coerce(name: str, raw: str) -> object:
    if name in _LIST_FIELDS:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if name in _JSON_FIELDS:
        return msgspec.json.decode(raw)
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from `NIJA_<FIELD>` variables, then explicit overrides.

    msgspec does the type conversion (`strict=False` turns "true"/"5" into bool/int) so a typo in
    a variable fails loudly at start-up instead of misbehaving later.
    """
    source = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        raw = source.get(f"NIJA_{field.name.upper()}")
        if raw is not None and raw != "":
            values[field.name] = _coerce(field.name, raw)
    values.update(overrides)
    settings = msgspec.convert(values, Settings, strict=False)
    unknown = set(settings.modules) - set(ALL_MODULES)
    if unknown:
        raise ValueError(f"NIJA_MODULES names unknown modules: {sorted(unknown)}")
    try:
        settings.trusted_proxy_networks  # noqa: B018 - parsed now so a typo fails at start-up
    except ValueError as error:
        raise ValueError(f"NIJA_TRUSTED_PROXIES: {error}") from None
    return settings
