-- Outbound postbacks (DESIGN §4): affiliates' endpoints, the transactional outbox of deliveries
-- (modelled on graphile/worker's jobs table: run_at, attempts, last_error, a unique key,
-- locked_at/locked_by) and the attempt log. Timestamps are epoch milliseconds.
CREATE TABLE endpoints (
  id INTEGER PRIMARY KEY,
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  name TEXT NOT NULL,
  url_template TEXT NOT NULL,
  method TEXT NOT NULL,
  events TEXT NOT NULL,
  program_ids TEXT NOT NULL,
  statuses TEXT NOT NULL,
  delay_seconds INTEGER NOT NULL,
  include_test INTEGER NOT NULL,
  secret TEXT NOT NULL,
  status TEXT NOT NULL,
  disabled_reason TEXT,
  disabled_at INTEGER,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX endpoints_affiliate ON endpoints (affiliate_id);

-- One message per (endpoint, conversion, status): its id is the {delivery_id} and webhook-id.
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL,
  conversion_id TEXT NOT NULL,
  status TEXT NOT NULL,
  test INTEGER NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_status INTEGER,
  locked_at INTEGER,
  locked_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER,
  UNIQUE (endpoint_id, conversion_id, status)
);
CREATE INDEX deliveries_due ON deliveries (run_at) WHERE state = 'pending';
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at);

CREATE TABLE delivery_attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  endpoint_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  method TEXT NOT NULL,
  url TEXT NOT NULL,
  http_status INTEGER,
  latency_ms INTEGER NOT NULL,
  error TEXT,
  detail TEXT,
  response_snippet TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, started_at);
CREATE INDEX delivery_attempts_endpoint ON delivery_attempts (endpoint_id, started_at);
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at);
