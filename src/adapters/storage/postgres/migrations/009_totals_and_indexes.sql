-- Running totals, kept in the same transaction as the rows they sum (adapters/storage/running-totals.ts),
-- so that the ingest path and the balance reads never scan a month of ledger entries.

-- What caps, tiers and revshare floors need of a month (per affiliate, program and period):
-- CPA qualifications and those paid, positive commissions, net revshare (commissions and their
-- clawbacks; not floors, nor clawbacks of floors).
CREATE TABLE month_usage (
  affiliate_id BIGINT NOT NULL,
  program_id BIGINT NOT NULL,
  period TEXT NOT NULL,
  qualified BIGINT NOT NULL,
  paid_cpa BIGINT NOT NULL,
  paid_minor BIGINT NOT NULL,
  revshare_minor BIGINT NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, period)
);

-- The ledger summed by affiliate, program, period, currency and status (balances).
CREATE TABLE ledger_balances (
  affiliate_id BIGINT NOT NULL,
  program_id BIGINT NOT NULL,
  period TEXT NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  amount_minor BIGINT NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, period, currency, status)
);

INSERT INTO month_usage (affiliate_id, program_id, period, qualified, paid_cpa, paid_minor, revshare_minor)
SELECT affiliate_id, program_id, period, SUM(qualified), SUM(paid_cpa), SUM(paid_minor), SUM(revshare_minor)
FROM (
  SELECT affiliate_id, program_id, period, COUNT(*) AS qualified, SUM(paid) AS paid_cpa, 0 AS paid_minor,
    0 AS revshare_minor
  FROM cpa_qualifications GROUP BY affiliate_id, program_id, period
  UNION ALL
  SELECT affiliate_id, program_id, period, 0, 0,
    SUM(CASE WHEN kind = 'commission' AND amount_minor > 0 THEN amount_minor ELSE 0 END),
    SUM(CASE WHEN component = 'revshare' AND (kind = 'commission' OR NOT EXISTS (SELECT 1 FROM ledger_entries f
      WHERE f.id = e.reverses_entry_id AND f.kind = 'floor')) THEN amount_minor ELSE 0 END)
  FROM ledger_entries e WHERE kind IN ('commission', 'clawback') GROUP BY affiliate_id, program_id, period
) u
GROUP BY affiliate_id, program_id, period;

INSERT INTO ledger_balances (affiliate_id, program_id, period, currency, status, amount_minor)
SELECT affiliate_id, program_id, period, currency, status, SUM(amount_minor)
FROM ledger_entries GROUP BY affiliate_id, program_id, period, currency, status;

-- Look-ups of the ingest path and of the admin API's lists, each served by an index (checked by
-- test/adapters/storage/query-plans.test.ts).
-- A player's earlier events (commission rules: qualification windows, first deposits).
CREATE INDEX conversions_player ON conversions (operator_id, player_id) WHERE player_id IS NOT NULL;
-- Conversions of an operator, and unattributed ones (reconciliation), newest first.
CREATE INDEX conversions_operator ON conversions (operator_id, received_at);
CREATE INDEX conversions_unattributed ON conversions (received_at) WHERE unattributed_reason IS NOT NULL;
-- The request log by txid (what happened to this event?) and by outcome code.
CREATE INDEX request_log_txid ON request_log (txid) WHERE txid IS NOT NULL;
CREATE INDEX request_log_code ON request_log (code, received_at);
-- Clicks of a link, and of an operator's programs.
CREATE INDEX clicks_link ON clicks (link_id, created_at);
CREATE INDEX clicks_program ON clicks (program_id, created_at);
-- Deliveries a process had claimed when it stopped (released at start).
CREATE INDEX deliveries_locked ON deliveries (locked_by) WHERE locked_by IS NOT NULL;
