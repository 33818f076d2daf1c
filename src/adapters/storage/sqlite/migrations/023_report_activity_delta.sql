-- Report activity written as appended deltas, folded into report_activity by a background job
-- (postgres/migrations/023_report_activity_delta.sql says why: PostgreSQL's hot-row upserts). The
-- same here, so both engines share the writes and the reads: a batch appends one row per key;
-- stats-store.ts foldActivity moves them into report_activity, summed per key, in one transaction
-- (the upsert, then the delete: SQLite has one writer at a time), and reports read both tables in
-- one statement, so a fold changes no figure.
CREATE TABLE report_activity_delta (
  affiliate_id BIGINT NOT NULL,
  program_id BIGINT NOT NULL,
  bucket_at BIGINT NOT NULL,
  event TEXT NOT NULL,
  currency TEXT NOT NULL,
  count BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL
);
