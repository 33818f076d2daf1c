/**
 * The tables and columns of both engines' migrations (sqlite/migrations, postgres/migrations: one
 * schema), as Kysely's typed query builder reads them. Values are typed as our drivers return
 * them: integers (timestamps, money, int8 ids) as numbers on both engines, booleans as 0/1, JSON as
 * text. Keep in step with the migrations.
 */
import type { Generated } from "kysely";

type Int = number;
type Text = string;

export interface SettingsTable {
  key: Text;
  value: Text;
}

interface Stamped {
  created_at: Int;
  updated_at: Int;
}

export interface OperatorsTable extends Stamped {
  id: Generated<Int>;
  name: Text;
  key: Text;
  status: Text;
  auth: Text;
  mapping: Text;
}

export interface ProgramsTable extends Stamped {
  id: Generated<Int>;
  operator_id: Int;
  name: Text;
  vertical: Text;
  currency: Text;
  landing_url_template: Text;
  fallback_url: Text | null;
  allowed_events: Text;
  lookback_days: Int;
  status: Text;
}

export interface AffiliatesTable extends Stamped {
  id: Generated<Int>;
  name: Text;
  email: Text | null;
  status: Text;
  parent_id: Int | null;
}

export interface LinksTable extends Stamped {
  id: Generated<Int>;
  code: Text;
  affiliate_id: Int;
  program_id: Int;
  status: Text;
  landing_url_template: Text | null;
}

export interface ApiKeysTable {
  id: Generated<Int>;
  name: Text;
  role: Text;
  operator_id: Int | null;
  affiliate_id: Int | null;
  prefix: Text;
  key_hash: Text;
  created_at: Int;
  last_used_at: Int | null;
  revoked_at: Int | null;
}

export interface ConsoleSessionsTable {
  id_hash: Text;
  api_key_id: Int;
  created_at: Int;
  last_seen_at: Int;
  expires_at: Int;
  revoked_at: Int | null;
  ip: Text | null;
  user_agent: Text | null;
}

export interface ClicksTable {
  click_id: Text;
  link_id: Int;
  affiliate_id: Int;
  program_id: Int;
  created_at: Int;
  sub1: Text | null;
  sub2: Text | null;
  sub3: Text | null;
  sub4: Text | null;
  sub5: Text | null;
  ip: Text | null;
  user_agent: Text | null;
  referer: Text | null;
}

export interface ConversionsTable {
  id: Text;
  operator_id: Int;
  txid: Text;
  content_hash: Text;
  event: Text;
  program_id: Int | null;
  affiliate_id: Int | null;
  link_id: Int | null;
  click_id: Text | null;
  player_id: Text | null;
  amount_minor: Int | null;
  currency: Text | null;
  lots_milli: Int | null;
  reverses_id: Text | null;
  occurred_at: Int;
  received_at: Int;
  unattributed_reason: Text | null;
  test: Int;
  sub_id: Text | null;
  extra: Text;
  response: Text;
  reconciliation_id: Text | null;
}

export interface PlayersTable {
  operator_id: Int;
  player_id: Text;
  click_id: Text | null;
  link_id: Int;
  affiliate_id: Int;
  program_id: Int;
  bound_at: Int;
}

export interface RequestLogTable {
  id: Text;
  received_at: Int;
  operator_id: Int | null;
  method: Text;
  path: Text;
  ip: Text | null;
  status: Int;
  code: Text;
  reason: Text | null;
  latency_us: Int;
  txid: Text | null;
  conversion_id: Text | null;
  raw: Text;
  program_id: Int | null;
  outcome: Text;
  answer: Text | null;
  reconciliation_id: Text | null;
}

export interface PostbackTracesTable {
  request_log_id: Text;
  operator_id: Int | null;
  received_at: Int;
  mode: Text;
  trace: Text;
}

export interface RequestLogSignaturesTable {
  request_log_id: Text;
  operator_id: Int | null;
  received_at: Int;
  material: Text;
}

export interface ChecklistResetsTable {
  program_id: Int;
  reset_at: Int;
}

export interface CommissionPlansTable {
  id: Generated<Int>;
  program_id: Int;
  affiliate_id: Int | null;
  effective_from: Int;
  terms: Text;
  note: Text | null;
  created_at: Int;
}

export interface FxRatesTable {
  id: Generated<Int>;
  base: Text;
  quote: Text;
  rate: Text;
  effective_from: Int;
  created_at: Int;
}

export interface CpaQualificationsTable {
  program_id: Int;
  operator_id: Int;
  player_key: Text;
  affiliate_id: Int;
  conversion_id: Text;
  period: Text;
  paid: Int;
  qualified_at: Int;
}

export interface LedgerEntriesTable {
  id: Text;
  conversion_id: Text;
  operator_id: Int;
  program_id: Int;
  affiliate_id: Int;
  player_key: Text | null;
  kind: Text;
  component: Text;
  status: Text;
  amount_minor: Int;
  currency: Text;
  source_amount_minor: Int | null;
  source_currency: Text | null;
  fx_rate: Text | null;
  reason: Text | null;
  window_days: Int | null;
  reverses_entry_id: Text | null;
  period: Text;
  explain: Text;
  occurred_at: Int;
  created_at: Int;
  approve_at: Int;
  approved_at: Int | null;
  paid_at: Int | null;
  payout_id: Text | null;
}

export interface PayoutsTable {
  id: Text;
  affiliate_id: Int;
  period: Text;
  amount_minor: Int;
  currency: Text;
  entries: Int;
  created_at: Int;
}

export interface EndpointsTable extends Stamped {
  id: Generated<Int>;
  affiliate_id: Int;
  name: Text;
  url_template: Text;
  method: Text;
  events: Text;
  program_ids: Text;
  statuses: Text;
  delay_seconds: Int;
  include_test: Int;
  secret: Text;
  previous_secret: Text | null;
  previous_secret_expires_at: Int | null;
  status: Text;
  disabled_reason: Text | null;
  disabled_at: Int | null;
  consecutive_failures: Generated<Int>;
  failing_since: Int | null;
}

export interface AlertWebhooksTable extends Stamped {
  id: Generated<Int>;
  name: Text;
  url: Text;
  format: Text;
  secret: Text;
  status: Text;
}

export interface AlertsTable {
  id: Text;
  rule: Text;
  subject_kind: Text;
  subject_id: Int;
  subject_name: Text;
  state: Text;
  since: Int;
  resolved_at: Int | null;
  figures: Text;
  link: Text;
  created_at: Int;
  updated_at: Int;
}

export interface AlertNotificationsTable {
  id: Text;
  alert_id: Text;
  webhook_id: Int;
  transition: Text;
  state: Text;
  attempts: Int;
  run_at: Int;
  last_error: Text | null;
  last_status: Int | null;
  created_at: Int;
  delivered_at: Int | null;
}

export interface DeliveriesTable extends Stamped {
  id: Text;
  endpoint_id: Int;
  affiliate_id: Int;
  conversion_id: Text;
  adjustment_id: Generated<Text>;
  status: Text;
  test: Int;
  payload: Text;
  state: Text;
  run_at: Int;
  attempts: Generated<Int>;
  last_error: Text | null;
  last_status: Int | null;
  locked_at: Int | null;
  locked_by: Text | null;
  delivered_at: Int | null;
}

export interface DeliveryAttemptsTable {
  id: Text;
  delivery_id: Text;
  endpoint_id: Int;
  attempt: Int;
  started_at: Int;
  method: Text;
  url: Text;
  http_status: Int | null;
  latency_ms: Int;
  error: Text | null;
  detail: Text | null;
  response_snippet: Text;
}

export interface CommissionAdjustmentsTable {
  id: Text;
  conversion_id: Text;
  action: Text;
  reason_code: Text;
  note: Text | null;
  amount_minor: Int;
  currency: Text;
  entries: Int;
  created_by_key_id: Int | null;
  created_at: Int;
  idempotency_key: Text | null;
}

export interface CommissionRecalculationsTable {
  id: Text;
  program_id: Int;
  from_at: Int;
  to_at: Int;
  include_paid_periods: Int;
  /** 'unearned' or 'replan' (021_recalculation_mode.sql). */
  mode: Generated<Text>;
  replaced: Generated<Int>;
  conversions: Int;
  entries: Int;
  skipped_paid: Int;
  totals: Text;
  created_by_key_id: Int | null;
  created_at: Int;
}

export interface MonthUsageTable {
  affiliate_id: Int;
  program_id: Int;
  period: Text;
  qualified: Int;
  paid_cpa: Int;
  paid_minor: Int;
  revshare_minor: Int;
}

export interface LedgerBalancesTable {
  affiliate_id: Int;
  program_id: Int;
  period: Text;
  currency: Text;
  status: Text;
  amount_minor: Int;
}

export interface PostbackRollupTable {
  operator_id: Int;
  program_id: Int;
  hour_at: Int;
  outcome: Text;
  code: Text;
  latency_le_us: Int;
  count: Int;
  /** 019_rollup_slots.sql: a key's value is the sum over its slots. */
  slot: Int;
}

export interface ReportActivityTable {
  affiliate_id: Int;
  program_id: Int;
  bucket_at: Int;
  event: Text;
  currency: Text;
  count: Int;
  amount_minor: Int;
  /** 019_rollup_slots.sql: a key's value is the sum over its slots. */
  slot: Int;
}

/** 023_report_activity_delta.sql: report activity appended by each batch, until folded in. */
export interface ReportActivityDeltaTable {
  affiliate_id: Int;
  program_id: Int;
  bucket_at: Int;
  event: Text;
  currency: Text;
  count: Int;
  amount_minor: Int;
}

export interface ReportCommissionsTable {
  affiliate_id: Int;
  program_id: Int;
  bucket_at: Int;
  currency: Text;
  status: Text;
  amount_minor: Int;
}

export interface DeliveryRollupTable {
  program_id: Int;
  hour_at: Int;
  class: Text;
  count: Int;
}

export interface ReconciliationsTable {
  id: Text;
  operator_id: Int;
  from_at: Int;
  to_at: Int;
  format: Text;
  file_sha256: Text;
  file_bytes: Int;
  status: Text;
  error: Text | null;
  counts: Text;
  summary: Text;
  created_by_key_id: Int | null;
  created_at: Int;
  finished_at: Int | null;
}

export interface ReconciliationRowsTable {
  reconciliation_id: Text;
  seq: Int;
  category: Text;
  line: Int | null;
  txid: Text | null;
  event: Text | null;
  occurred_at: Int | null;
  fields: Text | null;
  differences: Text | null;
  error: Text | null;
  conversion_id: Text | null;
  backfill_code: Text | null;
}

export interface ReconciliationBackfillsTable {
  id: Text;
  reconciliation_id: Text;
  txids: Text | null;
  status: Text;
  attempted: Int;
  already_done: Int;
  outcomes: Text;
  created_by_key_id: Int | null;
  created_at: Int;
  finished_at: Int | null;
}

export interface ReconciliationBackfillRowsTable {
  backfill_id: Text;
  seq: Int;
  txid: Text | null;
  code: Text;
  conversion_id: Text | null;
}

export interface Database {
  settings: SettingsTable;
  operators: OperatorsTable;
  programs: ProgramsTable;
  affiliates: AffiliatesTable;
  links: LinksTable;
  api_keys: ApiKeysTable;
  console_sessions: ConsoleSessionsTable;
  clicks: ClicksTable;
  conversions: ConversionsTable;
  players: PlayersTable;
  request_log: RequestLogTable;
  postback_traces: PostbackTracesTable;
  checklist_resets: ChecklistResetsTable;
  request_log_signatures: RequestLogSignaturesTable;
  commission_plans: CommissionPlansTable;
  fx_rates: FxRatesTable;
  cpa_qualifications: CpaQualificationsTable;
  ledger_entries: LedgerEntriesTable;
  payouts: PayoutsTable;
  endpoints: EndpointsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  commission_adjustments: CommissionAdjustmentsTable;
  commission_recalculations: CommissionRecalculationsTable;
  alert_webhooks: AlertWebhooksTable;
  alerts: AlertsTable;
  alert_notifications: AlertNotificationsTable;
  reconciliations: ReconciliationsTable;
  reconciliation_rows: ReconciliationRowsTable;
  reconciliation_backfills: ReconciliationBackfillsTable;
  reconciliation_backfill_rows: ReconciliationBackfillRowsTable;
  month_usage: MonthUsageTable;
  ledger_balances: LedgerBalancesTable;
  postback_rollup: PostbackRollupTable;
  report_activity: ReportActivityTable;
  report_activity_delta: ReportActivityDeltaTable;
  report_commissions: ReportCommissionsTable;
  delivery_rollup: DeliveryRollupTable;
}
