/**
 * The high-volume records through the Store port on both engines: the ingest transaction
 * (conversions, players, reversed totals, rollback), request log search, conversion and click
 * listings, integer round-trips. Retention: prune.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Store } from "../../../src/app/ports.ts";
import type { ConversionRow, PlayerRow } from "../../../src/app/records.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import {
  clickRow,
  conversionRow,
  findConversions,
  insertConversions,
  insertPlayers,
  playerRow,
  requestLogRow,
  uniqueId,
} from "../../helpers/records.ts";

let operatorSeq = 1000;
/** A conversion with no click, hence no program, affiliate, link or money. */
const UNATTRIBUTED = {
  programId: null,
  affiliateId: null,
  linkId: null,
  clickId: null,
  amountMinor: null,
  currency: null,
  unattributedReason: "no_click_id",
} as const;
/** Each test works under its own operator id, so tests sharing a database do not see each other. */
const freshOperator = () => ++operatorSeq;

for (const engine of await availableEngines()) {
  describe(`ingest transaction (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await createTestStore(engine);
    });
    after(() => store.close());

    test("conversions round-trip every column; int8 values come back as numbers", async () => {
      const row = conversionRow({
        operatorId: freshOperator(),
        amountMinor: Number.MAX_SAFE_INTEGER,
        lotsMilli: 1500,
        playerId: "player-1",
        subId: "sub ✓",
        test: true,
        extra: { campaign: "spring", "name with space": "välue" },
        occurredAt: 4_102_444_800_000,
      });
      const inserted = await store.ingest((tx) => insertConversions(tx, [row]));
      assert.deepEqual([...inserted], [row.id]);
      const stored = await store.getConversion(row.id);
      assert.deepEqual(stored, row);
      assert.equal(typeof stored?.amountMinor, "number");
      const unattributed = conversionRow({ operatorId: freshOperator(), ...UNATTRIBUTED });
      await store.ingest((tx) => insertConversions(tx, [unattributed]));
      assert.deepEqual(await store.getConversion(unattributed.id), unattributed);
      assert.equal(await store.getConversion("cv_missing"), undefined);
    });

    test("insertConversions skips a conflicting (operator, txid) and reports only inserted ids", async () => {
      const operatorId = freshOperator();
      const first = conversionRow({ operatorId, txid: "t1" });
      await store.ingest((tx) => insertConversions(tx, [first]));
      const clash = conversionRow({ operatorId, txid: "t1", amountMinor: 1 });
      const fresh = conversionRow({ operatorId, txid: "t2" });
      const otherOperator = conversionRow({ operatorId: freshOperator(), txid: "t1" });
      const inserted = await store.ingest((tx) => insertConversions(tx, [clash, fresh, otherOperator]));
      assert.deepEqual([...inserted].sort(), [fresh.id, otherOperator.id].sort());
      assert.deepEqual(await store.getConversion(first.id), first);
      assert.equal(await store.getConversion(clash.id), undefined);

      const found = await store.ingest((tx) =>
        findConversions(tx, [
          { operatorId, txid: "t1" },
          { operatorId, txid: "t1" },
          { operatorId, txid: "t2" },
          { operatorId, txid: "missing" },
        ]),
      );
      assert.deepEqual(found.map((r) => r.id).sort(), [first.id, fresh.id].sort());
      assert.equal(await store.ingest((tx) => insertConversions(tx, [])).then((s) => s.size), 0);
    });

    test("look-ups by key return each stored row once, however many keys repeat or miss", async () => {
      const operatorId = freshOperator();
      const rows = Array.from({ length: 9 }, (_, i) => conversionRow({ operatorId, txid: `k${i}` }));
      await store.ingest((tx) => insertConversions(tx, rows));
      for (const size of [1, 7, 8, 9, 17]) {
        const keys = Array.from({ length: size }, (_, i) => ({ operatorId, txid: `k${i % 11}` }));
        const found = await store.ingest((tx) => findConversions(tx, keys));
        const expected = [...new Set(keys.map((k) => k.txid))].filter((t) => Number(t.slice(1)) < 9);
        assert.deepEqual(found.map((r) => r.txid).sort(), expected.sort(), `${size} keys`);
      }
    });

    if (engine === "sqlite") {
      test("look-ups prepare one statement per bucket of 8 keys, not one per batch size", async () => {
        const { DatabaseSync } = await import("node:sqlite");
        const prepare = DatabaseSync.prototype.prepare;
        const prepared = new Set<string>();
        DatabaseSync.prototype.prepare = function (this: InstanceType<typeof DatabaseSync>, sql: string) {
          if (sql.startsWith("SELECT * FROM players WHERE")) prepared.add(sql);
          return prepare.call(this, sql);
        };
        try {
          const operatorId = freshOperator();
          for (let size = 1; size <= 16; size++) {
            const keys = Array.from({ length: size }, (_, i) => ({ operatorId, playerId: `q${i}` }));
            assert.deepEqual(await store.ingest((tx) => tx.findPlayers(keys)), []);
          }
        } finally {
          DatabaseSync.prototype.prepare = prepare;
        }
        assert.equal(prepared.size, 2, "8 and 16 keys");
      });
    }

    test("findKnown returns what findConversions and findPlayers return, in one call", async () => {
      const operatorId = freshOperator();
      const rows = [
        conversionRow({ operatorId, txid: "k1", amountMinor: Number.MAX_SAFE_INTEGER, extra: { a: "é" } }),
        conversionRow({ operatorId, txid: "k2", ...UNATTRIBUTED, test: true }),
      ];
      const players = [
        playerRow({ operatorId, playerId: "kp1" }),
        playerRow({ operatorId, playerId: "kp2", clickId: null }),
      ];
      await store.ingest(async (tx) => {
        await insertConversions(tx, rows);
        await insertPlayers(tx, players);
      });
      const conversionKeys = [
        { operatorId, txid: "k1" },
        { operatorId, txid: "k2" },
        { operatorId, txid: "k1" },
        { operatorId, txid: "missing" },
      ];
      const playerKeys = [
        { operatorId, playerId: "kp1" },
        { operatorId, playerId: "kp2" },
        { operatorId: freshOperator(), playerId: "kp1" },
      ];
      const sorted = <T>(list: readonly T[], key: (row: T) => string) =>
        [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      const byId = (list: readonly ConversionRow[]) => sorted(list, (row) => row.id);
      const byPlayer = (list: readonly PlayerRow[]) => sorted(list, (row) => row.playerId);
      const known = await store.ingest((tx) =>
        tx.findKnown({ conversions: conversionKeys, players: playerKeys }),
      );
      assert.deepEqual(byId(known.conversions), byId(rows));
      assert.deepEqual(byPlayer(known.players), byPlayer(players));
      assert.equal(typeof known.conversions[0]?.amountMinor, "number");
      const separate = await store.ingest(async (tx) => ({
        conversions: await findConversions(tx, conversionKeys),
        players: await tx.findPlayers(playerKeys),
      }));
      assert.deepEqual(byId(known.conversions), byId(separate.conversions));
      assert.deepEqual(byPlayer(known.players), byPlayer(separate.players));
      // Either list may be empty.
      const onlyPlayers = await store.ingest((tx) => tx.findKnown({ conversions: [], players: playerKeys }));
      assert.deepEqual(byPlayer(onlyPlayers.players), byPlayer(players));
      assert.deepEqual(onlyPlayers.conversions, []);
      const none = await store.ingest((tx) => tx.findKnown({ conversions: [], players: [] }));
      assert.deepEqual(none, { conversions: [], players: [] });
    });

    test("players: the first binding wins", async () => {
      const operatorId = freshOperator();
      const first = playerRow({ operatorId, playerId: "p1", clickId: "click-a", linkId: 1 });
      await store.ingest((tx) => insertPlayers(tx, [first]));
      const later = playerRow({ operatorId, playerId: "p1", clickId: "click-b", linkId: 2 });
      const second = playerRow({ operatorId, playerId: "p2", clickId: null });
      await store.ingest((tx) => insertPlayers(tx, [later, second]));
      const found = await store.ingest((tx) =>
        tx.findPlayers([
          { operatorId, playerId: "p1" },
          { operatorId, playerId: "p2" },
          { operatorId: freshOperator(), playerId: "p1" },
        ]),
      );
      const byId = new Map(found.map((p) => [p.playerId, p]));
      assert.equal(found.length, 2);
      assert.deepEqual(byId.get("p1"), first);
      assert.deepEqual(byId.get("p2"), second);
    });

    test("insertRecords writes a batch's conversions, players and request log together", async () => {
      const operatorId = freshOperator();
      const taken = conversionRow({ operatorId, txid: "r-taken" });
      const bound = playerRow({ operatorId, playerId: "r-bound", clickId: "click-first" });
      await store.ingest(async (tx) => {
        await insertConversions(tx, [taken]);
        await insertPlayers(tx, [bound]);
      });
      const fresh = [conversionRow({ operatorId, txid: "r-2" }), conversionRow({ operatorId, txid: "r-1" })];
      const clash = conversionRow({ operatorId, txid: "r-taken", amountMinor: 1 });
      const players = [
        playerRow({ operatorId, playerId: "r-new" }),
        playerRow({ operatorId, playerId: "r-bound", clickId: "click-later" }),
      ];
      const logs = [
        requestLogRow({ operatorId, txid: "r-1" }),
        requestLogRow({ operatorId, txid: "r-taken" }),
      ];
      const inserted = await store.ingest((tx) =>
        tx.insertRecords({ conversions: [...fresh, clash], players, logs }),
      );
      assert.deepEqual([...inserted].sort(), fresh.map((row) => row.id).sort(), "the clash is not inserted");
      assert.deepEqual(await store.getConversion(taken.id), taken);
      assert.equal(await store.getConversion(clash.id), undefined);
      for (const row of fresh) assert.deepEqual(await store.getConversion(row.id), row);
      const found = await store.ingest((tx) =>
        tx.findPlayers(players.map((p) => ({ operatorId, playerId: p.playerId }))),
      );
      const byId = new Map(found.map((p) => [p.playerId, p]));
      assert.deepEqual(byId.get("r-new"), players[0]);
      assert.deepEqual(byId.get("r-bound"), bound, "the first binding wins");
      const logged = await store.searchRequestLog({ operatorId, limit: 10 });
      assert.deepEqual(logged.map((row) => row.id).sort(), logs.map((row) => row.id).sort());

      // Any part may be empty, all of them too.
      const alone = requestLogRow({ operatorId, txid: "r-alone" });
      assert.equal(
        (await store.ingest((tx) => tx.insertRecords({ conversions: [], players: [], logs: [alone] }))).size,
        0,
      );
      assert.equal((await store.searchRequestLog({ operatorId, limit: 10 })).length, 3);
      assert.equal(
        (await store.ingest((tx) => tx.insertRecords({ conversions: [], players: [], logs: [] }))).size,
        0,
      );

      // One transaction: a batch that throws after insertRecords leaves none of it behind.
      const doomed = conversionRow({ operatorId, txid: "r-doomed" });
      await assert.rejects(
        store.ingest(async (tx) => {
          await tx.insertRecords({
            conversions: [doomed],
            players: [playerRow({ operatorId, playerId: "r-doomed" })],
            logs: [requestLogRow({ operatorId, txid: "r-doomed" })],
          });
          throw new Error("lost a race");
        }),
        /lost a race/,
      );
      assert.equal(await store.getConversion(doomed.id), undefined);
      assert.equal((await store.searchRequestLog({ operatorId, limit: 10 })).length, 3);
    });

    test("reversedTotals sums reversals per original; an amountless reversal counts as 0", async () => {
      const operatorId = freshOperator();
      const [o1, o2, o3] = [
        conversionRow({ operatorId }),
        conversionRow({ operatorId, event: "registration", amountMinor: null, currency: null }),
        conversionRow({ operatorId }),
      ];
      const reversal = (of: string, amountMinor: number | null) =>
        conversionRow({
          operatorId,
          event: "refund",
          reversesId: of,
          amountMinor,
          currency: amountMinor === null ? null : "EUR",
        });
      await store.ingest((tx) =>
        insertConversions(tx, [
          o1,
          o2,
          o3,
          reversal(o1.id, 300),
          reversal(o1.id, 200),
          reversal(o2.id, null),
        ]),
      );
      const totals = await store.ingest((tx) => tx.reversedTotals([o1.id, o2.id, o3.id, o1.id]));
      assert.deepEqual(Object.fromEntries(totals), { [o1.id]: 500, [o2.id]: 0 });
      assert.equal(typeof totals.get(o1.id), "number");
    });

    test("concurrent transactions reversing one original see each other's reversal", async () => {
      const operatorId = freshOperator();
      const original = conversionRow({ operatorId, amountMinor: 1000 });
      await store.ingest((tx) => insertConversions(tx, [original]));
      // Each takes what remains after reading the total: only serialised readers stay within 1000.
      const reverseRest = () =>
        store.ingest(async (tx) => {
          const taken = (await tx.reversedTotals([original.id])).get(original.id) ?? 0;
          await new Promise((resolve) => setTimeout(resolve, 30));
          if (taken >= 1000) return 0;
          const row = conversionRow({
            operatorId,
            event: "refund",
            reversesId: original.id,
            amountMinor: 1000 - taken,
          });
          await insertConversions(tx, [row]);
          return 1000 - taken;
        });
      const taken = await Promise.all([reverseRest(), reverseRest(), reverseRest()]);
      assert.deepEqual(taken.sort(), [0, 0, 1000]);
      const totals = await store.ingest((tx) => tx.reversedTotals([original.id]));
      assert.equal(totals.get(original.id), 1000);
    });

    test("month locks: a second transaction on the same affiliate and program waits for the first", async () => {
      const month = [{ affiliateId: 7000 + freshOperator(), programId: 1 }];
      const order: string[] = [];
      const holder = (name: string) =>
        store.ingest(async (tx) => {
          await tx.ledger.lockMonths(month);
          order.push(`${name} in`);
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push(`${name} out`);
        });
      await Promise.all([holder("a"), holder("b")]);
      // Serial either way (SQLite has one writer); on PostgreSQL the advisory lock is what does it.
      // Whichever gets the lock first, the other enters only after it left.
      const first = order[0]!.split(" ")[0]!;
      const second = first === "a" ? "b" : "a";
      assert.deepEqual(order, [`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    });

    test("a throwing transaction rolls everything back", async () => {
      const operatorId = freshOperator();
      const row = conversionRow({ operatorId });
      const player = playerRow({ operatorId });
      const log = requestLogRow({ operatorId, txid: row.txid });
      await assert.rejects(
        store.ingest(async (tx) => {
          await insertConversions(tx, [row]);
          await insertPlayers(tx, [player]);
          await tx.insertRecords({ conversions: [], players: [], logs: [log] });
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await store.getConversion(row.id), undefined);
      assert.deepEqual(await store.ingest((tx) => tx.findPlayers([player])), []);
      assert.deepEqual(await store.searchRequestLog({ operatorId }), []);
    });

    test("failing transactions release their connection", async () => {
      const row = conversionRow({ operatorId: freshOperator() });
      const failing = Array.from({ length: 25 }, () =>
        store.ingest(async (tx) => {
          await findConversions(tx, [row]);
          throw new Error("fail");
        }),
      );
      const outcomes = await Promise.allSettled(failing);
      assert.ok(outcomes.every((o) => o.status === "rejected"));
      await store.ping();
      await store.ingest((tx) => insertConversions(tx, [row]));
      assert.ok(await store.getConversion(row.id));
    });
  });

  describe(`searches and listings (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await createTestStore(engine);
    });
    after(() => store.close());

    test("request log: filters, newest first, id breaking ties, limit", async () => {
      const operatorId = freshOperator();
      const rows = [
        requestLogRow({ operatorId, receivedAt: 100, code: "accepted", txid: "a" }),
        requestLogRow({
          operatorId,
          receivedAt: 200,
          code: "missing_field",
          status: 400,
          txid: "b",
          reason: "x",
        }),
        requestLogRow({ operatorId, receivedAt: 200, code: "accepted", txid: "c" }),
        requestLogRow({ operatorId, receivedAt: 300, code: "duplicate", txid: "a" }),
        requestLogRow({ operatorId: null, receivedAt: 250, code: "unknown_operator", status: 404 }),
      ];
      await store.insertRequestLogs(rows);
      const ids = async (filter: Parameters<Store["searchRequestLog"]>[0]) =>
        (await store.searchRequestLog(filter)).map((r) => r.id);
      const [a, b, c, d] = rows.map((r) => r.id) as [string, string, string, string];
      const byIdDesc = [b, c].sort().reverse();
      assert.deepEqual(await ids({ operatorId }), [d, ...byIdDesc, a]);
      assert.deepEqual(await ids({ operatorId, code: "accepted" }), [c, a]);
      assert.deepEqual(await ids({ operatorId, txid: "a" }), [d, a]);
      assert.deepEqual(await ids({ operatorId, since: 200, until: 300 }), byIdDesc);
      assert.deepEqual(await ids({ operatorId, limit: 1 }), [d]);
      assert.deepEqual((await store.searchRequestLog({ operatorId, txid: "b" }))[0], rows[1]);
      assert.ok((await ids({ code: "unknown_operator" })).includes(rows[4]!.id));
    });

    test("conversions: filters (attributed true/false, affiliate, program, time), newest first", async () => {
      const operatorId = freshOperator();
      const rows = [
        conversionRow({ operatorId, receivedAt: 100, affiliateId: 7, programId: 70 }),
        conversionRow({ operatorId, receivedAt: 200, affiliateId: 8, programId: 70 }),
        conversionRow({
          operatorId,
          receivedAt: 300,
          affiliateId: null,
          linkId: null,
          programId: null,
          unattributedReason: "click_id_invalid",
        }),
      ];
      await store.ingest((tx) => insertConversions(tx, rows));
      const ids = async (filter: Parameters<Store["listConversions"]>[0]) =>
        (await store.listConversions(filter)).map((r) => r.id);
      const [x, y, z] = rows.map((r) => r.id);
      assert.deepEqual(await ids({ operatorId }), [z, y, x]);
      assert.deepEqual(await ids({ operatorId, attributed: true }), [y, x]);
      assert.deepEqual(await ids({ operatorId, attributed: false }), [z]);
      assert.deepEqual(await ids({ operatorId, affiliateId: 8 }), [y]);
      assert.deepEqual(await ids({ operatorId, programId: 70, since: 150 }), [y]);
      assert.deepEqual(await ids({ operatorId, until: 200 }), [x]);
      assert.deepEqual(await ids({ operatorId, limit: 2 }), [z, y]);
    });

    test("clicks: round-trip, filters, newest first", async () => {
      const linkId = freshOperator();
      const rows = [
        clickRow({ linkId, affiliateId: 5, createdAt: 100 }),
        clickRow({ linkId, affiliateId: 5, createdAt: 200, subs: [null, null, null, null, null], ip: null }),
        clickRow({ linkId, affiliateId: 6, createdAt: 300, referer: "https://ref.example/" }),
      ];
      await store.insertClicks(rows);
      assert.deepEqual(await store.listClicks({ linkId }), [...rows].reverse());
      const ids = async (filter: Parameters<Store["listClicks"]>[0]) =>
        (await store.listClicks({ linkId, ...filter })).map((r) => r.clickId);
      assert.deepEqual(await ids({ affiliateId: 5 }), [rows[1]!.clickId, rows[0]!.clickId]);
      assert.deepEqual(await ids({ since: 200, until: 300 }), [rows[1]!.clickId]);
    });

    test("clicks: one query scoped to an operator's programs, combined with the other filters", async () => {
      const operator = (name: string) =>
        store.operators.create(
          {
            name,
            key: uniqueId("op"),
            status: "active",
            auth: { hmacSecrets: [], ipAllowlist: [], trustedProxies: [], staticTokenHash: null },
            mapping: { params: {}, values: {} },
          },
          1,
        );
      const program = (operatorId: number) =>
        store.programs.create(
          {
            operatorId,
            name: "P",
            vertical: "igaming",
            currency: "EUR",
            landingUrlTemplate: "https://casino.example/?cid={click_id}",
            fallbackUrl: null,
            allowedEvents: ["ftd"],
            lookbackDays: 30,
            status: "active",
          },
          1,
        );
      const [mine, theirs] = [await operator("Mine"), await operator("Theirs")];
      const [p1, p2, other] = [await program(mine.id), await program(mine.id), await program(theirs.id)];
      const rows = [
        clickRow({ programId: p1.id, linkId: 1, affiliateId: 5, createdAt: 100 }),
        clickRow({ programId: p2.id, linkId: 2, affiliateId: 6, createdAt: 300 }),
        clickRow({ programId: other.id, linkId: 3, affiliateId: 5, createdAt: 400 }),
        clickRow({ programId: p1.id, linkId: 1, affiliateId: 5, createdAt: 300 }),
      ];
      await store.insertClicks(rows);
      const ids = async (filter: Parameters<Store["listClicks"]>[0]) =>
        (await store.listClicks(filter)).map((r) => r.clickId);
      const [a, b, c, d] = rows.map((r) => r.clickId) as [string, string, string, string];
      const tie = [b, d].sort().reverse();
      assert.deepEqual(await ids({ operatorId: mine.id }), [...tie, a]);
      assert.deepEqual(await ids({ operatorId: theirs.id }), [c]);
      assert.deepEqual(await ids({ operatorId: mine.id, affiliateId: 5 }), [d, a]);
      assert.deepEqual(await ids({ operatorId: mine.id, linkId: 3 }), []);
      assert.deepEqual(await ids({ operatorId: mine.id, since: 200, limit: 1 }), [tie[0]]);
      assert.deepEqual(await ids({ operatorId: 987_654 }), []);
    });
  });
}
