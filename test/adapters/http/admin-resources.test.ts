import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { until } from "../../helpers/until.ts";
import { type Call, client, createWorld, expectStatus } from "./admin-kit.ts";

const PUBLIC = "https://track.example";

for (const engine of await availableEngines()) {
  describe(`affiliates, links, API keys and input validation (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    before(async () => {
      t = await startTestService(engine, { PUBLIC_URL: PUBLIC });
      admin = client(t.url, t.adminKey);
    });
    after(() => t.close());

    test("affiliates: create, read, change; email is checked", async () => {
      const created = await admin("POST", "/v1/affiliates", { name: "Partner", email: "p@partner.example" });
      expectStatus(created, 201);
      expectStatus(
        await admin("POST", "/v1/affiliates", { name: "X", email: "not-an-email" }),
        400,
        "validation_failed",
        "email",
      );
      const changed = await admin("PATCH", `/v1/affiliates/${created.body.id}`, { email: null });
      expectStatus(changed, 200);
      assert.equal(changed.body.email, null);
      assert.equal(changed.body.name, "Partner");
      expectStatus(await admin("GET", `/v1/affiliates/${created.body.id}`), 200);
      expectStatus(await admin("GET", "/v1/affiliates/987654"), 404, "not_found");
    });

    test("links: generated codes, tracking URL, pause takes effect at once", async () => {
      const world = await createWorld(t, "Linker");
      assert.match(world.link.code, /^[A-Za-z0-9_-]{10}$/);
      const link = await admin("GET", `/v1/links/${world.link.id}`);
      assert.equal(link.body.tracking_url, `${PUBLIC}/c/${world.link.code}`);
      const before = await fetch(`${t.url}/c/${world.link.code}`, { redirect: "manual" });
      assert.equal(before.status, 302);
      const paused = await admin("PATCH", `/v1/links/${world.link.id}`, { status: "paused" });
      expectStatus(paused, 200);
      const after = await fetch(`${t.url}/c/${world.link.code}`, { redirect: "manual" });
      assert.equal(after.status, 404, "the catalog was invalidated by the write");
      const given = await admin("POST", "/v1/links", {
        affiliate_id: world.affiliate.id,
        program_id: world.program.id,
        code: "spring-promo",
        landing_url_template: "https://casino.example/spring?cid={click_id}",
      });
      expectStatus(given, 201);
      const again = { affiliate_id: world.affiliate.id, program_id: world.program.id, code: "spring-promo" };
      expectStatus(await admin("POST", "/v1/links", again), 409, "conflict");
      expectStatus(
        await admin("POST", "/v1/links", { ...again, code: "x y" }),
        400,
        "validation_failed",
        "code",
      );
      expectStatus(
        await admin("POST", "/v1/links", { ...again, code: undefined, program_id: 424242 }),
        400,
        "validation_failed",
        "program_id",
      );
      expectStatus(
        await admin("PATCH", `/v1/links/${world.link.id}`, { status: "deleted" }),
        400,
        "validation_failed",
        "status",
      );
      const listed = await admin("GET", `/v1/links?affiliate_id=${world.affiliate.id}`);
      assert.equal(listed.body.data.length, 2);
    });

    test("API keys: shown once, listed without secrets, revoked keys answer 401", async () => {
      const world = await createWorld(t, "Keys");
      expectStatus(
        await admin("POST", "/v1/api-keys", { name: "ops", role: "operator" }),
        400,
        "validation_failed",
        "operator_id",
      );
      expectStatus(
        await admin("POST", "/v1/api-keys", { name: "x", role: "admin", affiliate_id: world.affiliate.id }),
        400,
        "validation_failed",
      );
      const created = await admin("POST", "/v1/api-keys", {
        name: "ops",
        role: "operator",
        operator_id: world.operator.id,
      });
      expectStatus(created, 201);
      assert.match(created.body.key, /^pw_/);
      const listed = await admin("GET", "/v1/api-keys?limit=1000");
      assert.ok(!listed.text.includes(created.body.key), "the key is never listed");
      assert.ok(!/hash/.test(listed.text));
      const mine = client(t.url, created.body.key);
      expectStatus(await mine("GET", "/v1/me"), 200);
      // last_used_at is written just after the answer.
      await until(async () => {
        const keys = await admin("GET", `/v1/api-keys?operator_id=${world.operator.id}`);
        return keys.body.data.find((k: { id: number }) => k.id === created.body.id)?.last_used_at;
      }, "last_used_at to be recorded");
      expectStatus(await admin("DELETE", `/v1/api-keys/${created.body.id}`), 200);
      expectStatus(await mine("GET", "/v1/me"), 401, "unauthorized");
      expectStatus(await client(t.url, undefined)("GET", "/v1/operators"), 401, "unauthorized");
      expectStatus(await client(t.url, "pw_not-a-real-key-but-long-enough-000000")("GET", "/v1/me"), 401);
      expectStatus(await admin("DELETE", "/v1/api-keys/777777"), 404, "not_found");
    });

    test("the last live admin key cannot be revoked", async () => {
      const keys = await admin("GET", "/v1/api-keys?limit=1000");
      const live = keys.body.data.filter(
        (k: { role: string; revoked_at: string | null }) => k.role === "admin" && !k.revoked_at,
      );
      assert.equal(live.length, 1);
      expectStatus(await admin("DELETE", `/v1/api-keys/${live[0].id}`), 409, "conflict");
    });

    test("bad input names the field: unknown, missing, mistyped", async () => {
      expectStatus(
        await admin("POST", "/v1/affiliates", { name: "A", nmae: "typo" }),
        400,
        "validation_failed",
        "nmae",
      );
      expectStatus(await admin("POST", "/v1/affiliates", {}), 400, "validation_failed", "name");
      expectStatus(
        await admin("POST", "/v1/affiliates", { name: { first: "x" } }),
        400,
        "validation_failed",
        "name",
      );
      expectStatus(await admin("GET", "/v1/conversions?limit=0"), 400, "validation_failed", "limit");
      expectStatus(await admin("GET", "/v1/conversions?since=yesterday"), 400, "validation_failed", "since");
      expectStatus(await admin("GET", "/v1/links?colour=red"), 400, "validation_failed", "colour");
      expectStatus(await admin("GET", "/v1/links/abc"), 400, "validation_failed", "id");
      const raw = await fetch(`${t.url}/v1/affiliates`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
        body: "{nope",
      });
      assert.equal(raw.status, 400);
      assert.equal(((await raw.json()) as { code: string }).code, "invalid_json");
    });
  });
}
