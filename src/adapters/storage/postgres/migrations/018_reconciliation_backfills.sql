-- Backfills of a reconciliation run (docs/reconciliation.md), each kept as its own record: who
-- asked, when, which missing rows (null: all of them), how many were ingested or already settled
-- by an earlier backfill, the answer codes' counts, and one row per row ingested with its answer
-- code and the conversion it made or found. Epoch milliseconds.
CREATE TABLE reconciliation_backfills (
  id TEXT PRIMARY KEY,
  reconciliation_id TEXT NOT NULL,
  txids TEXT,
  status TEXT NOT NULL,
  attempted BIGINT NOT NULL,
  already_done BIGINT NOT NULL,
  outcomes TEXT NOT NULL,
  created_by_key_id BIGINT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX reconciliation_backfills_run ON reconciliation_backfills (reconciliation_id, created_at, id);

CREATE TABLE reconciliation_backfill_rows (
  backfill_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  txid TEXT,
  code TEXT NOT NULL,
  conversion_id TEXT,
  PRIMARY KEY (backfill_id, seq)
);
