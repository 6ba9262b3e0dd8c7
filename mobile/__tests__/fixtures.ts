/** Bodies shaped as docs/openapi.json says the platform answers. */
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
