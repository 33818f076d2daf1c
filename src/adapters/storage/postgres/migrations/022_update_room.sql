-- Room on each page for updates that change no indexed column (issue 12: where PostgreSQL's time
-- goes per postback). The dispatcher's claim of a delivery sets locked_at, locked_by, attempts and
-- updated_at, none of them indexed; with full pages (the default fillfactor of 100) each claim was
-- written as a new row version elsewhere, with a new entry in each of the table's dozen indexes
-- (about 11 WAL records per claimed delivery, pg_stat_statements). With room left on the page it
-- is a heap-only (HOT) update: one record, no index entry. The rollups' postback counters change
-- no indexed column either (report_activity's and report_commissions' sums are in covering
-- indexes, so theirs are never HOT). New pages only: existing rows keep their pages.
ALTER TABLE deliveries SET (fillfactor = 70);
ALTER TABLE postback_rollup SET (fillfactor = 50);
ALTER TABLE delivery_rollup SET (fillfactor = 50);
