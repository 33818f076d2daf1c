-- Recalculation under the plan now in force (docs/commissions.md#recalculation): a run either
-- credits only the conversions that earned nothing ('unearned', as before) or also decides again
-- those decided under another plan or deal version ('replan'), and counts the latter.
ALTER TABLE commission_recalculations ADD COLUMN mode TEXT NOT NULL DEFAULT 'unearned';
ALTER TABLE commission_recalculations ADD COLUMN replaced INTEGER NOT NULL DEFAULT 0;
