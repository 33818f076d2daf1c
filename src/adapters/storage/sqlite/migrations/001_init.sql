-- Postwire schema v1 (SQLite). Timestamps are epoch milliseconds (INTEGER); money columns end in _minor.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE operators (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  auth TEXT NOT NULL,
  mapping TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE programs (
  id INTEGER PRIMARY KEY,
  operator_id INTEGER NOT NULL REFERENCES operators (id),
  name TEXT NOT NULL,
  vertical TEXT NOT NULL,
  currency TEXT NOT NULL,
  landing_url_template TEXT NOT NULL,
  fallback_url TEXT,
  allowed_events TEXT NOT NULL,
  lookback_days INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX programs_operator ON programs (operator_id);

CREATE TABLE affiliates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE links (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  program_id INTEGER NOT NULL REFERENCES programs (id),
  status TEXT NOT NULL,
  landing_url_template TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX links_affiliate ON links (affiliate_id);
CREATE INDEX links_program ON links (program_id);

CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  operator_id INTEGER REFERENCES operators (id),
  affiliate_id INTEGER REFERENCES affiliates (id),
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

-- High-volume tables: no foreign keys, so the hot path pays for no extra lookups.
CREATE TABLE clicks (
  click_id TEXT PRIMARY KEY,
  link_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
  ip TEXT,
  user_agent TEXT,
  referer TEXT
);
CREATE INDEX clicks_created ON clicks (created_at);
CREATE INDEX clicks_affiliate ON clicks (affiliate_id, created_at);

CREATE TABLE conversions (
  id TEXT PRIMARY KEY,
  operator_id INTEGER NOT NULL,
  txid TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  event TEXT NOT NULL,
  program_id INTEGER,
  affiliate_id INTEGER,
  link_id INTEGER,
  click_id TEXT,
  player_id TEXT,
  amount_minor INTEGER,
  currency TEXT,
  lots_milli INTEGER,
  reverses_id TEXT,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  unattributed_reason TEXT,
  test INTEGER NOT NULL,
  sub_id TEXT,
  extra TEXT NOT NULL,
  response TEXT NOT NULL,
  UNIQUE (operator_id, txid)
);
CREATE INDEX conversions_received ON conversions (received_at);
CREATE INDEX conversions_affiliate ON conversions (affiliate_id, received_at);
CREATE INDEX conversions_program ON conversions (program_id, received_at);
CREATE INDEX conversions_reverses ON conversions (reverses_id) WHERE reverses_id IS NOT NULL;

CREATE TABLE players (
  operator_id INTEGER NOT NULL,
  player_id TEXT NOT NULL,
  click_id TEXT,
  link_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  bound_at INTEGER NOT NULL,
  PRIMARY KEY (operator_id, player_id)
);

CREATE TABLE request_log (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  operator_id INTEGER,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  ip TEXT,
  status INTEGER NOT NULL,
  code TEXT NOT NULL,
  reason TEXT,
  latency_us INTEGER NOT NULL,
  txid TEXT,
  conversion_id TEXT,
  raw TEXT NOT NULL
);
CREATE INDEX request_log_received ON request_log (received_at);
CREATE INDEX request_log_operator ON request_log (operator_id, received_at);
