/**
 * Postback authentication over HTTP: HMAC (GET ts/sig, POST Standard Webhooks), timestamp
 * tolerance, secret rotation, IP allowlist behind trusted proxies, static token. The service
 * clock is frozen so the ±300/301 s boundaries are exact.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { OperatorAuth } from "../../../src/domain/model.ts";
import { hashToken } from "../../../src/domain/postback-auth.ts";
import { encodeSecret, signWebhook } from "../../../src/domain/signing.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture } from "../../helpers/service.ts";
import {
  assertRefused,
  ftd,
  getPostback,
  type KitService,
  secretBytes,
  signedGet,
  signedPost,
  signedQuery,
  startKitService,
} from "./postback-kit.ts";

// Frozen at load: helpers that sign with the real time stay well inside the tolerance.
const NOW = Math.floor(Date.now() / 1000);
const secretOf = (byte: number) => encodeSecret(Buffer.alloc(32, byte));
const TOKEN = "st_9f8e7d6c5b4a";
const tokenHash = hashToken(TOKEN).toString("hex");

for (const engine of await availableEngines()) {
  describe(`postback authentication (${engine})`, { timeout: 90_000 }, () => {
    let k: KitService;
    before(async () => {
      k = await startKitService(engine, { clock: { now: () => NOW * 1000 + 500 } });
    });
    after(() => k?.close());
    const fixture = (auth: Partial<OperatorAuth> = {}) => createFixture(k.store, { auth });
    const body = (txid: string) =>
      JSON.stringify({ event: "ftd", txid, player_id: "p", amount: "1.00", currency: "EUR" });

    test("GET and POST without any signature → 401 missing_signature", async () => {
      const f = await fixture();
      const query = new URLSearchParams(ftd("a-1")).toString();
      await assertRefused(k.store, f.operator.id, await getPostback(k.url, f.operator.key, query), {
        status: 401,
        code: "missing_signature",
      });
      const g = await fixture();
      const post = await signedPost(k.url, g, body("a-2"), { unsigned: true });
      await assertRefused(k.store, g.operator.id, post, { status: 401, code: "missing_signature" });
    });

    test("GET with a parameter changed after signing → 401 invalid_signature", async () => {
      const f = await fixture();
      const query = signedQuery(f.secret, ftd("b-1"), NOW).replace("amount=100.50", "amount=900.50");
      const answer = await getPostback(k.url, f.operator.key, query);
      await assertRefused(k.store, f.operator.id, answer, {
        status: 401,
        code: "invalid_signature",
        field: "sig",
      });
    });

    test("GET with a malformed sig or ts → 401 invalid_signature", async () => {
      for (const [query, field] of [
        [`${new URLSearchParams(ftd("c-1"))}&ts=${NOW}&sig=zz`, "sig"],
        [`${new URLSearchParams(ftd("c-1"))}&ts=soon&sig=${"0".repeat(64)}`, "ts"],
      ] as const) {
        const f = await fixture();
        const answer = await getPostback(k.url, f.operator.key, query);
        await assertRefused(k.store, f.operator.id, answer, {
          status: 401,
          code: "invalid_signature",
          field,
        });
      }
    });

    test("POST body changed by one byte after signing → 401 invalid_signature", async () => {
      const f = await fixture();
      const signedBody = body("d-1");
      const ts = String(NOW);
      const headers = {
        "webhook-id": "m",
        "webhook-timestamp": ts,
        "webhook-signature": signWebhook(secretBytes(f.secret), "m", ts, signedBody),
      };
      const answer = await signedPost(k.url, f, `${signedBody} `, { unsigned: true, headers });
      await assertRefused(k.store, f.operator.id, answer, {
        status: 401,
        code: "invalid_signature",
        field: "webhook-signature",
      });
    });

    for (const skew of [-301, 301]) {
      test(`timestamps ${skew > 0 ? "+" : ""}${skew} s away → 401 signature_expired (GET and POST)`, async () => {
        const f = await fixture();
        const get = await signedGet(k.url, f, ftd("e-1"), { ts: NOW + skew });
        await assertRefused(k.store, f.operator.id, get, {
          status: 401,
          code: "signature_expired",
          field: "ts",
        });
        const g = await fixture();
        const post = await signedPost(k.url, g, body("e-2"), { ts: NOW + skew });
        await assertRefused(k.store, g.operator.id, post, {
          status: 401,
          code: "signature_expired",
          field: "webhook-timestamp",
        });
      });
    }

    test("timestamps exactly ±300 s away are still accepted (GET and POST)", async () => {
      const f = await fixture();
      for (const [i, skew] of [-300, 300].entries()) {
        const get = await signedGet(k.url, f, ftd(`f-g${i}`), { ts: NOW + skew });
        assert.equal(get.status, 200, get.text);
        const post = await signedPost(k.url, f, body(`f-p${i}`), { ts: NOW + skew });
        assert.equal(post.status, 200, post.text);
      }
    });

    test("two live secrets: either one signs; a wrong or retired one → invalid_signature", async () => {
      const [old, current, stranger] = [secretOf(1), secretOf(2), secretOf(3)];
      const rotating = await fixture({ hmacSecrets: [old, current] });
      for (const [i, secret] of [old, current].entries()) {
        assert.equal((await signedGet(k.url, rotating, ftd(`g-${i}`), { secret })).status, 200);
        assert.equal((await signedPost(k.url, rotating, body(`g-p${i}`), { secret })).status, 200);
      }
      const wrong = await fixture({ hmacSecrets: [current] });
      const answer = await signedGet(k.url, wrong, ftd("g-w"), { secret: stranger });
      await assertRefused(k.store, wrong.operator.id, answer, { status: 401, code: "invalid_signature" });
      // After rotation only `current` is live: the retired secret no longer signs.
      const retired = await fixture({ hmacSecrets: [current] });
      const post = await signedPost(k.url, retired, body("g-r"), { secret: old });
      await assertRefused(k.store, retired.operator.id, post, { status: 401, code: "invalid_signature" });
    });

    test("a peer outside the IP allowlist → 403 ip_not_allowed, even when signed", async () => {
      const f = await fixture({ ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"] });
      const answer = await signedGet(k.url, f, ftd("h-1"));
      await assertRefused(k.store, f.operator.id, answer, { status: 403, code: "ip_not_allowed" });
      const inside = await fixture({ ipAllowlist: ["127.0.0.0/8"] });
      assert.equal((await signedGet(k.url, inside, ftd("h-2"))).status, 200);
    });

    test("X-Forwarded-For from an untrusted peer is ignored (spoofing) → 403", async () => {
      for (const trustedProxies of [[], ["10.0.0.0/8"]]) {
        const f = await fixture({ ipAllowlist: ["203.0.113.0/24"], trustedProxies });
        const answer = await signedGet(k.url, f, ftd("i-1"), {
          headers: { "x-forwarded-for": "203.0.113.5" },
        });
        await assertRefused(k.store, f.operator.id, answer, { status: 403, code: "ip_not_allowed" });
      }
    });

    test("X-Forwarded-For from a trusted proxy names the client (IPv4 and IPv6)", async () => {
      const f = await fixture({
        ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
        trustedProxies: ["127.0.0.1"],
      });
      for (const [i, xff] of ["198.51.100.1, 203.0.113.5", "2001:db8::7"].entries()) {
        const answer = await signedGet(k.url, f, ftd(`j-${i}`), { headers: { "x-forwarded-for": xff } });
        assert.equal(answer.status, 200, `${xff}: ${answer.text}`);
      }
      const [log] = await k.store.searchRequestLog({ operatorId: f.operator.id, txid: "j-0" });
      assert.equal(log?.ip, "203.0.113.5");
      // The right-most untrusted hop is the client: a prepended allowed address does not help.
      const g = await fixture({ ipAllowlist: ["203.0.113.0/24"], trustedProxies: ["127.0.0.1"] });
      const spoofed = await signedGet(k.url, g, ftd("j-9"), {
        headers: { "x-forwarded-for": "203.0.113.5, 198.51.100.1" },
      });
      await assertRefused(k.store, g.operator.id, spoofed, { status: 403, code: "ip_not_allowed" });
    });

    test("static token with an allowlist: accepted from query, Bearer or X-Postwire-Token", async () => {
      const f = await fixture({ hmacSecrets: [], ipAllowlist: ["127.0.0.1/32"], staticTokenHash: tokenHash });
      const plain = new URLSearchParams(ftd("k-1")).toString();
      const sent = [
        await getPostback(k.url, f.operator.key, `${plain}&token=${TOKEN}`),
        await getPostback(k.url, f.operator.key, plain.replace("k-1", "k-2"), {
          authorization: `Bearer ${TOKEN}`,
        }),
        await getPostback(k.url, f.operator.key, plain.replace("k-1", "k-3"), { "x-postwire-token": TOKEN }),
        await signedPost(k.url, f, body("k-4").replace("{", `{"token":"${TOKEN}",`), { unsigned: true }),
      ];
      for (const answer of sent) assert.equal(answer.status, 200, answer.text);
      const logs = await k.store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(logs.length, 4);
      for (const log of logs) assert.ok(!log.raw.includes(TOKEN), `token redacted: ${log.raw}`);
    });

    test("static token missing or wrong → 401 invalid_token; right token from outside → 403", async () => {
      const auth = { hmacSecrets: [], ipAllowlist: ["127.0.0.1/32"], staticTokenHash: tokenHash };
      for (const suffix of ["", "&token=nope", `&token=${TOKEN}x`]) {
        const f = await fixture(auth);
        const answer = await getPostback(
          k.url,
          f.operator.key,
          `${new URLSearchParams(ftd("l-1"))}${suffix}`,
        );
        await assertRefused(k.store, f.operator.id, answer, { status: 401, code: "invalid_token" });
      }
      const outside = await fixture({ ...auth, ipAllowlist: ["10.0.0.0/8"] });
      const answer = await getPostback(
        k.url,
        outside.operator.key,
        `${new URLSearchParams(ftd("l-2"))}&token=${TOKEN}`,
      );
      await assertRefused(k.store, outside.operator.id, answer, { status: 403, code: "ip_not_allowed" });
    });

    test("a static token without an allowlist is refused as a setting (fails closed)", async () => {
      const f = await fixture({ hmacSecrets: [], ipAllowlist: [], staticTokenHash: tokenHash });
      const answer = await getPostback(
        k.url,
        f.operator.key,
        `${new URLSearchParams(ftd("m-1"))}&token=${TOKEN}`,
      );
      await assertRefused(k.store, f.operator.id, answer, { status: 401, code: "invalid_signature" });
    });

    test("the request log never holds sig, webhook-signature, token or authorization values", async () => {
      const f = await fixture();
      const query = signedQuery(f.secret, ftd("n-1", [["token", TOKEN]]), NOW);
      const sig = new URLSearchParams(query).get("sig")!;
      assert.equal((await getPostback(k.url, f.operator.key, query)).status, 200);
      const post = await signedPost(k.url, f, body("n-2"), {
        ts: NOW,
        headers: { authorization: `Basic ${TOKEN}` },
      });
      assert.equal(post.status, 200, post.text);
      const refused = await signedGet(k.url, f, ftd("n-3"), { ts: NOW - 999 });
      assert.equal(refused.status, 401);
      const logs = await k.store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(logs.length, 3);
      for (const log of logs) {
        for (const secret of [sig, TOKEN, f.secret, f.secret.slice(6)])
          assert.ok(!log.raw.includes(secret), log.raw);
        assert.doesNotMatch(log.raw, /v1,[A-Za-z0-9+/]{20}/);
        const raw = JSON.parse(log.raw) as { headers: Record<string, string>; query: string };
        if (raw.headers["webhook-signature"]) assert.equal(raw.headers["webhook-signature"], "[redacted]");
        if (raw.headers["authorization"]) assert.equal(raw.headers["authorization"], "Basic [redacted]");
      }
    });
  });
}
