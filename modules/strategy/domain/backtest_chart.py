"""A backtest's report for people: a summary table and the equity curve as an SVG drawing.

Pure text out (the caller writes it wherever it wants); the SVG is drawn by hand, so drawing a
curve needs no plotting library.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from modules.strategy.domain.backtest_report import Report

WIDTH, HEIGHT, MARGIN = 900, 360, 60


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _num(value: Decimal | None, places: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{places}f}"


def summary(report: Report, title: str) -> str:
    """The metrics as an aligned two-column table, then one line per trade."""
    rows = [
        (
            "period",
            f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
            if report.start and report.end
            else "no bars",
        ),
        ("bars", str(report.bars)),
        ("trades", f"{report.trade_count} ({report.wins} won)"),
        ("win rate", _pct(report.win_rate)),
        ("net P&L (after fees)", f"{_num(report.net_pnl)} USD"),
        ("fees", f"{_num(report.fees)} USD"),
        ("final equity", f"{_num(report.final_equity)} USD"),
        ("max drawdown", f"{_num(report.max_drawdown)} USD ({_pct(report.max_drawdown_pct)})"),
        ("profit factor", _num(report.profit_factor)),
        ("Sharpe (annualised)", _num(report.sharpe)),
        ("exposure", _pct(report.exposure)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [title, "=" * len(title)]
    lines += [f"{name.ljust(width)}  {value}" for name, value in rows]
    if report.trades:
        lines += ["", "entry (UTC)       entry price   quantity      exit reason      P&L"]
    for t in report.trades:
        lines.append(
            f"{t.entry_time:%Y-%m-%d %H:%M}  {_num(t.entry_price):>12}  {t.quantity:<12}  "
            f"{t.exit_reason:<15}  {_num(t.pnl):>9}"
        )
    return "\n".join(lines) + "\n"


def svg(report: Report, title: str) -> str:
    """The equity curve, with its starting level dashed, scaled to the plot's box."""
    points = report.equity_curve
    values = [float(p.equity) for p in points] or [float(report.starting_equity)]
    low, high = min(values), max(values)
    span = (high - low) or max(abs(high), 1.0) * 0.01
    low, high = low - span * 0.05, high + span * 0.05
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def y(value: float) -> float:
        return MARGIN + inner_h * (high - value) / (high - low)

    step = inner_w / max(len(values) - 1, 1)
    path = " ".join(f"{MARGIN + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    base = y(float(report.starting_equity))
    first = f"{points[0].at:%Y-%m-%d %H:%M}" if points else ""
    last = f"{points[-1].at:%Y-%m-%d %H:%M}" if points else ""
    below = HEIGHT - MARGIN + 16
    caption = (
        f"net P&amp;L {_num(report.net_pnl)} USD · {report.trade_count} trades · "
        f"max drawdown {_pct(report.max_drawdown_pct)} · Sharpe {_num(report.sharpe)}"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
            f'<text x="{MARGIN}" y="{MARGIN / 2:.0f}" font-size="15">{escape(title)}</text>',
            f'<text x="{MARGIN}" y="{HEIGHT - 12}">{caption}</text>',
            f'<rect x="{MARGIN}" y="{MARGIN}" width="{inner_w}" height="{inner_h}" '
            'fill="none" stroke="#ccc"/>',
            f'<line x1="{MARGIN}" y1="{base:.1f}" x2="{WIDTH - MARGIN}" y2="{base:.1f}" '
            'stroke="#999" stroke-dasharray="4 4"/>',
            f'<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="{path}"/>',
            f'<text x="{MARGIN - 6}" y="{MARGIN + 4}" text-anchor="end">{high:,.0f}</text>',
            f'<text x="{MARGIN - 6}" y="{HEIGHT - MARGIN}" text-anchor="end">{low:,.0f}</text>',
            f'<text x="{MARGIN}" y="{below}">{first}</text>',
            f'<text x="{WIDTH - MARGIN}" y="{below}" text-anchor="end">{last}</text>',
            "</svg>",
            "",
        ]
    )
