/**
 * Active endpoints per affiliate (ttl-cache.ts), so that a batch whose affiliates have no
 * endpoints costs no query. Misses are loaded through the ingest transaction (on SQLite the store's
 * lock is held by it). Entries live `ttlMs`; local admin writes invalidate.
 */

import type { Clock } from "../ports.ts";
import { TtlCache } from "../ttl-cache.ts";
import type { Endpoint, OutboxTx } from "./outbox-port.ts";

export class EndpointCache {
  private readonly cache: TtlCache<number, readonly Endpoint[]>;

  constructor(clock: Clock, ttlMs = 2000) {
    this.cache = new TtlCache(clock, { ttlMs, maxEntries: 50_000 });
  }

  /** Endpoints of each affiliate (an empty list when none), loading the misses in one query. */
  of(tx: OutboxTx, affiliateIds: readonly number[]): Promise<Map<number, readonly Endpoint[]>> {
    return this.cache.getGroups(
      affiliateIds,
      (e) => e.affiliateId,
      (missing) => tx.endpointsOf(missing),
    );
  }

  /**
   * Whether a conversion of these affiliates may fire: false only when each is cached with no
   * endpoint (a cost-free answer; a miss counts as maybe).
   */
  mayFire(affiliateIds: Iterable<number>): boolean {
    for (const id of affiliateIds) if (this.cache.peek(id)?.length !== 0) return true;
    return false;
  }

  /** Called after any local endpoint change. */
  invalidate(): void {
    this.cache.clear();
  }
}
