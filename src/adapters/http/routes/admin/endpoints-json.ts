/** Endpoints, deliveries and attempts as the API writes them, with their schemas. */

import Type from "typebox";
import {
  type Attempt,
  DELIVERY_STATES,
  type Delivery,
  ENDPOINT_METHODS,
  ENDPOINT_STATUSES,
  type Endpoint,
  FIRE_STATUSES,
} from "../../../../app/delivery/outbox-port.ts";
import { ID, iso, isoOrNull, Nullable, OneOf, TIME } from "./schemas.ts";

const STRING = Type.String();
const INT = Type.Integer();

export const ENDPOINT = Type.Object({
  id: ID,
  affiliate_id: ID,
  name: STRING,
  url_template: STRING,
  method: OneOf(ENDPOINT_METHODS),
  events: Type.Array(STRING),
  program_ids: Type.Array(ID),
  statuses: Type.Array(OneOf(FIRE_STATUSES)),
  delay_seconds: INT,
  include_test: Type.Boolean(),
  status: OneOf(ENDPOINT_STATUSES),
  previous_secret_expires_at: Nullable(TIME, {
    description:
      "Until when the secret the last rotation replaced still signs next to the current one; null when none does (never rotated, rotated with grace_hours 0, or the grace period is over).",
  }),
  disabled_reason: Nullable(STRING),
  disabled_at: Nullable(TIME),
  consecutive_failures: INT,
  failing_since: Nullable(TIME, {
    description: "When the current run of failed attempts began; null when the last attempt succeeded.",
  }),
  created_at: TIME,
  updated_at: TIME,
});

export const endpointJson = (e: Endpoint) => ({
  id: e.id,
  affiliate_id: e.affiliateId,
  name: e.name,
  url_template: e.urlTemplate,
  method: e.method,
  events: [...e.events],
  program_ids: [...e.programIds],
  statuses: [...e.statuses],
  delay_seconds: e.delaySeconds,
  include_test: e.includeTest,
  status: e.status,
  previous_secret_expires_at: isoOrNull(e.previousSecretExpiresAt),
  disabled_reason: e.disabledReason,
  disabled_at: isoOrNull(e.disabledAt),
  consecutive_failures: e.consecutiveFailures,
  failing_since: isoOrNull(e.failingSince),
  created_at: iso(e.createdAt),
  updated_at: iso(e.updatedAt),
});

export const DELIVERY = Type.Object({
  id: STRING,
  endpoint_id: ID,
  affiliate_id: ID,
  conversion_id: STRING,
  status: OneOf(FIRE_STATUSES),
  test: Type.Boolean(),
  payload: Type.Record(Type.String(), STRING),
  state: OneOf(DELIVERY_STATES),
  run_at: TIME,
  attempts: INT,
  last_error: Nullable(STRING),
  last_status: Nullable(INT),
  created_at: TIME,
  delivered_at: Nullable(TIME),
});

export const deliveryJson = (d: Delivery) => ({
  id: d.id,
  endpoint_id: d.endpointId,
  affiliate_id: d.affiliateId,
  conversion_id: d.conversionId,
  status: d.status,
  test: d.test,
  payload: d.payload,
  state: d.state,
  run_at: iso(d.runAt),
  attempts: d.attempts,
  last_error: d.lastError,
  last_status: d.lastStatus,
  created_at: iso(d.createdAt),
  delivered_at: isoOrNull(d.deliveredAt),
});

export const ATTEMPT = Type.Object({
  id: STRING,
  delivery_id: STRING,
  endpoint_id: ID,
  attempt: INT,
  started_at: TIME,
  method: STRING,
  url: Type.String({ description: "The URL called, secret-looking values redacted." }),
  http_status: Nullable(INT),
  latency_ms: INT,
  error: Nullable(STRING),
  detail: Nullable(STRING),
  response_snippet: STRING,
});

export const attemptJson = (a: Attempt) => ({
  id: a.id,
  delivery_id: a.deliveryId,
  endpoint_id: a.endpointId,
  attempt: a.attempt,
  started_at: iso(a.startedAt),
  method: a.method,
  url: a.url,
  http_status: a.httpStatus,
  latency_ms: a.latencyMs,
  error: a.error,
  detail: a.detail,
  response_snippet: a.responseSnippet,
});
