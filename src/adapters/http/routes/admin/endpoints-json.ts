/** JSON shapes of endpoints, deliveries and attempts (schemas feed /openapi.json). */
import {
  type Attempt,
  DELIVERY_STATES,
  type Delivery,
  ENDPOINT_METHODS,
  ENDPOINT_STATUSES,
  type Endpoint,
  FIRE_STATUSES,
} from "../../../../app/delivery/outbox-port.ts";
import { ID, iso, isoOrNull, nullable, record, TIME } from "./schemas.ts";

const STRING = { type: "string" } as const;
const INT = { type: "integer" } as const;

export const ENDPOINT = record({
  id: ID,
  affiliate_id: ID,
  name: STRING,
  url_template: STRING,
  method: { type: "string", enum: [...ENDPOINT_METHODS] },
  events: { type: "array", items: STRING },
  program_ids: { type: "array", items: ID },
  statuses: { type: "array", items: { type: "string", enum: [...FIRE_STATUSES] } },
  delay_seconds: INT,
  include_test: { type: "boolean" },
  status: { type: "string", enum: [...ENDPOINT_STATUSES] },
  previous_secret_expires_at: {
    ...nullable(TIME),
    description:
      "Until when the secret the last rotation replaced still signs next to the current one; null when none does (never rotated, rotated with grace_hours 0, or the grace period is over).",
  },
  disabled_reason: nullable(STRING),
  disabled_at: nullable(TIME),
  consecutive_failures: INT,
  created_at: TIME,
  updated_at: TIME,
});

export const endpointJson = (e: Endpoint) => ({
  id: e.id,
  affiliate_id: e.affiliateId,
  name: e.name,
  url_template: e.urlTemplate,
  method: e.method,
  events: e.events,
  program_ids: e.programIds,
  statuses: e.statuses,
  delay_seconds: e.delaySeconds,
  include_test: e.includeTest,
  status: e.status,
  previous_secret_expires_at: isoOrNull(e.previousSecretExpiresAt),
  disabled_reason: e.disabledReason,
  disabled_at: isoOrNull(e.disabledAt),
  consecutive_failures: e.consecutiveFailures,
  created_at: iso(e.createdAt),
  updated_at: iso(e.updatedAt),
});

export const DELIVERY = record({
  id: STRING,
  endpoint_id: ID,
  affiliate_id: ID,
  conversion_id: STRING,
  status: { type: "string", enum: [...FIRE_STATUSES] },
  test: { type: "boolean" },
  payload: { type: "object", additionalProperties: STRING },
  state: { type: "string", enum: [...DELIVERY_STATES] },
  run_at: TIME,
  attempts: INT,
  last_error: nullable(STRING),
  last_status: nullable(INT),
  created_at: TIME,
  delivered_at: nullable(TIME),
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

export const ATTEMPT = record({
  id: STRING,
  delivery_id: STRING,
  endpoint_id: ID,
  attempt: INT,
  started_at: TIME,
  method: STRING,
  url: { type: "string", description: "The URL called, secret-looking values redacted." },
  http_status: nullable(INT),
  latency_ms: INT,
  error: nullable(STRING),
  detail: nullable(STRING),
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
