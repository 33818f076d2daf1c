/**
 * The full pipeline as a new user configures it: the program gets its vertical's preset commission
 * plan (iGaming: CPA on a first deposit, 25 % revshare floored at 0 per month, 30-day hold) and the
 * affiliate an active outbound endpoint (GET, the default statuses) pointing at the benchmark's
 * keep-alive receiver, so every accepted postback writes ledger entries and an outbox message that
 * the dispatcher then delivers. The minimal pipeline (no plan, no endpoint) is what the fixture
 * alone gives.
 */

import type { Store } from "../src/app/ports.ts";
import { PLAN_PRESETS } from "../src/domain/commissions/presets.ts";
import { DEFAULT_FIRE_STATUSES } from "../src/domain/outbound-status.ts";
import { encodeSecret } from "../src/domain/signing.ts";
import type { Fixture } from "../test/helpers/service.ts";

export const PIPELINES = ["full", "minimal"] as const;
export type Pipeline = (typeof PIPELINES)[number];

/** The outbound URL: the macros an affiliate's tracker typically takes back. */
export const receiverTemplate = (receiverUrl: string): string =>
  `${receiverUrl}/pb?cid={click_id}&s1={sub1}&ev={event}&payout={payout}&cur={currency}&st={status}&id={delivery_id}`;

/** Adds the preset plan and the receiver endpoint to the fixture's program and affiliate. */
export async function setUpFullPipeline(store: Store, fixture: Fixture, receiverUrl: string): Promise<void> {
  const now = Date.now();
  await store.commissions.createPlan(
    {
      programId: fixture.program.id,
      affiliateId: null,
      effectiveFrom: 0,
      terms: PLAN_PRESETS[fixture.program.vertical],
      note: "vertical preset (benchmark)",
    },
    now,
  );
  await store.deliveries.endpoints.create(
    {
      affiliateId: fixture.affiliate.id,
      name: "benchmark receiver",
      urlTemplate: receiverTemplate(receiverUrl),
      method: "GET",
      events: [],
      programIds: [],
      statuses: [...DEFAULT_FIRE_STATUSES],
      delaySeconds: 0,
      includeTest: false,
      secret: encodeSecret(Buffer.alloc(24, 7)),
      status: "active",
    },
    now,
    "Created disabled.",
  );
}
