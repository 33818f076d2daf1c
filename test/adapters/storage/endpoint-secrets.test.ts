/**
 * Endpoint secrets and disabled records in storage, on both engines: the retention job's
 * eraseExpiredSecrets clears previous secrets whose grace period is over (at the expiry exactly)
 * and keeps live ones, never clears a rotation made just before it or, on PostgreSQL, one
 * committed while it waits for the row; an endpoint created disabled records why and when.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import type { Endpoint } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { endpointInput, until } from "../delivery/delivery-kit.ts";

const T = Date.UTC(2026, 6, 1);
const H = 3_600_000;
const secret = (letter: string) => `whsec_${letter.repeat(32)}`;

for (const engine of await availableEngines()) {
  describe(`endpoint secrets and disabled records in storage (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
    });
    after(() => store.close());

    const endpoints = () => store.deliveries.endpoints;
    const create = (name: string): Promise<Endpoint> =>
      endpoints().create(endpointInput(f.affiliate.id, { name, secret: secret("A") }), T);
    /** Rotates at `at`, keeping the current secret as the previous one until `expiresAt`. */
    const rotate = async (ep: Endpoint, next: string, at: number, expiresAt: number) => {
      const current = (await endpoints().get(ep.id))!;
      const rotated = await endpoints().replaceSecrets(
        ep.id,
        current.secret,
        { secret: next, previousSecret: current.secret, previousSecretExpiresAt: expiresAt },
        at,
      );
      assert.ok(rotated);
      return rotated;
    };
    const secretsOf = async (id: number) => {
      const e = (await endpoints().get(id))!;
      return [e.secret, e.previousSecret, e.previousSecretExpiresAt];
    };

    test("expired previous secrets are erased with their expiry; live ones are kept", async () => {
      const expired = await rotate(await create("expired"), secret("B"), T, T + H);
      const atExpiry = await rotate(await create("at-expiry"), secret("B"), T, T + 2 * H);
      const live = await rotate(await create("live"), secret("B"), T, T + 2 * H + 1);
      const never = await create("never");

      assert.equal(await endpoints().eraseExpiredSecrets(T + H - 1), 0, "nothing has expired yet");
      assert.deepEqual(await secretsOf(expired.id), [secret("B"), secret("A"), T + H]);

      assert.equal(await endpoints().eraseExpiredSecrets(T + 2 * H), 2);
      assert.deepEqual(await secretsOf(expired.id), [secret("B"), null, null]);
      assert.deepEqual(await secretsOf(atExpiry.id), [secret("B"), null, null], "it stops at its expiry");
      assert.deepEqual(await secretsOf(live.id), [secret("B"), secret("A"), T + 2 * H + 1]);
      assert.deepEqual(await endpoints().get(never.id), never, "a never-rotated endpoint is untouched");
      const erased = (await endpoints().get(expired.id))!;
      assert.deepEqual(
        {
          ...erased,
          previousSecret: expired.previousSecret,
          previousSecretExpiresAt: expired.previousSecretExpiresAt,
        },
        expired,
        "nothing else changes, updated_at included",
      );
      assert.equal(await endpoints().eraseExpiredSecrets(T + 2 * H), 0, "erasing again finds nothing");
    });

    test("a rotation made just before the job, over an expired previous secret, is kept", async () => {
      const ep = await rotate(await create("rotated-again"), secret("B"), T, T + H);
      // The first grace period is over; a new rotation makes B the previous secret until T + 3 h.
      await rotate(ep, secret("C"), T + 2 * H, T + 3 * H);
      assert.equal(await endpoints().eraseExpiredSecrets(T + 2 * H), 0);
      assert.deepEqual(await secretsOf(ep.id), [secret("C"), secret("B"), T + 3 * H]);
      // (The count also holds the earlier test's live endpoint, expired by now.)
      assert.ok((await endpoints().eraseExpiredSecrets(T + 3 * H)) >= 1);
      assert.deepEqual(await secretsOf(ep.id), [secret("C"), null, null]);
    });

    // SQLite has one writer: no rotation can commit while the job's UPDATE runs.
    if (engine === "postgres") {
      test("a rotation committed while the job waits for the row is re-checked, not erased", async () => {
        const ep = await rotate(await create("race"), secret("B"), T, T + H);
        const client = new pg.Client({ connectionString: store.url });
        await client.connect();
        try {
          // A rotation in flight: it holds the row, its new previous secret expiring later.
          await client.query("BEGIN");
          await client.query(
            "UPDATE endpoints SET secret = $1, previous_secret = $2, previous_secret_expires_at = $3 WHERE id = $4",
            [secret("C"), secret("B"), T + 3 * H, ep.id],
          );
          // The job's UPDATE matches the row as committed (expired) and waits for its lock.
          const erasing = endpoints().eraseExpiredSecrets(T + 2 * H);
          await until(async () => {
            const { rows } = await client.query(
              "SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()",
            );
            return Number(rows[0].n) > 0;
          });
          await client.query("COMMIT");
          assert.equal(await erasing, 0, "the row is re-checked against the rotation's expiry");
          assert.deepEqual(await secretsOf(ep.id), [secret("C"), secret("B"), T + 3 * H]);
        } finally {
          await client.end();
        }
      });
    }

    test("an endpoint created disabled records the reason and the time; an active one neither", async () => {
      const off = await endpoints().create(
        endpointInput(f.affiliate.id, { name: "off", status: "disabled" }),
        T + 5,
        "Created disabled.",
      );
      assert.deepEqual(
        [off.status, off.disabledReason, off.disabledAt],
        ["disabled", "Created disabled.", T + 5],
      );
      assert.deepEqual(await endpoints().get(off.id), off);
      await endpoints().disable(off.id, "Disabled by hand.", T + 10);
      assert.equal(
        (await endpoints().get(off.id))!.disabledReason,
        "Created disabled.",
        "the first reason stays",
      );

      const on = await endpoints().create(
        endpointInput(f.affiliate.id, { name: "on" }),
        T + 5,
        "Created disabled.",
      );
      assert.deepEqual([on.status, on.disabledReason, on.disabledAt], ["active", null, null]);
    });

    test("a run of failed attempts records when it began; a success or re-enabling clears it", async () => {
      const e = await endpoints().create(endpointInput(f.affiliate.id, { name: "flaky" }), T);
      assert.equal(e.failingSince, null);
      assert.equal(await endpoints().recordResult(e.id, false, T + 1_000), 1);
      assert.equal(await endpoints().recordResult(e.id, false, T + 9_000), 2);
      assert.deepEqual(
        [(await endpoints().get(e.id))!.failingSince, (await endpoints().get(e.id))!.consecutiveFailures],
        [T + 1_000, 2],
        "the run's first failure, not its last",
      );
      assert.equal(await endpoints().recordResult(e.id, true, T + 10_000), 0);
      assert.equal((await endpoints().get(e.id))!.failingSince, null);
      await endpoints().recordResult(e.id, false, T + 20_000);
      await endpoints().disable(e.id, "3 consecutive failed attempts", T + 21_000);
      await endpoints().update(e.id, { status: "active" }, T + 30_000);
      assert.deepEqual(
        [(await endpoints().get(e.id))!.failingSince, (await endpoints().get(e.id))!.consecutiveFailures],
        [null, 0],
      );
    });
  });
}
