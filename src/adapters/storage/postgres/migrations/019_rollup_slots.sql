-- Rollup slots and covering report indexes (issue 15: ingest and clicks with rollups within 5 % of without). Concurrent batches
-- (group commit overlaps BATCH_CONCURRENCY of them on the pool) all add to the same few hot rows
-- (this program, this hour, this 15-minute bucket); with one row per key, the second batch's
-- ON CONFLICT DO UPDATE waited on the first's row lock until its COMMIT, so batches that overlap
-- without rollups ran one after the other with them. Each writer now adds to its own slot of a key
-- (rollup-writes.ts RollupSlots: the lowest slot no batch in flight in this process holds), so
-- concurrent batches of one process never wait on each other there. A key's value is the sum over
-- its slots: every read already sums (stats-store.ts, alert-facts.ts). Rows written before, and by
-- rebuildRollups, are slot 0.
ALTER TABLE postback_rollup ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE postback_rollup DROP CONSTRAINT postback_rollup_pkey;
ALTER TABLE postback_rollup ADD PRIMARY KEY (operator_id, program_id, hour_at, outcome, code, latency_le_us, slot);

ALTER TABLE report_activity ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE report_activity DROP CONSTRAINT report_activity_pkey;
ALTER TABLE report_activity ADD PRIMARY KEY (affiliate_id, program_id, bucket_at, event, currency, slot)
  INCLUDE (count, amount_minor);

-- Reports over long ranges (issue 15: a year by week at 10 M clicks read ~46 000 buckets, each a
-- random heap fetch after its index entry: 200–400 ms on PostgreSQL, 492 ms on SQLite). Every
-- index a report reads now carries the sums (INCLUDE): an index-only scan, where the visibility
-- map allows it (autovacuum keeps past buckets all-visible; only the current ones change). The
-- sums in the indexes make their updates non-HOT: a few index entries per rollup key per batch.
DROP INDEX report_activity_bucket;
CREATE INDEX report_activity_bucket ON report_activity (bucket_at)
  INCLUDE (affiliate_id, program_id, event, currency, count, amount_minor);
DROP INDEX report_activity_program;
CREATE INDEX report_activity_program ON report_activity (program_id, bucket_at)
  INCLUDE (affiliate_id, event, currency, count, amount_minor);
ALTER TABLE report_commissions DROP CONSTRAINT report_commissions_pkey;
ALTER TABLE report_commissions ADD PRIMARY KEY (affiliate_id, program_id, bucket_at, currency, status)
  INCLUDE (amount_minor);
DROP INDEX report_commissions_bucket;
CREATE INDEX report_commissions_bucket ON report_commissions (bucket_at)
  INCLUDE (affiliate_id, program_id, currency, status, amount_minor);
DROP INDEX report_commissions_program;
CREATE INDEX report_commissions_program ON report_commissions (program_id, bucket_at)
  INCLUDE (affiliate_id, currency, status, amount_minor);
