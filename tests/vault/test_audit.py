"""The hash-chained audit log: who sees what, and tampering being caught."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from modules.execution.contracts import CredentialUnsealed, OrderRejected
from modules.identity.contracts import UserSuspended
from modules.kernel.events import envelope_for
from tests.conftest import RunningApp
from tests.vault.conftest import User, fetch, material, store


async def _history(running: RunningApp) -> tuple[User, User, dict[str, Any]]:
    """Alice stores, rotates, asks for verification and revokes; Bob stores."""
    alice, bob = User(running), User(running)
    stored = await store(running, alice, material("kraken"))
    path = f"/v1/credentials/{stored['id']}"
    body = material()
    rotation = {"api_key": body["api_key"], "api_secret": body["api_secret"]}
    assert (await running.client.put(path, json=rotation, headers=alice.headers)).is_success
    assert (await running.client.post(f"{path}/verify", headers=alice.headers)).is_success
    await running.settle()
    assert (await running.client.delete(path, headers=alice.headers)).status_code == 204
    await store(running, bob, material("binance"))
    return alice, bob, stored


async def _tamper(running: RunningApp, sql: str, *args: Any) -> None:
    """Run `sql` as a database owner would: with the append-only trigger switched off."""
    async with running.runtime.db.connection() as conn:
        refused = False
        try:
            await conn.execute(sql, *args)
        except asyncpg.InsufficientPrivilegeError:
            refused = True
        assert refused, "the append-only trigger let a change through"
        await conn.execute("ALTER TABLE vault.audit_log DISABLE TRIGGER audit_log_append_only")
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.execute("ALTER TABLE vault.audit_log ENABLE TRIGGER audit_log_append_only")


async def _chain_report(running: RunningApp, admin: User) -> dict[str, Any]:
    response = await running.client.post("/v1/admin/audit/verify", headers=admin.headers)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def test_traders_see_their_own_trail_and_admins_search_all(running: RunningApp) -> None:
    alice, bob, stored = await _history(running)
    admin = User(running, role="admin")

    own = await running.client.get("/v1/audit", headers=alice.headers)
    assert own.status_code == 200
    trail = own.json()["items"]
    # Execution may open the key to ask the venue (an `unseal` entry of its own).
    assert [e["action"] for e in reversed(trail) if e["action"] != "unseal"] == [
        "store", "rotate", "verify_requested", "verify", "revoke",
    ]  # fmt: skip
    assert {e["user_id"] for e in trail} == {alice.user_id}
    assert {e["credential_id"] for e in trail} == {stored["id"]}
    rotate = next(e for e in trail if e["action"] == "rotate")
    assert rotate["details"] == {"from_version": 1, "to_version": 2}
    for newer, older in itertools.pairwise(trail):
        assert newer["prev_hash"] == older["hash"]

    for path in ("/v1/admin/audit", "/v1/admin/audit/verify"):
        method = running.client.get if path.endswith("audit") else running.client.post
        denied = await method(path, headers=alice.headers)
        assert denied.status_code == 403 and denied.json()["code"] == "admin_required"

    by_user = await running.client.get(
        "/v1/admin/audit", params={"user_id": bob.user_id}, headers=admin.headers
    )
    assert [(e["user_id"], e["action"]) for e in by_user.json()["items"]] == [
        (bob.user_id, "store")
    ]
    revokes = await running.client.get(
        "/v1/admin/audit", params={"action": "revoke"}, headers=admin.headers
    )
    assert [e["user_id"] for e in revokes.json()["items"]] == [alice.user_id]
    first_at = trail[-1]["at"]
    later = await running.client.get(
        "/v1/admin/audit",
        params={"user_id": alice.user_id, "since": trail[1]["at"], "until": trail[0]["at"]},
        headers=admin.headers,
    )
    assert [e["action"] for e in later.json()["items"]] == [trail[1]["action"]]
    assert first_at < trail[1]["at"]
    page = await running.client.get("/v1/admin/audit", params={"limit": 2}, headers=admin.headers)
    assert len(page.json()["items"]) == 2 and page.json()["next_before"]
    bad = await running.client.get("/v1/admin/audit", params={"limit": 0}, headers=admin.headers)
    assert bad.status_code == 400
    total = len(await fetch(running, "SELECT id FROM vault.audit_log"))
    assert await _chain_report(running, admin) == {
        "ok": True, "checked": total, "first_broken_id": None, "reason": None,
    }  # fmt: skip


async def test_an_altered_row_is_reported_as_the_first_broken_link(running: RunningApp) -> None:
    alice, _, _ = await _history(running)
    admin = User(running, role="admin")
    rows = await fetch(running, "SELECT id FROM vault.audit_log ORDER BY id")
    target = rows[2]["id"]
    await _tamper(
        running,
        'UPDATE vault.audit_log SET details = \'{"request_id": "forged"}\' WHERE id = $1',
        target,
    )
    report = await _chain_report(running, admin)
    assert report == {
        "ok": False, "checked": 2, "first_broken_id": target, "reason": "entry_altered",
    }  # fmt: skip
    # A second change further up the chain becomes the first broken link.
    await _tamper(
        running, "UPDATE vault.audit_log SET user_id = 'someone-else' WHERE id = $1", rows[0]["id"]
    )
    assert (await _chain_report(running, admin))["first_broken_id"] == rows[0]["id"]
    assert alice.user_id


async def test_a_deleted_row_is_caught_in_the_middle_and_at_the_end(running: RunningApp) -> None:
    await _history(running)
    admin = User(running, role="admin")
    rows = await fetch(running, "SELECT id FROM vault.audit_log ORDER BY id")
    await _tamper(running, "DELETE FROM vault.audit_log WHERE id = $1", rows[-1]["id"])
    tail = await _chain_report(running, admin)
    assert tail["ok"] is False and tail["reason"] == "entries_missing_at_the_end"
    assert tail["checked"] == len(rows) - 1

    await _tamper(running, "DELETE FROM vault.audit_log WHERE id = $1", rows[3]["id"])
    middle = await _chain_report(running, admin)
    assert middle == {
        "ok": False,
        "checked": 3,
        "first_broken_id": rows[4]["id"],
        "reason": "previous_entry_missing_or_altered",
    }


async def test_unseals_failed_unseals_and_admin_actions_are_audited(running: RunningApp) -> None:
    alice = User(running)
    stored = await store(running, alice, material("coinbase"))
    order_id, failed_order = str(uuid.uuid4()), str(uuid.uuid4())
    events = [
        CredentialUnsealed(
            credential_id=stored["id"],
            user_id=alice.user_id,
            venue="coinbase",
            order_id=order_id,
            purpose="place_order",
        ),
        OrderRejected(
            order_id=failed_order,
            user_id=alice.user_id,
            venue="coinbase",
            code="credential_unavailable",
            reason="the credential could not be opened",
        ),
        OrderRejected(
            order_id=str(uuid.uuid4()),
            user_id=alice.user_id,
            venue="coinbase",
            code="insufficient_funds",
            reason="not an unseal",
        ),
        UserSuspended(user_id=alice.user_id, reason="chargeback"),
    ]
    for event in events:  # as execution and identity publish them
        envelope = envelope_for(event, "nija/test")
        await running.runtime.pubsub.publish(envelope)
        await running.runtime.pubsub.publish(envelope)  # redelivered: audited once
    await running.settle()
    trail = (await running.client.get("/v1/audit", headers=alice.headers)).json()["items"]
    by_action = {e["action"]: e for e in trail}
    assert sorted(e["action"] for e in trail) == [
        "admin_suspend", "store", "unseal", "unseal_failed",
    ]  # fmt: skip
    assert by_action["unseal"]["details"] == {"order_id": order_id, "purpose": "place_order"}
    assert by_action["unseal"]["credential_id"] == stored["id"]
    assert by_action["unseal"]["actor_id"] == "execution"
    assert by_action["unseal_failed"]["details"]["order_id"] == failed_order
    assert by_action["admin_suspend"]["details"] == {"reason": "chargeback"}
    admin = User(running, role="admin")
    assert (await _chain_report(running, admin))["ok"] is True


async def test_a_real_order_leaves_an_unseal_entry_with_its_order_id(running: RunningApp) -> None:
    alice = User(running)
    stored = await store(running, alice, material("coinbase"))
    order = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
    for _ in range(20):
        await running.settle()
        placed = await running.client.post("/v1/orders", json=order, headers=alice.headers)
        if placed.status_code == 202:
            break
    assert placed.status_code == 202, placed.text
    await running.settle()
    trail = (
        await running.client.get("/v1/audit", params={"action": "unseal"}, headers=alice.headers)
    ).json()["items"]
    assert [(e["credential_id"], e["details"]["order_id"]) for e in trail] == [
        (stored["id"], placed.json()["id"])
    ]


async def test_entries_stamped_out_of_order_are_dated_in_chain_order(running: RunningApp) -> None:
    """Writers stamp an entry before they reach the chain's head; the log still reads in order."""
    audit = running.app.state.platform.modules["vault"].audit
    admin = User(running, role="admin")
    late = audit.draft(user_id="u-late", action="unseal", actor_id="execution")
    early = audit.draft(user_id="u-early", action="unseal", actor_id="execution")
    early = msgspec.structs.replace(early, at=late.at - timedelta(seconds=1))
    async with running.runtime.unit_of_work("vault"):
        await audit.append([late])
    async with running.runtime.unit_of_work("vault"):
        await audit.append([early])

    rows = await fetch(running, "SELECT id, user_id, at FROM vault.audit_log ORDER BY id")
    assert [r["user_id"] for r in rows] == ["u-late", "u-early"]
    assert rows[0]["at"] < rows[1]["at"], "dated after the entry it follows"
    assert (await _chain_report(running, admin))["ok"] is True


async def test_an_append_after_an_earlier_releases_reads_the_time_from_the_log(
    running: RunningApp,
) -> None:
    """The head carries its entry's time; a replica of an earlier release moves the head without
    it, and the next entry must still be dated after the one it follows."""
    audit = running.app.state.platform.modules["vault"].audit
    admin = User(running, role="admin")
    first = audit.draft(user_id="u-first", action="unseal", actor_id="execution")
    async with running.runtime.unit_of_work("vault"):
        await audit.append([first])
    async with running.runtime.db.connection() as conn:  # as the earlier release leaves it
        await conn.execute(
            "UPDATE vault.audit_head SET last_at = last_at - interval '1 hour', last_at_id = 0"
        )
    early = audit.draft(user_id="u-early", action="unseal", actor_id="execution")
    early = msgspec.structs.replace(early, at=first.at - timedelta(minutes=1))
    async with running.runtime.unit_of_work("vault"):
        await audit.append([early])

    rows = await fetch(running, "SELECT user_id, at FROM vault.audit_log ORDER BY id")
    assert [r["user_id"] for r in rows] == ["u-first", "u-early"]
    assert rows[0]["at"] < rows[1]["at"], "dated before the entry it follows"
    head = await fetch(running, "SELECT last_id, last_at, last_at_id FROM vault.audit_head")
    assert head[0]["last_at_id"] == head[0]["last_id"] == 2
    assert head[0]["last_at"] == rows[1]["at"]
    assert (await _chain_report(running, admin))["ok"] is True


async def test_kill_switches_engaged_and_released_are_audited(running: RunningApp) -> None:
    """Who flipped which switch, why, and whether everything was closed: in the chain."""
    admin, alice, bob = User(running, role="admin"), User(running), User(running)
    halt_alice = {"scope": "user", "user_id": alice.user_id, "active": True}
    for body in (
        {"scope": "global", "active": True, "reason": "exchange incident"},
        {"scope": "global", "active": False},
        {**halt_alice, "close_all_positions": True},
    ):
        response = await running.client.post(
            "/v1/admin/kill-switch", json=body, headers=admin.headers
        )
        assert response.status_code == 200, response.text
    halted = await running.client.post("/v1/settings/trading/kill-switch", headers=bob.headers)
    assert halted.status_code == 200, halted.text
    await running.settle()

    async def entries(**params: str) -> list[dict[str, Any]]:
        response = await running.client.get("/v1/admin/audit", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items[::-1]  # oldest first

    overall = await entries(user_id="global")
    assert [(e["action"], e["actor_id"], e["details"]) for e in overall] == [
        (
            "kill_switch_engaged",
            admin.user_id,
            {
                "scope": "global",
                "set_by": "admin",
                "reason": "exchange incident",
                "close_all_positions": False,
            },
        ),
        (
            "kill_switch_released",
            admin.user_id,
            {"scope": "global", "set_by": "admin", "close_all_positions": False},
        ),
    ]
    alices = await entries(user_id=alice.user_id, action="kill_switch_engaged")
    assert alices[0]["actor_id"] == admin.user_id
    assert alices[0]["details"]["close_all_positions"] is True
    # A trader's own halt is theirs; traders see the halts on their own trail.
    own = (await running.client.get("/v1/audit", headers=bob.headers)).json()["items"]
    assert [(e["action"], e["actor_id"], e["details"]["set_by"]) for e in own] == [
        ("kill_switch_engaged", bob.user_id, "user")
    ]
    assert (await _chain_report(running, admin))["ok"] is True
