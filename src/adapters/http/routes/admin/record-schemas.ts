/** JSON schemas of conversions, request-log rows and clicks (their JSON: record-json.ts). */
import { UNATTRIBUTED_REASONS } from "../../../../app/records.ts";
import { ID, nullable, record, TIME } from "./schemas.ts";

const STRING = { type: "string" } as const;
const TEXT = nullable(STRING);
const NUMBER_OR_NULL = nullable(ID);

export const TIME_RANGE = {
  since: { ...TIME, description: "From this time (inclusive)." },
  until: { ...TIME, description: "Before this time (exclusive)." },
} as const;

export const CONVERSION = record({
  id: STRING,
  operator_id: ID,
  txid: STRING,
  event: STRING,
  program_id: NUMBER_OR_NULL,
  affiliate_id: NUMBER_OR_NULL,
  link_id: NUMBER_OR_NULL,
  click_id: TEXT,
  player_id: TEXT,
  amount: nullable({ type: "string", description: "Exact decimal in the currency's minor unit." }),
  amount_minor: nullable({ type: "integer" }),
  currency: TEXT,
  lots: TEXT,
  reverses_id: TEXT,
  occurred_at: TIME,
  received_at: TIME,
  attributed: { type: "boolean" },
  unattributed_reason: nullable({ type: "string", enum: [...UNATTRIBUTED_REASONS, null] }),
  test: { type: "boolean" },
  sub_id: TEXT,
  extra: { type: "object", additionalProperties: STRING },
});

export const REQUEST_LOG = record({
  id: STRING,
  received_at: TIME,
  operator_id: NUMBER_OR_NULL,
  method: STRING,
  path: STRING,
  ip: TEXT,
  status: { type: "integer" },
  code: STRING,
  reason: TEXT,
  latency_us: { type: "integer" },
  txid: TEXT,
  conversion_id: TEXT,
  raw: {
    type: "object",
    additionalProperties: true,
    description: "The request as received, secrets redacted.",
  },
});

export const CLICK = record({
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
  ip: nullable({ type: "string", description: "In the configured privacy-safe form." }),
  user_agent: TEXT,
  referer: TEXT,
});
