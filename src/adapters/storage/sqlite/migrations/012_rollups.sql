-- Rollups for the console's overview, program pages and reports (and /v1/stats, /v1/reports): pages
-- never scan the raw request log, clicks or conversions. They are kept exact in the transaction that
-- writes the rows they count, and only inserts count: pruning request_log and clicks (retention)
-- leaves them as they are. What each means is also written as a recount of the raw rows in
-- src/adapters/storage/rollups.ts (RECOUNT), which the rollup tests compare them with.
--
-- How they are kept: the request log, conversions and clicks by their writers, in the statement
-- that inserts the rows (adapters/storage/rollup-writes.ts: one upsert of summed deltas per batch;
-- row triggers cost SQLite about 10 µs per postback, measured); commissions by ledger-writes.ts
-- beside ledger_balances, since status moves pass through there; deliveries, whose state many
-- writers change (the dispatcher, pauses, replays), by triggers below.

-- Postback outcomes per operator, program (the request log's, 0 when unknown), UTC hour,
-- outcome and code, with a latency histogram: latency_le_us is the bucket's upper bound in
-- microseconds (9007199254740991 for "more"); percentiles read as the bound of their bucket
-- (docs/api.md: never below the true value, at most 1.5x above it between 0.5 ms and 1 s).
-- outcome: accepted, unattributed, test (accepted test events), duplicate, rejected. code is the
-- answer's code, except for unattributed where it is the unattributed reason.
CREATE TABLE postback_rollup (
  operator_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  hour_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT NOT NULL,
  latency_le_us INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (operator_id, program_id, hour_at, outcome, code, latency_le_us)
) WITHOUT ROWID;
CREATE INDEX postback_rollup_program ON postback_rollup (program_id, hour_at);
CREATE INDEX postback_rollup_hour ON postback_rollup (hour_at);

-- Report activity per affiliate, program and 15-minute bucket of the event's time (occurred_at;
-- a click's created_at): 15 minutes, so days, weeks and months in every time zone in use (+05:30,
-- +05:45 too) are sums of whole buckets. event is the conversion's event type, or 'click';
-- currency '' when the event has no amount. Attributed, non-test conversions only.
CREATE TABLE report_activity (
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  bucket_at INTEGER NOT NULL,
  event TEXT NOT NULL,
  currency TEXT NOT NULL,
  count INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, bucket_at, event, currency)
) WITHOUT ROWID;
CREATE INDEX report_activity_program ON report_activity (program_id, bucket_at);
CREATE INDEX report_activity_bucket ON report_activity (bucket_at);

-- Commissions per affiliate, program, 15-minute bucket of the event's time, currency and status
-- (pending, approved, reversed, paid): ledger-writes.ts moves amounts between statuses.
CREATE TABLE report_commissions (
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  bucket_at INTEGER NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, bucket_at, currency, status)
) WITHOUT ROWID;
CREATE INDEX report_commissions_program ON report_commissions (program_id, bucket_at);
CREATE INDEX report_commissions_bucket ON report_commissions (bucket_at);

-- What is already there (a request log pruned before this migration is counted as it is now).
INSERT INTO postback_rollup (operator_id, program_id, hour_at, outcome, code, latency_le_us, count)
SELECT operator_id, program_id, hour_at, outcome, code, latency_le_us, COUNT(*) FROM (
  SELECT COALESCE(r.operator_id, 0) AS operator_id, COALESCE(r.program_id, c.program_id, 0) AS program_id,
    r.received_at - r.received_at % 3600000 AS hour_at,
    CASE WHEN r.code <> 'accepted' THEN CASE WHEN r.code = 'duplicate' THEN 'duplicate' ELSE 'rejected' END
      WHEN c.test = 1 THEN 'test' WHEN c.unattributed_reason IS NOT NULL THEN 'unattributed' ELSE 'accepted' END AS outcome,
    CASE WHEN r.code = 'accepted' AND c.test = 0 AND c.unattributed_reason IS NOT NULL THEN c.unattributed_reason ELSE r.code END AS code,
    CASE WHEN r.latency_us <= 250 THEN 250 WHEN r.latency_us <= 500 THEN 500 WHEN r.latency_us <= 750 THEN 750 WHEN r.latency_us <= 1000 THEN 1000 WHEN r.latency_us <= 1500 THEN 1500 WHEN r.latency_us <= 2000 THEN 2000 WHEN r.latency_us <= 3000 THEN 3000 WHEN r.latency_us <= 4000 THEN 4000 WHEN r.latency_us <= 6000 THEN 6000 WHEN r.latency_us <= 8000 THEN 8000 WHEN r.latency_us <= 12000 THEN 12000 WHEN r.latency_us <= 16000 THEN 16000 WHEN r.latency_us <= 24000 THEN 24000 WHEN r.latency_us <= 32000 THEN 32000 WHEN r.latency_us <= 48000 THEN 48000 WHEN r.latency_us <= 64000 THEN 64000 WHEN r.latency_us <= 96000 THEN 96000 WHEN r.latency_us <= 128000 THEN 128000 WHEN r.latency_us <= 192000 THEN 192000 WHEN r.latency_us <= 256000 THEN 256000 WHEN r.latency_us <= 384000 THEN 384000 WHEN r.latency_us <= 512000 THEN 512000 WHEN r.latency_us <= 768000 THEN 768000 WHEN r.latency_us <= 1024000 THEN 1024000 WHEN r.latency_us <= 2048000 THEN 2048000 WHEN r.latency_us <= 4096000 THEN 4096000 WHEN r.latency_us <= 8192000 THEN 8192000
    ELSE 9007199254740991 END AS latency_le_us
  FROM request_log r LEFT JOIN conversions c ON c.id = r.conversion_id
) x GROUP BY operator_id, program_id, hour_at, outcome, code, latency_le_us;

INSERT INTO report_activity (affiliate_id, program_id, bucket_at, event, currency, count, amount_minor)
SELECT affiliate_id, program_id, bucket_at, event, currency, SUM(n), SUM(amount_minor) FROM (
  SELECT affiliate_id, program_id, occurred_at - occurred_at % 900000 AS bucket_at, event,
    COALESCE(currency, '') AS currency, 1 AS n, COALESCE(amount_minor, 0) AS amount_minor
  FROM conversions WHERE affiliate_id IS NOT NULL AND test = 0
  UNION ALL
  SELECT affiliate_id, program_id, created_at - created_at % 900000, 'click', '', 1, 0 FROM clicks
) x GROUP BY affiliate_id, program_id, bucket_at, event, currency;

INSERT INTO report_commissions (affiliate_id, program_id, bucket_at, currency, status, amount_minor)
SELECT affiliate_id, program_id, occurred_at - occurred_at % 900000, currency, status, SUM(amount_minor)
FROM ledger_entries GROUP BY affiliate_id, program_id, occurred_at - occurred_at % 900000, currency, status;

-- Outbound deliveries per program (of the conversion), UTC hour of their creation and class: ok
-- (delivered), failing (waiting after a failed attempt), dead. Deliveries still waiting untried
-- are not counted. A delivery counts in one class at a time: a change of class moves its count.
-- Pruning delivered deliveries and old attempts leaves the counts as they were.
CREATE TABLE delivery_rollup (
  program_id INTEGER NOT NULL,
  hour_at INTEGER NOT NULL,
  class TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (program_id, hour_at, class)
) WITHOUT ROWID;
CREATE INDEX delivery_rollup_hour ON delivery_rollup (hour_at);

-- A new delivery waits (pending or paused, untried): not counted, so the outbox insert on the
-- ingest path skips the trigger's body.
CREATE TRIGGER deliveries_rollup_insert AFTER INSERT ON deliveries
WHEN NEW.state IN ('delivered', 'dead') OR NEW.last_error IS NOT NULL BEGIN
  INSERT INTO delivery_rollup (program_id, hour_at, class, count)
  SELECT COALESCE((SELECT program_id FROM conversions WHERE id = NEW.conversion_id), 0),
    NEW.created_at - NEW.created_at % 3600000, CASE WHEN NEW.state = 'delivered' THEN 'ok' WHEN NEW.state = 'dead' THEN 'dead' WHEN NEW.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END, 1
  WHERE true
  ON CONFLICT (program_id, hour_at, class) DO UPDATE SET count = delivery_rollup.count + 1;
END;

CREATE TRIGGER deliveries_rollup_update AFTER UPDATE OF state, last_error ON deliveries
WHEN (CASE WHEN OLD.state = 'delivered' THEN 'ok' WHEN OLD.state = 'dead' THEN 'dead' WHEN OLD.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END) <> (CASE WHEN NEW.state = 'delivered' THEN 'ok' WHEN NEW.state = 'dead' THEN 'dead' WHEN NEW.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END) BEGIN
  INSERT INTO delivery_rollup (program_id, hour_at, class, count)
  SELECT COALESCE((SELECT program_id FROM conversions WHERE id = NEW.conversion_id), 0),
    NEW.created_at - NEW.created_at % 3600000, class, delta
  FROM (SELECT CASE WHEN OLD.state = 'delivered' THEN 'ok' WHEN OLD.state = 'dead' THEN 'dead' WHEN OLD.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END AS class, -1 AS delta UNION ALL SELECT CASE WHEN NEW.state = 'delivered' THEN 'ok' WHEN NEW.state = 'dead' THEN 'dead' WHEN NEW.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END, 1)
  WHERE class <> 'waiting'
  ON CONFLICT (program_id, hour_at, class) DO UPDATE SET count = delivery_rollup.count + excluded.count;
END;

INSERT INTO delivery_rollup (program_id, hour_at, class, count)
SELECT program_id, hour_at, class, COUNT(*) FROM (
  SELECT COALESCE(c.program_id, 0) AS program_id, d.created_at - d.created_at % 3600000 AS hour_at,
    CASE WHEN d.state = 'delivered' THEN 'ok' WHEN d.state = 'dead' THEN 'dead' WHEN d.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END AS class
  FROM deliveries d LEFT JOIN conversions c ON c.id = d.conversion_id
) x WHERE class <> 'waiting' GROUP BY program_id, hour_at, class;
