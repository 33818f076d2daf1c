/**
 * Rows grouped under an id (an affiliate's endpoints, a program's plan versions), cached like the
 * catalog (catalog.ts): the ingest path asks on every batch, so an id with nothing must cost a map
 * lookup. The ids missing from the cache are loaded in one call; each entry lives `ttlMs`, and
 * local admin writes invalidate everything (other processes see changes within the TTL).
 */
import type { Clock } from "./ports.ts";

export class GroupedCache<T> {
  private readonly entries = new Map<number, { readonly rows: readonly T[]; readonly expires: number }>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly groupOf: (row: T) => number;

  constructor(clock: Clock, groupOf: (row: T) => number, ttlMs: number, maxEntries: number) {
    this.clock = clock;
    this.groupOf = groupOf;
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  /** The rows of each id (an empty list when none); `load` reads the rows of the ids not cached. */
  async of(
    ids: readonly number[],
    load: (missing: number[]) => Promise<readonly T[]>,
  ): Promise<Map<number, readonly T[]>> {
    const now = this.clock.now();
    const out = new Map<number, readonly T[]>();
    const missing: number[] = [];
    for (const id of new Set(ids)) {
      const hit = this.entries.get(id);
      if (hit && hit.expires > now) out.set(id, hit.rows);
      else missing.push(id);
    }
    if (!missing.length) return out;
    const loaded = await load(missing);
    if (this.entries.size > this.maxEntries) this.entries.clear();
    for (const id of missing) {
      const rows = loaded.filter((row) => this.groupOf(row) === id);
      this.entries.set(id, { rows, expires: now + this.ttlMs });
      out.set(id, rows);
    }
    return out;
  }

  invalidate(): void {
    this.entries.clear();
  }
}
