-- Rollup slots and covering report indexes (issue 15), as in the PostgreSQL migration: each writer adds to its own slot of a
-- key and reads sum over the slots. SQLite has one writer at a time, so its batches seldom hold
-- more than slot 0; the column is there so both engines write the same rows. A primary key cannot
-- be altered in SQLite: the tables are rebuilt (their rows are few: hours and 15-minute buckets).
CREATE TABLE postback_rollup_slots (
  operator_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  hour_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT NOT NULL,
  latency_le_us INTEGER NOT NULL,
  count INTEGER NOT NULL,
  slot INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (operator_id, program_id, hour_at, outcome, code, latency_le_us, slot)
) WITHOUT ROWID;
INSERT INTO postback_rollup_slots (operator_id, program_id, hour_at, outcome, code, latency_le_us, count, slot)
SELECT operator_id, program_id, hour_at, outcome, code, latency_le_us, count, 0 FROM postback_rollup;
DROP TABLE postback_rollup;
ALTER TABLE postback_rollup_slots RENAME TO postback_rollup;
CREATE INDEX postback_rollup_program ON postback_rollup (program_id, hour_at);
CREATE INDEX postback_rollup_hour ON postback_rollup (hour_at);

CREATE TABLE report_activity_slots (
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  bucket_at INTEGER NOT NULL,
  event TEXT NOT NULL,
  currency TEXT NOT NULL,
  count INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  slot INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (affiliate_id, program_id, bucket_at, event, currency, slot)
) WITHOUT ROWID;
INSERT INTO report_activity_slots (affiliate_id, program_id, bucket_at, event, currency, count, amount_minor, slot)
SELECT affiliate_id, program_id, bucket_at, event, currency, count, amount_minor, 0 FROM report_activity;
DROP TABLE report_activity;
ALTER TABLE report_activity_slots RENAME TO report_activity;
-- Reports over long ranges read the sums from the index (the PostgreSQL migration says why): a
-- secondary index of a WITHOUT ROWID table holds the primary key, so with the sums it covers the
-- report. The primary key is the table itself, so reads by affiliate were covered already.
CREATE INDEX report_activity_program ON report_activity (program_id, bucket_at, count, amount_minor);
CREATE INDEX report_activity_bucket ON report_activity (bucket_at, count, amount_minor);
DROP INDEX report_commissions_program;
CREATE INDEX report_commissions_program ON report_commissions (program_id, bucket_at, amount_minor);
DROP INDEX report_commissions_bucket;
CREATE INDEX report_commissions_bucket ON report_commissions (bucket_at, amount_minor);
