-- Reconciliation (docs/reconciliation.md): an operator's own list of events for a period compared
-- with what was received, by (operator, txid). One row per run (who, when, the file's SHA-256, the
-- counts and the summary per day and event type), one row per line of the result, so each
-- category can be paged and downloaded. Epoch milliseconds.
CREATE TABLE reconciliations (
  id TEXT PRIMARY KEY,
  operator_id INTEGER NOT NULL,
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  format TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  file_bytes INTEGER NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  counts TEXT NOT NULL,
  summary TEXT NOT NULL,
  created_by_key_id INTEGER,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX reconciliations_operator ON reconciliations (operator_id, created_at, id);
CREATE INDEX reconciliations_created ON reconciliations (created_at, id);

-- category: matched | missing | extra | mismatched | malformed | duplicate | test.
-- seq orders a run's rows (file order; extras after the file), line is the file's line (null for
-- extras), fields the row as mapped to our names (what a backfill ingests), differences the named
-- differences of a mismatch, conversion_id the stored conversion (or the one a backfill made).
CREATE TABLE reconciliation_rows (
  reconciliation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  category TEXT NOT NULL,
  line INTEGER,
  txid TEXT,
  event TEXT,
  occurred_at INTEGER,
  fields TEXT,
  differences TEXT,
  error TEXT,
  conversion_id TEXT,
  backfill_code TEXT,
  PRIMARY KEY (reconciliation_id, seq)
);
CREATE INDEX reconciliation_rows_category ON reconciliation_rows (reconciliation_id, category, seq);
CREATE INDEX reconciliation_rows_txid ON reconciliation_rows (reconciliation_id, txid);

-- The source of a conversion or request-log row written by a backfill (null: a live postback).
ALTER TABLE conversions ADD COLUMN reconciliation_id TEXT;
ALTER TABLE request_log ADD COLUMN reconciliation_id TEXT;
-- Extras: an operator's conversions of the period, walked in (occurred_at, id) order a page at a
-- time (no sort, however many).
CREATE INDEX conversions_operator_occurred ON conversions (operator_id, occurred_at, id);
