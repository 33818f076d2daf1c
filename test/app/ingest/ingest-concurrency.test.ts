/**
 * Idempotency and limits under concurrency: many identical or conflicting requests at once, small
 * batches overlapping on PostgreSQL's pool, and two Postwire processes (two ingestors, two pools)
 * sharing one PostgreSQL database.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import type { PostbackIngestor } from "../../../src/app/ingest/ingest-postback.ts";
import { availableEngines } from "../../helpers/engines.ts";
import {
  type Answer,
  batchingFor,
  createIngestor,
  getRequest,
  type IngestHarness,
  type Params,
  parseAnswer,
  startIngest,
} from "../../helpers/ingest-harness.ts";

const SMALL_BATCHES = { maxBatch: 3 };

async function withHarness(
  engine: "sqlite" | "postgres",
  batching: { maxBatch?: number },
  work: (h: IngestHarness) => Promise<void>,
) {
  const h = await startIngest(engine, batching);
  try {
    await work(h);
  } finally {
    await h.close();
  }
}

/** A second Postwire process on the same database: its own pool, catalog, ids and group commit. */
async function withSecondProcess(
  h: IngestHarness,
  work: (other: PostbackIngestor) => Promise<void>,
  batching: { maxBatch?: number } = SMALL_BATCHES,
) {
  const store = openStore(h.store.url);
  const other = createIngestor(store, h.clickSecret, batchingFor("postgres", batching));
  try {
    await work(other);
  } finally {
    await other.drain();
    await store.close();
  }
}

const sendTo = async (ingestor: PostbackIngestor, key: string, params: Params): Promise<Answer> =>
  parseAnswer(await ingestor.handle(getRequest(key, params)));

async function rowsOf(h: IngestHarness, txid: string) {
  const rows = await h.store.listConversions({ operatorId: h.fixture.operator.id, limit: 1000 });
  return rows.filter((r) => r.txid === txid);
}

for (const engine of await availableEngines()) {
  describe(`concurrent ingest (${engine})`, () => {
    for (const [label, batching] of [
      ["one batch", {}],
      ["small overlapping batches", SMALL_BATCHES],
    ] as const) {
      test(`50 identical requests at once → one conversion, 50 × 200 with one conversion_id (${label})`, async () => {
        await withHarness(engine, batching, async (h) => {
          const params = { event: "ftd", txid: "same-1", click_id: h.click(), amount: "25", currency: "EUR" };
          const answers = await Promise.all(Array.from({ length: 50 }, () => h.send(params)));
          assert.ok(answers.every((a) => a.status === 200));
          assert.deepEqual(new Set(answers.map((a) => a.body["conversion_id"])).size, 1);
          assert.equal(answers.filter((a) => a.body["code"] === "accepted").length, 1);
          const rows = await rowsOf(h, "same-1");
          assert.equal(rows.length, 1);
          assert.equal(rows[0]!.id, answers[0]!.body["conversion_id"]);
        });
      });

      test(`20 requests with one txid and different amounts → one accepted, the rest 409 (${label})`, async () => {
        await withHarness(engine, batching, async (h) => {
          const click = h.click();
          const answers = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              h.send({
                event: "ftd",
                txid: "contended",
                click_id: click,
                amount: String(i + 1),
                currency: "EUR",
              }),
            ),
          );
          const accepted = answers.filter((a) => a.status === 200);
          assert.equal(accepted.length, 1);
          assert.ok(answers.every((a) => a.status === 200 || a.body["code"] === "txid_conflict"));
          const rows = await rowsOf(h, "contended");
          assert.equal(rows.length, 1);
          assert.equal(rows[0]!.id, accepted[0]!.body["conversion_id"]);
        });
      });
    }
  });

  if (engine !== "postgres") continue;

  describe("two processes sharing one PostgreSQL", () => {
    test("racing on the same txids → one row per txid, one accepted, every answer names it", async () => {
      await withHarness(engine, SMALL_BATCHES, async (h) => {
        await withSecondProcess(h, async (other) => {
          const txids = Array.from({ length: 20 }, (_, i) => `race-${i}`);
          const click = h.click();
          const params = (txid: string) => ({ event: "registration", txid, click_id: click });
          const sent: Array<Promise<[string, Answer]>> = [];
          for (let copy = 0; copy < 3; copy++) {
            for (const txid of copy % 2 ? [...txids].reverse() : txids) {
              sent.push(h.send(params(txid)).then((a) => [txid, a]));
              sent.push(sendTo(other, h.fixture.operator.key, params(txid)).then((a) => [txid, a]));
            }
          }
          const answers = await Promise.all(sent);
          const stored = await h.store.listConversions({ operatorId: h.fixture.operator.id, limit: 1000 });
          assert.equal(stored.length, txids.length);
          const idOf = new Map(stored.map((r) => [r.txid, r.id]));
          for (const [txid, answer] of answers) {
            assert.equal(answer.status, 200, JSON.stringify(answer.body));
            assert.equal(answer.body["conversion_id"], idOf.get(txid));
          }
          for (const txid of txids) {
            const accepted = answers.filter(([t, a]) => t === txid && a.body["code"] === "accepted");
            assert.equal(accepted.length, 1, `${txid} accepted once`);
          }
        });
      });
    });

    test("refunds racing in two processes never take more than the original", async () => {
      await withHarness(engine, SMALL_BATCHES, async (h) => {
        await h.send({ event: "ftd", txid: "orig", click_id: h.click(), amount: "100.00", currency: "EUR" });
        await withSecondProcess(h, async (other) => {
          const refund = (i: number) => ({
            event: "refund",
            txid: `rf-${i}`,
            reverses: "orig",
            amount: "10",
            currency: "EUR",
          });
          const answers = await Promise.all(
            Array.from({ length: 24 }, (_, i) =>
              i % 2 ? h.send(refund(i)) : sendTo(other, h.fixture.operator.key, refund(i)),
            ),
          );
          assert.equal(answers.filter((a) => a.status === 200).length, 10);
          assert.ok(answers.every((a) => a.status === 200 || a.body["code"] === "reversal_exceeds_original"));
          const rows = await h.store.listConversions({ operatorId: h.fixture.operator.id, limit: 1000 });
          const reversed = rows
            .filter((r) => r.event === "refund")
            .reduce((sum, r) => sum + (r.amountMinor ?? 0), 0);
          assert.equal(reversed, 10_000);
        });
      });
    });

    test("player bindings racing in two processes: events following a binding follow the stored one", async () => {
      await withHarness(engine, {}, async (h) => {
        const affiliate = await h.store.affiliates.create(
          { name: "B", email: null, status: "active" },
          Date.now(),
        );
        const second = await h.store.links.create(
          {
            code: `race-${Date.now()}`,
            affiliateId: affiliate.id,
            programId: h.fixture.program.id,
            status: "active",
            landingUrlTemplate: null,
          },
          Date.now(),
        );
        await withSecondProcess(
          h,
          async (other) => {
            const key = h.fixture.operator.key;
            // Warm both catalogs so every request below is submitted in one turn: one batch each,
            // in which the deposits follow the registration binding their player.
            for (const [ingestor, link] of [
              [h.ingestor, h.fixture.link],
              [other, second],
            ] as const) {
              await sendTo(ingestor, key, {
                event: "registration",
                txid: `warm-${link.id}`,
                click_id: h.click(link),
              });
            }
            const sent: Array<Promise<Answer>> = [];
            for (let p = 0; p < 8; p++) {
              for (const [ingestor, link, side] of [
                [h.ingestor, h.fixture.link, "a"],
                [other, second, "b"],
              ] as const) {
                const player = { player_id: `racer-${p}` };
                sent.push(
                  sendTo(ingestor, key, {
                    event: "registration",
                    txid: `reg-${p}-${side}`,
                    ...player,
                    click_id: h.click(link),
                  }),
                );
                sent.push(
                  sendTo(ingestor, key, {
                    event: "deposit",
                    txid: `dep-${p}-${side}`,
                    ...player,
                    amount: "1",
                    currency: "EUR",
                  }),
                );
              }
            }
            assert.ok((await Promise.all(sent)).every((a) => a.status === 200));
          },
          {},
        );
        const rows = await h.store.listConversions({ operatorId: h.fixture.operator.id, limit: 1000 });
        const keys = Array.from({ length: 8 }, (_, p) => ({
          operatorId: h.fixture.operator.id,
          playerId: `racer-${p}`,
        }));
        const players = await h.store.ingest((tx) => tx.findPlayers(keys));
        assert.equal(players.length, 8);
        for (const binding of players) {
          const deposits = rows.filter((r) => r.event === "deposit" && r.playerId === binding.playerId);
          assert.equal(deposits.length, 2);
          for (const deposit of deposits)
            assert.equal(deposit.linkId, binding.linkId, `${deposit.txid} follows the binding`);
        }
      });
    });
  });
}
