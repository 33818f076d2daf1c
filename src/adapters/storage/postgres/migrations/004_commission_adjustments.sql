-- Manual adjustments (DESIGN §3): a manager rejects or adjusts a conversion with a reason code.
-- The money is in ledger_entries (kind 'adjustment', reason = reason_code, explain.inputs.adjustment_id);
-- this row records the decision itself. Timestamps are epoch milliseconds.
CREATE TABLE commission_adjustments (
  id TEXT PRIMARY KEY,
  conversion_id TEXT NOT NULL,
  action TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  note TEXT,
  amount_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  entries BIGINT NOT NULL,
  created_by_key_id BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX commission_adjustments_conversion ON commission_adjustments (conversion_id);
