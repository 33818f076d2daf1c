/**
 * The request of one attempt under a secret rotation: both secrets sign a POST during the grace
 * period (checked with the independent `standardwebhooks` package), only the new one from the
 * expiry on; GET requests carry no signature either way.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { buildRequest } from "../../../src/app/delivery/outbound-message.ts";
import type { Endpoint } from "../../../src/app/delivery/outbox-port.ts";

const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = "whsec_C2FtcGxlLXNlY3JldC1vZi10d2VudHktZm91cg==";
const EXPIRES = Date.UTC(2026, 2, 2, 12);

const endpoint = (patch: Partial<Endpoint> = {}) => ({
  urlTemplate: "https://tracker.example/pb?id={delivery_id}",
  method: "POST" as const,
  secret: NEW,
  previousSecret: OLD,
  previousSecretExpiresAt: EXPIRES,
  ...patch,
});
const delivery = { id: "dl_rotation", payload: { click_id: "c1", status: "created" } };

/** Whether `secret` verifies the request, checked as a receiver would at the attempt's time. */
function verifies(secret: string, request: ReturnType<typeof buildRequest>, at: number): boolean {
  const realNow = Date.now;
  Date.now = () => at;
  try {
    new Webhook(secret).verify(request.body!, {
      "webhook-id": request.headers["webhook-id"]!,
      "webhook-timestamp": request.headers["webhook-timestamp"]!,
      "webhook-signature": request.headers["webhook-signature"]!,
    });
    return true;
  } catch {
    return false;
  } finally {
    Date.now = realNow;
  }
}

describe("buildRequest during a secret rotation", () => {
  test("before the expiry: two signatures, new first, each verifies alone", () => {
    const at = EXPIRES - 1;
    const request = buildRequest(endpoint(), delivery, at);
    assert.equal(request.headers["webhook-timestamp"], String(Math.floor(at / 1000)));
    const entries = request.headers["webhook-signature"]!.split(" ");
    assert.equal(entries.length, 2);
    assert.ok(verifies(NEW, request, at));
    assert.ok(verifies(OLD, request, at));
    const onlyNew = buildRequest(
      endpoint({ previousSecret: null, previousSecretExpiresAt: null }),
      delivery,
      at,
    );
    assert.equal(entries[0], onlyNew.headers["webhook-signature"], "the new secret's signature comes first");
  });

  test("from the expiry on: the new secret alone", () => {
    for (const at of [EXPIRES, EXPIRES + 3_600_000]) {
      const request = buildRequest(endpoint(), delivery, at);
      assert.equal(request.headers["webhook-signature"]!.split(" ").length, 1);
      assert.ok(verifies(NEW, request, at));
      assert.ok(!verifies(OLD, request, at));
    }
  });

  test("GET requests are not signed", () => {
    const request = buildRequest(endpoint({ method: "GET" }), delivery, EXPIRES - 1);
    assert.equal(request.headers["webhook-signature"], undefined);
    assert.equal(request.body, undefined);
  });
});
