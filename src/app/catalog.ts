/**
 * Read-through cache (ttl-cache.ts) of the configuration the hot paths need on every request: operators by key
 * (with decoded auth), links by code and id, programs by id. Entries live `ttlMs` so several
 * processes sharing one database see admin changes quickly; local changes invalidate at once.
 */
import type { Link, Operator, Program } from "../domain/model.ts";
import { type PreparedAuth, prepareAuth } from "../domain/postback-auth.ts";
import type { Clock, Store } from "./ports.ts";
import { TtlCache } from "./ttl-cache.ts";

interface OperatorEntry {
  readonly operator: Operator;
  /** undefined when the stored settings no longer validate (the operator then fails closed). */
  readonly auth: PreparedAuth | undefined;
}

export class Catalog {
  private readonly store: Store;
  private readonly operators: TtlCache<string, OperatorEntry | undefined>;
  private readonly linksByCode: TtlCache<string, Link | undefined>;
  private readonly linksById: TtlCache<number, Link | undefined>;
  private readonly programs: TtlCache<number, Program | undefined>;
  private readonly operatorPrograms: TtlCache<number, Program[] | undefined>;

  constructor(store: Store, clock: Clock, ttlMs = 2000) {
    this.store = store;
    const options = { ttlMs, maxEntries: 50_000 };
    this.operators = new TtlCache(clock, options);
    this.linksByCode = new TtlCache(clock, options);
    this.linksById = new TtlCache(clock, options);
    this.programs = new TtlCache(clock, options);
    this.operatorPrograms = new TtlCache(clock, options);
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
