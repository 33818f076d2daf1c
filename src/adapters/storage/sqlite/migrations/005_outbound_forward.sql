-- Outbound postbacks, part two: the approval forwarder reads ledger entries by approval time, and
-- retention deletes delivered deliveries by delivery time (DESIGN §4, docs/outbound.md).
CREATE INDEX ledger_entries_approved ON ledger_entries (approved_at) WHERE approved_at IS NOT NULL;
CREATE INDEX deliveries_delivered ON deliveries (delivered_at) WHERE state = 'delivered';
-- Claims read due rows in (run_at, id) order: with id in the index, a claim reads only the rows it
-- takes instead of sorting every row due at the same millisecond (a backlog written at once).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (run_at, id) WHERE state = 'pending';
