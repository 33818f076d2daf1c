/**
 * POST /v1/endpoints/{id}/rotate-secret over the real service, on both engines: a conversion's POST
 * delivery after a rotation reaches a real receiver on 127.0.0.1 and verifies, with the independent
 * `standardwebhooks` package, under the old and the new secret during the grace period, and under
 * the new one only after it (injected clock); a second rotation replaces the previous secret;
 * grace_hours 0, the default and the limits; after the grace period the JSON shows no previous
 * secret and the retention job erases it; tenant rules; the endpoint's JSON and /openapi.json.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { type Receiver, startReceiver, until } from "../delivery/delivery-kit.ts";
import { type Call, click, client, convert, createWorld, expectStatus, type World } from "./admin-kit.ts";

const HOUR = 3_600_000;

interface Signed {
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

/** Whether `secret` verifies a request, checked by the reference library at its own timestamp. */
function verifies(secret: string, request: Signed): boolean {
  const headers = {
    "webhook-id": String(request.headers["webhook-id"]),
    "webhook-timestamp": String(request.headers["webhook-timestamp"]),
    "webhook-signature": String(request.headers["webhook-signature"]),
  };
  // The library checks freshness against Date.now(): verify as the receiver did, on arrival.
  const realNow = Date.now;
  Date.now = () => Number(headers["webhook-timestamp"]) * 1000;
  try {
    new Webhook(secret).verify(request.body, headers);
    return true;
  } catch {
    return false;
  } finally {
    Date.now = realNow;
  }
}

const signatures = (request: Signed): number =>
  String(request.headers["webhook-signature"]).split(" ").length;

for (const engine of await availableEngines()) {
  describe(`endpoint secret rotation (${engine})`, () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    let t: TestService;
    let admin: Call;
    let world: World;
    let receiver: Receiver;
    before(async () => {
      // Retention every second (its shortest): it erases previous secrets once their grace is over.
      t = await startTestService(
        engine,
        { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20", PRUNE_INTERVAL_MS: "1000" },
        clock,
      );
      admin = client(t.url, t.adminKey);
      world = await createWorld(t);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    const createEndpoint = async (path: string, status = "active") => {
      const created = await admin("POST", "/v1/endpoints", {
        affiliate_id: world.affiliate.id,
        url_template: `${receiver.url}/${path}?id={delivery_id}`,
        method: "POST",
        status,
      });
      expectStatus(created, 201);
      return created.body as { id: number; secret: string; previous_secret_expires_at: string | null };
    };

    /** Sends a sample through "send test" and returns the request it made. */
    const sendTest = async (id: number): Promise<Signed> => {
      const result = await admin("POST", `/v1/endpoints/${id}/test`);
      expectStatus(result, 200);
      assert.equal(result.body.ok, true, result.text);
      return result.body.request;
    };

    test("a delivery verifies with the old and the new secret during the grace period, then only the new", async () => {
      offset = 0; // the operator signs its postback with the real time
      const ep = await createEndpoint("rotation");
      assert.equal(ep.previous_secret_expires_at, null);
      const rotatedAt = clock.now();
      const rotated = await admin("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { grace_hours: 1 });
      expectStatus(rotated, 200);
      const newSecret: string = rotated.body.secret;
      assert.match(newSecret, /^whsec_/);
      assert.notEqual(newSecret, ep.secret);
      const expiresAt = Date.parse(rotated.body.previous_secret_expires_at);
      assert.ok(expiresAt >= rotatedAt + HOUR && expiresAt <= clock.now() + HOUR, "expires in an hour");

      const shown = await admin("GET", `/v1/endpoints/${ep.id}`);
      assert.equal(shown.body.previous_secret_expires_at, rotated.body.previous_secret_expires_at);
      assert.equal(shown.body.secret, undefined);
      const body = (s: string) => s.slice("whsec_".length);
      assert.ok(!shown.text.includes(body(newSecret)) && !shown.text.includes(body(ep.secret)), "no secret");

      const hits = () => receiver.hits.filter((h) => h.url.startsWith("/rotation"));
      await convert(t, world, await click(t, world));
      await until(() => hits().length === 1);
      const during = hits()[0]!;
      assert.equal(signatures(during), 2);
      assert.ok(verifies(ep.secret, during), "the old secret verifies during the grace period");
      assert.ok(verifies(newSecret, during), "the new secret verifies during the grace period");

      // Past the expiry, the same delivery sent again carries the new signature only.
      const [delivery] = (await admin("GET", `/v1/deliveries?endpoint_id=${ep.id}`)).body.data;
      await until(
        async () => (await admin("GET", `/v1/deliveries/${delivery.id}`)).body.state === "delivered",
      );
      offset = expiresAt - Date.now() + 1000;
      expectStatus(await admin("POST", `/v1/deliveries/${delivery.id}/replay`), 200);
      await until(() => hits().length === 2);
      const later = hits()[1]!;
      assert.equal(later.headers["webhook-id"], during.headers["webhook-id"]);
      assert.ok(Number(later.headers["webhook-timestamp"]) * 1000 >= expiresAt);
      assert.equal(signatures(later), 1);
      assert.ok(verifies(newSecret, later), "the new secret verifies after the expiry");
      assert.ok(!verifies(ep.secret, later), "the old secret no longer does");
      offset = 0;
    });

    test("a second rotation replaces the previous secret; grace_hours 0 stops it at once; 24 h by default", async () => {
      const ep = await createEndpoint("second", "disabled");
      const before = clock.now();
      const first = await admin("POST", `/v1/endpoints/${ep.id}/rotate-secret`);
      expectStatus(first, 200);
      const expires = Date.parse(first.body.previous_secret_expires_at);
      assert.ok(expires >= before + 24 * HOUR && expires <= clock.now() + 24 * HOUR, "no body: 24 hours");
      const empty = await admin("POST", `/v1/endpoints/${ep.id}/rotate-secret`, {});
      expectStatus(empty, 200);
      assert.ok(Date.parse(empty.body.previous_secret_expires_at) >= before + 24 * HOUR, "{}: 24 hours");

      const second = await admin("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { grace_hours: 2 });
      expectStatus(second, 200);
      assert.ok(Date.parse(second.body.previous_secret_expires_at) <= clock.now() + 2 * HOUR);
      const request = await sendTest(ep.id);
      assert.equal(signatures(request), 2);
      assert.ok(verifies(second.body.secret, request));
      assert.ok(verifies(empty.body.secret, request), "the secret it replaced signs on");
      assert.ok(!verifies(first.body.secret, request), "the secret on its way out stopped at once");
      assert.ok(!verifies(ep.secret, request));

      const now = await admin("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { grace_hours: 0 });
      expectStatus(now, 200);
      assert.equal(now.body.previous_secret_expires_at, null);
      const alone = await sendTest(ep.id);
      assert.equal(signatures(alone), 1);
      assert.ok(verifies(now.body.secret, alone));
      assert.ok(!verifies(second.body.secret, alone));
      assert.equal((await admin("GET", `/v1/endpoints/${ep.id}`)).body.previous_secret_expires_at, null);
    });

    test("after the grace period the JSON shows no previous secret and retention erases it", async () => {
      const ended = await createEndpoint("ended", "disabled");
      const lasting = await createEndpoint("lasting", "disabled");
      const first = await admin("POST", `/v1/endpoints/${ended.id}/rotate-secret`, { grace_hours: 1 });
      const second = await admin("POST", `/v1/endpoints/${lasting.id}/rotate-secret`, { grace_hours: 3 });
      expectStatus(first, 200);
      expectStatus(second, 200);
      const expiresAt = Date.parse(first.body.previous_secret_expires_at);
      offset = expiresAt - Date.now() + 1000;
      try {
        // Shown as it stands now, whether or not the job has run yet.
        const shown = await admin("GET", `/v1/endpoints/${ended.id}`);
        assert.equal(shown.body.previous_secret_expires_at, null);
        assert.equal(shown.body.updated_at, first.body.updated_at);
        const listed = (await admin("GET", `/v1/endpoints?affiliate_id=${world.affiliate.id}`)).body.data;
        const expiryOf = (id: number) =>
          listed.find((e: { id: number }) => e.id === id).previous_secret_expires_at;
        assert.equal(expiryOf(ended.id), null);
        assert.equal(expiryOf(lasting.id), second.body.previous_secret_expires_at);
        const patched = await admin("PATCH", `/v1/endpoints/${ended.id}`, { name: "renamed" });
        assert.equal(patched.body.previous_secret_expires_at, null);
        const alone = await sendTest(ended.id);
        assert.equal(signatures(alone), 1);
        assert.ok(verifies(first.body.secret, alone));

        // The retention job (every second here) erases it from the database; the live one stays.
        await until(async () => (await t.store.deliveries.endpoints.get(ended.id))!.previousSecret === null);
        const erased = (await t.store.deliveries.endpoints.get(ended.id))!;
        assert.deepEqual([erased.secret, erased.previousSecretExpiresAt], [first.body.secret, null]);
        const kept = (await t.store.deliveries.endpoints.get(lasting.id))!;
        assert.deepEqual(
          [kept.previousSecret, kept.previousSecretExpiresAt],
          [lasting.secret, Date.parse(second.body.previous_secret_expires_at)],
        );
        assert.equal(signatures(await sendTest(lasting.id)), 2, "the live previous secret still signs");
      } finally {
        offset = 0;
      }
    });

    test("two rotations at once are applied one after the other: neither secret is lost", async () => {
      const ep = await createEndpoint("race", "disabled");
      const rotate = () => admin("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { grace_hours: 1 });
      const answers = await Promise.all([rotate(), rotate()]);
      for (const answer of answers) expectStatus(answer, 200);
      const stored = (await t.store.deliveries.endpoints.get(ep.id))!;
      assert.deepEqual(
        [stored.secret, stored.previousSecret].sort(),
        answers.map((a) => a.body.secret as string).sort(),
        "the later rotation kept the earlier one's secret as the previous one",
      );
    });

    test("the owning affiliate may rotate; another tenant, operators and bad grace periods are refused", async () => {
      const ep = await createEndpoint("tenants", "disabled");
      const own = client(t.url, await t.key("affiliate", { affiliateId: world.affiliate.id }));
      const rotated = await own("POST", `/v1/endpoints/${ep.id}/rotate-secret`, { grace_hours: 168 });
      expectStatus(rotated, 200);
      const secret = rotated.body.secret;

      const other = await admin("POST", "/v1/affiliates", { name: "someone else" });
      const foreign = client(t.url, await t.key("affiliate", { affiliateId: other.body.id }));
      expectStatus(await foreign("POST", `/v1/endpoints/${ep.id}/rotate-secret`), 404, "not_found");
      const operator = client(t.url, await t.key("operator", { operatorId: world.operator.id }));
      expectStatus(await operator("POST", `/v1/endpoints/${ep.id}/rotate-secret`), 403, "forbidden");
      expectStatus(await admin("POST", "/v1/endpoints/999999/rotate-secret"), 404, "not_found");
      for (const bad of [{ grace_hours: 169 }, { grace_hours: -1 }, { grace_hours: 1.5 }, { grace: 1 }]) {
        expectStatus(
          await own("POST", `/v1/endpoints/${ep.id}/rotate-secret`, bad),
          400,
          "validation_failed",
        );
      }
      const stored = await t.store.deliveries.endpoints.get(ep.id);
      assert.equal(stored!.secret, secret, "nothing refused changed the secret");
    });

    test("/openapi.json shows the route, its optional body and the answer with the secret", async () => {
      const doc = (await admin("GET", "/openapi.json")).body;
      const op = doc.paths["/v1/endpoints/{id}/rotate-secret"].post;
      assert.equal(op.requestBody.required, false);
      const body = op.requestBody.content["application/json"].schema;
      assert.deepEqual([body.properties.grace_hours.minimum, body.properties.grace_hours.maximum], [0, 168]);
      const answer = op.responses["200"].content["application/json"].schema;
      assert.ok(answer.properties.secret && answer.properties.previous_secret_expires_at);
      const endpoint =
        doc.paths["/v1/endpoints/{id}"].get.responses["200"].content["application/json"].schema;
      assert.ok(endpoint.properties.previous_secret_expires_at);
      assert.equal(endpoint.properties.secret, undefined);
    });
  });
}
