/** Bodies shaped as docs/openapi.json says the platform answers. */
import type { ActivityItem, DashPosition, Overview, PeriodFigures, PositionChart, PositionDetail } from "../src/api/readside";

export const bot = {
  status: "running",
  paused_reason: null,
  mode: "paper",
  strategy: "apex_v71",
  pairs: ["BTC/USD"],
  venue: "binance",
  timeframe: "5m",
  risk_level: "medium",
  max_position_usd: "500",
  equity_usd: "10000",
  last_signal_at: null,
  open_positions: [
    {
      id: "bp-1",
      venue: "binance",
      symbol: "BTC/USD",
      status: "open",
      entry_price: "60000",
      quantity: "0.01",
      remaining: "0.01",
      stop: "59000",
      targets: ["61000", "62000", "63000"],
      targets_hit: 0,
      trailing: false,
      opened_at: new Date(Date.now() - 2 * 3_600_000).toISOString(),
    },
  ],
};

export const position = {
  position_id: "pos-1",
  venue: "binance",
  symbol: "BTC/USD",
  status: "open",
  quantity: "0.01",
  average_entry: "60000",
  mark_price: "61000",
  realised_pnl: "0",
  unrealised_pnl: "10",
  fees: "0.6",
};

export const closedPosition = { ...position, position_id: "pos-0", symbol: "ETH/USD", status: "closed", quantity: "0", realised_pnl: "-4.5", unrealised_pnl: "0" };

export const order = {
  id: "ord-1",
  status: "filled",
  symbol: "BTC/USD",
  side: "buy",
  type: "market",
  quantity: "0.01",
  filled_quantity: "0.01",
  average_price: "60000",
  limit_price: null,
  fees: "0.6",
  fee_currency: "USD",
  venue: "binance",
  reason: null,
  revision: 3,
  created_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
};

export const orderSummary = {
  id: "ord-1",
  attempt: 1,
  average_price: "60000",
  client_order_id: "c-1",
  created_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
  fees: "0.6",
  filled_quantity: "0.01",
  kind: "simple",
  limit_price: null,
  parent_order_id: null,
  priority: 3,
  quantity: "0.01",
  reject_code: null,
  reject_reason: null,
  side: "buy",
  signal: "entry",
  source: "api",
  status: "filled",
  symbol: "BTC/USD",
  type: "market",
  venue: "binance",
};

export const credential = {
  id: "cred-1",
  venue: "binance",
  label: null,
  key_hint: "abcd",
  status: "active",
  version: 1,
  environment: "simulated",
  verification: "verified",
  permissions: ["read", "trade"],
  refusal_reason: null,
  created_at: new Date().toISOString(),
  rotated_at: null,
  verified_at: new Date().toISOString(),
  balances: { USD: "10000", BTC: "0" },
  markets: 12,
};

export const venues = [
  { name: "binance", symbols: ["BTC/USD", "ETH/USD", "SOL/USD"], maker_fee: "0.001", taker_fee: "0.001", latency_ms: 20 },
];

export const profile = {
  id: "u-1",
  email: "ada@example.com",
  role: "trader",
  tier: "basic",
  display_name: "Ada",
  timezone: "UTC",
  locale: "en-US",
  two_factor_enabled: false,
  devices: 0,
};

export const trading = {
  allowed_pairs: null,
  equity_source: "default",
  equity_usd: "10000",
  kill_switch: null,
  max_daily_loss_usd: "1000",
  max_open_positions: 5,
  max_position_usd: "500",
  position_limit_pct: "10",
  position_limit_usd: "1000",
  risk_level: "medium",
  tier: "basic",
  trades_per_day: 50,
};

// The dashboard's read side (overview, positions, chart, activity).
// Each is checked against the generated schema (`satisfies`): a field the API renamed, dropped
// or added fails `tsc` here rather than leaving a fake platform the real one no longer matches.
const period = (pnl: string, trades: number, win: string | null): PeriodFigures => ({ pnl, pnl_pct: "1.5", trades, closed: trades ? 1 : 0, win_rate: win, fees: "0.6" });

export const dashPosition = {
  id: "pos-1",
  cycle: 1,
  venue: "binance",
  symbol: "BTC/USD",
  side: "long",
  status: "open",
  size: "0.01",
  entry_price: "60000",
  current_price: "61000",
  amount: "600",
  value: "610",
  realised_pnl: "0",
  unrealised_pnl: "10",
  pnl: "10",
  pnl_pct: "1.67",
  fees: "0.6",
  opened_at: new Date(Date.now() - 2 * 3_600_000).toISOString(),
  closed_at: null,
  duration_seconds: 7200,
  exit_reason: null,
  revision: 4,
} satisfies DashPosition;

export const ethPosition = { ...dashPosition, id: "pos-2", symbol: "ETH/USD", venue: "kraken", unrealised_pnl: "-3.1", pnl: "-3.1", pnl_pct: "-0.1", current_price: "2900", entry_price: "3000", size: "1", value: "2900", opened_at: new Date(Date.now() - 30 * 60_000).toISOString() } satisfies DashPosition;

export const tradeItem = {
  id: "t-1",
  type: "trade",
  at: new Date().toISOString(),
  venue: "binance",
  symbol: "BTC/USD",
  side: "buy",
  quantity: "0.01",
  price: "60000",
  fee: "0.6",
  fee_currency: "USD",
  pnl: null,
  pnl_pct: null,
  realised_pnl: null,
  exit_reason: null,
  status: "filled",
  previous: null,
  reason: null,
  order_id: "ord-1",
  client_order_id: "c-1",
  position_id: "pos-1",
  cycle: 1,
  revision: 1,
} satisfies ActivityItem;

export const closeItem = { ...tradeItem, id: "c-2", type: "close", side: "sell", exit_reason: "take_profit", realised_pnl: "8.2", pnl: "8.2", pnl_pct: "11.4", at: new Date(Date.now() - 3 * 86_400_000).toISOString() } satisfies ActivityItem;
export const stopItem = { ...closeItem, id: "c-3", exit_reason: "stop_loss", realised_pnl: "-2", pnl: "-2", pnl_pct: "-1" } satisfies ActivityItem;
export const botItem = { ...tradeItem, id: "b-1", type: "bot", symbol: null, venue: null, side: null, status: "paused", previous: "running", reason: "kill_switch" } satisfies ActivityItem;

export const overview = {
  timezone: "UTC",
  bot: { status: "running", previous: "off", reason: null, changed_at: null, revision: 2 },
  equity_usd: "10010",
  balances: [{ venue: "binance", balances: { USD: "9400", BTC: "0.01" }, equity_usd: "10010", reported_at: new Date().toISOString(), revision: 3 }],
  pnl: { today: period("12.5", 3, "66.67"), "7d": period("20", 5, "60"), "30d": period("20", 5, "60"), all: period("42.1", 9, "55.56") },
  unrealised_pnl: "10",
  open_positions: [dashPosition],
  last_trade: tradeItem,
  activity: [tradeItem, closeItem],
} satisfies Overview;

export const positionDetail = {
  ...dashPosition,
  marked_at: new Date().toISOString(),
  entry_order_id: "ord-1",
  exit_order_id: null,
  strategy: { signal_id: "s-1", signal: "entry", timeframe: "5m", signal_at: new Date().toISOString(), entry_score: 4, conditions: ["near EMA21", "RSI rising"], stop: "59000", targets: ["61000", "62000", "63000"], targets_hit: 1, trailing: true, bot_status: "running", close_reason: null },
} satisfies PositionDetail;

export const chart = {
  position_id: "pos-1",
  cycle: 1,
  range: "1D",
  start: new Date(Date.now() - 86_400_000).toISOString(),
  end: new Date().toISOString(),
  points: [
    { t: new Date(Date.now() - 3_600_000).toISOString(), price: "60000" },
    { t: new Date().toISOString(), price: "61000" },
  ],
  entry: "60000",
  exit: null,
  stop: "59000",
  targets: ["61000", "62000"],
  timeframe: "1m",
} satisfies PositionChart;
