-- Running totals, kept in the same transaction as the rows they sum (adapters/storage/running-totals.ts),
-- so that the ingest path and the balance reads never scan a month of ledger entries.

-- What caps, tiers and revshare floors need of a month (per affiliate, program and period):
-- CPA qualifications and those paid, positive commissions, net revshare (commissions and their
-- clawbacks; not floors, nor clawbacks of floors).
CREATE TABLE month_usage (
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  period TEXT NOT NULL,
  qualified INTEGER NOT NULL,
  paid_cpa INTEGER NOT NULL,
  paid_minor INTEGER NOT NULL,
  revshare_minor INTEGER NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, period)
) WITHOUT ROWID;

-- The ledger summed by affiliate, program, period, currency and status (balances).
CREATE TABLE ledger_balances (
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  period TEXT NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, period, currency, status)
) WITHOUT ROWID;

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

-- Look-ups of the ingest path and of the admin API's lists, each served by a selective index
-- (test/adapters/storage/query-plans.test.ts). A list's index ends with its sort order, id
-- included (lists are newest first, ties broken by id), so a page reads only its own rows.
-- A player's earlier events (commission rules: qualification windows, first deposits).
CREATE INDEX conversions_player ON conversions (operator_id, player_id) WHERE player_id IS NOT NULL;
-- Conversions: all, of an operator, affiliate or program; unattributed ones (reconciliation).
DROP INDEX conversions_received;
DROP INDEX conversions_affiliate;
DROP INDEX conversions_program;
CREATE INDEX conversions_received ON conversions (received_at, id);
CREATE INDEX conversions_operator ON conversions (operator_id, received_at, id);
CREATE INDEX conversions_affiliate ON conversions (affiliate_id, received_at, id);
CREATE INDEX conversions_program ON conversions (program_id, received_at, id);
CREATE INDEX conversions_unattributed ON conversions (received_at, id) WHERE unattributed_reason IS NOT NULL;
CREATE INDEX conversions_operator_unattributed ON conversions (operator_id, received_at, id)
  WHERE unattributed_reason IS NOT NULL;
-- The request log: all, of an operator, by outcome code, by txid (what happened to this event?).
DROP INDEX request_log_received;
DROP INDEX request_log_operator;
CREATE INDEX request_log_received ON request_log (received_at, id);
CREATE INDEX request_log_operator ON request_log (operator_id, received_at, id);
CREATE INDEX request_log_code ON request_log (code, received_at, id);
CREATE INDEX request_log_txid ON request_log (txid) WHERE txid IS NOT NULL;
-- Clicks: all, of an affiliate, a link, a program (an operator's clicks are its programs').
DROP INDEX clicks_created;
DROP INDEX clicks_affiliate;
CREATE INDEX clicks_created ON clicks (created_at, click_id);
CREATE INDEX clicks_affiliate ON clicks (affiliate_id, created_at, click_id);
CREATE INDEX clicks_link ON clicks (link_id, created_at, click_id);
CREATE INDEX clicks_program ON clicks (program_id, created_at, click_id);
-- Ledger entries in id order: of an affiliate or program, with or without a month; of a month;
-- in a status; of a payout.
DROP INDEX ledger_entries_affiliate;
DROP INDEX ledger_entries_program;
CREATE INDEX ledger_entries_affiliate ON ledger_entries (affiliate_id, id);
CREATE INDEX ledger_entries_affiliate_period ON ledger_entries (affiliate_id, period, id);
CREATE INDEX ledger_entries_program ON ledger_entries (program_id, id);
CREATE INDEX ledger_entries_program_period ON ledger_entries (program_id, period, id);
CREATE INDEX ledger_entries_period ON ledger_entries (period, id);
CREATE INDEX ledger_entries_status ON ledger_entries (status, id);
CREATE INDEX ledger_entries_payout ON ledger_entries (payout_id) WHERE payout_id IS NOT NULL;
-- Due deliveries per endpoint, oldest first: claims read each endpoint's own (delivery-claim.ts).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (endpoint_id, run_at, id) WHERE state = 'pending';
-- Deliveries newest first: all, of an affiliate, an endpoint, in a state; those of a conversion.
DROP INDEX deliveries_endpoint;
CREATE INDEX deliveries_created ON deliveries (created_at, id);
CREATE INDEX deliveries_affiliate ON deliveries (affiliate_id, created_at, id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at, id);
CREATE INDEX deliveries_state ON deliveries (state, created_at, id);
CREATE INDEX deliveries_conversion ON deliveries (conversion_id);
-- Deliveries of a disabled endpoint wait as 'paused', out of the claim's due index.
UPDATE deliveries SET state = 'paused'
WHERE state = 'pending' AND locked_by IS NULL
  AND endpoint_id IN (SELECT id FROM endpoints WHERE status <> 'active');
-- Attempts newest first: all, of an endpoint, the failed ones (delivery-store.ts: FAILED_ATTEMPT).
DROP INDEX delivery_attempts_started;
DROP INDEX delivery_attempts_endpoint;
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at, id);
CREATE INDEX delivery_attempts_endpoint ON delivery_attempts (endpoint_id, started_at, id);
CREATE INDEX delivery_attempts_failed ON delivery_attempts (endpoint_id, started_at, id)
  WHERE (http_status IS NULL OR http_status < 200 OR http_status > 299);
-- Balances of a program (and a month).
CREATE INDEX ledger_balances_program ON ledger_balances (program_id, period);
