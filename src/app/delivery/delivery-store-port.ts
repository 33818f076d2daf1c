/**
 * What the dispatcher and the admin API need of storage for outbound postbacks, outside the ingest
 * transaction. Implemented by src/adapters/storage/delivery-store.ts for both engines.
 */
import type { SigningSecrets } from "../../domain/secret-rotation.ts";
import type { ClickRow, ConversionRow, TimeKey } from "../records.ts";
import type {
  Attempt,
  Delivery,
  DeliveryState,
  Endpoint,
  EndpointPatch,
  NewDelivery,
  NewEndpoint,
} from "./outbox-port.ts";

interface EndpointFilter {
  readonly affiliateId?: number;
  readonly limit?: number;
  readonly after?: number;
}

export interface DeliveryFilter {
  readonly affiliateId?: number;
  readonly endpointId?: number;
  readonly conversionId?: string;
  readonly state?: DeliveryState;
  /** Deliveries of test events only (true) or live only (false); both when absent. */
  readonly test?: boolean;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

interface ProgramDeliveryFilter {
  readonly programId: number;
  readonly kind: "dead" | "failing";
  readonly limit?: number;
}

export interface AttemptFilter {
  readonly affiliateId?: number;
  readonly endpointId?: number;
  readonly deliveryId?: string;
  /** Only attempts that failed (no 2xx). */
  readonly failed?: boolean;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface ClaimRequest {
  readonly workerId: string;
  readonly now: number;
  readonly limit: number;
  /** A claim older than this is abandoned (its process died) and may be taken again. */
  readonly staleBefore: number;
  /** Only these endpoints' rows (new deliveries of theirs, room freed in their lanes); all when absent. */
  readonly endpoints?: readonly number[];
  /** Endpoints are served in id order from just after this one (fairness across claims). */
  readonly rotateAfter?: number;
  /** Endpoints this process may not take more rows of right now (at their cap). */
  readonly busyEndpoints: readonly number[];
  /** Most rows of one endpoint this process may hold, counting `inFlight` (unless `caps` says). */
  readonly perEndpoint: number;
  /** Endpoints' own caps where they differ from `perEndpoint` (an endpoint that keeps up holds more). */
  readonly caps?: ReadonlyMap<number, number>;
  /** Rows of each endpoint this process holds now (claimed, outcome not committed). */
  readonly inFlight?: ReadonlyMap<number, number>;
}

/** What an attempt needs of its endpoint, read in the claim's transaction (no lookup per delivery). */
export type ClaimedEndpoint = Pick<
  Endpoint,
  | "id"
  | "urlTemplate"
  | "method"
  | "secret"
  | "previousSecret"
  | "previousSecretExpiresAt"
  | "status"
  | "consecutiveFailures"
>;

/** A delivery this worker has claimed (attempts already counted), with its endpoint as of the claim. */
export interface ClaimedDelivery
  extends Pick<Delivery, "id" | "endpointId" | "payload" | "attempts" | "lastError" | "lastStatus"> {
  readonly endpoint: ClaimedEndpoint;
}

/** How one attempt ended, written together with its attempt-log row. */
export interface AttemptOutcome {
  readonly state: DeliveryState;
  readonly runAt: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly deliveredAt: number | null;
}

/** One `finish` of a batch. */
export interface FinishItem {
  readonly id: string;
  readonly workerId: string;
  readonly outcome: AttemptOutcome;
  readonly attempt: Attempt | null;
  readonly now: number;
}

export interface ReplayRange {
  readonly endpointId: number;
  readonly since?: number;
  readonly until?: number;
  /** Which deliveries to send again (missing or empty: dead ones). */
  readonly states?: readonly DeliveryState[] | undefined;
}

/** Where the approval forwarder resumes: a position in (approved_at, conversion id, endpoint id) order. */
export interface ForwardCursor {
  readonly approvedAt: number;
  readonly conversionId: string;
  readonly endpointId: number;
}

/** A conversion whose commission was approved and an endpoint subscribed to `approved` not yet sent it. */
export interface ApprovalToForward extends ForwardCursor {
  readonly conversion: ConversionRow;
  readonly click: ClickRow | undefined;
  /** The affiliate's approved (or paid) commission on the conversion, overrides excluded. */
  readonly payoutMinor: number;
  readonly currency: string;
}

export interface DeliveryStore {
  readonly endpoints: {
    /**
     * Creates an endpoint. One created disabled records `disabledReason` and `now` as why and
     * when it was disabled (as `disable` does); for an active one the reason is ignored.
     */
    create(row: NewEndpoint, now: number, disabledReason?: string): Promise<Endpoint>;
    get(id: number): Promise<Endpoint | undefined>;
    list(filter: EndpointFilter): Promise<Endpoint[]>;
    /**
     * A status change pauses the endpoint's pending deliveries (disabled) or resumes its paused ones
     * (active), so the claim's index holds only deliveries that can be sent.
     */
    update(id: number, patch: EndpointPatch, now: number): Promise<Endpoint | undefined>;
    /** Disables with a reason (kept for display); no-op when already disabled. */
    /** Disables an active endpoint (pausing its pending deliveries), with the reason. */
    disable(id: number, reason: string, now: number): Promise<void>;
    /** Counts a failure (returns the new run of consecutive failures) or resets it on success. */
    recordResult(id: number, ok: boolean, now: number): Promise<number>;
    /**
     * Writes the secrets a rotation computed, only if the endpoint's secret is still `expected`
     * (the one the rotation read): undefined when another rotation came first, or it is gone.
     */
    replaceSecrets(
      id: number,
      expected: string,
      next: SigningSecrets,
      now: number,
    ): Promise<Endpoint | undefined>;
    /**
     * Erases (sets to NULL, with its expiry) every previous secret whose grace period ended at or
     * before `now`; returns how many. One statement whose WHERE compares the expiry with `now`, so
     * a rotation committed meanwhile (a new previous secret, expiring later) is left alone.
     */
    eraseExpiredSecrets(now: number): Promise<number>;
  };
  /**
   * Takes due rows for this worker (FOR UPDATE SKIP LOCKED on PostgreSQL), in (run_at, id) order.
   * Attempts are counted here; each row comes with its endpoint, read in the same transaction.
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** Frees every claim (SQLite at start: the only dispatcher of a file). */
  releaseAll(): Promise<number>;
  /**
   * Hands back claims this worker took and never attempted (a stopping dispatcher's queue): the
   * rows are free again at once, their attempt uncounted.
   */
  release(ids: readonly string[], workerId: string): Promise<number>;
  /** Records an attempt (if one was made) and the delivery's new state, if this worker still holds the claim. */
  finish(
    id: string,
    workerId: string,
    outcome: AttemptOutcome,
    attempt: Attempt | null,
    now: number,
  ): Promise<void>;
  /**
   * Many `finish`es and then, when `claim` is given, a claim, in one transaction: the dispatcher's
   * group commit, where the slots a batch frees are refilled in the same commit.
   */
  finishAndClaim(items: readonly FinishItem[], claim: ClaimRequest | null): Promise<ClaimedDelivery[]>;
  get(id: string): Promise<Delivery | undefined>;
  list(filter: DeliveryFilter): Promise<Delivery[]>;
  /**
   * A program's deliveries (those of its conversions), newest first: `dead` ones, or `failing`
   * ones (pending again after at least one failed attempt).
   */
  listOfProgram(filter: ProgramDeliveryFilter): Promise<Delivery[]>;
  attempts(filter: AttemptFilter): Promise<Attempt[]>;
  /** Makes one delivery due now with a fresh schedule; false when it does not exist. */
  replay(id: string, now: number): Promise<boolean>;
  /** The same for every delivery of an endpoint in a creation-time range; returns how many. */
  replayRange(range: ReplayRange, now: number): Promise<number>;
  /**
   * Approvals after `after` (in cursor order) with no `approved` delivery yet for an active endpoint
   * of the conversion's affiliate that lists `approved` (events and programs are checked by the caller).
   */
  approvalsToForward(after: ForwardCursor, limit: number): Promise<ApprovalToForward[]>;
  /** Writes messages outside ingest; one already written for (endpoint, conversion, status) is kept. */
  enqueue(rows: readonly NewDelivery[], now: number): Promise<void>;
  /** Deletes attempt-log rows started, and delivered deliveries delivered, before `before`, in chunks. */
  prune(before: number, chunk?: number): Promise<{ attempts: number; deliveries: number }>;
  /** Pending rows whose run_at has passed (of active endpoints). */
  dueBacklog(now: number): Promise<number>;
}
