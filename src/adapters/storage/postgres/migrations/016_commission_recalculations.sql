-- Recalculations (docs/commissions.md): a manager credits the conversions of a program that were
-- received while no plan was in force, for a range of occurred_at. The money is in ledger_entries
-- (written by the same rules as at ingest, explain.recalculation_id = this id); this row records
-- the run itself: who, when, the range, what it wrote and what it left alone. Epoch milliseconds.
CREATE TABLE commission_recalculations (
  id TEXT PRIMARY KEY,
  program_id BIGINT NOT NULL,
  from_at BIGINT NOT NULL,
  to_at BIGINT NOT NULL,
  include_paid_periods BIGINT NOT NULL,
  conversions BIGINT NOT NULL,
  entries BIGINT NOT NULL,
  skipped_paid BIGINT NOT NULL,
  totals TEXT NOT NULL,
  created_by_key_id BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX commission_recalculations_program ON commission_recalculations (program_id, created_at, id);
