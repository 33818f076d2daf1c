/**
 * The configuration entities' storage (operators, programs, affiliates, links, API keys) and the
 * filters of the admin lists, as `Store` exposes them.
 */
import type { Vertical } from "../../domain/event-types.ts";
import type { LinkStatus, OperatorAuth, Role, Status } from "../../domain/model.ts";
import type { ParamMapping } from "../../domain/postback-params.ts";
import type { RequestOutcome } from "../../domain/request-outcome.ts";
import type { TimeKey } from "../records.ts";

export interface NewOperator {
  readonly name: string;
  readonly key: string;
  readonly status: Status;
  readonly auth: OperatorAuth;
  readonly mapping: ParamMapping;
}
export interface NewProgram {
  readonly operatorId: number;
  readonly name: string;
  readonly vertical: Vertical;
  readonly currency: string;
  readonly landingUrlTemplate: string;
  readonly fallbackUrl: string | null;
  readonly allowedEvents: readonly string[];
  readonly lookbackDays: number;
  readonly status: Status;
}
export interface NewAffiliate {
  readonly name: string;
  readonly email: string | null;
  readonly status: Status;
}
export interface NewLink {
  readonly code: string;
  readonly affiliateId: number;
  readonly programId: number;
  readonly status: LinkStatus;
  readonly landingUrlTemplate: string | null;
}
export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly operatorId: number | null;
  readonly affiliateId: number | null;
  readonly prefix: string;
  readonly hash: string;
}

/** Filters for listing; each adapter applies only those it is given. */
export interface ListFilter {
  readonly operatorId?: number;
  readonly affiliateId?: number;
  readonly programId?: number;
  readonly limit?: number;
  /** Return rows with id greater than this (keyset pagination). */
  readonly after?: number;
}

export interface RequestLogFilter {
  readonly operatorId?: number;
  readonly programId?: number;
  readonly outcome?: RequestOutcome;
  /** The HTTP status answered. */
  readonly status?: number;
  readonly code?: string;
  readonly txid?: string;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface ConversionFilter {
  readonly operatorId?: number;
  readonly affiliateId?: number;
  readonly programId?: number;
  readonly attributed?: boolean;
  readonly event?: string;
  readonly test?: boolean;
  /** The event's own time (`occurred_at`): from (inclusive) and before (exclusive). */
  readonly occurredSince?: number;
  readonly occurredUntil?: number;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface ClickFilter {
  /** Clicks on the programs of this operator (clicks carry their link's program, fixed at creation). */
  readonly operatorId?: number;
  readonly affiliateId?: number;
  readonly linkId?: number;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface Entities<T, New, Patch = Partial<New>> {
  create(row: New, now: number): Promise<T>;
  get(id: number): Promise<T | undefined>;
  list(filter: ListFilter): Promise<T[]>;
  update(id: number, patch: Patch, now: number): Promise<T | undefined>;
}

/** Entities whose read-modify-write updates must not lose each other's changes. */
export interface GuardedEntities<T, New> extends Entities<T, New> {
  /**
   * Compare-and-set: writes `patch` only while the row still holds the `expected` values (those
   * read before computing the patch). Undefined when the row is missing or was changed meanwhile.
   */
  updateIf(id: number, expected: Partial<New>, patch: Partial<New>, now: number): Promise<T | undefined>;
}

/** An operator's last traffic, for "has it gone silent?" (null: none stored). */
export interface OperatorActivity {
  /** The last postback of any outcome still in the request log (pruned after its retention). */
  readonly lastPostbackAt: number | null;
  /** The last accepted postback (its conversion's receipt; conversions are kept). */
  readonly lastAcceptedAt: number | null;
}
