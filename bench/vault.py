"""Vault benchmark: seal/unseal latency (local keyring and a Vault Transit double) and
store/rotate throughput through `nija run` over HTTP.

1. In process: `seal` (unwrap the user's data key, AES-256-GCM the material) and `unseal`
   (unwrap + open), each call timed, on the local transit keyring and, unless `--no-vault`,
   through the hvac adapter against the HTTP double of Vault's Transit API (tests/fakes) — a
   loopback round trip per unwrap, so it shows the price of a network keyring.
2. End to end: starts `nija run` (embedded PostgreSQL unless --database-url/NIJA_DATABASE_URL),
   registers `--users` traders, then stores one credential per trader and rotates each
   `--rotations` times with `--concurrency` requests in flight, and prints requests/s and p50/p99.

Bounded, loopback only; it stops by itself.
Run: .venv/bin/python bench/vault.py --seals 2000 --users 20 --rotations 5
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.launcher import running_platform
from modules.kernel.adapters.local_keyring import LocalTransitKeyring
from modules.kernel.ports import Keyring
from modules.kernel.sealing import CredentialMaterial, new_wrapped_data_key, seal, unseal

PASSWORD = "bench correct horse battery 1"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def bench_sealing(name: str, keyring: Keyring, count: int) -> list[str]:
    users = [str(uuid.uuid4()) for _ in range(16)]
    wrapped = {user: new_wrapped_data_key(keyring, user) for user in users}
    material = CredentialMaterial(api_key="AKIA" + "x" * 28, api_secret="s" * 64)
    seal_times, unseal_times = [], []
    for i in range(count):
        user = users[i % len(users)]
        started = time.perf_counter()
        sealed = seal(keyring, wrapped[user], user, "kraken", material)
        seal_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        unseal(keyring, sealed, user, "kraken")
        unseal_times.append(time.perf_counter() - started)
    s50, s99 = _percentiles(seal_times)
    u50, u99 = _percentiles(unseal_times)
    return [
        f"{name:<22} seal   p50 {s50:8.3f} ms  p99 {s99:8.3f} ms  ({count} calls)",
        f"{name:<22} unseal p50 {u50:8.3f} ms  p99 {u99:8.3f} ms",
    ]


def bench_vault_double(count: int) -> list[str]:
    from modules.kernel.adapters.vault_transit import VaultTransitKeyring
    from tests.fakes.vault_server import FakeVault

    secret_id = secrets.token_urlsafe(16)
    vault = FakeVault("bench-role", secret_id)
    url = vault.serve()
    try:
        keyring = VaultTransitKeyring(url, role_id="bench-role", secret_id=secret_id)
        return bench_sealing("vault transit (double)", keyring, count)
    finally:
        vault.close()


async def _timed(
    client: httpx.AsyncClient, calls: Sequence[Callable[[], Awaitable[httpx.Response]]], width: int
) -> tuple[float, list[float], int]:
    gate = asyncio.Semaphore(width)
    latencies: list[float] = []
    failures = 0

    async def one(call: Callable[[], Awaitable[httpx.Response]]) -> None:
        nonlocal failures
        async with gate:
            started = time.perf_counter()
            response = await call()
            latencies.append(time.perf_counter() - started)
            failures += not response.is_success

    started = time.perf_counter()
    await asyncio.gather(*(one(call) for call in calls))
    return time.perf_counter() - started, latencies, failures


def _store(client: httpx.AsyncClient, headers: dict[str, str]) -> Awaitable[httpx.Response]:
    body = {"venue": "kraken", "api_key": f"AKIA{uuid.uuid4().hex}", "api_secret": "s" * 48}
    return client.post("/v1/credentials", json=body, headers=headers)


async def bench_http(args: argparse.Namespace) -> list[str]:
    server = args.database_url or os.environ.get("NIJA_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="nija-bench-vault-") as data_dir:
        async with running_platform(
            Path(data_dir), server_url=server, db_prefix="nija_bench_vault"
        ) as platform:
            async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as client:
                headers = [await _login(client) for _ in range(args.users)]
                stores = [functools.partial(_store, client, h) for h in headers]
                store_s, store_lat, store_fail = await _timed(client, stores, args.concurrency)
                listed = [await client.get("/v1/credentials", headers=h) for h in headers]
                ids = [(h, r.json()[0]["id"]) for h, r in zip(headers, listed, strict=True)]
                body = {"api_key": f"AKIA{uuid.uuid4().hex}", "api_secret": "r" * 48}
                rotations = [
                    functools.partial(client.put, f"/v1/credentials/{i}", json=body, headers=h)
                    for h, i in ids
                    for _ in range(args.rotations)
                ]
                rot_s, rot_lat, rot_fail = await _timed(client, rotations, args.concurrency)
    lines = []
    for name, seconds, latencies, failures in (
        ("store", store_s, store_lat, store_fail),
        ("rotate", rot_s, rot_lat, rot_fail),
    ):
        p50, p99 = _percentiles(latencies)
        lines.append(
            f"HTTP {name:<17} {len(latencies) / seconds:8.1f} req/s  p50 {p50:8.2f} ms  "
            f"p99 {p99:8.2f} ms  ({len(latencies)} requests, {failures} failed, "
            f"{args.concurrency} in flight)"
        )
    return lines


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    body = {"email": f"bench-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
    (await client.post("/v1/auth/register", json=body)).raise_for_status()
    login = await client.post("/v1/auth/login", json=body)
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seals", type=int, default=2000, help="seal/unseal calls (local)")
    parser.add_argument("--vault-seals", type=int, default=300, help="calls via the Vault double")
    parser.add_argument("--no-vault", action="store_true", help="skip the Vault double")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rotations", type=int, default=5, help="rotations per credential")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--no-http", action="store_true", help="skip the nija run phase")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nija-bench-keys-") as keys:
        local = LocalTransitKeyring(os.path.join(keys, "transit-keys.json"))
        lines += bench_sealing("local keyring", local, args.seals)
    if not args.no_vault:
        lines += bench_vault_double(args.vault_seals)
    if not args.no_http:
        lines += asyncio.run(bench_http(args))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
