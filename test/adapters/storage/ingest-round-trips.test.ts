/**
 * How many statements an ingest batch sends to PostgreSQL, counted on the `pg` connection itself
 * (every query a client sends, BEGIN and COMMIT included): each one is a round trip, and while a
 * batch holds a month lock (caps, revshare floors) every one after the lock delays every other
 * batch of that affiliate and program. A batch of fresh, attributed FTDs through the full pipeline
 * (the iGaming preset plan, an active endpoint) and through the minimal one (neither). And the
 * ledger write held back to ride with the outbox insert (held-writes.ts) still rolls its batch back
 * when a concurrent batch qualified the player first.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { createCommissionEffect } from "../../../src/app/commissions/commission-effect.ts";
import { PlanCache } from "../../../src/app/commissions/plan-cache.ts";
import { EndpointCache } from "../../../src/app/delivery/endpoint-cache.ts";
import { createOutboundEffect } from "../../../src/app/delivery/outbound-effect.ts";
import { LostRaceError } from "../../../src/app/ingest/commit-postbacks.ts";
import type { Store } from "../../../src/app/ports.ts";
import { issueClickId } from "../../../src/domain/click-id.ts";
import { PLAN_PRESETS } from "../../../src/domain/commissions/presets.ts";
import { createTestStore, hasPostgres } from "../../helpers/engines.ts";
import { batchingFor, createIngestor, getRequest, OPEN_AUTH } from "../../helpers/ingest-harness.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { gate, until } from "../../helpers/until.ts";
import { endpointInput } from "../delivery/delivery-kit.ts";

/** The statements of each transaction, as the connections sent them (BEGIN … COMMIT). */
function countTransactions(): { transactions: string[][]; restore(): void } {
  const transactions: string[][] = [];
  const open = new WeakMap<object, string[]>();
  const original = pg.Client.prototype.query;
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this passes them on.
  pg.Client.prototype.query = function (this: pg.Client, config: any, ...rest: any[]) {
    const text = String(typeof config === "string" ? config : config?.text).replace(/\s+/g, " ");
    if (text.startsWith("BEGIN")) open.set(this, []);
    const current = open.get(this);
    current?.push(text.slice(0, 60));
    if (current && (text === "COMMIT" || text === "ROLLBACK")) {
      transactions.push(current);
      open.delete(this);
    }
    return (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof original;
  return {
    transactions,
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}

async function batchOf(store: Store, f: Fixture, pipeline: "full" | "minimal", size: number) {
  const ids = createIds();
  const secret = randomBytes(32);
  const effects =
    pipeline === "full"
      ? [
          createCommissionEffect({
            plans: new PlanCache(systemClock, 60_000),
            clock: systemClock,
            ids,
            clickSecrets: [secret],
          }),
          createOutboundEffect({ cache: new EndpointCache(systemClock), clock: systemClock, ids }),
        ]
      : [];
  // One batch at a time, so the batch below is one transaction.
  const ingestor = createIngestor(store, secret, batchingFor("postgres", { concurrency: 1 }), effects);
  /** A click stored as the redirect stores it (before its postback), carrying the txid as sub1. */
  const click = async (txid: string) => {
    const clickId = issueClickId(
      secret,
      { linkId: f.link.id, issuedAtSeconds: Math.floor(Date.now() / 1000) },
      randomBytes(6),
    );
    await store.insertClicks([
      {
        clickId,
        linkId: f.link.id,
        affiliateId: f.affiliate.id,
        programId: f.program.id,
        createdAt: Date.now(),
        subs: [txid, null, null, null, null],
        ip: null,
        userAgent: null,
        referer: null,
      },
    ]);
    return clickId;
  };
  const send = (txid: string, clickId: string) =>
    ingestor.handle(
      getRequest(f.operator.key, {
        event: "ftd",
        txid,
        click_id: clickId,
        player_id: `player-${txid}`,
        amount: "25.00",
        currency: "EUR",
      }),
    );
  // Warm: the caches (plans, programs, endpoints, column types) and prepared statements.
  const warm = `${pipeline}-warm`;
  assert.equal((await send(warm, await click(warm))).status, 200);
  const txids = Array.from({ length: size }, (_, i) => `${pipeline}-${i}`);
  const clicks = await Promise.all(txids.map(click));
  const counted = countTransactions();
  try {
    const answers = await Promise.all(txids.map((txid, i) => send(txid, clicks[i]!)));
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 200),
    );
  } finally {
    counted.restore();
    await ingestor.drain();
  }
  return counted.transactions;
}

describe("ingest round trips (postgres)", { skip: !(await hasPostgres()) }, () => {
  let store: Store & { readonly url: string };
  let fixture: Fixture;
  before(async () => {
    store = await createTestStore("postgres");
    fixture = await createFixture(store, { auth: OPEN_AUTH });
  });
  after(() => store.close());

  test("a minimal-pipeline batch: BEGIN, known keys, records, COMMIT", async () => {
    const transactions = await batchOf(store, fixture, "minimal", 12);
    assert.ok(transactions.length >= 1 && transactions.length <= 2, `${transactions.length} batches`);
    for (const statements of transactions) assert.equal(statements.length, 4, statements.join("\n"));
  });

  test("a full-pipeline batch: the ledger reads in one statement, the ledger and outbox writes in one", async () => {
    const now = Date.now();
    await store.commissions.createPlan(
      {
        programId: fixture.program.id,
        affiliateId: null,
        effectiveFrom: 0,
        terms: PLAN_PRESETS.igaming,
        note: null,
      },
      now,
    );
    await store.deliveries.endpoints.create(
      endpointInput(fixture.affiliate.id, { urlTemplate: "http://127.0.0.1:9/pb?cid={click_id}&s1={sub1}" }),
      now,
      "Created disabled.",
    );
    const transactions = await batchOf(store, fixture, "full", 12);
    assert.ok(transactions.length >= 1 && transactions.length <= 2, `${transactions.length} batches`);
    // BEGIN; known txids and players, and the clicks for the outbound macros; records;
    // qualifications, history and bindings, then the month lock (the preset floors revshare);
    // month usage; ledger and outbox; COMMIT.
    for (const statements of transactions) assert.equal(statements.length, 7, statements.join("\n"));
    const deliveries = await store.deliveries.list({ affiliateId: fixture.affiliate.id, limit: 50 });
    assert.equal(deliveries.length, 13, "every FTD queued its message");
    for (const delivery of deliveries) {
      const conversion = await store.getConversion(delivery.conversionId);
      assert.equal(delivery.payload["sub1"], conversion!.txid, "the macros read the clicks read ahead");
    }
  });

  test("a held ledger write that lost a qualification race rolls its batch back", async () => {
    const key = { programId: fixture.program.id, operatorId: fixture.operator.id, playerKey: "raced" };
    const month = { affiliateId: fixture.affiliate.id, programId: fixture.program.id, period: "2020-01" };
    const qualification = (conversionId: string) => ({
      ...key,
      affiliateId: month.affiliateId,
      conversionId,
      period: month.period,
      paid: true,
      qualifiedAt: Date.UTC(2020, 0, 5),
    });
    const watcher = new pg.Client({ connectionString: store.url });
    await watcher.connect();
    try {
      const hold = gate();
      const flushed = gate();
      // A: its qualification written (a read through the transaction sends the held write), not
      // yet committed.
      const a = store.ingest(async (tx) => {
        await tx.ledger.recordLater(
          { qualifications: [qualification("cv-a")], entries: [] },
          () => new Error("a"),
        );
        await tx.ledger.usage([month]);
        flushed.open();
        await hold.opened;
      });
      await flushed.opened;
      // B: the same player's qualification, held until the end of its work, waits for A's row.
      const b = store.ingest(async (tx) => {
        await tx.ledger.recordLater(
          { qualifications: [qualification("cv-b")], entries: [] },
          () => new LostRaceError("a CPA qualification of this batch"),
        );
      });
      // Its refusal may come before the assertion below awaits it (under load the lock wait is seen
      // late): caught at once, so it is never an unhandled rejection.
      const bRefused = b.then(
        () => undefined,
        (error: unknown) => error,
      );
      await until(
        async () =>
          Number(
            (
              await watcher.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
              )
            ).rows[0].n,
          ) > 0,
        "B waiting for A's qualification",
      );
      hold.open();
      await a;
      assert.ok((await bRefused) instanceof LostRaceError, "B lost the race and rolled back");
      const rows = await watcher.query(
        "SELECT conversion_id FROM cpa_qualifications WHERE player_key = 'raced'",
      );
      assert.deepEqual(
        rows.rows.map((r) => r.conversion_id),
        ["cv-a"],
      );
      const usage = await watcher.query(
        "SELECT qualified FROM month_usage WHERE affiliate_id = $1 AND program_id = $2 AND period = $3",
        [month.affiliateId, month.programId, month.period],
      );
      assert.equal(Number(usage.rows[0].qualified), 1, "B's totals went with its rollback");
    } finally {
      await watcher.end();
    }
  });
});
