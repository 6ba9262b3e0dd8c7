"""Every Nomad job in nomad/ (read with python-hcl2) checked against the code it deploys.

- a job's NIJA_* variables (its `env` and what its Vault templates render) are settings the
  platform reads, with values those settings accept; the settings without a default that a
  deployment needs are set (and which are needed is decided here for every such setting);
- the production adapters are chosen (Dapr pub/sub and state, Vault Transit where keys are used);
- every health-check path (Consul's and daprd's) is a GET route of the app the group runs;
- daprd reaches the app on the app's own port, and the app reaches daprd on daprd's ports;
- every Dapr app id is unique, and every Dapr component's scopes name only app ids the jobs use
  and every app id that needs the component;
- every module is hosted by exactly one group of the split job, under its own app id;
- every image is a variable pinned by default (the app's to the project's version);
- the ingress sends every route to the group whose module serves it, and never publishes the
  health, readiness or metrics endpoints.
"""

from __future__ import annotations

import functools
import re
import tomllib
import uuid
from typing import Any

import msgspec
import pytest
import yaml
from litestar import Litestar

from app import create_app
from modules.kernel.settings import ALL_MODULES, Settings, _coerce, load_settings
from modules.routing.config import RoutingConfig
from modules.routing.config import load_config as load_routing_config
from modules.strategy.config import StrategyConfig, TradingViewConfig, load_tradingview_config
from modules.strategy.config import load_config as load_strategy_config
from tests.ops.deployment import ROOT, Group, Job, Task, app_tasks, job, jobs

COMPONENTS = ROOT / "dapr" / "components"
# The modules that seal or open secrets with the keyring (identity: TOTP seeds; vault: data keys;
# execution: exchange credentials to sign orders).
KEYRING_MODULES = {"identity", "vault", "execution", "dashboard"}


def _fields(struct: type[msgspec.Struct], prefix: str) -> set[str]:
    return {f"{prefix}{f.name.upper()}" for f in msgspec.structs.fields(struct)}


APP_TASKS = [pytest.param(j, g, t, id=f"{j.name}/{g.name}") for j, g, t in app_tasks()]
GROUPS = [pytest.param(g, id=f"{j.name}/{g.name}") for j in jobs() for g in j.groups]


# Every NIJA_* variable the platform reads: the kernel's settings and the modules' own loaders.
KNOWN_VARIABLES = (
    _fields(Settings, "NIJA_")
    | _fields(RoutingConfig, "NIJA_ROUTING_")
    | _fields(StrategyConfig, "NIJA_STRATEGY_")
    | _fields(TradingViewConfig, "NIJA_STRATEGY_TRADINGVIEW_")
)
# A setting with no default (None) and when a deployment must set it, from what the code does
# without it. Every None-default setting must be decided here.
REQUIRED_WHEN = {
    # Unset: an embedded PostgreSQL inside the container, its data lost with the allocation.
    "database_url": lambda modules, env: True,
    # Unset: a signing key generated per data dir, so each replica refuses the others' tokens.
    "jwt_secret": lambda modules, env: True,
    # Unset: the in-process hub, so a push reaches only the sockets on the replica it began on.
    "redis_url": lambda modules, env: "dashboard" in modules,
    # Unset: pushes go to Expo unauthenticated, refused once the project enables push security.
    "expo_access_token": lambda modules, env: "dashboard" in modules,
    # app.py refuses NIJA_KEYRING=vault without the AppRole's ids.
    "vault_role_id": lambda modules, env: env.get("NIJA_KEYRING") == "vault",
    "vault_secret_id": lambda modules, env: env.get("NIJA_KEYRING") == "vault",
    # Vault Enterprise namespaces only.
    "vault_namespace": lambda modules, env: False,
}


def modules_of(j: Job, task: Task) -> tuple[str, ...]:
    raw = j.env(task).get("NIJA_MODULES")
    return ALL_MODULES if raw is None else tuple(_coerce("modules", raw))  # type: ignore[arg-type]


def environment(j: Job, task: Task) -> dict[str, str]:
    """What the process sees: its env block, and a stand-in for each value Vault renders."""
    env = j.env(task)
    for name in task.template_env():
        env.setdefault(name, f"from-vault-{name.lower()}")
    return env


def test_the_jobs_are_the_monolith_and_the_split() -> None:
    assert {j.path.name: j.name for j in jobs()} == {
        "nija.nomad.hcl": "nija",
        "nija-split.nomad.hcl": "nija-split",
    }
    for j in jobs():
        assert j.body["type"] == "service"
        update = j.body["update"][0]
        assert update["health_check"] == "checks" and update["auto_revert"] is True


@pytest.mark.parametrize(("j", "group", "task"), APP_TASKS)
def test_every_nija_variable_is_a_setting_with_a_value_it_accepts(
    j: Job, group: Group, task: Task
) -> None:
    env = environment(j, task)
    unknown = {name for name in env if name.startswith("NIJA_")} - KNOWN_VARIABLES
    assert not unknown, f"{j.name}/{group.name} sets variables nothing reads: {sorted(unknown)}"
    # The values parse as the platform parses them at start-up (a typo fails here, not in prod).
    settings = load_settings(environ=env)
    load_routing_config(env)
    load_strategy_config(env)
    load_tradingview_config(env)
    assert settings.env == "prod"
    assert settings.password_hash_cost == "production"
    assert settings.log_json


def test_every_setting_without_a_default_is_decided() -> None:
    without_default = {
        f.name
        for f in msgspec.structs.fields(Settings)
        if f.default is None and f.required is False
    }
    assert set(REQUIRED_WHEN) == without_default


@pytest.mark.parametrize(("j", "group", "task"), APP_TASKS)
def test_settings_without_a_default_are_set_where_needed(j: Job, group: Group, task: Task) -> None:
    env = environment(j, task)
    modules = modules_of(j, task)
    for name, needed in REQUIRED_WHEN.items():
        if needed(modules, env):
            assert f"NIJA_{name.upper()}" in env, f"{j.name}/{group.name} must set {name}"
    # Secrets come from Vault, never from the job file.
    for name in (
        "NIJA_DATABASE_URL",
        "NIJA_JWT_SECRET",
        "NIJA_VAULT_SECRET_ID",
        "NIJA_REDIS_URL",
        "NIJA_EXPO_ACCESS_TOKEN",
    ):
        assert name not in j.env(task), f"{name} is a secret: render it from Vault"


@pytest.mark.parametrize(("j", "group", "task"), APP_TASKS)
def test_production_adapters_and_least_privilege(j: Job, group: Group, task: Task) -> None:
    env = environment(j, task)
    settings = load_settings(environ=env)
    assert (settings.pubsub, settings.state) == ("dapr", "dapr")
    uses_keys = bool(KEYRING_MODULES & set(modules_of(j, task)))
    assert (settings.keyring == "vault") is uses_keys, f"{j.name}/{group.name}: keyring"
    # Only a process that uses the keyring may read the Transit AppRole's credentials, and only
    # the one holding the sockets gets Redis.
    assert ("secret/data/nija/transit-approle" in task.secrets_read()) is uses_keys
    hosts_dashboard = "dashboard" in modules_of(j, task)
    assert ("NIJA_REDIS_URL" in env) is hosts_dashboard


@functools.cache
def app_hosting(modules: tuple[str, ...]) -> Litestar:
    return create_app(load_settings(environ={}, modules=modules))


def get_paths(app: Litestar) -> set[str]:
    """The paths a health check can GET."""
    return {route.path for route in app.routes if "GET" in getattr(route, "methods", set())}


def all_paths(app: Litestar) -> set[str]:
    """Every path the app serves: any method, and the WebSocket."""
    return {route.path for route in app.routes}


@pytest.mark.parametrize("group", GROUPS)
def test_every_check_path_is_a_route_of_the_app_the_group_runs(group: Group) -> None:
    j = job(group.job)
    routes = get_paths(app_hosting(modules_of(j, group.app)))
    checked = [group.daprd.arg("--app-health-check-path")]
    for service in group.services:
        if service["port"] != "http":
            continue
        assert service.get("check"), f"{service['name']} has no check"
        for check in service["check"]:
            assert check["type"] == "http" and check["interval"] and check["timeout"]
            checked.append(check["path"])
        assert {c["path"] for c in service["check"]} >= {"/health", "/ready"}
    for path in checked:
        assert path in routes, f"{group.job}/{group.name} checks {path}, not a route"


@pytest.mark.parametrize("group", GROUPS)
def test_daprd_and_the_app_reach_each_other_on_their_own_ports(group: Group) -> None:
    j = job(group.job)
    daprd, app = group.daprd, group.app
    assert block_of(group.body, "network")["mode"] == "bridge"  # one network namespace
    app_port = int(app.arg("--port"))
    assert int(daprd.arg("--app-port")) == app_port == group.port_to("http")
    assert daprd.arg("--app-channel-address") == "127.0.0.1"
    assert app.config["args"][0] == "run"  # the image's entry point is `nija`
    settings = load_settings(environ=environment(j, app))
    grpc_host, grpc_port = settings.dapr_grpc_address.rsplit(":", 1)
    assert grpc_host == "127.0.0.1" and grpc_port == daprd.arg("--dapr-grpc-port")
    assert settings.dapr_http_endpoint == f"http://127.0.0.1:{daprd.arg('--dapr-http-port')}"
    assert daprd.arg("--metrics-port") == str(group.port_to("dapr_metrics"))
    lifecycle = block_of(daprd.body, "lifecycle")
    assert lifecycle == {"hook": "prestart", "sidecar": True}
    # Components reach daprd as files rendered from dapr/components/.
    assert daprd.arg("--resources-path") == "/local/components"
    [dynamic] = daprd.body["dynamic"]
    assert "dapr/components/*.yaml" in dynamic["template"]["for_each"]


def block_of(body: dict[str, Any], kind: str) -> dict[str, Any]:
    [entry] = body[kind]
    result = dict(entry)
    result.pop("__comments__", None)
    return result


def app_ids() -> dict[str, tuple[str, ...]]:
    """Each Dapr app id the jobs use, and the modules its process hosts."""
    ids: dict[str, tuple[str, ...]] = {}
    for j in jobs():
        for group in j.groups:
            app_id = group.daprd.arg("--app-id")
            assert app_id not in ids, f"app id {app_id} used twice"
            ids[app_id] = modules_of(j, group.app)
    return ids


def test_every_module_is_hosted_by_exactly_one_group_of_the_split_job() -> None:
    split = job("nija-split")
    hosted: dict[str, list[str]] = {}
    for group in split.groups:
        modules = modules_of(split, group.app)
        assert len(modules) == 1, f"group {group.name} hosts {modules}"
        for module in modules:
            hosted.setdefault(module, []).append(group.name)
        # The group, its task, its app id and its Consul service are named after the module.
        [module] = modules
        assert group.name == group.app.name == module
        assert group.daprd.arg("--app-id") == f"nija-{module}"
        assert group.services[0]["name"] == f"nija-{module}"
    assert hosted == {module: [module] for module in ALL_MODULES}
    assert modules_of(job("nija"), job("nija").groups[0].app) == ALL_MODULES


def test_dapr_component_scopes_name_the_app_ids_the_jobs_use() -> None:
    ids = app_ids()
    assert set(ids) == {"nija", *(f"nija-{m}" for m in ALL_MODULES)}
    prefix = Settings().dapr_state_store_prefix
    for path in sorted(COMPONENTS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        scopes = doc.get("scopes")
        assert scopes, f"{path.name} is unscoped: every app id would load it"
        assert set(scopes) <= set(ids), f"{path.name} scopes unknown app ids"
        name = doc["metadata"]["name"]
        module = name.removeprefix(prefix) if name.startswith(prefix) else None
        if module in ALL_MODULES:
            # A module's store: the app ids that host the module, and no other.
            needs = {app_id for app_id, hosted in ids.items() if module in hosted}
            assert set(scopes) == needs, path.name
        else:
            # Pub/sub, the kernel's store (revocations, API budgets), the secret store and the
            # resiliency policies: every process.
            assert set(scopes) == set(ids), path.name


def test_images_are_variables_pinned_by_default() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for j in jobs():
        for group in j.groups:
            for task in group.tasks:
                image = task.config["image"]
                match = re.fullmatch(r"\$\{var\.(\w+)\}", image)
                assert match, f"{j.name}/{task.name}: the image must be a variable"
                default = j.variables[match.group(1)]["default"]
                pinned = re.fullmatch(
                    r"[\w./-]+(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})", default
                )
                assert pinned, f"{j.name}: {match.group(1)} defaults to an unpinned {default}"
                if not task.is_daprd:
                    assert default.endswith(f":{version}"), f"app image is not v{version}"


# ---- the ingress ---------------------------------------------------------------------------

_MATCHER = re.compile(r"(Path|PathPrefix|PathRegexp)\(`([^`]+)`\)")


def routers(group: Group) -> list[tuple[str, list[tuple[str, str]], int]]:
    """The group's Traefik routers: name, the `||` of its path matchers, priority."""
    tags = [t for s in group.services if s["port"] == "http" for t in s.get("tags", [])]
    rules: dict[str, dict[str, str]] = {}
    for tag in tags:
        match = re.fullmatch(r"traefik\.http\.routers\.([\w-]+)\.(rule|priority|service)=(.+)", tag)
        if match:
            rules.setdefault(match.group(1), {})[match.group(2)] = match.group(3)
    found = []
    for name, parts in rules.items():
        terms = [t.strip() for t in parts["rule"].split("||")]
        matchers = []
        for term in terms:
            parsed = _MATCHER.fullmatch(term)
            assert parsed, f"{name}: only ||-joined Path/PathPrefix/PathRegexp rules: {term}"
            matchers.append((parsed.group(1), parsed.group(2)))
        found.append((name, matchers, int(parts.get("priority", len(parts["rule"])))))
    return found


def matches(matchers: list[tuple[str, str]], path: str) -> bool:
    for kind, value in matchers:
        if kind == "Path" and path == value:
            return True
        if kind == "PathPrefix" and path.startswith(value):
            return True
        if kind == "PathRegexp" and re.search(value, path):
            return True
    return False


def concrete(template: str) -> str:
    """A request path for a route template (`/v1/orders/{id:uuid}` -> a real uuid)."""
    samples = {"uuid": str(uuid.uuid4()), "str": "sample", "int": "7", "path": "a/b"}
    return re.sub(r"\{\w+:(\w+)\}", lambda m: samples[m.group(1)], template)


def route_to(j: Job | list[Group], path: str) -> set[str]:
    """The groups the ingress may send `path` to: those of the highest-priority matching router."""
    groups = j.groups if isinstance(j, Job) else j
    candidates = [
        (priority, group.name)
        for group in groups
        for _name, matchers, priority in routers(group)
        if matches(matchers, path)
    ]
    if not candidates:
        return set()
    top = max(priority for priority, _ in candidates)
    return {name for priority, name in candidates if priority == top}


KERNEL_ONLY = {"/health", "/ready", "/metrics"}


@pytest.mark.parametrize("module", ALL_MODULES)
def test_the_split_ingress_sends_each_route_to_its_modules_group(module: str) -> None:
    split = job("nija-split")
    kernel = all_paths(app_hosting(()))
    own = all_paths(app_hosting((module,))) - kernel
    assert own, f"{module} serves no route of its own"
    for template in sorted(own):
        assert route_to(split, concrete(template)) == {module}, template
    for path in KERNEL_ONLY:
        assert route_to(split, path) == set(), f"{path} must not be published"


def test_the_monolith_ingress_publishes_the_api_but_not_the_probes() -> None:
    monolith = job("nija")
    everything = all_paths(app_hosting(ALL_MODULES))
    for template in sorted(everything - KERNEL_ONLY):
        assert route_to(monolith, concrete(template)) == {"app"}, template
    for path in KERNEL_ONLY:
        assert route_to(monolith, path) == set(), f"{path} must not be published"


@pytest.mark.parametrize("module", ALL_MODULES)
def test_a_module_moved_out_beside_the_monolith_takes_its_own_paths(module: str) -> None:
    [moved] = [g for g in job("nija-split").groups if g.name == module]
    both = [*job("nija").groups, moved]
    kernel = all_paths(app_hosting(()))
    own = all_paths(app_hosting((module,))) - kernel
    for template in sorted(all_paths(app_hosting(ALL_MODULES)) - kernel):
        expected = {module} if template in own else {"app"}
        assert route_to(both, concrete(template)) == expected, template
