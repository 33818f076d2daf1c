-- Payouts are listed newest first (created_at, then id) and paged with a cursor on both columns
-- (commissions-store.ts): without this index every page sorted the whole table.
CREATE INDEX payouts_created ON payouts (created_at, id);
