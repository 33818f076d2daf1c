/**
 * Active endpoints per affiliate, cached like the catalog (src/app/catalog.ts) so that a batch whose
 * affiliates have no endpoints costs no query. Misses are loaded through the ingest transaction
 * (on SQLite the store's lock is held by it). Entries live `ttlMs`; local admin writes invalidate.
 */
import type { Clock } from "../ports.ts";
import type { Endpoint, OutboxTx } from "./outbox-port.ts";

interface Entry {
  readonly endpoints: readonly Endpoint[];
  readonly expires: number;
}

export class EndpointCache {
  private readonly entries = new Map<number, Entry>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(clock: Clock, ttlMs = 2000) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  /** Endpoints of each affiliate (an empty list when none), loading the misses in one query. */
  async of(tx: OutboxTx, affiliateIds: readonly number[]): Promise<Map<number, readonly Endpoint[]>> {
    const now = this.clock.now();
    const out = new Map<number, readonly Endpoint[]>();
    const missing: number[] = [];
    for (const id of new Set(affiliateIds)) {
      const hit = this.entries.get(id);
      if (hit && hit.expires > now) out.set(id, hit.endpoints);
      else missing.push(id);
    }
    if (!missing.length) return out;
    const loaded = await tx.endpointsOf(missing);
    if (this.entries.size > 50_000) this.entries.clear();
    for (const id of missing) {
      const endpoints = loaded.filter((e) => e.affiliateId === id);
      this.entries.set(id, { endpoints, expires: now + this.ttlMs });
      out.set(id, endpoints);
    }
    return out;
  }

  /** Called after any local endpoint change. */
  invalidate(): void {
    this.entries.clear();
  }
}
