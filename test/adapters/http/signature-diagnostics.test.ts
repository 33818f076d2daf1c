/**
 * The three signing bugs operators make most, over real HTTP: each gets `401 invalid_signature`
 * whose message names the mistake, with `diagnostics` (what was verified, the mistake's code), and
 * the request-log row keeps them. (The whole 'whsec_…' string as the key, '+' for spaces in the
 * canonical query, a POST body re-serialised after signing.)
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { signWebhook } from "../../../src/domain/signing.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import {
  type Answer,
  ftd,
  getPostback,
  type KitService,
  nowSeconds,
  type Pairs,
  secretBytes,
  signedPost,
  startKitService,
} from "./postback-kit.ts";

const hexHmac = (key: Uint8Array, text: string) => createHmac("sha256", key).update(text).digest("hex");

/** The canonical query as a buggy client builds it: sorted, but '+' for spaces. */
const plusCanonical = (pairs: Pairs) =>
  [...pairs]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v).replace(/%20/g, "+")}`)
    .join("&");

describe("signature diagnostics over HTTP (sqlite)", () => {
  let k: KitService;
  let f: Fixture;
  before(async () => {
    k = await startKitService("sqlite");
    f = await createFixture(k.store);
  });
  after(() => k.close());

  async function assertDiagnosed(answer: Answer, mistake: string, words: RegExp, txid: string) {
    assert.equal(answer.status, 401, answer.text);
    assert.equal(answer.body["code"], "invalid_signature");
    assert.match(String(answer.body["message"]), /^The signature does not match\. /);
    assert.match(String(answer.body["message"]), words);
    const diagnostics = answer.body["diagnostics"] as { mistake?: string; verified: Record<string, unknown> };
    assert.equal(diagnostics.mistake, mistake);
    const [row] = await k.store.searchRequestLog({ operatorId: f.operator.id, txid });
    assert.equal(row?.code, "invalid_signature");
    assert.match(row?.reason ?? "", new RegExp(`"mistake":"${mistake}"`));
    return diagnostics.verified;
  }

  test("GET signed with the whole whsec_ string as the key", async () => {
    const pairs: Pairs = [...ftd("diag-1"), ["ts", String(nowSeconds())]];
    const canonical = pairs
      .map(([n, v]) => `${n}=${encodeURIComponent(v)}`)
      .sort()
      .join("&");
    const sig = hexHmac(Buffer.from(f.secret, "utf8"), canonical);
    const query = new URLSearchParams([...pairs, ["sig", sig]]).toString();
    const verified = await assertDiagnosed(
      await getPostback(k.url, f.operator.key, query),
      "secret_with_prefix",
      /whsec_/,
      "diag-1",
    );
    assert.equal(verified["canonical_query"], canonical);
  });

  test("GET with '+' for the spaces of the canonical query", async () => {
    const pairs: Pairs = [...ftd("diag-2", [["sub_id", "spring promo"]]), ["ts", String(nowSeconds())]];
    const sig = hexHmac(secretBytes(f.secret), plusCanonical(pairs));
    const query = new URLSearchParams([...pairs, ["sig", sig]]).toString();
    const verified = await assertDiagnosed(
      await getPostback(k.url, f.operator.key, query),
      "form_encoding",
      /RFC 3986/,
      "diag-2",
    );
    assert.match(String(verified["canonical_query"]), /sub_id=spring%20promo/);
  });

  test("POST whose body was re-serialised after signing", async () => {
    const signed = JSON.stringify({
      event: "ftd",
      txid: "diag-3",
      player_id: "p3",
      amount: "10.00",
      currency: "EUR",
    });
    const sent = JSON.stringify(JSON.parse(signed), null, 2);
    const ts = String(nowSeconds());
    const answer = await signedPost(k.url, f, sent, {
      id: "diag-3",
      ts: Number(ts),
      headers: { "webhook-signature": signWebhook(secretBytes(f.secret), "diag-3", ts, signed) },
    });
    const verified = await assertDiagnosed(answer, "body_changed", /changed after signing/, "diag-3");
    assert.equal(verified["body_length"], Buffer.byteLength(sent));
    assert.equal(verified["webhook_id"], "diag-3");
  });
});
