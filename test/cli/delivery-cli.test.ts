/** `postwire deliveries list|attempts|replay` on a real SQLite database. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createIds } from "../../src/adapters/clock-and-ids.ts";
import { EndpointCache } from "../../src/app/delivery/endpoint-cache.ts";
import { createOutboundEffect } from "../../src/app/delivery/outbound-effect.ts";
import { runCli } from "../../src/cli/postwire.ts";
import { endpointInput } from "../adapters/delivery/delivery-kit.ts";
import { createTestStore } from "../helpers/engines.ts";
import { conversionRow, insertConversions } from "../helpers/records.ts";
import { createFixture } from "../helpers/service.ts";

test("deliveries list, attempts and replay", async () => {
  const store = await createTestStore("sqlite");
  try {
    const f = await createFixture(store);
    const endpoint = await store.deliveries.endpoints.create(
      endpointInput(f.affiliate.id, {
        name: "cli",
        urlTemplate: "https://aff.example/pb?id={delivery_id}",
        delaySeconds: 60,
      }),
      Date.now(),
    );
    const row = conversionRow({
      operatorId: f.operator.id,
      affiliateId: f.affiliate.id,
      programId: f.program.id,
    });
    const clock = { now: () => Date.now() };
    const effect = createOutboundEffect({ cache: new EndpointCache(clock), clock, ids: createIds() });
    await store.ingest(async (tx) => {
      await insertConversions(tx, [row]);
      await effect(tx, [row], { payouts: new Map(), clickTimes: new Map(), afterCommit: [] });
    });
    const lines: string[] = [];
    const io = {
      out: (t: string) => void lines.push(t),
      err: () => undefined,
      fetch,
      now: () => Date.now(),
      readFile: () => Buffer.alloc(0),
    };
    const env = { DATABASE_URL: store.url };
    assert.equal(await runCli(["deliveries", "list", "--endpoint-id", String(endpoint.id)], env, io), 0);
    const listed = JSON.parse(lines[0]!);
    assert.equal(listed.conversionId, row.id);
    assert.ok(listed.runAt > Date.now() + 50_000, "the endpoint's delay is applied");
    lines.length = 0;
    assert.equal(await runCli(["deliveries", "replay", "--delivery-id", listed.id], env, io), 0);
    assert.deepEqual(JSON.parse(lines[0]!), { replayed: 1 });
    assert.ok((await store.deliveries.get(listed.id))!.runAt <= Date.now());
    lines.length = 0;
    const args = ["deliveries", "replay", "--endpoint-id", String(endpoint.id), "--state", "pending"];
    assert.equal(await runCli(args, env, io), 0);
    assert.deepEqual(JSON.parse(lines[0]!), { replayed: 1 });
    lines.length = 0;
    assert.equal(await runCli(["deliveries", "attempts", "--failed"], env, io), 0);
    assert.deepEqual(lines, []);
    assert.equal(await runCli(["deliveries", "replay", "--delivery-id", "dl_missing"], env, io), 1);
    assert.deepEqual(JSON.parse(lines[0]!), { replayed: 0 });
    lines.length = 0;
    assert.equal(await runCli(["deliveries", "replay"], env, io), 2);
    // Bad options are refused before anything is read: two states for a listing, a bad id, a bad state.
    const refused = [
      ["deliveries", "list", "--state", "dead", "--state", "pending"],
      ["deliveries", "list", "--endpoint-id", "0"],
      ["deliveries", "list", "--state", "lost"],
      ["deliveries", "attempts", "--since", "yesterday-ish"],
    ];
    for (const argv of refused) assert.equal(await runCli(argv, env, io), 2, argv.join(" "));
  } finally {
    await store.close();
  }
});
