/**
 * At-least-once across a crash: a service process killed (SIGKILL) while the receiver holds its
 * request is restarted on the same database, and the delivery is sent again with the same
 * delivery id, and then recorded as delivered. Both engines (PostgreSQL: a short claim lease).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, describe, test } from "node:test";
import { availableEngines, createTestDatabase } from "../../helpers/engines.ts";
import { spawnServe } from "../../helpers/serve-process.ts";
import type { TestService } from "../../helpers/service.ts";
import { until } from "../../helpers/until.ts";
import { click, client, convert, createWorld, expectStatus } from "../http/admin-kit.ts";
import { startReceiver } from "./delivery-kit.ts";

const ADMIN_KEY = `pw_${"k".repeat(40)}`;

for (const engine of await availableEngines()) {
  describe(`delivery across a crash (${engine})`, () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const child of children) child.kill("SIGKILL");
    });

    test("a process killed mid-delivery redelivers after restart with the same delivery id", async () => {
      const database = await createTestDatabase(engine);
      const receiver = await startReceiver(["hang", { status: 200 }]);
      const env = {
        DATABASE_URL: database.url,
        BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
        DELIVERY_ALLOW: "127.0.0.1",
        DISPATCH_INTERVAL_MS: "20",
        DELIVERY_LEASE_MS: "1000",
        DELIVERY_TIMEOUT_MS: "60000",
      };
      try {
        const first = await spawnServe(env);
        children.push(first.child);
        const t = { url: first.url, adminKey: ADMIN_KEY } as TestService;
        const world = await createWorld(t);
        const admin = client(first.url, ADMIN_KEY);
        const endpoint = await admin("POST", "/v1/endpoints", {
          affiliate_id: world.affiliate.id,
          url_template: `${receiver.url}/pb?id={delivery_id}&cid={click_id}`,
        });
        expectStatus(endpoint, 201);
        await convert(t, world, await click(t, world));
        await until(() => receiver.hits.length === 1);
        first.child.kill("SIGKILL");
        await new Promise((resolve) => first.child.once("exit", resolve));

        const second = await spawnServe(env);
        children.push(second.child);
        await until(() => receiver.hits.length === 2);
        const ids = receiver.hits.map((h) => new URL(h.url, receiver.url).searchParams.get("id"));
        assert.equal(ids[0], ids[1], "the same delivery id");
        const again = client(second.url, ADMIN_KEY);
        await until(async () => {
          const reply = await again("GET", `/v1/deliveries/${ids[0]}`);
          return reply.body?.state === "delivered" ? true : undefined;
        });
        const reply = await again("GET", `/v1/deliveries/${ids[0]}`);
        assert.equal(reply.body.attempts.at(0).http_status, 200);
        second.child.kill("SIGTERM");
        await new Promise((resolve) => second.child.once("exit", resolve));
      } finally {
        await receiver.close();
        await database.drop();
      }
    });
  });
}
