/**
 * The console's error paths answer HTML pages (not the API's JSON), with the catalogue's code and
 * nothing echoed unescaped: an oversized form, a closed database behind a signed-in page.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createIds } from "../../src/adapters/clock-and-ids.ts";
import { createApiKey } from "../../src/app/access/api-keys.ts";
import { signIn } from "../../src/app/access/console-sessions.ts";
import { startKitService } from "../adapters/http/postback-kit.ts";

test("an oversized sign-in form is refused with an HTML error page", async () => {
  const k = await startKitService("sqlite");
  try {
    const response = await fetch(`${k.url}/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `api_key=${"<x>".repeat(10_000)}`,
    });
    assert.equal(response.status, 413);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    const page = await response.text();
    assert.match(page, /<code>payload_too_large<\/code>/);
    assert.doesNotMatch(page, /<x>/);
  } finally {
    await k.close();
  }
});

test("a signed-in page whose database is gone answers an HTML error page, not JSON", async () => {
  const k = await startKitService("sqlite");
  const ids = createIds();
  const key = await createApiKey(k.store, { now: () => Date.now() }, ids, { name: "a", role: "admin" });
  assert.ok(key.ok);
  const signed = await signIn(k.store, { now: () => Date.now() }, ids, {
    apiKey: key.value.secret,
    ip: null,
    userAgent: null,
  });
  assert.ok(signed.ok);
  await k.store.close();
  try {
    const response = await fetch(`${k.url}/`, { headers: { cookie: `pw_session=${signed.value.token}` } });
    assert.ok(response.status >= 500, String(response.status));
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await response.text(), /<code>(internal_error|storage_unavailable)<\/code>/);
  } finally {
    await k.close();
  }
});
