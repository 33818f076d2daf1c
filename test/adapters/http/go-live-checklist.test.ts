/**
 * GET /v1/programs/{id}/checklist and POST …/checklist/reset over real HTTP, on both engines: the
 * items tick as test postbacks pass (live ones never count), a method used must pass signed, and a
 * reset starts afresh.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  client,
  createWorld,
  expectStatus,
  postback,
  signedQuery,
  type World,
} from "./admin-kit.ts";
import { signedPost } from "./postback-kit.ts";

type Item = { id: string; state: string; evidence: { trace_url: string } | null; required_fields?: string[] };

for (const engine of await availableEngines()) {
  describe(`go-live checklist API (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      world = await createWorld(t, "Golive");
    });
    after(() => t?.close());

    const checklist = async (): Promise<{ ready: boolean; items: Item[]; missing: string[] }> => {
      const reply = await admin("GET", `/v1/programs/${world.program.id}/checklist`);
      expectStatus(reply, 200);
      return reply.body;
    };
    const state = (items: Item[], id: string) => items.find((i) => i.id === id)?.state;
    const send = (params: Array<[string, string]>) =>
      postback(t.url, world.operator.key, signedQuery(world.secret, params));

    test("items tick as test postbacks pass; live ones do not count; reset starts afresh", async () => {
      const fresh = await checklist();
      assert.equal(fresh.ready, false);
      assert.deepEqual(
        fresh.items.map((i) => i.id),
        [
          "event:registration",
          "event:ftd",
          "event:deposit",
          "event:bonus",
          "event:revenue",
          "event:refund",
          "event:chargeback",
          "event:reversal",
          "retry_duplicate",
          "reversal_linked",
          "signed_get",
          "signed_post",
          "wrong_signature_refused",
        ],
      );
      assert.deepEqual(fresh.items.find((i) => i.id === "event:refund")?.required_fields, [
        "event",
        "txid",
        "reverses",
      ]);
      // A GET is needed until the operator shows it uses POST; POST is not needed yet.
      assert.equal(state(fresh.items, "signed_get"), "missing");
      assert.equal(state(fresh.items, "signed_post"), "not_needed");

      const ftd: Array<[string, string]> = [
        ["event", "ftd"],
        ["txid", "gl-ftd"],
        ["player_id", "gp"],
        ["amount", "50"],
        ["currency", "EUR"],
      ];
      expectStatus(await send(ftd), 200, "accepted");
      assert.equal(state((await checklist()).items, "event:ftd"), "missing", "a live ftd does not count");
      expectStatus(
        await send([
          ...ftd.map(([k, v]): [string, string] => [k, k === "txid" ? "gl-ftd-t" : v]),
          ["test", "1"],
        ]),
        200,
      );
      let now = await checklist();
      const ticked = now.items.find((i) => i.id === "event:ftd")!;
      assert.equal(ticked.state, "passed");
      assert.match(ticked.evidence!.trace_url, /^\/v1\/request-log\/rq_/);
      assert.equal(state(now.items, "signed_get"), "passed");

      // A POST used (here refused: unsigned) makes a signed POST needed until one passes.
      const body = JSON.stringify({ event: "registration", txid: "gl-post", test: "1" });
      const f = { operator: world.operator, secret: world.secret } as never;
      const unsigned = await signedPost(t.url, f, body, { unsigned: true });
      assert.equal(unsigned.status, 401, unsigned.text);
      now = await checklist();
      assert.equal(state(now.items, "signed_post"), "missing");
      assert.equal(
        state(now.items, "wrong_signature_refused"),
        "missing",
        "missing signature is not a wrong one",
      );
      const posted = await signedPost(t.url, f, body, { id: "gl-post" });
      assert.equal(posted.status, 200, posted.text);
      now = await checklist();
      assert.equal(state(now.items, "signed_post"), "passed");
      assert.equal(state(now.items, "event:registration"), "passed");

      const reset = await admin("POST", `/v1/programs/${world.program.id}/checklist/reset`);
      expectStatus(reset, 200);
      assert.equal(reset.body.items.filter((i: Item) => i.state === "passed").length, 0);
      assert.ok(reset.body.reset_at);
    });

    test("scoped like the program: the operator's own key; affiliates refused", async () => {
      const own = client(t.url, await t.key("operator", { operatorId: world.operator.id }));
      expectStatus(await own("GET", `/v1/programs/${world.program.id}/checklist`), 200);
      expectStatus(await own("POST", `/v1/programs/${world.program.id}/checklist/reset`), 200);
      const other = await createWorld(t, "Other");
      expectStatus(await own("GET", `/v1/programs/${other.program.id}/checklist`), 404, "not_found");
      const affiliate = client(t.url, await t.key("affiliate", { affiliateId: world.affiliate.id }));
      expectStatus(await affiliate("GET", `/v1/programs/${world.program.id}/checklist`), 403, "forbidden");
    });
  });
}
