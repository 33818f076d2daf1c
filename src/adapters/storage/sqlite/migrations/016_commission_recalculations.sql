-- Recalculations (docs/commissions.md): a manager credits the conversions of a program that were
-- received while no plan was in force, for a range of occurred_at. The money is in ledger_entries
-- (written by the same rules as at ingest, explain.recalculation_id = this id); this row records
-- the run itself: who, when, the range, what it wrote and what it left alone. Epoch milliseconds.
CREATE TABLE commission_recalculations (
  id TEXT PRIMARY KEY,
  program_id INTEGER NOT NULL,
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  include_paid_periods INTEGER NOT NULL,
  conversions INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  skipped_paid INTEGER NOT NULL,
  totals TEXT NOT NULL,
  created_by_key_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX commission_recalculations_program ON commission_recalculations (program_id, created_at, id);
