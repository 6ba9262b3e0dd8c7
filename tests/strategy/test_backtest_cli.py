"""`nija backtest`: the JSON report is the engine's over execution's history, the same seed and
arguments give the same report (another seed another), and `--plot` draws the equity curve."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import msgspec
import pytest
from click.testing import CliRunner

from app import cli
from modules.execution.adapters.sim_venue.venue import SimVenue
from modules.execution.service.market_history import MarketHistory
from modules.kernel.settings import load_settings
from modules.strategy.config import load_config
from modules.strategy.schemas import BacktestRequest
from modules.strategy.service.backtests import run_now, spec_of

ARGS = ["backtest", "--symbol", "BTC/USD", "--venue", "binance", "--days", "1"]
END = ["--end", "2026-05-28T20:30:00Z"]


@pytest.fixture
def nija(tmp_path: Path) -> Any:
    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args), env={"NIJA_DATA_DIR": str(tmp_path)})
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_json_report_is_the_engines_over_executions_history(nija: Any, tmp_path: Path) -> None:
    report = json.loads(nija(*ARGS, *END, "--json"))
    assert report["bars"] == 288 and len(report["equity_curve"]) == 288
    assert report["end"] == "2026-05-28T20:30:00Z"

    settings = load_settings(environ={}, data_dir=str(tmp_path))
    history = MarketHistory(SimVenue.fleet(None, settings))  # type: ignore[arg-type]
    request = BacktestRequest(
        symbol="BTC/USD", venue="binance", days=1, end=datetime(2026, 5, 28, 20, 30, tzinfo=UTC)
    )
    direct = asyncio.run(run_now(spec_of(request, load_config({})), history.answer))
    assert json.loads(msgspec.json.encode(direct)) == report


def test_same_seed_same_report_and_another_seed_another(nija: Any) -> None:
    first = nija(*ARGS, *END, "--json", "--seed", "11")
    assert nija(*ARGS, *END, "--json", "--seed", "11") == first
    assert nija(*ARGS, *END, "--json", "--seed", "12") != first


def test_summary_and_plot(nija: Any, tmp_path: Path) -> None:
    plot = tmp_path / "equity.svg"
    out = nija(*ARGS, *END, "--plot", str(plot))
    assert "net P&L (after fees)" in out and "max drawdown" in out and "Sharpe" in out
    svg = ElementTree.parse(plot).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    [line] = svg.iter("{http://www.w3.org/2000/svg}polyline")
    assert len(line.attrib["points"].split()) == 288


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    env = {"NIJA_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    for args in (["--days", "91"], ["--plot", str(tmp_path / "x.png")], ["--venue", "nowhere"]):
        argv = ["backtest", "--symbol", "BTC/USD", "--venue", "binance", "--days", "1", *args]
        result = runner.invoke(cli, argv, env=env)
        assert result.exit_code != 0, result.output
