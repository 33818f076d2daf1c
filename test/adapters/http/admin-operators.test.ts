import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { VERTICAL_DEFAULT_EVENTS } from "../../../src/domain/event-types.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { type Call, client, expectStatus } from "./admin-kit.ts";

const PUBLIC = "https://track.example";

for (const engine of await availableEngines()) {
  describe(`operators and programs (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    before(async () => {
      t = await startTestService(engine, { PUBLIC_URL: PUBLIC });
      admin = client(t.url, t.adminKey);
    });
    after(() => t.close());

    test("operators: create with a generated key and secret shown once, read, list, change", async () => {
      const created = await admin("POST", "/v1/operators", { name: "Acme", ip_allowlist: ["10.0.0.1"] });
      expectStatus(created, 201);
      assert.match(created.body.key, /^op_[A-Za-z0-9_-]{16}$/);
      assert.match(created.body.secret, /^whsec_/);
      assert.equal(created.body.auth.hmac_secrets.length, 1);
      assert.deepEqual(created.body.auth.ip_allowlist, ["10.0.0.1/32"]);
      assert.equal(created.body.postback_url, `${PUBLIC}/v1/postback/${created.body.key}`);
      const id = created.body.id;
      const read = await admin("GET", `/v1/operators/${id}`);
      expectStatus(read, 200);
      assert.ok(!read.text.includes(created.body.secret), "GET never shows the secret");
      assert.equal(read.body.secret, undefined);
      assert.equal(read.body.auth.hmac_secrets[0].fingerprint, created.body.auth.hmac_secrets[0].fingerprint);
      const listed = await admin("GET", "/v1/operators?limit=1000");
      expectStatus(listed, 200);
      assert.ok(listed.body.data.some((o: { id: number }) => o.id === id));
      assert.ok(!listed.text.includes(created.body.secret));
      const changed = await admin("PATCH", `/v1/operators/${id}`, { name: "Acme Ltd", status: "disabled" });
      expectStatus(changed, 200);
      assert.equal(changed.body.name, "Acme Ltd");
      assert.equal(changed.body.status, "disabled");
      assert.equal(changed.body.key, created.body.key);
    });

    test("operators: a given key is kept; a taken key is a 409 conflict", async () => {
      const first = await admin("POST", "/v1/operators", { name: "Keyed", key: "brand-x" });
      expectStatus(first, 201);
      assert.equal(first.body.key, "brand-x");
      expectStatus(await admin("POST", "/v1/operators", { name: "Again", key: "brand-x" }), 409, "conflict");
      expectStatus(
        await admin("POST", "/v1/operators", { name: "Bad", key: "no spaces" }),
        400,
        "validation_failed",
        "key",
      );
    });

    test("operators: auth and mapping are validated", async () => {
      expectStatus(
        await admin("POST", "/v1/operators", { name: "Nothing", hmac_secrets: [] }),
        400,
        "invalid_field",
        "auth",
      );
      expectStatus(
        await admin("POST", "/v1/operators", { name: "Cidr", ip_allowlist: ["10.0.0.0/33"] }),
        400,
        "invalid_field",
        "ip_allowlist",
      );
      expectStatus(
        await admin("POST", "/v1/operators", { name: "Short", hmac_secrets: ["whsec_c2hvcnQ="] }),
        400,
        "invalid_field",
        "hmac_secrets",
      );
      expectStatus(
        await admin("POST", "/v1/operators", { name: "Three", hmac_secrets: ["a", "b", "c"] }),
        400,
        "validation_failed",
        "hmac_secrets",
      );
      const op = await admin("POST", "/v1/operators", { name: "Mapped" });
      const path = `/v1/operators/${op.body.id}/mapping`;
      const mapping = { params: { btag: "click_id", type: "event" }, values: { event: { dep: "ftd" } } };
      const saved = await admin("PUT", path, mapping);
      expectStatus(saved, 200);
      assert.deepEqual(saved.body.mapping, mapping);
      expectStatus(
        await admin("PUT", path, { params: { btag: "clickid" } }),
        400,
        "invalid_field",
        "mapping.params.btag",
      );
      expectStatus(
        await admin("PUT", path, { params: { sig: "txid" } }),
        400,
        "invalid_field",
        "mapping.params.sig",
      );
      expectStatus(
        await admin("PUT", path, { values: { color: { a: "b" } } }),
        400,
        "invalid_field",
        "mapping.values.color",
      );
      expectStatus(
        await admin("PUT", path, { values: { event: { dep: "First Deposit" } } }),
        400,
        "invalid_field",
        "mapping.values.event.dep",
      );
      expectStatus(
        await admin("PUT", path, { params: { btag: { to: "click_id" } } }),
        400,
        "validation_failed",
        "params.btag",
      );
    });

    test("programs: vertical defaults, currency, templates and events are validated", async () => {
      const op = await admin("POST", "/v1/operators", { name: "FX" });
      const base = {
        operator_id: op.body.id,
        name: "FX IB",
        vertical: "forex",
        currency: "usd",
        landing_url_template: "https://fx.example/open?cid={click_id}",
      };
      const created = await admin("POST", "/v1/programs", base);
      expectStatus(created, 201);
      assert.equal(created.body.currency, "USD");
      assert.deepEqual(created.body.allowed_events, VERTICAL_DEFAULT_EVENTS.forex);
      assert.equal(created.body.lookback_days, 30);
      const custom = await admin("POST", "/v1/programs", {
        ...base,
        vertical: "prop",
        allowed_events: ["registration", "kyc_passed"],
      });
      expectStatus(custom, 201);
      assert.deepEqual(custom.body.allowed_events, ["registration", "kyc_passed"]);
      expectStatus(
        await admin("POST", "/v1/programs", { ...base, currency: "XYZ" }),
        400,
        "unknown_currency",
        "currency",
      );
      expectStatus(
        await admin("POST", "/v1/programs", {
          ...base,
          landing_url_template: "https://fx.example/?x={nope}",
        }),
        400,
        "invalid_field",
        "landing_url_template",
      );
      expectStatus(
        await admin("POST", "/v1/programs", { ...base, allowed_events: ["Bad Event"] }),
        400,
        "invalid_field",
        "allowed_events",
      );
      expectStatus(
        await admin("POST", "/v1/programs", { ...base, operator_id: 999999 }),
        400,
        "validation_failed",
        "operator_id",
      );
      expectStatus(
        await admin("POST", "/v1/programs", { ...base, vertical: "sports" }),
        400,
        "validation_failed",
        "vertical",
      );
      const { vertical: _v, ...withoutVertical } = base;
      expectStatus(
        await admin("POST", "/v1/programs", withoutVertical),
        400,
        "validation_failed",
        "vertical",
      );
      const id = created.body.id;
      const changed = await admin("PATCH", `/v1/programs/${id}`, {
        fallback_url: "https://fx.example/closed",
        lookback_days: 60,
      });
      expectStatus(changed, 200);
      assert.equal(changed.body.fallback_url, "https://fx.example/closed");
      assert.equal(changed.body.lookback_days, 60);
      const cleared = await admin("PATCH", `/v1/programs/${id}`, { fallback_url: null });
      assert.equal(cleared.body.fallback_url, null);
      expectStatus(
        await admin("PATCH", `/v1/programs/${id}`, { currency: "EUR" }),
        400,
        "validation_failed",
        "currency",
      );
      expectStatus(await admin("PATCH", `/v1/programs/${id}`, {}), 400, "validation_failed");
      expectStatus(await admin("GET", `/v1/programs/${id}`), 200);
      const listed = await admin("GET", `/v1/programs?operator_id=${op.body.id}`);
      assert.deepEqual(
        listed.body.data.map((p: { id: number }) => p.id),
        [id, custom.body.id],
      );
    });
  });
}
