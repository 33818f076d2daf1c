/**
 * Read-through cache of the configuration the hot paths need on every request: operators by key
 * (with decoded auth), links by code and id, programs by id. Entries live `ttlMs` so several
 * processes sharing one database see admin changes quickly; local changes invalidate at once.
 */
import type { Link, Operator, Program } from "../domain/model.ts";
import { type PreparedAuth, prepareAuth } from "../domain/postback-auth.ts";
import type { Clock, Store } from "./ports.ts";

export interface OperatorEntry {
  readonly operator: Operator;
  /** undefined when the stored settings no longer validate (the operator then fails closed). */
  readonly auth: PreparedAuth | undefined;
}

interface Cached<T> {
  readonly value: T | undefined;
  readonly expires: number;
}

class TtlCache<K, T> {
  private readonly entries = new Map<K, Cached<T>>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  constructor(ttlMs: number, clock: Clock) {
    this.ttlMs = ttlMs;
    this.clock = clock;
  }
  async get(key: K, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = await load();
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(key, { value, expires: now + this.ttlMs });
    return value;
  }
  clear(): void {
    this.entries.clear();
  }
}

export class Catalog {
  private readonly store: Store;
  private readonly operators: TtlCache<string, OperatorEntry>;
  private readonly linksByCode: TtlCache<string, Link>;
  private readonly linksById: TtlCache<number, Link>;
  private readonly programs: TtlCache<number, Program>;
  private readonly operatorPrograms: TtlCache<number, Program[]>;

  constructor(store: Store, clock: Clock, ttlMs = 2000) {
    this.store = store;
    this.operators = new TtlCache(ttlMs, clock);
    this.linksByCode = new TtlCache(ttlMs, clock);
    this.linksById = new TtlCache(ttlMs, clock);
    this.programs = new TtlCache(ttlMs, clock);
    this.operatorPrograms = new TtlCache(ttlMs, clock);
  }

  operatorByKey(key: string): Promise<OperatorEntry | undefined> {
    return this.operators.get(key, async () => {
      const operator = await this.store.operators.getByKey(key);
      if (!operator) return undefined;
      const auth = prepareAuth(operator.auth);
      return { operator, auth: auth.ok ? auth.value : undefined };
    });
  }

  linkByCode(code: string): Promise<Link | undefined> {
    return this.linksByCode.get(code, () => this.store.links.getByCode(code));
  }

  linkById(id: number): Promise<Link | undefined> {
    return this.linksById.get(id, () => this.store.links.get(id));
  }

  program(id: number): Promise<Program | undefined> {
    return this.programs.get(id, () => this.store.programs.get(id));
  }

  programsOf(operatorId: number): Promise<Program[] | undefined> {
    return this.operatorPrograms.get(operatorId, () => this.store.programs.list({ operatorId, limit: 1000 }));
  }

  /** Called after any local admin change. */
  invalidate(): void {
    this.operators.clear();
    this.linksByCode.clear();
    this.linksById.clear();
    this.programs.clear();
    this.operatorPrograms.clear();
  }
}
