/**
 * Validate-only runs are under the same backpressure as real postbacks: beyond `maxPending`
 * waiting runs, one is answered 429 overloaded at once (with Retry-After), never queued without
 * bound; the others answer as usual, and none stores a conversion.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { createTestStore } from "../../helpers/engines.ts";
import { batchingFor, createIngestor, getRequest, OPEN_AUTH } from "../../helpers/ingest-harness.ts";
import { createFixture } from "../../helpers/service.ts";

test("validate-only runs beyond maxPending are refused 429, the others answered", async () => {
  const store = await createTestStore("sqlite");
  try {
    const f = await createFixture(store, { auth: OPEN_AUTH });
    const ingestor = createIngestor(store, randomBytes(32), batchingFor("sqlite", { maxPending: 2 }));
    // Warm the operator cache so the submissions below reach the queue in one turn.
    await ingestor.handle(getRequest(f.operator.key, { event: "registration", txid: "warm" }));
    const requests = Array.from({ length: 12 }, (_, i) => ({
      ...getRequest(f.operator.key, { event: "registration", txid: `vo-${i}` }),
      headers: { "postwire-validate-only": "1" },
    }));
    const answers = await Promise.all(requests.map((r) => ingestor.handle(r)));
    const codes = answers.map((a) => a.code);
    assert.ok(codes.includes("overloaded"), codes.join(","));
    assert.ok(codes.includes("accepted"), codes.join(","));
    for (const a of answers.filter((x) => x.code === "overloaded")) {
      assert.equal(a.status, 429);
      assert.equal(a.retryAfter, 1);
    }
    for (const a of answers.filter((x) => x.code === "accepted"))
      assert.equal((JSON.parse(a.body) as { validate_only: boolean }).validate_only, true);
    await ingestor.drain();
    const stored = await store.listConversions({ operatorId: f.operator.id });
    assert.deepEqual(
      stored.map((c) => c.txid),
      ["warm"],
    );
  } finally {
    await store.close();
  }
});
