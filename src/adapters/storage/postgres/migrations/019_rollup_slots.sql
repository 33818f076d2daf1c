-- Rollup slots (issue 15: ingest and clicks with rollups within 5 % of without). Concurrent batches
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
ALTER TABLE report_activity ADD PRIMARY KEY (affiliate_id, program_id, bucket_at, event, currency, slot);
