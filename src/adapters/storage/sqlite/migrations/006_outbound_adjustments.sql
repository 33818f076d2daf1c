-- Outbound postbacks, part three: manual adjustments are forwarded (docs/outbound.md). One message
-- per (endpoint, adjustment): the outbox key gains `adjustment_id` ('' for every other message, so
-- their key is unchanged), and a conversion adjusted twice gets two `adjusted` messages.
-- SQLite cannot drop a table's UNIQUE constraint: the table is rebuilt with the same columns, in
-- the same order, plus the new one, and its indexes are recreated.
CREATE TABLE deliveries_next (
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
  adjustment_id TEXT NOT NULL DEFAULT '',
  UNIQUE (endpoint_id, conversion_id, status, adjustment_id)
);
INSERT INTO deliveries_next (id, endpoint_id, affiliate_id, conversion_id, status, test, payload, state,
  run_at, attempts, last_error, last_status, locked_at, locked_by, created_at, updated_at, delivered_at)
SELECT id, endpoint_id, affiliate_id, conversion_id, status, test, payload, state,
  run_at, attempts, last_error, last_status, locked_at, locked_by, created_at, updated_at, delivered_at
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_next RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (run_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at);
CREATE INDEX deliveries_delivered ON deliveries (delivered_at) WHERE state = 'delivered';

-- A retried adjustment request (same idempotency key for the same conversion) is answered with the
-- adjustment it made, and writes nothing. NULL (no key) never collides.
ALTER TABLE commission_adjustments ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX commission_adjustments_key ON commission_adjustments (conversion_id, idempotency_key);
