/**
 * Console sessions on both engines: signing in stores only the token's hash; a session is live
 * until its idle timeout or its absolute end (boundaries exact, on a controlled clock), signing
 * out or revoking its key; activity is recorded at most once a minute; ended sessions are pruned.
 * Also the CSRF token derivation and the failed sign-in throttle.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import { createApiKey } from "../../../src/app/access/api-keys.ts";
import {
  csrfMatches,
  csrfTokenOf,
  currentSession,
  IDLE_MS,
  MAX_AGE_MS,
  signIn,
  signOut,
} from "../../../src/app/access/console-sessions.ts";
import { createSignInThrottle } from "../../../src/app/access/sign-in-throttle.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";

const T0 = Date.UTC(2026, 11, 6, 12);

for (const engine of await availableEngines()) {
  describe(`console sessions (${engine})`, () => {
    let store: Store;
    let now = T0;
    const clock = { now: () => now };
    const ids = createIds();
    let key = "";
    let keyId = 0;
    before(async () => {
      store = await createTestStore(engine);
      const created = await createApiKey(store, clock, ids, { name: "admin", role: "admin" });
      assert.ok(created.ok);
      key = created.value.secret;
      keyId = created.value.apiKey.id;
    });
    after(() => store.close());

    const input = (apiKey: string) => ({ apiKey, ip: "127.0.0.1", userAgent: "test" });

    test("an unknown key is refused; a valid one gets a session whose token is not stored", async () => {
      const refused = await signIn(store, clock, ids, input("pw_unknownunknownunknownunknownunknown"));
      assert.equal(refused.ok, false);
      now = T0;
      const signed = await signIn(store, clock, ids, input(` ${key}\n`));
      assert.ok(signed.ok, "surrounding whitespace of a pasted key is ignored");
      const { token, session } = signed.value;
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(session.idHash, createHash("sha256").update(token).digest("hex"));
      assert.equal(session.expiresAt, T0 + MAX_AGE_MS);
      const found = await store.consoleSessions.find(session.idHash);
      assert.equal(found?.key.id, keyId);
      assert.notEqual(found?.session.idHash, token);
    });

    test("live until the idle timeout, counted from the last recorded activity", async () => {
      now = T0;
      const signed = await signIn(store, clock, ids, input(key));
      assert.ok(signed.ok);
      const { token } = signed.value;
      now = T0 + IDLE_MS - 1;
      const live = await currentSession(store, clock, token);
      assert.equal(live?.principal.role, "admin");
      assert.equal(live?.keyName, "admin");
      now = T0 + IDLE_MS - 1 + IDLE_MS - 1;
      assert.ok(await currentSession(store, clock, token), "the last visit moved the idle timeout on");
      now += IDLE_MS;
      assert.equal(await currentSession(store, clock, token), undefined, "idle for the timeout: over");
    });

    test("activity is written at most once a minute", async () => {
      now = T0;
      const signed = await signIn(store, clock, ids, input(key));
      assert.ok(signed.ok);
      const { token, session } = signed.value;
      now = T0 + 59_999;
      await currentSession(store, clock, token);
      assert.equal((await store.consoleSessions.find(session.idHash))?.session.lastSeenAt, T0);
      now = T0 + 60_000;
      await currentSession(store, clock, token);
      assert.equal((await store.consoleSessions.find(session.idHash))?.session.lastSeenAt, T0 + 60_000);
    });

    test("no session outlives its absolute end, however active", async () => {
      now = T0;
      const signed = await signIn(store, clock, ids, input(key));
      assert.ok(signed.ok);
      for (now = T0; now < T0 + MAX_AGE_MS; now += IDLE_MS / 2)
        assert.ok(await currentSession(store, clock, signed.value.token));
      now = T0 + MAX_AGE_MS;
      assert.equal(await currentSession(store, clock, signed.value.token), undefined);
    });

    test("signing out ends the session; malformed tokens are simply no session", async () => {
      now = T0;
      const signed = await signIn(store, clock, ids, input(key));
      assert.ok(signed.ok);
      await signOut(store, clock, signed.value.token);
      assert.equal(await currentSession(store, clock, signed.value.token), undefined);
      for (const bad of [undefined, "", "x", "'; DROP TABLE console_sessions; --", "a".repeat(5000)])
        assert.equal(await currentSession(store, clock, bad), undefined);
    });

    test("ended sessions are pruned; live ones stay", async () => {
      now = T0 + 100 * MAX_AGE_MS;
      const live = await signIn(store, clock, ids, input(key));
      assert.ok(live.ok);
      const removed = await store.consoleSessions.prune(now);
      assert.ok(removed >= 5, `the sessions of the tests above (${removed})`);
      assert.ok(await store.consoleSessions.find(live.value.session.idHash));
    });

    test("revoking the API key ends its sessions", async () => {
      now = T0 + 200 * MAX_AGE_MS;
      const signed = await signIn(store, clock, ids, input(key));
      assert.ok(signed.ok);
      await store.apiKeys.revoke(keyId, now);
      assert.equal(await currentSession(store, clock, signed.value.token), undefined);
      assert.equal((await signIn(store, clock, ids, input(key))).ok, false, "nor can it sign in again");
    });
  });
}

test("CSRF tokens: derived from the session token, compared exactly", () => {
  const a = "A".repeat(43);
  const b = "B".repeat(43);
  assert.notEqual(csrfTokenOf(a), csrfTokenOf(b));
  assert.ok(csrfMatches(a, csrfTokenOf(a)));
  for (const given of [undefined, "", csrfTokenOf(b), `${csrfTokenOf(a)}x`, csrfTokenOf(a).slice(1)])
    assert.equal(csrfMatches(a, given), false, String(given));
});

test("sign-in throttle: the limit within the window, per address, cleared by a success", () => {
  let now = 0;
  const throttle = createSignInThrottle({ clock: { now: () => now }, limit: 3, windowMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    assert.equal(throttle.retryAfterSeconds("a"), 0);
    throttle.failed("a");
    now += 1000;
  }
  assert.equal(throttle.retryAfterSeconds("a"), 57, "until the oldest failure leaves the window");
  assert.equal(throttle.retryAfterSeconds("b"), 0, "other addresses are not affected");
  now = 60_000;
  assert.equal(throttle.retryAfterSeconds("a"), 0, "the oldest failure has left the window");
  throttle.failed("a");
  throttle.succeeded("a");
  throttle.failed("a");
  assert.equal(throttle.retryAfterSeconds("a"), 0);
  const bounded = createSignInThrottle({ clock: { now: () => 0 }, limit: 1, maxAddresses: 2 });
  for (const address of ["x", "y", "z"]) bounded.failed(address);
  assert.equal(bounded.retryAfterSeconds("x"), 0, "the oldest address was forgotten");
  assert.ok(bounded.retryAfterSeconds("z") > 0);
});
