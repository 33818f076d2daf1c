/**
 * A conversion's outbound postback leaves as soon as its batch commits (the ingest wakes the
 * dispatcher), not at the next poll: here the poll interval is ten minutes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { click, client, convert, createWorld, expectStatus, type World } from "../http/admin-kit.ts";
import { type Receiver, startReceiver, until } from "./delivery-kit.ts";

for (const engine of await availableEngines()) {
  describe(`first attempt at once (${engine})`, () => {
    let t: TestService;
    let world: World;
    let receiver: Receiver;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "600000" });
      world = await createWorld(t);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    test("a committed conversion wakes the dispatcher", async () => {
      const admin = client(t.url, t.adminKey);
      expectStatus(
        await admin("POST", "/v1/endpoints", {
          affiliate_id: world.affiliate.id,
          url_template: `${receiver.url}/pb?cv={conversion_id}`,
        }),
        201,
      );
      const conversionId = await convert(t, world, await click(t, world));
      await until(() => receiver.hits.length === 1);
      assert.match(receiver.hits[0]!.url, new RegExp(`cv=${conversionId}`));
    });
  });
}
