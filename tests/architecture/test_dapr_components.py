"""The Dapr resources in `dapr/components/` agree with the code that relies on them: one state
store per module under the name `DaprStateStore` asks for, with `keyPrefix: name`; the pub/sub
component `DaprPubSub` publishes to; resiliency aimed only at components that exist; and each
component uses only the metadata fields its type documents, with the ones it requires. (Which app
ids each resource is scoped to is checked against the Nomad jobs in tests/ops/.)"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import yaml

from modules.kernel.settings import ALL_MODULES, Settings

COMPONENTS = os.path.join(os.path.dirname(__file__), "..", "..", "dapr", "components")
MODULES = ("kernel", *ALL_MODULES)


def load_all() -> dict[str, dict[str, Any]]:
    docs = {}
    for name in sorted(os.listdir(COMPONENTS)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(COMPONENTS, name), encoding="utf-8") as handle:
                docs[name] = yaml.safe_load(handle)
    return docs


DOCS = load_all()
COMPONENT_DOCS = {f: d for f, d in DOCS.items() if d.get("kind") == "Component"}


def metadata_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in doc["spec"].get("metadata") or []}


def by_type(prefix: str) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d
        for d in COMPONENT_DOCS.values()
        if str(d["spec"]["type"]).startswith(prefix)
    }


@pytest.mark.parametrize("filename", sorted(DOCS))
def test_every_resource_is_a_well_formed_dapr_resource(filename: str) -> None:
    doc = DOCS[filename]
    assert doc["apiVersion"] == "dapr.io/v1alpha1"
    assert doc["kind"] in {"Component", "Resiliency"}
    assert isinstance(doc["metadata"]["name"], str) and doc["metadata"]["name"]
    scopes = doc.get("scopes")
    assert isinstance(scopes, list) and "nija" in scopes, (
        "scoped, at least to the monolith's app id"
    )
    assert all(re.fullmatch(r"nija(-[a-z]+)?", app_id) for app_id in scopes), scopes
    if doc["kind"] == "Component":
        assert doc["spec"]["type"].count(".") >= 1
        assert doc["spec"]["version"] == "v1"
        assert filename == f"{doc['metadata']['name']}.yaml"
        for item in doc["spec"].get("metadata") or []:
            assert set(item) in ({"name", "value"}, {"name", "secretKeyRef"}), item
            assert isinstance(item.get("value", ""), str), f"{item['name']}: quote the value"


def test_one_postgres_state_store_per_module_named_as_the_adapter_expects() -> None:
    stores = by_type("state.")
    prefix = Settings().dapr_state_store_prefix
    assert set(stores) == {f"{prefix}{module}" for module in MODULES}
    for name, doc in stores.items():
        assert doc["spec"]["type"] == "state.postgresql"
        meta = metadata_of(doc)
        assert meta["keyPrefix"]["value"] == "name", name
        assert "secretKeyRef" in meta["connectionString"], "no connection string in the file"
        assert doc["auth"]["secretStore"] in by_type("secretstores.")


def test_pubsub_component_is_the_one_the_adapter_publishes_to() -> None:
    pubsubs = by_type("pubsub.")
    assert set(pubsubs) == {Settings().dapr_pubsub_name}
    doc = pubsubs[Settings().dapr_pubsub_name]
    assert doc["spec"]["type"] == "pubsub.redis"
    meta = metadata_of(doc)
    assert "secretKeyRef" in meta["redisHost"] and "secretKeyRef" in meta["redisPassword"]
    assert doc["auth"]["secretStore"] in by_type("secretstores.")


def test_secret_store_is_vault() -> None:
    [secret_store] = by_type("secretstores.").values()
    assert secret_store["spec"]["type"] == "secretstores.hashicorp.vault"
    assert "vaultAddr" in metadata_of(secret_store)


def test_resiliency_targets_existing_components_and_defined_policies() -> None:
    [resiliency] = [d for d in DOCS.values() if d["kind"] == "Resiliency"]
    policies = resiliency["spec"]["policies"]
    targets = resiliency["spec"]["targets"]["components"]
    component_names = {d["metadata"]["name"] for d in COMPONENT_DOCS.values()}
    assert set(targets) <= component_names
    assert set(by_type("state.")) | set(by_type("pubsub.")) <= set(targets)
    kinds = {"timeout": "timeouts", "retry": "retries", "circuitBreaker": "circuitBreakers"}
    for name, directions in targets.items():
        assert set(directions) <= {"inbound", "outbound"}, name
        for direction, refs in directions.items():
            for kind, policy in refs.items():
                assert policy in policies[kinds[kind]], f"{name}.{direction}.{kind}"
            assert "circuitBreaker" in refs or direction == "inbound", f"{name} needs a breaker"
    for retry in policies["retries"].values():
        assert retry["policy"] == "exponential"


def test_dead_lettering_after_as_many_attempts_as_the_in_process_bus() -> None:
    [resiliency] = [d for d in DOCS.values() if d["kind"] == "Resiliency"]
    spec = resiliency["spec"]
    inbound = spec["targets"]["components"][Settings().dapr_pubsub_name]["inbound"]
    retry = spec["policies"]["retries"][inbound["retry"]]
    assert retry["maxRetries"] + 1 == Settings().bus_max_attempts


# The metadata fields each component type documents, for the daprd the jobs pin (1.15): Dapr's
# component reference (docs.dapr.io/reference/components-reference/), which is generated from the
# components' metadata.yaml in dapr/components-contrib; plus, for every state store, the fields
# Dapr reads itself (keyPrefix, actorStateStore). A field outside these is a typo or a field this
# daprd does not know: daprd would ignore it silently.
DOCUMENTED_FIELDS: dict[str, set[str]] = {
    "pubsub.redis": {
        "redisHost", "redisUsername", "redisPassword", "sentinelUsername", "sentinelPassword",
        "consumerID", "enableTLS", "clientCert", "clientKey", "redeliverInterval",
        "processingTimeout", "queueDepth", "concurrency", "redisType", "redisDB",
        "redisMaxRetries", "redisMinRetryInterval", "redisMaxRetryInterval", "dialTimeout",
        "readTimeout", "writeTimeout", "poolSize", "poolTimeout", "maxConnAge", "minIdleConns",
        "idleCheckFrequency", "idleTimeout", "failover", "sentinelMasterName", "maxLenApprox",
    },
    "state.postgresql": {
        "connectionString", "timeout", "tableName", "metadataTableName", "cleanupInterval",
        "maxConns", "connectionMaxIdleTime", "queryExecMode", "host", "hostaddr", "port",
        "database", "user", "password", "sslRootCert", "useAzureAD", "useAWSIAM",
        "keyPrefix", "actorStateStore",
    },
    "secretstores.hashicorp.vault": {
        "vaultAddr", "caPem", "caPath", "caCert", "skipVerify", "tlsServerName",
        "vaultTokenMountPath", "vaultToken", "vaultKVPrefix", "vaultKVUsePrefix", "enginePath",
        "vaultValueType", "vaultNamespace",
    },
}  # fmt: skip
# Fields a component of the type cannot work without: each entry is "one of these".
REQUIRED_FIELDS: dict[str, list[set[str]]] = {
    "pubsub.redis": [{"redisHost"}],
    "state.postgresql": [{"connectionString", "host"}],
    "secretstores.hashicorp.vault": [{"vaultToken", "vaultTokenMountPath"}],
}
# Documented values of fields that take one of a few.
ALLOWED_VALUES: dict[str, set[str]] = {
    "keyPrefix": {"appid", "name", "namespace", "none"},
    "redisType": {"node", "cluster"},
    "vaultValueType": {"map", "text"},
    "queryExecMode": {
        "cache_statement",
        "cache_describe",
        "describe_exec",
        "exec",
        "simple_protocol",
    },
    "enableTLS": {"true", "false"},
    "skipVerify": {"true", "false"},
    "vaultKVUsePrefix": {"true", "false"},
}


@pytest.mark.parametrize("filename", sorted(COMPONENT_DOCS))
def test_components_use_only_the_metadata_fields_their_type_documents(filename: str) -> None:
    doc = COMPONENT_DOCS[filename]
    kind = doc["spec"]["type"]
    assert kind in DOCUMENTED_FIELDS, f"{filename}: no documented fields known for {kind}"
    fields = metadata_of(doc)
    unknown = set(fields) - DOCUMENTED_FIELDS[kind]
    assert not unknown, f"{filename}: {kind} documents no {sorted(unknown)}"
    for one_of in REQUIRED_FIELDS[kind]:
        assert one_of & set(fields), f"{filename}: {kind} needs one of {sorted(one_of)}"
    for name, item in fields.items():
        if name in ALLOWED_VALUES and "value" in item:
            assert item["value"] in ALLOWED_VALUES[name], f"{filename}: {name}={item['value']}"


def test_secret_references_resolve_through_a_secret_store_component() -> None:
    stores = by_type("secretstores.")
    for filename, doc in COMPONENT_DOCS.items():
        refs = [item for item in doc["spec"].get("metadata") or [] if "secretKeyRef" in item]
        if refs:
            assert doc.get("auth", {}).get("secretStore") in stores, filename
            for item in refs:
                assert set(item["secretKeyRef"]) == {"name", "key"}, f"{filename}: {item}"
