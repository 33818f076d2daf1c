/**
 * Concurrent changes of an operator's credentials (src/app/admin/operator-settings.ts and
 * operators.ts) on both engines: each write applies only over the auth it read, so two changes at
 * once both take effect, and a change that keeps losing the race is a 409 that wrote nothing.
 * Reads are held at a barrier so the race happens every run, and the clock stands still so an
 * `updated_at` compare could not tell the writes apart.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import type { AdminDeps } from "../../../src/app/admin/deps.ts";
import { retireSecret, rotateSecret } from "../../../src/app/admin/operator-settings.ts";
import { secretFingerprint, updateOperator } from "../../../src/app/admin/operators.ts";
import { Catalog } from "../../../src/app/catalog.ts";
import type { Clock, Store } from "../../../src/app/ports.ts";
import { PostwireError } from "../../../src/domain/errors.ts";
import type { Operator, Principal } from "../../../src/domain/model.ts";
import { encodeSecret } from "../../../src/domain/signing.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { uniqueId } from "../../helpers/records.ts";

const NOW = 1_760_000_000_000;
const clock: Clock = { now: () => NOW };
const ADMIN: Principal = { keyId: 1, role: "admin", operatorId: null, affiliateId: null };

/** The store, with its next `readers` operator reads each waiting until all of them have read. */
function racingReads(store: Store, readers: number): Store {
  const waiting: Array<() => void> = [];
  let left = readers;
  const get = async (id: number) => {
    const operator = await store.operators.get(id);
    if (left > 0) {
      left--;
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (left === 0) for (const release of waiting.splice(0)) release();
      });
    }
    return operator;
  };
  return { ...store, operators: { ...store.operators, get } };
}

/** An operator with one live HMAC secret and no allowlist. */
async function createOperator(store: Store): Promise<{ operator: Operator; secret: string }> {
  const secret = encodeSecret(createIds().random(32));
  const operator = await store.operators.create(
    {
      name: "Racing casino",
      key: uniqueId("op"),
      status: "active",
      auth: { hmacSecrets: [secret], ipAllowlist: [], trustedProxies: [], staticTokenHash: null },
      mapping: { params: {}, values: {} },
    },
    NOW,
  );
  return { operator, secret };
}

const depsOf = (store: Store): AdminDeps => ({
  store,
  catalog: new Catalog(store, clock),
  clock,
  ids: createIds(clock),
  publicUrl: "https://postwire.example",
});

for (const engine of await availableEngines()) {
  describe(`operator credentials under concurrency (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await createTestStore(engine);
    });
    after(() => store.close());

    test("two rotations at once: both new secrets are live, the original is retired", async () => {
      const f = await createOperator(store);
      const deps = depsOf(racingReads(store, 2));
      const [a, b] = await Promise.all([
        rotateSecret(deps, ADMIN, f.operator.id),
        rotateSecret(deps, ADMIN, f.operator.id),
      ]);
      const stored = (await store.operators.get(f.operator.id))!;
      // The one that lost the first race read again and kept the winner's secret next to its own,
      // retiring the original (two stay live). Which one won is read from what is stored: the
      // winner's own answer is read back after its write and may already show the loser's.
      const [winnerSecret, loserSecret] = stored.auth.hmacSecrets;
      assert.deepEqual([winnerSecret, loserSecret].sort(), [a.secret, b.secret].sort());
      const loser = a.secret === loserSecret ? a : b;
      assert.deepEqual(loser.operator, stored);
      assert.ok(!stored.auth.hmacSecrets.includes(f.secret), "the original is retired");
    });

    test("a rotation and an allowlist edit at once: both take effect", async () => {
      const f = await createOperator(store);
      const deps = depsOf(racingReads(store, 2));
      const [rotated] = await Promise.all([
        rotateSecret(deps, ADMIN, f.operator.id),
        updateOperator(deps, ADMIN, f.operator.id, {
          name: "Renamed",
          ipAllowlist: ["203.0.113.0/24"],
          trustedProxies: ["10.0.0.1"],
        }),
      ]);
      const stored = (await store.operators.get(f.operator.id))!;
      assert.deepEqual(stored.auth, {
        hmacSecrets: [f.secret, rotated.secret],
        ipAllowlist: ["203.0.113.0/24"],
        trustedProxies: ["10.0.0.1/32"],
        staticTokenHash: null,
      });
      assert.equal(stored.name, "Renamed");
    });

    test("retiring both secrets at once: the second sees the first and refuses to leave none", async () => {
      const f = await createOperator(store);
      const { secret } = await rotateSecret(depsOf(store), ADMIN, f.operator.id);
      const deps = depsOf(racingReads(store, 2));
      const results = await Promise.allSettled([
        retireSecret(deps, ADMIN, f.operator.id, secretFingerprint(f.secret)),
        retireSecret(deps, ADMIN, f.operator.id, secretFingerprint(secret)),
      ]);
      const refused = results.filter((r) => r.status === "rejected");
      assert.equal(refused.length, 1);
      const error = (refused[0] as PromiseRejectedResult).reason;
      assert.ok(error instanceof PostwireError && error.code === "invalid_field", String(error));
      assert.equal((await store.operators.get(f.operator.id))!.auth.hmacSecrets.length, 1);
    });

    test("a change that loses every race is a 409 conflict and writes nothing", async () => {
      const f = await createOperator(store);
      let interleaved = 0;
      // Another writer changes the auth between every read and write of the rotation.
      const busy: Store = {
        ...store,
        operators: {
          ...store.operators,
          async updateIf(id, expected, patch, now) {
            interleaved++;
            const current = (await store.operators.get(id))!;
            const ipAllowlist = [`198.51.100.${interleaved}/32`];
            await store.operators.update(id, { auth: { ...current.auth, ipAllowlist } }, now);
            return store.operators.updateIf(id, expected, patch, now);
          },
        },
      };
      await assert.rejects(rotateSecret(depsOf(busy), ADMIN, f.operator.id), (error: unknown) => {
        assert.ok(error instanceof PostwireError);
        assert.equal(error.code, "conflict");
        return true;
      });
      assert.equal(interleaved, 3);
      const stored = (await store.operators.get(f.operator.id))!;
      assert.deepEqual(stored.auth.hmacSecrets, [f.secret], "the rotation changed nothing");
      assert.deepEqual(stored.auth.ipAllowlist, ["198.51.100.3/32"], "the other writer's changes stand");
    });
  });
}
