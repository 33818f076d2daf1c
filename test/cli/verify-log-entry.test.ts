/**
 * `postwire postback verify --log-entry` against a real service over loopback: a postback refused
 * for its signature keeps what the signature was checked over (never the secret), and the check is
 * reproduced here with a secret: the operator's real one says INVALID (and what was expected), the
 * one they signed with says valid — naming the mistake.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeSecret, signWebhook } from "../../src/domain/signing.ts";
import {
  type Call,
  client,
  createWorld,
  expectStatus,
  postback,
  signedQuery,
  type World,
} from "../adapters/http/admin-kit.ts";
import { runPostwire } from "../helpers/cli.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("postback verify --log-entry", { timeout: 60_000 }, () => {
  let t: TestService;
  let admin: Call;
  let world: World;
  const wrong = encodeSecret(Buffer.alloc(32, 7));
  before(async () => {
    t = await startTestService("sqlite");
    admin = client(t.url, t.adminKey);
    world = await createWorld(t, "Verify");
  });
  after(() => t?.close());

  const logId = async (txid: string): Promise<string> => {
    const reply = await admin("GET", `/v1/request-log?operator_id=${world.operator.id}&txid=${txid}`);
    expectStatus(reply, 200);
    return reply.body.data[0].id;
  };
  const verify = (id: string, secret: string) =>
    runPostwire(["postback", "verify", "--log-entry", id, "--secret", secret, "--url", t.url], {
      POSTWIRE_API_KEY: t.adminKey,
    });

  test("a GET signed with the wrong secret: reproduced with either secret", async () => {
    const answer = await postback(
      t.url,
      world.operator.key,
      signedQuery(wrong, [
        ["event", "registration"],
        ["txid", "vl-get"],
      ]),
    );
    expectStatus(answer, 401, "invalid_signature");
    const id = await logId("vl-get");
    const evidence = await admin("GET", `/v1/request-log/${id}/signature`);
    expectStatus(evidence, 200);
    assert.equal(evidence.body.method, "GET");
    assert.match(evidence.body.query, /&sig=[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(evidence.body).includes(world.secret), "the secret is never stored");

    const right = await verify(id, world.secret);
    assert.equal(right.code, 1, right.err);
    assert.match(right.out, /signature: INVALID/);
    assert.match(right.out, /canonical query: event=registration&ts=\d+&txid=vl-get/);
    assert.match(right.out, /expected sig: [0-9a-f]{64}/);
    const theirs = await verify(id, wrong);
    assert.equal(theirs.code, 0, theirs.out);
    assert.match(theirs.out, /signature: valid/);
    assert.match(theirs.out, /within the 5-minute tolerance/, "checked at the entry's time");
  });

  test("a POST body changed after signing: the bytes received are what is checked", async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const signedBody = JSON.stringify({ event: "registration", txid: "vl-post" });
    const sentBody = JSON.stringify({ txid: "vl-post", event: "registration" });
    const secret = Buffer.from(world.secret.slice("whsec_".length), "base64");
    const response = await fetch(`${t.url}/v1/postback/${world.operator.key}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "vl-post",
        "webhook-timestamp": ts,
        "webhook-signature": signWebhook(secret, "vl-post", ts, signedBody),
      },
      body: sentBody,
    });
    assert.equal(response.status, 401);
    const id = await logId("vl-post");
    const shown = await verify(id, world.secret);
    assert.equal(shown.code, 1);
    assert.match(shown.out, /signature: INVALID/);
    assert.ok(shown.out.includes(`signed content: vl-post.${ts}.${sentBody}`), shown.out);
  });

  test("accepted entries keep nothing; an operator key reads only its own", async () => {
    const ok = await postback(
      t.url,
      world.operator.key,
      signedQuery(world.secret, [
        ["event", "registration"],
        ["txid", "vl-ok"],
      ]),
    );
    expectStatus(ok, 200);
    expectStatus(await admin("GET", `/v1/request-log/${await logId("vl-ok")}/signature`), 404, "not_found");
    const other = await createWorld(t, "Another");
    const foreign = client(t.url, await t.key("operator", { operatorId: other.operator.id }));
    expectStatus(
      await foreign("GET", `/v1/request-log/${await logId("vl-get")}/signature`),
      404,
      "not_found",
    );
    const own = client(t.url, await t.key("operator", { operatorId: world.operator.id }));
    expectStatus(await own("GET", `/v1/request-log/${await logId("vl-get")}/signature`), 200);
  });
});
