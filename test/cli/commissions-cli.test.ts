/** `postwire commissions recalculate` on a real SQLite database: preview, apply, apply again, --replan. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../../src/cli/postwire.ts";
import { createTestStore } from "../helpers/engines.ts";
import { conversionRow, insertConversions } from "../helpers/records.ts";
import { createFixture } from "../helpers/service.ts";

test("commissions recalculate: a preview stores nothing, --apply credits once, a second run finds nothing", async () => {
  const store = await createTestStore("sqlite");
  try {
    const f = await createFixture(store);
    const row = conversionRow({
      operatorId: f.operator.id,
      affiliateId: f.affiliate.id,
      programId: f.program.id,
      linkId: f.link.id,
      clickId: null,
      playerId: "cli-player",
      amountMinor: 5000,
      occurredAt: Date.parse("2026-11-10T12:00:00Z"),
    });
    await store.ingest((tx) => insertConversions(tx, [row]));
    await store.commissions.createPlan(
      {
        programId: f.program.id,
        affiliateId: null,
        effectiveFrom: 0,
        terms: {
          cpa: { amountMinor: 7500, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
        },
        note: null,
      },
      Date.now(),
    );
    const lines: string[] = [];
    const io = {
      out: (t: string) => void lines.push(t),
      err: (t: string) => void lines.push(t),
      fetch,
      now: () => Date.now(),
      readFile: () => Buffer.alloc(0),
    };
    const env = { DATABASE_URL: store.url };
    const range = [
      "--program",
      String(f.program.id),
      "--from",
      "2026-11-01T00:00:00Z",
      "--to",
      "2026-12-01T00:00:00Z",
    ];
    const entries = async () => store.commissions.listEntries({ conversionId: row.id });

    assert.equal(await runCli(["commissions", "recalculate", ...range], env, io), 0);
    assert.match(lines.join("\n"), /Preview \(nothing stored\)/);
    assert.match(lines.join("\n"), /1 conversions credited, 1 ledger entries/);
    assert.match(lines.join("\n"), /EUR approved: 75\.00/);
    assert.deepEqual(await entries(), []);

    lines.length = 0;
    assert.equal(await runCli(["commissions", "recalculate", ...range, "--apply", "--json"], env, io), 0);
    const applied = JSON.parse(lines[0]!);
    assert.deepEqual([applied.preview, applied.entries, applied.createdByKeyId], [false, 1, null]);
    assert.equal((await entries()).length, 1);
    assert.equal((await entries())[0]!.explain["recalculation_id"], applied.id);

    lines.length = 0;
    assert.equal(await runCli(["commissions", "recalculate", ...range, "--apply", "--json"], env, io), 0);
    assert.equal(JSON.parse(lines[0]!).entries, 0);
    assert.equal((await entries()).length, 1);
    assert.equal((await store.recalculations.list(f.program.id)).length, 2);

    // A plan version in force from before the conversion replaces the one it was credited under:
    // --replan decides it again (the old entry compensated, the new one credited); without it, not.
    await store.commissions.createPlan(
      {
        programId: f.program.id,
        affiliateId: null,
        effectiveFrom: Date.parse("2026-11-01T00:00:00Z"),
        terms: {
          cpa: { amountMinor: 9000, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
        },
        note: null,
      },
      Date.now(),
    );
    lines.length = 0;
    assert.equal(await runCli(["commissions", "recalculate", ...range, "--apply", "--json"], env, io), 0);
    assert.equal(JSON.parse(lines[0]!).replaced, 0);
    lines.length = 0;
    assert.equal(
      await runCli(["commissions", "recalculate", ...range, "--replan", "--apply", "--json"], env, io),
      0,
    );
    const replanned = JSON.parse(lines[0]!);
    assert.deepEqual([replanned.mode, replanned.replaced], ["replan", 1]);
    const net = (await entries()).reduce((sum, e) => sum + e.amountMinor, 0);
    assert.equal(net, 9000);

    // Refused before anything is read: no program, a bad time, an unknown action.
    for (const args of [
      ["commissions", "recalculate", "--from", "2026-11-01", "--to", "2026-12-01"],
      ["commissions", "recalculate", "--program", "1", "--from", "soon", "--to", "2026-12-01"],
      ["commissions", "pay"],
    ])
      assert.equal(await runCli(args, env, io), 2, args.join(" "));
  } finally {
    await store.close();
  }
});
