/**
 * Outbound postbacks (DESIGN §4): the endpoint and delivery records, what the outbound effect writes
 * inside an ingest transaction (`OutboxTx`, committed together with the conversion), and what the
 * dispatcher and the admin API need outside it (`DeliveryStore`). Implemented over SQL by
 * src/adapters/storage/outbox-tx.ts and delivery-store.ts. Timestamps are epoch milliseconds.
 */
import type { FireStatus } from "../../domain/outbound-status.ts";
import type { ClickRow, ConversionRow } from "../records.ts";

/**
 * When an endpoint fires: a conversion is recorded, approved, reversed, rejected or adjusted by a
 * manager (the vocabulary and its reasons: src/domain/outbound-status.ts).
 */
export { DEFAULT_FIRE_STATUSES, FIRE_STATUSES, type FireStatus } from "../../domain/outbound-status.ts";

export const ENDPOINT_METHODS = ["GET", "POST"] as const;
export type EndpointMethod = (typeof ENDPOINT_METHODS)[number];

export const ENDPOINT_STATUSES = ["active", "disabled"] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/**
 * pending: waiting for its run_at (or claimed); paused: its endpoint is disabled (pending again,
 * as it was, when the endpoint is enabled); delivered: a 2xx came; dead: attempts exhausted.
 */
export const DELIVERY_STATES = ["pending", "paused", "delivered", "dead"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface NewEndpoint {
  readonly affiliateId: number;
  readonly name: string;
  readonly urlTemplate: string;
  readonly method: EndpointMethod;
  /** Event types that fire; empty = every event. */
  readonly events: readonly string[];
  /** Programs that fire; empty = every program. */
  readonly programIds: readonly number[];
  readonly statuses: readonly FireStatus[];
  readonly delaySeconds: number;
  /** Whether test-mode conversions are sent too. */
  readonly includeTest: boolean;
  /** 'whsec_…': signs POST deliveries (Standard Webhooks). */
  readonly secret: string;
  readonly status: EndpointStatus;
}

export interface Endpoint extends NewEndpoint {
  readonly id: number;
  /** The secret the last rotation replaced: signs too, next to `secret`, until it expires. */
  readonly previousSecret: string | null;
  /** When `previousSecret` stops signing (epoch ms); null when there is none. */
  readonly previousSecretExpiresAt: number | null;
  /** Why the endpoint was disabled (410 Gone, consecutive failures, by hand); null when active. */
  readonly disabledReason: string | null;
  readonly disabledAt: number | null;
  readonly consecutiveFailures: number;
  /** When the current run of failed attempts began; null when the last attempt succeeded. */
  readonly failingSince: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type EndpointPatch = Partial<Omit<NewEndpoint, "affiliateId" | "secret">>;

/** One outbox message: the macro values are fixed when it is written, the URL rendered per attempt. */
export interface Delivery {
  /** Stays the same across retries and replays: {delivery_id} and the webhook-id header. */
  readonly id: string;
  readonly endpointId: number;
  readonly affiliateId: number;
  readonly conversionId: string;
  readonly status: FireStatus;
  readonly test: boolean;
  /** Macro name → value (strings), without delivery_id. */
  readonly payload: Readonly<Record<string, string>>;
  readonly state: DeliveryState;
  readonly runAt: number;
  /** Attempts made so far. */
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly lockedAt: number | null;
  readonly lockedBy: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deliveredAt: number | null;
}

export type NewDelivery = Pick<
  Delivery,
  "id" | "endpointId" | "affiliateId" | "conversionId" | "status" | "test" | "payload" | "runAt"
> & {
  /**
   * The manual adjustment a `rejected`/`adjusted` message forwards: part of the outbox key, so a
   * conversion adjusted twice gets two messages, and one adjustment never two. Absent otherwise.
   */
  readonly adjustmentId?: string;
};

/** One row of the attempt log. */
export interface Attempt {
  readonly id: string;
  readonly deliveryId: string;
  readonly endpointId: number;
  /** 1 for the first attempt of the delivery (counting from its last replay). */
  readonly attempt: number;
  readonly startedAt: number;
  readonly method: EndpointMethod;
  /** The URL called, with secret-looking query values redacted. */
  readonly url: string;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly detail: string | null;
  readonly responseSnippet: string;
}

/** Outbox reads and writes inside the ingest transaction. */
export interface OutboxTx {
  /** Active endpoints of these affiliates (for the endpoint cache's misses). */
  endpointsOf(affiliateIds: readonly number[]): Promise<Endpoint[]>;
  /** Clicks by id (sub1…sub5); clicks pruned by retention are simply absent. */
  clicks(clickIds: readonly string[]): Promise<Map<string, ClickRow>>;
  /** Conversions by id (the originals of reversals). */
  conversions(ids: readonly string[]): Promise<Map<string, ConversionRow>>;
  /** Writes messages; one already written for (endpoint, conversion, status, adjustment) is kept. */
  enqueue(rows: readonly NewDelivery[], now: number): Promise<void>;
}
