-- Commissions (DESIGN §3): effective-dated plans and deals, FX rates, CPA qualifications (one per
-- player), the append-only ledger and payouts. Timestamps are epoch milliseconds.
ALTER TABLE affiliates ADD COLUMN parent_id INTEGER REFERENCES affiliates (id);

-- A plan (affiliate_id NULL) or a per-affiliate deal; a change is a new row from its date.
CREATE TABLE commission_plans (
  id INTEGER PRIMARY KEY,
  program_id INTEGER NOT NULL REFERENCES programs (id),
  affiliate_id INTEGER REFERENCES affiliates (id),
  effective_from INTEGER NOT NULL,
  terms TEXT NOT NULL,
  note TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX commission_plans_program ON commission_plans (program_id, effective_from);

-- quote units per 1 base unit, exact decimal text, in force from effective_from.
CREATE TABLE fx_rates (
  id INTEGER PRIMARY KEY,
  base TEXT NOT NULL,
  quote TEXT NOT NULL,
  rate TEXT NOT NULL,
  effective_from INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (base, quote, effective_from)
);

-- One CPA per player and program: the primary key settles two qualifying events racing.
CREATE TABLE cpa_qualifications (
  program_id INTEGER NOT NULL,
  operator_id INTEGER NOT NULL,
  player_key TEXT NOT NULL,
  affiliate_id INTEGER NOT NULL,
  conversion_id TEXT NOT NULL,
  period TEXT NOT NULL,
  paid INTEGER NOT NULL,
  qualified_at INTEGER NOT NULL,
  PRIMARY KEY (program_id, operator_id, player_key)
);
CREATE INDEX cpa_qualifications_period ON cpa_qualifications (affiliate_id, program_id, period);

-- Append-only: amounts and explanations are never changed; status moves forward
-- (pending -> approved -> paid, or pending -> reversed) with its timestamp.
CREATE TABLE ledger_entries (
  id TEXT PRIMARY KEY,
  conversion_id TEXT NOT NULL,
  operator_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL,
  player_key TEXT,
  kind TEXT NOT NULL,
  component TEXT NOT NULL,
  status TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  source_amount_minor INTEGER,
  source_currency TEXT,
  fx_rate TEXT,
  reason TEXT,
  window_days INTEGER,
  reverses_entry_id TEXT,
  period TEXT NOT NULL,
  explain TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  approve_at INTEGER NOT NULL,
  approved_at INTEGER,
  paid_at INTEGER,
  payout_id TEXT
);
CREATE INDEX ledger_entries_conversion ON ledger_entries (conversion_id);
CREATE INDEX ledger_entries_affiliate ON ledger_entries (affiliate_id, period);
CREATE INDEX ledger_entries_program ON ledger_entries (program_id, period);
CREATE INDEX ledger_entries_due ON ledger_entries (approve_at) WHERE status = 'pending';
CREATE INDEX ledger_entries_reverses ON ledger_entries (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;

CREATE TABLE payouts (
  id TEXT PRIMARY KEY,
  affiliate_id INTEGER NOT NULL,
  period TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  entries INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX payouts_affiliate ON payouts (affiliate_id, period);
