/**
 * The ledger's CSV export streams every matching entry, page after page (no silent cut), or exactly
 * the first `limit` when asked, saying so in a header.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { insertRawEntries } from "../../helpers/ledger-rows.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";

const ENTRIES = 2345;

for (const engine of await availableEngines()) {
  describe(`commissions.csv export (${engine})`, () => {
    let t: TestService;
    let affiliateId: number;
    before(async () => {
      t = await startTestService(engine);
      const f = await createFixture(t.store);
      affiliateId = f.affiliate.id;
      // More entries than one page of the export, written straight into the ledger.
      const db = openDriver(t.databaseUrl);
      const now = Date.now();
      await insertRawEntries(
        db,
        Array.from({ length: ENTRIES }, (_, i) => ({
          id: `le-export-${String(i).padStart(5, "0")}`,
          conversionId: `cv-${i}`,
          operatorId: f.operator.id,
          programId: f.program.id,
          affiliateId,
          status: "pending",
          amountMinor: 100 + i,
          period: "2026-11",
          explain: '{"text":"=cmd"}',
          at: now,
          approveAt: now,
        })),
      );
      await db.close();
    });
    after(() => t.close());

    const csv = async (query: string) => {
      const response = await fetch(`${t.url}/v1/commissions.csv?affiliate_id=${affiliateId}${query}`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/csv/);
      const lines = (await response.text()).split("\r\n").filter((l) => l !== "");
      return { headers: response.headers, header: lines[0]!, rows: lines.slice(1) };
    };

    test("every matching entry, once each, in id order, with no limit header", async () => {
      const { headers, header, rows } = await csv("");
      assert.match(header, /^id,conversion_id,/);
      assert.equal(rows.length, ENTRIES);
      const ids = rows.map((r) => r.split(",")[0]);
      assert.equal(new Set(ids).size, ENTRIES);
      assert.deepEqual(ids, [...ids].sort());
      assert.equal(headers.get("x-export-limit"), null);
      assert.match(headers.get("content-disposition") ?? "", /attachment; filename="commissions\.csv"/);
    });

    test("a limit gives exactly that many and says so; a list page's cursor continues after it", async () => {
      const first = await csv("&limit=1500");
      assert.equal(first.rows.length, 1500);
      assert.equal(first.headers.get("x-export-limit"), "1500");
      const page = await fetch(`${t.url}/v1/commissions?affiliate_id=${affiliateId}&limit=1500`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      const listed = (await page.json()) as { data: Array<{ id: string }>; next_cursor: string };
      assert.equal(listed.data.at(-1)!.id, first.rows.at(-1)!.split(",")[0]);
      const rest = await csv(`&cursor=${listed.next_cursor}`);
      assert.equal(rest.rows.length, ENTRIES - 1500);
      assert.equal(rest.rows[0]!.split(",")[0], "le-export-01500");
    });
  });
}
