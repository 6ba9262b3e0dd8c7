"""The audit hash chain: canonical hashing, linking drafts, and finding the first broken link."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec

from modules.vault.domain.audit_chain import (
    AuditDraft,
    AuditRow,
    ChainCheck,
    ChainHead,
    chain,
    entry_hash,
    stored_details,
)

T0 = datetime(2026, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)
CREDENTIAL = uuid.UUID("12345678-1234-5678-1234-567812345678")


def _draft(user: str, at: datetime, **details: object) -> AuditDraft:
    return AuditDraft(user_id=user, action="unseal", at=at, actor_id="execution", details=details)


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": 7,
        "user_id": "u-1",
        "action": "store",
        "credential_id": CREDENTIAL,
        "venue": "kraken",
        "at": T0,
        "actor_id": "u-1",
        "details": {"version": 1, "environment": "simulated"},
    }
    return {**entry, **changes}


def test_the_hash_is_sha256_over_the_previous_hash_and_canonical_json() -> None:
    canonical = (
        '{"action":"store","actor_id":"u-1","at":"2026-05-01T09:30:00.123456Z",'
        f'"credential_id":"{CREDENTIAL}","details":{{"environment":"simulated","version":1}},'
        '"id":7,"user_id":"u-1","venue":"kraken"}'
    )
    assert entry_hash("prev", _entry()) == hashlib.sha256(("prev" + canonical).encode()).hexdigest()


def test_the_hash_reads_times_in_utc_and_ignores_key_order() -> None:
    paris = T0.astimezone(timezone(timedelta(hours=2)))
    assert entry_hash("", _entry(at=paris)) == entry_hash("", _entry())
    reordered = dict(reversed(list(_entry(details={"b": 1, "a": 2}).items())))
    assert entry_hash("", reordered) == entry_hash("", _entry(details={"a": 2, "b": 1}))


def test_every_field_and_the_previous_hash_count() -> None:
    base = entry_hash("", _entry())
    changes: list[dict[str, object]] = [
        {"id": 8},
        {"user_id": "u-2"},
        {"action": "revoke"},
        {"credential_id": None},
        {"venue": None},
        {"at": T0 + timedelta(microseconds=1)},
        {"actor_id": "vault"},
        {"details": {}},
    ]
    for change in changes:
        assert entry_hash("", _entry(**change)) != base, change
    assert entry_hash("x", _entry()) != base


def test_missing_optional_fields_hash_as_null_and_empty_details() -> None:
    bare = {"id": 1, "user_id": "system", "action": "rotate_keys", "at": T0}
    full = {**bare, "credential_id": None, "venue": None, "actor_id": None, "details": {}}
    assert entry_hash("", bare) == entry_hash("", full)


def test_chain_links_each_entry_to_the_one_before() -> None:
    drafts = [_draft("a", T0), _draft("b", T0 + timedelta(seconds=1), order_id="o-2")]
    rows = chain(drafts, [10, 11], "head-hash", T0 - timedelta(seconds=5))
    assert [r.id for r in rows] == [10, 11]
    assert rows[0].prev_hash == "head-hash" and rows[1].prev_hash == rows[0].hash
    for row in rows:
        values = msgspec.structs.asdict(row)
        assert row.hash == entry_hash(row.prev_hash, values)
    assert rows[1].details == {"order_id": "o-2"}


def test_an_entry_stamped_before_the_one_it_follows_is_dated_just_after_it() -> None:
    late, early = _draft("late", T0), _draft("early", T0 - timedelta(seconds=1))
    rows = chain([late, early], [1, 2], "", None)
    assert rows[0].at == T0
    assert rows[1].at == T0 + timedelta(microseconds=1)
    same = chain([_draft("x", T0)], [3], rows[1].hash, rows[1].at)
    assert same[0].at == T0 + timedelta(microseconds=2)
    # Against the stored previous entry too, not only within one batch.
    assert chain([_draft("y", T0)], [4], "h", T0)[0].at == T0 + timedelta(microseconds=1)


def _log(count: int) -> list[AuditRow]:
    return chain(
        [_draft(f"u{i}", T0 + timedelta(seconds=i)) for i in range(count)],
        list(range(1, count + 1)),
        "",
        None,
    )


def _head(rows: list[AuditRow]) -> ChainHead:
    return ChainHead(last_id=rows[-1].id, last_hash=rows[-1].hash, length=len(rows))


def _check(rows: list[AuditRow], head: ChainHead) -> tuple[bool, int, int | None, str | None]:
    check = ChainCheck()
    for row in rows:
        broken = check.follow(row)
        if broken is not None:
            return broken.ok, broken.checked, broken.first_broken_id, broken.reason
    report = check.finish(head)
    return report.ok, report.checked, report.first_broken_id, report.reason


def test_an_intact_chain_checks_out() -> None:
    rows = _log(5)
    assert _check(rows, _head(rows)) == (True, 5, None, None)
    assert _check([], ChainHead()) == (True, 0, None, None)


def test_an_altered_entry_is_the_first_broken_link() -> None:
    rows = _log(5)
    rows[2] = msgspec.structs.replace(rows[2], details={"order_id": "forged"})
    assert _check(rows, _head(rows)) == (False, 2, 3, "entry_altered")


def test_a_removed_entry_breaks_the_link_after_it() -> None:
    rows = _log(5)
    head = _head(rows)
    del rows[1]
    assert _check(rows, head) == (False, 1, 3, "previous_entry_missing_or_altered")


def test_entries_cut_off_the_end_are_caught_by_the_head() -> None:
    rows = _log(5)
    assert _check(rows[:3], _head(rows)) == (False, 3, 5, "entries_missing_at_the_end")


def test_stored_details_decode_json_text_or_pass_mappings_through() -> None:
    assert stored_details(json.dumps({"a": 1})) == {"a": 1}
    assert stored_details({"b": [1, 2]}) == {"b": [1, 2]}
