import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { type Call, client, createWorld, expectStatus, postback, signedQuery, txid } from "./admin-kit.ts";

/** An unattributed but valid registration signed with `secret`. */
const registration = (secret: string) =>
  signedQuery(secret, [
    ["event", "registration"],
    ["txid", txid()],
    ["click_id", "unknown-click"],
  ]);

for (const engine of await availableEngines()) {
  describe(`operator credentials (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
    });
    after(() => t.close());

    test("secrets set by hand hold at least 24 bytes; a stored 16-byte secret still verifies", async () => {
      const secretOf = (bytes: number) => `whsec_${Buffer.alloc(bytes, 9).toString("base64")}`;
      const short = await admin("POST", "/v1/operators", { name: "Short", hmac_secrets: [secretOf(23)] });
      expectStatus(short, 400, "invalid_field", "hmac_secrets");
      assert.match(short.body.message, /at least 24/);
      const enough = await admin("POST", "/v1/operators", { name: "Enough", hmac_secrets: [secretOf(24)] });
      expectStatus(enough, 201);
      assert.equal(enough.body.secret, null, "a secret given is not echoed");
      // Without a program the event is refused, but only after the signature was accepted.
      const signed = (key: string, bytes: number) => postback(t.url, key, registration(secretOf(bytes)));
      expectStatus(await signed(enough.body.key, 24), 400, "unknown_event_type");
      expectStatus(await signed(enough.body.key, 23), 401, "invalid_signature");
      // Set before the rule, straight in the store: it keeps working.
      const old = await t.store.operators.create(
        {
          name: "Old",
          key: `op_old_${engine}`,
          status: "active",
          auth: { hmacSecrets: [secretOf(16)], ipAllowlist: [], trustedProxies: [], staticTokenHash: null },
          mapping: { params: {}, values: {} },
        },
        Date.now(),
      );
      expectStatus(await signed(old.key, 16), 400, "unknown_event_type");
    });

    test("rotation keeps two live secrets; a third retires the oldest", async () => {
      const world = await createWorld(t, "Rotor");
      const { key } = world.operator;
      const first = world.secret;
      const rotate = () => admin("POST", `/v1/operators/${world.operator.id}/secrets`);

      const second = await rotate();
      expectStatus(second, 201);
      assert.match(second.body.secret, /^whsec_/);
      assert.equal(second.body.operator.auth.hmac_secrets.length, 2);
      assert.equal(second.body.operator.auth.hmac_secrets[1].fingerprint, second.body.fingerprint);
      const shown = await admin("GET", `/v1/operators/${world.operator.id}`);
      assert.ok(!shown.text.includes(first) && !shown.text.includes(second.body.secret));
      expectStatus(await postback(t.url, key, registration(first)), 200, "accepted");
      expectStatus(await postback(t.url, key, registration(second.body.secret)), 200, "accepted");

      const third = await rotate();
      expectStatus(third, 201);
      const live = third.body.operator.auth.hmac_secrets.map((s: { fingerprint: string }) => s.fingerprint);
      assert.deepEqual(live, [second.body.fingerprint, third.body.fingerprint]);
      expectStatus(await postback(t.url, key, registration(first)), 401, "invalid_signature");
      expectStatus(await postback(t.url, key, registration(second.body.secret)), 200, "accepted");
      expectStatus(await postback(t.url, key, registration(third.body.secret)), 200, "accepted");

      const retired = await admin(
        "DELETE",
        `/v1/operators/${world.operator.id}/secrets/${second.body.fingerprint}`,
      );
      expectStatus(retired, 200);
      assert.equal(retired.body.auth.hmac_secrets.length, 1);
      expectStatus(await postback(t.url, key, registration(second.body.secret)), 401, "invalid_signature");
      expectStatus(await postback(t.url, key, registration(third.body.secret)), 200, "accepted");

      const last = `/v1/operators/${world.operator.id}/secrets/${third.body.fingerprint}`;
      expectStatus(await admin("DELETE", last), 400, "invalid_field", "auth");
      expectStatus(
        await admin("DELETE", `/v1/operators/${world.operator.id}/secrets/${"0".repeat(16)}`),
        404,
        "not_found",
      );
    });

    test("a static token needs an IP allowlist, is shown once and then authenticates", async () => {
      const world = await createWorld(t, "Tokened");
      const id = world.operator.id;
      expectStatus(
        await admin("PUT", `/v1/operators/${id}/static-token`),
        400,
        "invalid_field",
        "static_token",
      );
      expectStatus(await admin("PATCH", `/v1/operators/${id}`, { ip_allowlist: ["127.0.0.1", "::1"] }), 200);
      const issued = await admin("PUT", `/v1/operators/${id}/static-token`);
      expectStatus(issued, 201);
      assert.match(issued.body.token, /^pwt_[A-Za-z0-9_-]{32}$/);
      assert.equal(issued.body.operator.auth.static_token, true);
      const shown = await admin("GET", `/v1/operators/${id}`);
      assert.ok(!shown.text.includes(issued.body.token));
      // Signature and token both configured: both are required.
      const signed = registration(world.secret);
      expectStatus(await postback(t.url, world.operator.key, signed), 401, "invalid_token");
      expectStatus(
        await postback(t.url, world.operator.key, `${signed}&token=${issued.body.token}`),
        401,
        "invalid_signature",
        undefined,
      );
      // Signed over every parameter but sig, the token included.
      const withToken = signedQuery(world.secret, [
        ["event", "registration"],
        ["txid", txid()],
        ["click_id", "unknown-click"],
        ["token", issued.body.token],
      ]);
      expectStatus(await postback(t.url, world.operator.key, withToken), 200, "accepted");
      expectStatus(
        await admin("PATCH", `/v1/operators/${id}`, { ip_allowlist: [] }),
        400,
        "invalid_field",
        "static_token",
      );
      const removed = await admin("DELETE", `/v1/operators/${id}/static-token`);
      expectStatus(removed, 200);
      assert.equal(removed.body.auth.static_token, false);
      expectStatus(await postback(t.url, world.operator.key, registration(world.secret)), 200, "accepted");
    });

    test("a token-only operator (allowlist, no HMAC) is accepted with its token alone", async () => {
      const created = await admin("POST", "/v1/operators", {
        name: "Legacy back office",
        hmac_secrets: [],
        ip_allowlist: ["127.0.0.0/8", "::1/128"],
      });
      expectStatus(created, 201);
      assert.equal(created.body.secret, null);
      const program = await admin("POST", "/v1/programs", {
        operator_id: created.body.id,
        name: "Legacy casino",
        vertical: "igaming",
        currency: "GBP",
        landing_url_template: "https://legacy.example/?c={click_id}",
      });
      expectStatus(program, 201);
      const issued = await admin("PUT", `/v1/operators/${created.body.id}/static-token`);
      expectStatus(issued, 201);
      const query = (token: string) =>
        new URLSearchParams({ event: "registration", txid: txid(), click_id: "c", token }).toString();
      expectStatus(await postback(t.url, created.body.key, query(issued.body.token)), 200, "accepted");
      expectStatus(await postback(t.url, created.body.key, query("pwt_wrong")), 401, "invalid_token");
    });

    test("two rotations and an allowlist edit at once: none of them is lost", async () => {
      const world = await createWorld(t, "Racing");
      const path = `/v1/operators/${world.operator.id}`;
      const [a, b, edited] = await Promise.all([
        admin("POST", `${path}/secrets`),
        admin("POST", `${path}/secrets`),
        admin("PATCH", path, { ip_allowlist: ["127.0.0.1", "::1"] }),
      ]);
      for (const answer of [a, b]) expectStatus(answer, 201);
      expectStatus(edited, 200);
      const shown = await admin("GET", path);
      const live = shown.body.auth.hmac_secrets.map((s: { fingerprint: string }) => s.fingerprint);
      assert.deepEqual(live.sort(), [a.body.fingerprint, b.body.fingerprint].sort());
      assert.deepEqual(shown.body.auth.ip_allowlist, ["127.0.0.1/32", "::1/128"]);
      expectStatus(await postback(t.url, world.operator.key, registration(a.body.secret)), 200, "accepted");
      expectStatus(await postback(t.url, world.operator.key, registration(b.body.secret)), 200, "accepted");
    });

    test("credential changes are admin only", async () => {
      const world = await createWorld(t, "Guarded");
      const own = client(t.url, await t.key("operator", { operatorId: world.operator.id }));
      expectStatus(await own("POST", `/v1/operators/${world.operator.id}/secrets`), 403, "forbidden");
      expectStatus(await own("PUT", `/v1/operators/${world.operator.id}/static-token`), 403, "forbidden");
    });
  });
}
