/** JSON schemas of conversions, request-log rows and clicks (their JSON: record-json.ts). */
import Type from "typebox";
import { UNATTRIBUTED_REASONS } from "../../../../app/records.ts";
import { REQUEST_OUTCOMES } from "../../../../domain/request-outcome.ts";
import { ID, Nullable, OneOf, TIME } from "./schemas.ts";

const STRING = Type.String();
const TEXT = Nullable(STRING);
const NUMBER_OR_NULL = Nullable(ID);

/** The time filters of the time-ordered lists. */
export const TIME_RANGE = {
  since: Type.Optional(Type.String({ format: "date-time", description: "From this time (inclusive)." })),
  until: Type.Optional(Type.String({ format: "date-time", description: "Before this time (exclusive)." })),
};

export const CONVERSION = Type.Object({
  id: STRING,
  operator_id: ID,
  txid: STRING,
  event: STRING,
  program_id: NUMBER_OR_NULL,
  affiliate_id: NUMBER_OR_NULL,
  link_id: NUMBER_OR_NULL,
  click_id: TEXT,
  player_id: TEXT,
  amount: Nullable(STRING, { description: "Exact decimal in the currency's minor unit." }),
  amount_minor: Nullable(Type.Integer()),
  currency: TEXT,
  lots: TEXT,
  reverses_id: TEXT,
  occurred_at: TIME,
  received_at: TIME,
  attributed: Type.Boolean(),
  unattributed_reason: Nullable(OneOf(UNATTRIBUTED_REASONS)),
  test: Type.Boolean(),
  sub_id: TEXT,
  extra: Type.Record(Type.String(), STRING),
  reconciliation_id: Nullable(STRING, {
    description: "The reconciliation run whose backfill wrote it; null: live.",
  }),
  no_commission_plan: Type.Boolean({
    description:
      "Attributed and live, but no plan or deal of its program was in force for its affiliate at occurred_at: it earned nothing for that reason (POST /v1/programs/{id}/recalculations credits it once a plan exists).",
  }),
});

export const REQUEST_LOG = Type.Object({
  id: STRING,
  received_at: TIME,
  operator_id: NUMBER_OR_NULL,
  method: STRING,
  path: STRING,
  ip: TEXT,
  status: Type.Integer(),
  code: STRING,
  reason: TEXT,
  latency_us: Type.Integer(),
  txid: TEXT,
  conversion_id: TEXT,
  program_id: Nullable(ID, { description: "The program it concerned, when known." }),
  outcome: OneOf(REQUEST_OUTCOMES),
  raw: Type.Object(
    {},
    { additionalProperties: true, description: "The request as received, secrets redacted." },
  ),
  answer: Nullable(Type.Object({}, { additionalProperties: true }), {
    description: "The JSON body answered (null for entries logged before version 011 of the schema).",
  }),
  reconciliation_id: Nullable(STRING, {
    description: "The reconciliation run whose backfill made it; null: live.",
  }),
});

export const CLICK = Type.Object({
  click_id: STRING,
  link_id: ID,
  affiliate_id: ID,
  program_id: ID,
  created_at: TIME,
  sub1: TEXT,
  sub2: TEXT,
  sub3: TEXT,
  sub4: TEXT,
  sub5: TEXT,
  ip: Nullable(STRING, { description: "In the configured privacy-safe form." }),
  user_agent: TEXT,
  referer: TEXT,
});
