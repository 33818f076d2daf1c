/**
 * The one read-through cache of the hot paths' configuration (operators, links, programs, plans,
 * endpoints): the ingest and click paths ask on every request or batch, so a hit, including a
 * remembered "nothing", must cost a map lookup. Each entry lives `ttlMs`, so processes sharing one
 * database see admin changes within the TTL; local admin writes call `clear()` at once. A cache
 * past `maxEntries` is emptied before it grows further (bounded memory without LRU bookkeeping:
 * the working set reloads within one TTL).
 */
import type { Clock } from "./ports.ts";

interface Entry<V> {
  readonly value: V;
  readonly expires: number;
}

interface TtlCacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(clock: Clock, options: TtlCacheOptions) {
    this.clock = clock;
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
  }

  /** The value of `key`, from `load` when it is not cached or has expired. */
  async get(key: K, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = await load();
    this.put(key, value, now);
    return value;
  }

  /**
   * The rows grouped under each key (an empty list for a key with none), the keys not cached
   * loaded in one call: `load` gets them and returns their rows, which `groupOf` sorts by key.
   */
  async getGroups<R>(
    this: TtlCache<K, readonly R[]>,
    keys: readonly K[],
    groupOf: (row: R) => K,
    load: (missing: K[]) => Promise<readonly R[]>,
  ): Promise<Map<K, readonly R[]>> {
    const now = this.clock.now();
    const out = new Map<K, readonly R[]>();
    const missing: K[] = [];
    for (const key of new Set(keys)) {
      const hit = this.entries.get(key);
      if (hit && hit.expires > now) out.set(key, hit.value);
      else missing.push(key);
    }
    if (!missing.length) return out;
    const groups = new Map<K, R[]>(missing.map((key) => [key, []]));
    for (const row of await load(missing)) groups.get(groupOf(row))?.push(row);
    for (const [key, rows] of groups) {
      this.put(key, rows, now);
      out.set(key, rows);
    }
    return out;
  }

  /** The cached value of `key`, or undefined when it is not cached or has expired (no load). */
  peek(key: K): V | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expires > this.clock.now() ? hit.value : undefined;
  }

  clear(): void {
    this.entries.clear();
  }

  private put(key: K, value: V, now: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expires: now + this.ttlMs });
  }
}
