/**
 * Plans and deals per program (ttl-cache.ts): the ingest path asks on every batch, and a
 * program without a plan must cost a map lookup. Admin writes invalidate it; other processes see
 * changes within the TTL.
 */
import { mergeTerms, type Terms } from "../../domain/commissions/terms.ts";
import type { Clock } from "../ports.ts";
import { TtlCache } from "../ttl-cache.ts";
import type { LedgerTx, PlanVersion, ProgramTerms, RateVersion } from "./ledger-port.ts";

export class PlanCache {
  private readonly cache: TtlCache<number, readonly PlanVersion[]>;
  /** What the rules need of each program (currency, look-back), read in the ingest transaction. */
  private readonly terms: TtlCache<number, readonly ProgramTerms[]>;
  constructor(clock: Clock, ttlMs = 2000) {
    this.cache = new TtlCache(clock, { ttlMs, maxEntries: 10_000 });
    this.terms = new TtlCache(clock, { ttlMs, maxEntries: 10_000 });
  }

  /**
   * Programs' terms, loaded through the transaction when not cached (on SQLite a read outside it
   * would wait for it): a batch of a known program reads nothing.
   */
  async programs(tx: LedgerTx, programIds: readonly number[]): Promise<Map<number, ProgramTerms>> {
    const groups = await this.terms.getGroups(
      programIds,
      (p) => p.id,
      async (missing) => [...(await tx.programs(missing)).values()],
    );
    const out = new Map<number, ProgramTerms>();
    for (const [id, [program]] of groups) if (program) out.set(id, program);
    return out;
  }

  /** Versions per program (empty when the program has no plan). */
  of(tx: LedgerTx, programIds: readonly number[]): Promise<Map<number, readonly PlanVersion[]>> {
    return this.cache.getGroups(
      programIds,
      (v) => v.programId,
      (missing) => tx.plans(missing),
    );
  }

  invalidate(): void {
    this.cache.clear();
    this.terms.clear();
  }
}

/** The latest version in force at `at` among those matching. */
function latest(
  versions: readonly PlanVersion[],
  affiliateId: number | null,
  at: number,
): PlanVersion | undefined {
  let found: PlanVersion | undefined;
  for (const v of versions) {
    if (v.affiliateId !== affiliateId || v.effectiveFrom > at) continue;
    if (
      !found ||
      v.effectiveFrom > found.effectiveFrom ||
      (v.effectiveFrom === found.effectiveFrom && v.id > found.id)
    )
      found = v;
  }
  return found;
}

/** The program's own plan version (not a deal) in force at `at`, if any. */
export const programPlanAt = (versions: readonly PlanVersion[], at: number): PlanVersion | undefined =>
  latest(versions, null, at);

/** The affiliate's own deal version in force at `at`, if any (not merged). */
export const dealAt = (
  versions: readonly PlanVersion[],
  affiliateId: number,
  at: number,
): PlanVersion | undefined => latest(versions, affiliateId, at);

/** The terms in force at `at` for an affiliate: its deal merged over the program's plan. */
export function termsAt(
  versions: readonly PlanVersion[],
  affiliateId: number,
  at: number,
): { terms: Terms; planId: number | null; dealId: number | null } | undefined {
  const plan = latest(versions, null, at);
  const deal = latest(versions, affiliateId, at);
  const terms = mergeTerms(plan?.terms, deal?.terms);
  return terms ? { terms, planId: plan?.id ?? null, dealId: deal?.id ?? null } : undefined;
}

/** The rate base→quote in force at `at`. */
export function rateAt(
  rates: readonly RateVersion[],
  base: string,
  quote: string,
  at: number,
): string | undefined {
  let found: RateVersion | undefined;
  for (const r of rates) {
    if (r.base !== base || r.quote !== quote || r.effectiveFrom > at) continue;
    if (!found || r.effectiveFrom >= found.effectiveFrom) found = r;
  }
  return found?.rate;
}

const byCatalog = new WeakMap<object, PlanCache>();

/**
 * The plan cache that goes with a catalog: the ingest effect and the admin routes share one
 * (admin writes invalidate it) without another dependency threaded through the HTTP layer.
 */
export function planCacheFor(catalog: object, clock: Clock): PlanCache {
  let cache = byCatalog.get(catalog);
  if (!cache) {
    cache = new PlanCache(clock);
    byCatalog.set(catalog, cache);
  }
  return cache;
}
