/**
 * The attempt log keeps what docs/outbound.md says: the first KB of the endpoint's answer, that is
 * its first 1,024 bytes cut between UTF-8 characters, with a NUL kept as U+FFFD. On PostgreSQL a
 * NUL in an answer used to fail the whole batch of outcomes it was recorded with.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import {
  endpointInput,
  type Receiver,
  startReceiver,
  testClock,
  testDispatcher,
  testSender,
} from "./delivery-kit.ts";

for (const engine of await availableEngines()) {
  describe(`attempt log answers (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    let receiver: Receiver;
    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await store.close();
    });

    async function snippetOf(body: string): Promise<string> {
      receiver.script = [{ status: 200, body }];
      const clock = testClock();
      const ep = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, { urlTemplate: `${receiver.url}/pb?id={delivery_id}` }),
        clock.now(),
      );
      const id = `dl_snippet_${Math.random().toString(36).slice(2, 10)}`;
      await store.deliveries.enqueue(
        [
          {
            id,
            endpointId: ep.id,
            affiliateId: f.affiliate.id,
            conversionId: `cv_${id}`,
            status: "created",
            test: false,
            payload: {},
            runAt: clock.now(),
          },
        ],
        clock.now(),
      );
      const sender = testSender();
      await testDispatcher(store, clock, sender).tick();
      sender.close();
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, clock.now());
      const [attempt] = await store.deliveries.attempts({ deliveryId: id });
      return attempt!.responseSnippet;
    }

    test("the first 1,024 bytes, cut between characters", async () => {
      // "é" is 2 bytes: 600 of them are 1,200 bytes, of which 512 characters fit.
      assert.equal(await snippetOf("é".repeat(600)), "é".repeat(512));
      // "€" is 3 bytes: 341 fit in 1,023 bytes; the 342nd would cross the limit.
      assert.equal(await snippetOf("€".repeat(400)), "€".repeat(341));
      assert.equal(await snippetOf("short"), "short");
    });

    test("a NUL in the answer is kept as U+FFFD, and the outcome is recorded", async () => {
      assert.equal(await snippetOf("ok\u0000done"), "ok\uFFFDdone");
    });
  });
}
