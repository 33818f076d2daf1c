/**
 * Property-based tests of the ledger, driven through the real ingest pipeline (group commit, the
 * commission effect, real SQLite/PostgreSQL) with generated postback sequences: FTDs, signed
 * revenue, partial and whole reversals, on an iGaming plan without negative carry-over.
 * After each sequence: balance = sum of entries; each entry's compensations add up to exactly
 * -round(amount × share reversed) (never more than the entry, one rounding); a month's revshare
 * never goes below 0; and replaying every postback answers `duplicate` and changes nothing.
 * The same rules hold when reversals of one original and floors of one month race each other in
 * parallel transactions (PostgreSQL; it fails with the original's or the months' locks removed).
 * Throughout, the running totals (month usage, balances) equal a recount of the raw rows.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { createCommissionEffect } from "../../../src/app/commissions/commission-effect.ts";
import type { LedgerEntry } from "../../../src/app/commissions/ledger-port.ts";
import { PlanCache } from "../../../src/app/commissions/plan-cache.ts";
import type { GroupCommitOptions } from "../../../src/app/group-commit.ts";
import type { PostbackIngestor } from "../../../src/app/ingest/ingest-postback.ts";
import { divRound } from "../../../src/domain/commissions/exact.ts";
import { availableEngines } from "../../helpers/engines.ts";
import {
  batchingFor,
  createIngestor,
  getRequest,
  type IngestHarness,
  parseAnswer,
  startIngest,
} from "../../helpers/ingest-harness.ts";
import { assertTotalsMatchRecount } from "../../helpers/totals.ts";

const TERMS = {
  cpa: {
    amountMinor: 10000,
    qualification: { kind: "ftd" as const, minDepositMinor: 2000 },
    clawbackDays: 30,
  },
  revshare: { bps: 3333, negativeCarryOver: false },
};

const OPS = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant("ftd" as const),
      player: fc.nat(3),
      amount: fc.integer({ min: 1, max: 9999 }),
    }),
    fc.record({
      kind: fc.constant("revenue" as const),
      player: fc.nat(3),
      amount: fc.integer({ min: -9999, max: 9999 }).filter((n) => n !== 0),
    }),
    fc.record({
      kind: fc.constant("refund" as const),
      target: fc.nat(30),
      amount: fc.option(fc.integer({ min: 1, max: 9999 }), { nil: null }),
    }),
  ),
  { minLength: 1, maxLength: 14 },
);

const money = (minor: number) =>
  `${minor < 0 ? "-" : ""}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, "0")}`;

for (const engine of await availableEngines()) {
  describe(`ledger properties over generated postbacks (${engine})`, () => {
    let h: IngestHarness;
    let ingestor: PostbackIngestor;
    before(async () => {
      h = await startIngest(engine);
      ingestor = ledgerIngestor(h, batchingFor(engine));
    });
    after(async () => {
      await ingestor.drain();
      await h.close();
    });

    test("a reversal that takes the month below 0 moves its floor; later revenue counts the clawback", async () => {
      const f = await h.otherFixture();
      await h.store.commissions.createPlan(
        { programId: f.program.id, affiliateId: null, effectiveFrom: 0, terms: TERMS, note: null },
        Date.now(),
      );
      const tag = Math.random().toString(36).slice(2);
      const send = async (pairs: Array<[string, string]>) => {
        const answer = parseAnswer(await ingestor.handle(getRequest(f.operator.key, pairs)));
        assert.equal(answer.body["code"], "accepted", JSON.stringify(answer.body));
      };
      const revenue = (txid: string, amount: string) =>
        send([
          ["event", "revenue"],
          ["txid", `${tag}-${txid}`],
          ["player_id", "pl-floor"],
          ["click_id", h.click(f.link)],
          ["amount", amount],
          ["currency", "EUR"],
        ]);
      const refund = (txid: string, of: string) =>
        send([
          ["event", "refund"],
          ["txid", `${tag}-${txid}`],
          ["reverses", `${tag}-${of}`],
        ]);
      const month = async () => {
        const ledger = await h.store.commissions.listEntries({ programId: f.program.id, limit: 1000 });
        const revshare = ledger.filter((e) => e.component === "revshare");
        const sum = (kinds: string[]) =>
          revshare.filter((e) => kinds.includes(e.kind)).reduce((s, e) => s + e.amountMinor, 0);
        return { net: sum(["commission", "clawback"]), floors: sum(["floor"]) };
      };
      await revenue("win", "200.00"); // revshare +6666
      await revenue("loss", "-100.00"); // -3333: the month stays at +3333, no floor
      assert.deepEqual(await month(), { net: 3333, floors: 0 });
      await refund("r1", "win"); // -6666: the month would be -3333
      assert.deepEqual(await month(), { net: -3333, floors: 3333 }, "the floor keeps the month at 0");
      // Later revenue counts the clawback too: +3333 brings the month to 0, the floor moves back down.
      await revenue("later", "100.00");
      assert.deepEqual(await month(), { net: 0, floors: 0 }, "the floor moves back down");
      await refund("r2", "later"); // -3333 again: the floor comes back
      assert.deepEqual(await month(), { net: -3333, floors: 3333 });
      checkMonthFloor(await h.store.commissions.listEntries({ programId: f.program.id, limit: 1000 }));
      await assertTotalsMatchRecount(h.store.url);
    });

    test("reversals, losses and revenue in parallel transactions keep every rule", async () => {
      // One postback per transaction, several transactions at once on PostgreSQL (SQLite has one
      // writer): reversals of one original, and floors of one month, race each other.
      const parallel = ledgerIngestor(h, batchingFor(engine, { maxBatch: 1 }));
      try {
        for (let round = 0; round < 3; round++) {
          const f = await h.otherFixture();
          await h.store.commissions.createPlan(
            { programId: f.program.id, affiliateId: null, effectiveFrom: 0, terms: TERMS, note: null },
            Date.now(),
          );
          const tag = `${round}-${Math.random().toString(36).slice(2)}`;
          const sent: Array<{ txid: string; amount: number }> = [];
          const reversed = new Map<string, { share: number; whole: boolean }>();
          const revenue = (txid: string, player: number, amount: number) => ({
            txid,
            amount,
            pairs: [
              ["event", "revenue"],
              ["txid", txid],
              ["player_id", `pl${player}`],
              ["click_id", h.click(f.link)],
              ["amount", money(amount)],
              ["currency", "EUR"],
            ] as Array<[string, string]>,
          });
          const refund = (txid: string, of: string, amount: number | null) => ({
            txid,
            of,
            amount,
            pairs: [
              ["event", "refund"],
              ["txid", txid],
              ["reverses", of],
              ...(amount === null
                ? []
                : [["amount", money(amount)] as [string, string], ["currency", "EUR"] as [string, string]]),
            ] as Array<[string, string]>,
          });
          const send = async (pairs: Array<[string, string]>) =>
            parseAnswer(await parallel.handle(getRequest(f.operator.key, pairs))).body["code"];
          // Revenue first, one after the other: the originals the reversals take back.
          const originals = [15000, 8000, 6000, 4000, -3000].map((amount, i) =>
            revenue(`${tag}-o${i}`, i % 4, amount),
          );
          for (const o of originals) {
            assert.equal(await send(o.pairs), "accepted");
            sent.push(o);
          }
          const refunds = [
            refund(`${tag}-r0`, originals[0]!.txid, null),
            refund(`${tag}-r1`, originals[1]!.txid, 5000),
            refund(`${tag}-r2`, originals[1]!.txid, 5000), // together more than the original
            refund(`${tag}-r3`, originals[2]!.txid, 3000),
            refund(`${tag}-r4`, originals[3]!.txid, null),
            refund(`${tag}-r5`, originals[3]!.txid, 1000),
          ];
          const more = [
            revenue(`${tag}-m0`, 1, -5000),
            revenue(`${tag}-m1`, 2, 2000),
            revenue(`${tag}-m2`, 3, -7000),
          ];
          const codes = await Promise.all([...refunds, ...more].map((p) => send(p.pairs)));
          for (const [i, r] of refunds.entries()) {
            // Whichever of two racing reversals comes second may find the original used up.
            assert.ok(
              ["accepted", "reversal_exceeds_original"].includes(String(codes[i])),
              `${r.txid}: ${codes[i]}`,
            );
            if (codes[i] !== "accepted") continue;
            const was = reversed.get(r.of) ?? { share: 0, whole: false };
            reversed.set(r.of, { share: was.share + (r.amount ?? 0), whole: was.whole || r.amount === null });
            sent.push({ txid: r.txid, amount: r.amount ?? 0 });
          }
          // 5000 + 5000 of 8000: exactly one of the two partial reversals is taken, never both.
          assert.equal(codes.slice(1, 3).filter((c) => c === "accepted").length, 1, String(codes));
          for (const i of [0, 3]) assert.equal(codes[i], "accepted", refunds[i]!.txid);
          for (const [i, m] of more.entries()) {
            assert.equal(codes[refunds.length + i], "accepted");
            sent.push(m);
          }
          const ledger = await h.store.commissions.listEntries({ programId: f.program.id, limit: 10000 });
          checkBalance(await h.store.commissions.balances({ programId: f.program.id }), ledger);
          await checkReversals(h, ledger, sent, reversed);
          checkMonthFloor(ledger);
          assert.ok(
            ledger.some((e) => e.kind === "floor"),
            "the month went below 0 and was floored",
          );
          await assertTotalsMatchRecount(h.store.url);
        }
      } finally {
        await parallel.drain();
      }
    });

    test("balance = sum, reversals exact and bounded, no negative month, replays change nothing", async () => {
      let refunds = 0;
      await fc.assert(
        fc.asyncProperty(OPS, async (ops) => {
          const f = await h.otherFixture();
          await h.store.commissions.createPlan(
            { programId: f.program.id, affiliateId: null, effectiveFrom: 0, terms: TERMS, note: null },
            Date.now(),
          );
          const send = async (pairs: Array<[string, string]>) =>
            parseAnswer(await ingestor.handle(getRequest(f.operator.key, pairs)));
          const sent: Array<{ pairs: Array<[string, string]>; txid: string; amount: number }> = [];
          const reversed = new Map<string, { share: number; whole: boolean }>();
          for (const [i, op] of ops.entries()) {
            const txid = `t${i}-${Math.random().toString(36).slice(2)}`;
            let pairs: Array<[string, string]>;
            if (op.kind === "refund") {
              const target = sent[op.target % Math.max(sent.length, 1)];
              if (!target) continue;
              pairs = [
                ["event", "refund"],
                ["txid", txid],
                ["reverses", target.txid],
              ];
              if (op.amount !== null) pairs.push(["amount", money(op.amount)], ["currency", "EUR"]);
              const answer = await send(pairs);
              if (answer.body["code"] !== "accepted") continue;
              refunds++;
              const r = reversed.get(target.txid) ?? { share: 0, whole: false };
              reversed.set(target.txid, {
                share: r.share + (op.amount ?? 0),
                whole: r.whole || op.amount === null,
              });
              sent.push({ pairs, txid, amount: op.amount ?? 0 });
              continue;
            }
            pairs = [
              ["event", op.kind],
              ["txid", txid],
              ["player_id", `pl${op.player}`],
              ["click_id", h.click(f.link)],
              ["amount", money(op.amount)],
              ["currency", "EUR"],
            ];
            const answer = await send(pairs);
            assert.equal(answer.body["code"], "accepted", JSON.stringify(answer.body));
            sent.push({ pairs, txid, amount: op.amount });
          }
          const ledger = await h.store.commissions.listEntries({ programId: f.program.id, limit: 10000 });
          checkBalance(await h.store.commissions.balances({ programId: f.program.id }), ledger);
          await checkReversals(h, ledger, sent, reversed);
          checkMonthFloor(ledger);
          await assertTotalsMatchRecount(h.store.url);
          for (const s of [...sent].reverse()) assert.equal((await send(s.pairs)).body["code"], "duplicate");
          assert.deepEqual(
            await h.store.commissions.listEntries({ programId: f.program.id, limit: 10000 }),
            ledger,
          );
        }),
        { numRuns: 12 },
      );
      assert.ok(refunds > 0, "the sequences exercised reversals");
    });
  });
}

/** An ingestor with the commission effect, as the service builds it, over the harness's store. */
function ledgerIngestor(h: IngestHarness, batching: GroupCommitOptions): PostbackIngestor {
  const commissions = createCommissionEffect({
    plans: new PlanCache(systemClock, 0),
    clock: systemClock,
    ids: createIds(),
    clickSecrets: [h.clickSecret],
  });
  return createIngestor(h.store, h.clickSecret, batching, [commissions]);
}

function checkBalance(
  balances: ReadonlyArray<{
    pendingMinor: number;
    approvedMinor: number;
    paidMinor: number;
    reversedMinor: number;
  }>,
  ledger: readonly LedgerEntry[],
): void {
  const total = balances.reduce(
    (s, b) => s + b.pendingMinor + b.approvedMinor + b.paidMinor + b.reversedMinor,
    0,
  );
  assert.equal(
    total,
    ledger.reduce((s, e) => s + e.amountMinor, 0),
    "balance = sum of entries",
  );
}

async function checkReversals(
  h: IngestHarness,
  ledger: readonly LedgerEntry[],
  sent: ReadonlyArray<{ txid: string; amount: number }>,
  reversed: ReadonlyMap<string, { share: number; whole: boolean }>,
): Promise<void> {
  for (const e of ledger.filter((x) => x.reversesEntryId === null)) {
    const comp = ledger.filter((x) => x.reversesEntryId === e.id).reduce((s, x) => s + x.amountMinor, 0);
    if (e.kind === "floor") {
      // Floors are not compensated line by line: the month's floor moves instead (checkMonthFloor).
      assert.equal(comp, 0, "a floor is never compensated");
      continue;
    }
    assert.ok(
      Math.abs(comp) <= Math.abs(e.amountMinor) && comp * e.amountMinor <= 0,
      "never beyond the entry",
    );
    const conversion = await h.store.getConversion(e.conversionId);
    const r = reversed.get(conversion!.txid);
    const original = sent.find((s) => s.txid === conversion!.txid)!.amount;
    if (!r) {
      assert.equal(comp, 0);
      continue;
    }
    const share = r.whole || original <= 0 ? original : Math.min(r.share, original);
    const expected =
      original <= 0 || r.whole
        ? 0 - e.amountMinor
        : 0 - Number(divRound(BigInt(e.amountMinor) * BigInt(share), BigInt(original)));
    assert.equal(comp, expected, `compensation of ${e.amountMinor} for ${share}/${original} reversed`);
  }
}

/**
 * negativeCarryOver: false: each month's revshare, commissions and clawbacks with the floors, is
 * max(0, commissions + clawbacks), whatever order revenue, losses and reversals came in.
 */
function checkMonthFloor(ledger: readonly LedgerEntry[]): void {
  const revshare = ledger.filter((e) => e.component === "revshare");
  for (const period of new Set(revshare.map((e) => e.period))) {
    const month = revshare.filter((e) => e.period === period);
    const net = month.filter((e) => e.kind !== "floor").reduce((s, e) => s + e.amountMinor, 0);
    const total = month.reduce((s, e) => s + e.amountMinor, 0);
    assert.equal(
      total,
      Math.max(0, net),
      `${period}: the month is kept at max(0, net) = ${Math.max(0, net)}`,
    );
  }
  for (const e of revshare.filter((x) => x.kind === "commission" && x.sourceAmountMinor !== null)) {
    const exact = e.sourceAmountMinor! * 3333;
    assert.ok(Math.abs(e.amountMinor * 10000 - exact) * 2 <= 10000, "rounding error ≤ half a minor unit");
  }
}
