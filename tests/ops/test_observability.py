"""Dashboards and alerts: the Grafana dashboard is provisionable and shows what ops asked for;
the Prometheus rules pass `promtool check rules` and their unit tests (`promtool test rules`),
alert on what ops asked for, and each names a runbook section that exists; the scrape config
passes `promtool check config` and finds every service the jobs tag `metrics`. (That every series
they query is exposed by a running platform is test_metrics_exposed.py's.)"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import yaml

from modules.routing.domain.attempts import FAULT_CODES
from tests.ops.deployment import (
    ALERTS,
    DASHBOARD,
    NOMAD,
    alert_rules,
    dashboard_exprs,
    jobs,
    tool,
)

PROMETHEUS = NOMAD / "prometheus"


def promtool(*args: str) -> str:
    result = subprocess.run(
        [tool("promtool"), *args], capture_output=True, text=True, cwd=PROMETHEUS, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_promtool_checks_the_rules_and_the_config() -> None:
    assert "SUCCESS: 6 rules found" in promtool("check", "rules", ALERTS.name)
    assert "valid prometheus config file syntax" in promtool("check", "config", "prometheus.yml")


def test_the_rules_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool("test", "rules", "alerts.test.yml")


def rules_by_name() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in alert_rules()}


def test_the_alerts_ops_asked_for() -> None:
    rules = rules_by_name()
    expected = {
        "NijaVenueBreakerOpen": ("nija_venue_breaker_state", "== 2"),
        "NijaVenueSuccessRateLow": ("nija_executions_total", "< 0.99"),
        "NijaAcceptLatencyHigh": ('nija_order_path_seconds_bucket{stage="accept"}', "> 0.5"),
        "NijaOutboxLagging": ("nija_outbox_lag_seconds", "> 30"),
        "NijaDeadLetter": ("nija_dead_letters_total", "> 0"),
        "NijaLockoutBurst": ("nija_identity_lockouts_total", "> 10"),
    }
    assert set(rules) == set(expected)
    for name, (series, threshold) in expected.items():
        expr = " ".join(str(rules[name]["expr"]).split())
        assert series in expr and expr.endswith(threshold), f"{name}: {expr}"
        assert rules[name]["labels"]["severity"] in {"page", "ticket"}


def test_venue_success_counts_exactly_the_failures_routing_blames_on_the_venue() -> None:
    expr = str(rules_by_name()["NijaVenueSuccessRateLow"]["expr"])
    [counted] = re.findall(r'outcome=~"([^"]+)"', expr)
    # The denominator: accepted, and every outcome routing re-routes for (a fault of the venue,
    # modules/routing/domain/attempts.py), and an answer that never came. A rejection the order
    # earned (insufficient funds) is the venue working.
    assert set(counted.split("|")) == {"accepted", "ambiguous", *FAULT_CODES}
    panel_exprs = [e for e in dashboard_exprs() if 'outcome=~"' in e]
    assert panel_exprs and all(counted in e for e in panel_exprs), "the panel agrees"


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown file."""
    found = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return found


def test_every_alert_names_a_runbook_section_that_exists() -> None:
    sections = anchors((NOMAD / "README.md").read_text())
    for name, rule in rules_by_name().items():
        runbook = rule["annotations"]["runbook"]
        assert runbook.startswith("nomad/README.md#"), name
        assert runbook.split("#", 1)[1] in sections, f"{name}: no section {runbook}"


# What ops asked the dashboard to show: a panel titled so, querying that series.
DASHBOARD_SHOWS = {
    "orders routed": "nija_trades_routed_total",
    "orders executed": "nija_executions_total",
    "success rate": "nija_executions_total",
    "routing decision latency": "nija_routing_latency_seconds_bucket",
    "order path latency": "nija_order_path_seconds_bucket",
    "queue depth": "nija_executor_queue_depth",
    "breaker states": "nija_venue_breaker_state",
    "outbox lag": "nija_outbox_lag_seconds",
    "dead letters": "nija_dead_letters_total",
    "websocket connections": "nija_ws_connections",
    "vault unseals": "nija_vault_unseals_total",
    "logins": "nija_identity_logins_total",
    "lock-outs": "nija_identity_lockouts_total",
    "bots running": "nija_bots_running",
}


def test_the_dashboard_is_provisionable_and_shows_what_ops_asked_for() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["id"] is None and dashboard["uid"] and dashboard["title"]
    [variable] = dashboard["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
    for title, series in DASHBOARD_SHOWS.items():
        shown = [p for p in panels if title in p["title"].lower()]
        assert shown, f"no panel for {title}"
        assert any(series in t["expr"] for p in shown for t in p["targets"]), title
    for quantile in ("histogram_quantile(0.5,", "histogram_quantile(0.99,"):
        for series in ("nija_routing_latency_seconds_bucket[", 'stage="accept"', 'stage="fill"'):
            assert any(quantile in e and series in e for e in dashboard_exprs()), (quantile, series)
    # Grafana loads it from the provisioning provider's folder.
    provider = yaml.safe_load((NOMAD / "grafana" / "provisioning" / "dashboards.yaml").read_text())
    assert provider["providers"][0]["type"] == "file"


def test_prometheus_scrapes_every_service_the_jobs_tag_metrics() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == [ALERTS.name]
    [scrape] = config["scrape_configs"]
    names = {n for sd in scrape["dns_sd_configs"] for n in sd["names"]}
    tagged = {
        f"metrics.{service['name']}.service.consul"
        for j in jobs()
        for g in j.groups
        for service in g.services
        if "metrics" in service.get("tags", [])
    }
    assert names == tagged
    for j in jobs():
        for g in j.groups:
            for service in g.services:
                if "metrics" in service.get("tags", []):
                    assert service["meta"][0]["metrics_path"] == scrape["metrics_path"]
