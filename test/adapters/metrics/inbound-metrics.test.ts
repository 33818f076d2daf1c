/**
 * Inbound metrics over the real service: postbacks by operator and answer code (accepted,
 * duplicate, refusals, unknown operators as "none"), unattributed postbacks, the answer-time
 * histogram, clicks by outcome and group-commit sizes, scraped from /metrics after known traffic.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createFixture } from "../../helpers/service.ts";
import { ftd, getPostback, signedGet, startKitService } from "../http/postback-kit.ts";

/** The value of one sample line of the exposition (0 when absent). */
function sample(text: string, line: string): number {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const found = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  return found ? Number(found[1]) : 0;
}

describe("inbound metrics (sqlite)", () => {
  test("postbacks, unattributed, answer times, clicks and group commits are counted exactly", async () => {
    const k = await startKitService("sqlite");
    try {
      const f = await createFixture(k.store);
      const op = f.operator.id;
      const redirect = await fetch(`${k.url}/c/${f.link.code}`, { redirect: "manual" });
      assert.equal(redirect.status, 302);
      const clickId = new URL(redirect.headers.get("location")!).searchParams.get("cid")!;
      assert.equal((await fetch(`${k.url}/c/no-such-link`, { redirect: "manual" })).status, 404);

      assert.equal((await signedGet(k.url, f, ftd("m-1", [["click_id", clickId]]))).body["attributed"], true);
      assert.equal((await signedGet(k.url, f, ftd("m-2"))).body["attributed"], false);
      assert.equal((await signedGet(k.url, f, ftd("m-2"))).body["code"], "duplicate");
      assert.equal(
        (await signedGet(k.url, f, ftd("m-3"), { secret: `whsec_${"A".repeat(43)}=` })).status,
        401,
      );
      assert.equal((await getPostback(k.url, "no-such-operator", "event=ftd&txid=x")).status, 404);

      const text = await (await fetch(`${k.url}/metrics`)).text();
      const postbacks = (code: string, operator = String(op)) =>
        sample(text, `postwire_postbacks_total{operator="${operator}",code="${code}"}`);
      assert.equal(postbacks("accepted"), 2);
      assert.equal(postbacks("duplicate"), 1);
      assert.equal(postbacks("invalid_signature"), 1);
      assert.equal(postbacks("unknown_operator", "none"), 1);
      assert.equal(sample(text, `postwire_postbacks_unattributed_total{operator="${op}"}`), 1);
      assert.equal(sample(text, "postwire_postback_duration_seconds_count"), 5);
      assert.equal(sample(text, 'postwire_postback_duration_seconds_bucket{le="+Inf"}'), 5);
      assert.equal(sample(text, 'postwire_clicks_total{outcome="redirect"}'), 1);
      assert.equal(sample(text, 'postwire_clicks_total{outcome="not_found"}'), 1);
      // One at a time: every request committed alone (the refusals are logged in batches too).
      assert.equal(sample(text, 'postwire_group_commit_size_sum{path="clicks"}'), 1);
      assert.equal(sample(text, 'postwire_group_commit_size_sum{path="postbacks"}'), 5);
      assert.equal(sample(text, 'postwire_group_commit_size_bucket{le="1",path="postbacks"}'), 5);
    } finally {
      await k.close();
    }
  });
});
