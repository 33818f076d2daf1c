/** Column lists and row mapping for endpoints, deliveries and the attempt log. */
import type { ClaimedDelivery, ClaimedEndpoint } from "../../app/delivery/delivery-store-port.ts";
import type {
  Attempt,
  Delivery,
  DeliveryState,
  Endpoint,
  EndpointMethod,
  EndpointStatus,
  FireStatus,
  NewDelivery,
} from "../../app/delivery/outbox-port.ts";
import { num, type SqlRow, type SqlValue, str } from "./sql-driver.ts";

export function endpointFromRow(r: SqlRow): Endpoint {
  return {
    id: Number(r["id"]),
    affiliateId: Number(r["affiliate_id"]),
    name: String(r["name"]),
    urlTemplate: String(r["url_template"]),
    method: String(r["method"]) as EndpointMethod,
    events: JSON.parse(String(r["events"])) as string[],
    programIds: JSON.parse(String(r["program_ids"])) as number[],
    statuses: JSON.parse(String(r["statuses"])) as FireStatus[],
    delaySeconds: Number(r["delay_seconds"]),
    includeTest: Number(r["include_test"]) === 1,
    secret: String(r["secret"]),
    previousSecret: str(r["previous_secret"]),
    previousSecretExpiresAt: num(r["previous_secret_expires_at"]),
    status: String(r["status"]) as EndpointStatus,
    disabledReason: str(r["disabled_reason"]),
    disabledAt: num(r["disabled_at"]),
    consecutiveFailures: Number(r["consecutive_failures"] ?? 0),
    failingSince: num(r["failing_since"]),
    createdAt: Number(r["created_at"]),
    updatedAt: Number(r["updated_at"]),
  };
}

export const DELIVERY_COLUMNS = [
  "id",
  "endpoint_id",
  "affiliate_id",
  "conversion_id",
  "status",
  "test",
  "payload",
  "state",
  "run_at",
  "attempts",
  "created_at",
  "updated_at",
] as const;

export const deliveryValues = (d: NewDelivery, now: number): SqlValue[] => [
  d.id,
  d.endpointId,
  d.affiliateId,
  d.conversionId,
  d.status,
  d.test ? 1 : 0,
  JSON.stringify(d.payload),
  "pending",
  d.runAt,
  0,
  now,
  now,
];

export function deliveryFromRow(r: SqlRow): Delivery {
  return {
    id: String(r["id"]),
    endpointId: Number(r["endpoint_id"]),
    affiliateId: Number(r["affiliate_id"]),
    conversionId: String(r["conversion_id"]),
    status: String(r["status"]) as FireStatus,
    test: Number(r["test"]) === 1,
    payload: JSON.parse(String(r["payload"])) as Record<string, string>,
    state: String(r["state"]) as DeliveryState,
    runAt: Number(r["run_at"]),
    attempts: Number(r["attempts"]),
    lastError: str(r["last_error"]),
    lastStatus: num(r["last_status"]),
    lockedAt: num(r["locked_at"]),
    lockedBy: str(r["locked_by"]),
    createdAt: Number(r["created_at"]),
    updatedAt: Number(r["updated_at"]),
    deliveredAt: num(r["delivered_at"]),
  };
}

/** The columns a claim returns: what an attempt needs, not the whole row. */
export const CLAIMED_COLUMNS = "id, endpoint_id, payload, attempts, last_error, last_status";
/** What an attempt needs of its endpoint, the secrets of a rotation's grace period included. */
export const CLAIMED_ENDPOINT_COLUMNS =
  "id, url_template, method, secret, previous_secret, previous_secret_expires_at, status, consecutive_failures";

export function claimedEndpointFromRow(r: SqlRow): ClaimedEndpoint {
  return {
    id: Number(r["id"]),
    urlTemplate: String(r["url_template"]),
    method: String(r["method"]) as EndpointMethod,
    secret: String(r["secret"]),
    previousSecret: str(r["previous_secret"]),
    previousSecretExpiresAt: num(r["previous_secret_expires_at"]),
    status: String(r["status"]) as EndpointStatus,
    consecutiveFailures: Number(r["consecutive_failures"] ?? 0),
  };
}

export function claimedFromRow(r: SqlRow, endpoint: ClaimedEndpoint): ClaimedDelivery {
  return {
    id: String(r["id"]),
    endpointId: endpoint.id,
    payload: JSON.parse(String(r["payload"])) as Record<string, string>,
    attempts: Number(r["attempts"]),
    lastError: str(r["last_error"]),
    lastStatus: num(r["last_status"]),
    endpoint,
  };
}

export const ATTEMPT_COLUMNS = [
  "id",
  "delivery_id",
  "endpoint_id",
  "attempt",
  "started_at",
  "method",
  "url",
  "http_status",
  "latency_ms",
  "error",
  "detail",
  "response_snippet",
] as const;

export const attemptValues = (a: Attempt): SqlValue[] => [
  a.id,
  a.deliveryId,
  a.endpointId,
  a.attempt,
  a.startedAt,
  a.method,
  a.url,
  a.httpStatus,
  Math.round(a.latencyMs),
  a.error,
  a.detail,
  a.responseSnippet,
];

export function attemptFromRow(r: SqlRow): Attempt {
  return {
    id: String(r["id"]),
    deliveryId: String(r["delivery_id"]),
    endpointId: Number(r["endpoint_id"]),
    attempt: Number(r["attempt"]),
    startedAt: Number(r["started_at"]),
    method: String(r["method"]) as EndpointMethod,
    url: String(r["url"]),
    httpStatus: num(r["http_status"]),
    latencyMs: Number(r["latency_ms"]),
    error: str(r["error"]),
    detail: str(r["detail"]),
    responseSnippet: String(r["response_snippet"] ?? ""),
  };
}
