"""Vault and Consul files next to the jobs, checked against the jobs and the code.

- every Vault role a task logs in with exists, is bound to that job and task, and its policies
  let the task read every secret its templates render, and nothing binds a role to a task that
  no job has;
- the daprd role reads every secret the Dapr components reference, through the secret store's
  KV engine and prefix;
- the Transit AppRole's policy allows every operation the app's keyring makes on each key the
  code uses, and nothing on other keys; the set-up script creates those keys (derived, AES-GCM)
  on the mount the app uses, writes every policy and role, and is valid bash;
- Consul service definitions each have a working check.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modules.dashboard.config import PUSH_TOKEN_KEY
from modules.identity.config import TOTP_KEY
from modules.kernel.sealing import TRANSIT_KEY
from modules.kernel.settings import Settings
from tests.ops.deployment import NOMAD, ROOT, Task, blocks, jobs, load_hcl

VAULT = NOMAD / "vault"
POLICIES = {path.stem: path for path in sorted((VAULT / "policies").glob("*.hcl"))}
ROLES = {path.stem: path for path in sorted((VAULT / "jwt-roles").glob("*.json"))}
APPROLE = json.loads((VAULT / "approle-nija-transit.json").read_text())
# The keys the keyring is asked for: credentials' data keys (vault, execution), TOTP seeds.
TRANSIT_KEYS = (TRANSIT_KEY, TOTP_KEY, PUSH_TOKEN_KEY)


def grants(policy: str) -> dict[str, set[str]]:
    """A policy's paths and their capabilities."""
    doc = load_hcl(POLICIES[policy])
    return {path: set(body["capabilities"]) for path, body in blocks(doc, "path")}


def allowed(policies: list[str], path: str, capability: str) -> bool:
    """Whether any of `policies` grants `capability` on `path` (Vault's `*` and `+` globs)."""
    for policy in policies:
        for pattern, capabilities in grants(policy).items():
            regex = re.escape(pattern).replace(r"\+", "[^/]+")
            if regex.endswith(r"\*"):
                regex = regex[: -len(r"\*")] + ".*"
            if (
                re.fullmatch(regex, path)
                and capability in capabilities
                and "deny" not in capabilities
            ):
                return True
    return False


def role(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ROLES[name].read_text())
    return loaded


def vault_tasks() -> list[tuple[str, Task, str]]:
    found = []
    for j in jobs():
        for group in j.groups:
            for task in group.tasks:
                [vault] = task.body["vault"]
                found.append((j.name, task, vault["role"]))
    return found


@pytest.mark.parametrize(
    ("job", "task", "role_name"),
    [
        pytest.param(*entry, id=f"{entry[0]}/{entry[1].group}/{entry[1].name}")
        for entry in vault_tasks()
    ],
)
def test_each_task_logs_in_with_a_role_bound_to_it_that_reads_its_secrets(
    job: str, task: Task, role_name: str
) -> None:
    assert role_name in ROLES, f"{job}/{task.name}: no nomad/vault/jwt-roles/{role_name}.json"
    spec = role(role_name)
    assert spec["role_type"] == "jwt" and spec["bound_audiences"] == ["vault.io"]
    assert job in spec["bound_claims"]["nomad_job_id"]
    assert task.name in spec["bound_claims"]["nomad_task"]
    for policy in spec["token_policies"]:
        assert policy in POLICIES, f"{role_name} names a policy with no file: {policy}"
    for path in task.secrets_read():
        assert allowed(spec["token_policies"], path, "read"), f"{task.name} cannot read {path}"


def test_roles_bind_only_tasks_that_exist_and_use_them() -> None:
    used: dict[str, set[tuple[str, str]]] = {}
    for job, task, role_name in vault_tasks():
        used.setdefault(role_name, set()).add((job, task.name))
    assert set(used) == set(ROLES), "a role no task uses, or a task with no role file"
    for name, pairs in used.items():
        bound = role(name)["bound_claims"]
        assert set(bound["nomad_task"]) == {task for _job, task in pairs}, name
        assert set(bound["nomad_job_id"]) == {job for job, _task in pairs}, name


def test_daprd_reads_every_secret_the_components_reference() -> None:
    components = [yaml.safe_load(p.read_text()) for p in (ROOT / "dapr" / "components").glob("*")]
    [store] = [
        c for c in components if c.get("spec", {}).get("type", "").startswith("secretstores")
    ]
    meta = {m["name"]: m["value"] for m in store["spec"]["metadata"]}
    assert meta["vaultKVUsePrefix"] == "true"
    base = f"{meta['enginePath']}/data/{meta['vaultKVPrefix']}"  # KV v2
    referenced = {
        item["secretKeyRef"]["name"]
        for c in components
        for item in c.get("spec", {}).get("metadata") or []
        if "secretKeyRef" in item
    }
    assert referenced, "the components reference no secret"
    daprd_roles = {r for _job, task, r in vault_tasks() if task.name == "daprd"}
    assert len(daprd_roles) == 1
    [daprd_role] = daprd_roles
    policies = role(daprd_role)["token_policies"]
    for name in referenced:
        assert allowed(policies, f"{base}/{name}", "read"), f"daprd cannot read {name}"
    # The token the secret store uses is the one Nomad writes for the daprd task.
    assert meta["vaultTokenMountPath"] == "/secrets/vault_token"


def keyring_operations(mount: str, key: str) -> list[tuple[str, str]]:
    """What modules/kernel/adapters/vault_transit.py does with a key, as Vault paths."""
    return [
        (f"{mount}/keys/{key}", "read"),  # _ensure_key, key_info
        (f"{mount}/encrypt/{key}", "update"),
        (f"{mount}/decrypt/{key}", "update"),
        (f"{mount}/rewrap/{key}", "update"),
        (f"{mount}/keys/{key}/rotate", "update"),
        (f"{mount}/keys/{key}/config", "update"),  # min_decryption_version
    ]


def test_the_transit_approle_may_use_the_codes_keys_and_nothing_more() -> None:
    mount = Settings().vault_transit_mount
    policies = APPROLE["token_policies"]
    assert policies == ["nija-transit"]
    for key in TRANSIT_KEYS:
        for path, capability in keyring_operations(mount, key):
            assert allowed(policies, path, capability), f"{capability} {path}"
        # Keys are made by the set-up script, not by the app.
        assert not allowed(policies, f"{mount}/keys/{key}", "create")
        assert not allowed(policies, f"{mount}/keys/{key}", "delete")
    assert not allowed(policies, f"{mount}/encrypt/someone-elses-key", "update")
    assert not allowed(policies, f"{mount}/export/encryption-key/{TRANSIT_KEY}", "read")
    assert not allowed(policies, "secret/data/nija/database", "read")
    # The app logs in again with its secret id when the token reaches its max TTL.
    assert APPROLE["bind_secret_id"] is True and APPROLE["token_max_ttl"]


def test_only_keyring_tasks_may_read_the_approles_credentials() -> None:
    path = "secret/data/nija/transit-approle"
    for _job, task, role_name in vault_tasks():
        may = allowed(role(role_name)["token_policies"], path, "read")
        assert may is (path in task.secrets_read()), f"{task.name} ({role_name})"


def test_the_setup_script_creates_the_keys_and_writes_every_policy_and_role() -> None:
    script = VAULT / "setup.sh"
    text = script.read_text()
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert script.stat().st_mode & 0o111, "setup.sh is executable"
    keys = re.search(r"for key in ([\w\- ]+); do", text)
    assert keys and set(keys.group(1).split()) == set(TRANSIT_KEYS)
    create = re.search(r'vault write -f "\$TRANSIT_MOUNT/keys/\$key" (.+)', text)
    assert create and set(create.group(1).split()) == {"type=aes256-gcm96", "derived=true"}
    assert f'TRANSIT_MOUNT="${{TRANSIT_MOUNT:-{Settings().vault_transit_mount}}}"' in text
    # Every policy and role file is written (globs over the directories), and the AppRole.
    assert "for policy in policies/*.hcl; do" in text and "for role in jwt-roles/*.json; do" in text
    assert "auth/approle/role/nija-transit @approle-nija-transit.json" in text
    assert "secret/nija/transit-approle" in text


CONSUL = sorted((NOMAD / "consul").glob("*.hcl"))


@pytest.mark.parametrize("path", CONSUL, ids=lambda p: p.name)
def test_consul_service_definitions_have_working_checks(path: Path) -> None:
    [service] = load_hcl(path)["service"]
    job_services = {s["name"] for j in jobs() for g in j.groups for s in g.services}
    assert service["name"] not in job_services
    assert isinstance(service["port"], int)
    assert service.get("check"), f"{path.name}: no check"
    for check in service["check"]:
        probes = {"http", "tcp", "grpc", "args"} & set(check)
        assert len(probes) == 1, f"{path.name}: one probe per check"
        assert check["interval"] and check["timeout"]
