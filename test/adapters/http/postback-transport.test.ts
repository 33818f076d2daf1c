/**
 * Postbacks refused for how they were sent rather than what they say: unknown or disabled
 * operator, method, content type, encoding, JSON shape, size; the 409 conflict; storage down.
 * Each gets a JSON answer with its code, stores nothing and is in the request log.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import { assertRefused, ftd, getPostback, signedGet, signedPost, startKitService } from "./postback-kit.ts";

/** A POST with a chunked body (no Content-Length), so only the streaming limit can stop it. */
function postChunked(url: string, path: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may answer 413 and close before the whole body is written.
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

for (const engine of await availableEngines()) {
  describe(`postbacks refused by transport checks (${engine})`, { timeout: 90_000 }, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(engine, { BODY_LIMIT_BYTES: "4096" });
    });
    after(() => t?.close());

    test("unknown operator → 404 unknown_operator, logged without an operator", async () => {
      const key = `nobody_${Math.random().toString(36).slice(2)}`;
      const answer = await getPostback(t.url, key, new URLSearchParams(ftd("u-1")).toString());
      assert.equal(answer.status, 404, answer.text);
      assert.equal(answer.body["code"], "unknown_operator");
      const logs = await t.store.searchRequestLog({ code: "unknown_operator" });
      const mine = logs.filter((log) => log.path === `/v1/postback/${key}`);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.operatorId, null);
    });

    test("disabled operator → 403 operator_disabled", async () => {
      const f = await createFixture(t.store);
      await t.store.operators.update(f.operator.id, { status: "disabled" }, Date.now());
      const answer = await signedGet(t.url, f, ftd("d-1"));
      await assertRefused(t.store, f.operator.id, answer, { status: 403, code: "operator_disabled" });
    });

    test("POST with parameters in the query string → 400 invalid_request", async () => {
      const f = await createFixture(t.store);
      const body = JSON.stringify(Object.fromEntries(ftd("q-1")));
      const answer = await signedPost(t.url, f, body, { query: "amount=999" });
      await assertRefused(t.store, f.operator.id, answer, { status: 400, code: "invalid_request" });
    });

    test("unsupported content types → 415 unsupported_media_type", async () => {
      for (const contentType of ["text/plain", "application/xml", "multipart/form-data; boundary=x"]) {
        const f = await createFixture(t.store);
        const answer = await signedPost(t.url, f, "event=ftd", { contentType });
        await assertRefused(t.store, f.operator.id, answer, { status: 415, code: "unsupported_media_type" });
      }
      const f = await createFixture(t.store);
      const response = await fetch(`${t.url}/v1/postback/${f.operator.key}`, {
        method: "POST",
        body: new Uint8Array(Buffer.from("event=ftd")),
      });
      const answer = { status: response.status, headers: response.headers, text: await response.text() };
      await assertRefused(
        t.store,
        f.operator.id,
        { ...answer, body: JSON.parse(answer.text) },
        {
          status: 415,
          code: "unsupported_media_type",
        },
      );
    });

    test("invalid UTF-8 in a JSON body, a form body or the query → 400 invalid_request", async () => {
      const bodies: Array<[string, Buffer]> = [
        [
          "application/json",
          Buffer.concat([Buffer.from('{"event":"ftd","txid":"'), Buffer.from([0xff]), Buffer.from('"}')]),
        ],
        ["application/x-www-form-urlencoded", Buffer.from("event=ftd&txid=%FF%FE&player_id=p")],
      ];
      for (const [contentType, body] of bodies) {
        const f = await createFixture(t.store);
        const answer = await signedPost(t.url, f, body, { contentType });
        await assertRefused(t.store, f.operator.id, answer, { status: 400, code: "invalid_request" });
      }
      const f = await createFixture(t.store);
      const answer = await getPostback(t.url, f.operator.key, "event=ftd&txid=%C3%28&player_id=p");
      await assertRefused(t.store, f.operator.id, answer, { status: 400, code: "invalid_request" });
    });

    test("invalid JSON, a JSON array and an empty JSON body → 400 invalid_json", async () => {
      for (const body of ['{"event":"ftd",', '[{"event":"ftd"}]', '"ftd"', ""]) {
        const f = await createFixture(t.store);
        const answer = await signedPost(t.url, f, body);
        await assertRefused(t.store, f.operator.id, answer, { status: 400, code: "invalid_json" });
      }
    });

    test("nested JSON values → 400 invalid_field naming the field", async () => {
      for (const [body, field] of [
        ['{"event":"ftd","txid":"n","meta":{"a":1}}', "meta"],
        ['{"event":"ftd","txid":["n"]}', "txid"],
      ] as const) {
        const f = await createFixture(t.store);
        const answer = await signedPost(t.url, f, body);
        await assertRefused(t.store, f.operator.id, answer, { status: 400, code: "invalid_field", field });
      }
    });

    test("a body over the limit → 413 payload_too_large, JSON, logged (with and without a length)", async () => {
      const big = JSON.stringify({ event: "ftd", txid: "big", pad: "x".repeat(5000) });
      const f = await createFixture(t.store);
      const answer = await signedPost(t.url, f, big);
      await assertRefused(t.store, f.operator.id, answer, { status: 413, code: "payload_too_large" });
      const [log] = await t.store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(JSON.parse(log!.raw).headers["content-length"], String(big.length));

      const g = await createFixture(t.store);
      const chunks = Array.from({ length: 8 }, () => Buffer.from("x".repeat(1024)));
      const chunked = await postChunked(t.url, `/v1/postback/${g.operator.key}`, chunks);
      assert.equal(chunked.status, 413, chunked.body);
      assert.equal(JSON.parse(chunked.body).code, "payload_too_large");
      assert.equal(
        (await t.store.searchRequestLog({ operatorId: g.operator.id, code: "payload_too_large" })).length,
        1,
      );
    });

    test("same txid with different content → 409 txid_conflict; the original stands", async () => {
      const f = await createFixture(t.store);
      const first = await signedGet(t.url, f, ftd("c-1"));
      assert.equal(first.status, 200, first.text);
      const changed = await signedGet(
        t.url,
        f,
        ftd("c-1").map(([n, v]) => [n, n === "amount" ? "99.00" : v]),
      );
      await assertRefused(
        t.store,
        f.operator.id,
        changed,
        { status: 409, code: "txid_conflict", field: "txid" },
        1,
      );
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.amountMinor, 10050);
    });

    test("other methods → 405 method_not_allowed with Allow, logged, nothing stored", async () => {
      const f = await createFixture(t.store);
      for (const method of ["PUT", "DELETE", "HEAD"]) {
        const response = await fetch(
          `${t.url}/v1/postback/${f.operator.key}?${new URLSearchParams(ftd("h"))}`,
          {
            method,
          },
        );
        const text = await response.text();
        assert.equal(response.status, 405, text);
        assert.equal(response.headers.get("allow"), "GET, POST");
        if (method !== "HEAD") assert.equal(JSON.parse(text).code, "method_not_allowed");
      }
      assert.equal((await t.store.listConversions({ operatorId: f.operator.id })).length, 0);
      const logs = await t.store.searchRequestLog({ operatorId: f.operator.id, code: "method_not_allowed" });
      assert.deepEqual(logs.map((l) => l.method).sort(), ["DELETE", "HEAD", "PUT"]);
    });

    test("no operator key or a malformed path → JSON 404/400, never HTML or a 500", async () => {
      const none = await fetch(`${t.url}/v1/postback/`);
      assert.equal(none.status, 404);
      assert.equal(((await none.json()) as { code: string }).code, "not_found");
      const bad = await fetch(`${t.url}/v1/postback/%E0%A4%A`);
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { code: string }).code, "invalid_request");
    });
  });

  test(`storage down → 503 storage_unavailable with Retry-After, never a 2xx (${engine})`, {
    timeout: 30_000,
  }, async () => {
    const k = await startKitService(engine);
    try {
      const f = await createFixture(k.store);
      assert.equal((await signedGet(k.url, f, ftd("s-1"))).status, 200);
      await k.store.close();
      for (const txid of ["s-2", "s-3"]) {
        const answer = await signedGet(k.url, f, ftd(txid));
        assert.equal(answer.status, 503, answer.text);
        assert.equal(answer.body["code"], "storage_unavailable");
        assert.equal(answer.headers.get("retry-after"), "5");
      }
      const ready = await fetch(`${k.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.headers.get("retry-after"), "5");
    } finally {
      await k.close();
    }
  });
}
