import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeSecret, signQuery } from "../src/domain/signing.ts";
import { availableEngines } from "./helpers/engines.ts";
import { createFixture, startTestService } from "./helpers/service.ts";

for (const engine of await availableEngines()) {
  test(`a signed GET ftd on a fresh click is accepted and attributed (${engine})`, async () => {
    const t = await startTestService(engine);
    try {
      const f = await createFixture(t.store);
      const click = await fetch(`${t.url}/c/${f.link.code}?sub1=abc`, { redirect: "manual" });
      assert.equal(click.status, 302);
      const location = new URL(click.headers.get("location")!);
      const clickId = location.searchParams.get("cid")!;
      assert.equal(location.searchParams.get("s1"), "abc");
      const ts = String(Math.floor(Date.now() / 1000));
      const params: Array<[string, string]> = [
        ["event", "ftd"],
        ["txid", "dep-1"],
        ["click_id", clickId],
        ["amount", "100.50"],
        ["currency", "EUR"],
        ["ts", ts],
      ];
      const secret = decodeSecret(f.secret);
      assert.ok(secret.ok);
      const sig = signQuery(secret.value, params);
      const query = new URLSearchParams([...params, ["sig", sig]]).toString();
      const first = await fetch(`${t.url}/v1/postback/${f.operator.key}?${query}`);
      const body = (await first.json()) as Record<string, unknown>;
      assert.equal(first.status, 200, JSON.stringify(body));
      assert.equal(body["code"], "accepted");
      assert.equal(body["attributed"], true);
      const again = await fetch(`${t.url}/v1/postback/${f.operator.key}?${query}`);
      const replay = (await again.json()) as Record<string, unknown>;
      assert.equal(replay["code"], "duplicate");
      assert.equal(replay["conversion_id"], body["conversion_id"]);
      const stored = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.amountMinor, 10050);
      assert.equal(stored[0]!.affiliateId, f.affiliate.id);
      const log = await t.store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(log.length, 2);
      assert.ok(!log[0]!.raw.includes(sig), "signature is redacted in the request log");
    } finally {
      await t.close();
    }
  });
}
