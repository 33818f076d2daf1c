/**
 * The hot paths' use cases as the service runs them; bench/ingest-core.ts builds the same ones, so
 * the bench measures what production does.
 */
import { createCommissionEffect } from "../app/commissions/commission-effect.ts";
import { planCacheFor } from "../app/commissions/plan-cache.ts";
import type { GroupCommitOptions } from "../app/group-commit.ts";
import type { ConversionEffect } from "../app/ingest/ingest-port.ts";
import {
  createPostbackIngestor,
  type IngestDeps,
  type PostbackIngestor,
} from "../app/ingest/ingest-postback.ts";
import type { Store } from "../app/ports.ts";
import type { Config } from "../config.ts";

/** Group-commit settings for an engine, from the configuration (bench/ingest-core.ts uses them too). */
export function batchingFor(config: Config, engine: Store["engine"]): GroupCommitOptions {
  return {
    maxBatch: config.batchMax,
    // SQLite has one writer: one flush at a time. PostgreSQL overlaps a few batches on its pool.
    concurrency: engine === "sqlite" ? 1 : config.batchConcurrency,
    maxPending: config.maxPending,
    minIntervalMs: config.batchIntervalMs,
  };
}

/**
 * The postback ingestor with its effects as the service runs it; bench/ingest-core.ts builds the
 * same one, so the bench measures what production does.
 */
export function createIngestor(
  deps: Omit<IngestDeps, "clickSecrets" | "effects"> & {
    readonly clickSecret: Buffer;
    readonly outboundEffect: ConversionEffect;
  },
): PostbackIngestor {
  const { clickSecret, outboundEffect, ...rest } = deps;
  const { catalog, clock, ids } = deps;
  return createPostbackIngestor({
    ...rest,
    clickSecrets: [clickSecret],
    // Outbound last: commissions fill the payouts the outbound messages carry.
    effects: [
      createCommissionEffect({
        plans: planCacheFor(catalog, clock),
        clock,
        ids,
        clickSecrets: [clickSecret],
      }),
      outboundEffect,
    ],
  });
}
