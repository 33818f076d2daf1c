/**
 * `postwire check` against a real service over loopback: the checklist of a fresh program is not
 * ready; `--fire` acts as the operator, sends the whole test set and reaches "ready to go live";
 * `--reset` starts afresh; an operator key sees only its own programs.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { client, createWorld, type World, worldVia } from "../adapters/http/admin-kit.ts";
import { runPostwire } from "../helpers/cli.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("postwire check (go-live checklist)", { timeout: 60_000 }, () => {
  let t: TestService;
  let world: World;
  before(async () => {
    t = await startTestService("sqlite");
    world = await createWorld(t, "Check");
  });
  after(() => t?.close());

  const check = (...args: string[]) =>
    runPostwire(["check", "--program", String(world.program.id), "--url", t.url, ...args], {
      POSTWIRE_API_KEY: t.adminKey,
    });

  test("a fresh program is not ready; --fire proves the installation; --reset starts afresh", async () => {
    const fresh = await check();
    assert.equal(fresh.code, 1, fresh.err);
    assert.match(fresh.out, /not ready yet/);
    assert.match(fresh.out, /\[ \] A test ftd accepted \(event, txid, amount, currency\)/);

    const fired = await check("--fire", "--secret", world.secret);
    assert.equal(fired.code, 0, `${fired.out}\n${fired.err}`);
    assert.match(fired.out, /sent ftd \(signed GET\): 200 accepted/);
    assert.match(fired.out, /sent the same again \(retry\): 200 duplicate/);
    assert.match(fired.out, /sent a wrong signature .*: 401 invalid_signature/);
    assert.match(fired.out, /READY to go live/);
    assert.doesNotMatch(fired.out, /\[ \]/);

    const json = JSON.parse((await check("--json")).out) as {
      ready: boolean;
      items: Array<{ id: string; state: string }>;
    };
    assert.equal(json.ready, true);
    assert.deepEqual(
      json.items.filter((i) => i.state !== "passed").map((i) => i.id),
      [],
      "a signed POST was used, so it is needed and passed too",
    );

    const reset = await check("--reset");
    assert.equal(reset.code, 1);
    assert.match(reset.out, /not ready yet/);
    assert.doesNotMatch(reset.out, /\[x\]/);
  });

  for (const vertical of ["forex", "prop"] as const)
    test(`--fire reaches ready for a ${vertical} program too (lots, challenge purchases…)`, async () => {
      const other = await worldVia(client(t.url, t.adminKey), `Fire ${vertical}`, {
        name: `${vertical} program`,
        vertical,
        currency: "USD",
        landing_url_template: "https://brand.example/?cid={click_id}",
      });
      const fired = await runPostwire(
        ["check", "--program", String(other.program.id), "--url", t.url, "--fire", "--secret", other.secret],
        { POSTWIRE_API_KEY: t.adminKey },
      );
      assert.equal(fired.code, 0, `${fired.out}\n${fired.err}`);
      assert.match(fired.out, /READY to go live/);
    });

  test("an operator key checks its own program; another operator's is not found", async () => {
    const own = await t.key("operator", { operatorId: world.operator.id });
    const mine = await runPostwire([
      "check",
      "--program",
      String(world.program.id),
      "--url",
      t.url,
      "--api-key",
      own,
    ]);
    assert.equal(mine.code, 1);
    assert.match(mine.out, /^Program \d+: /);
    const other = await createWorld(t, "Elsewhere");
    const theirs = await runPostwire([
      "check",
      "--program",
      String(other.program.id),
      "--url",
      t.url,
      "--api-key",
      own,
    ]);
    assert.equal(theirs.code, 1);
    assert.match(theirs.err, /404/);
    const admin = client(t.url, t.adminKey);
    assert.equal((await admin("GET", `/v1/programs/${other.program.id}/checklist`)).status, 200);
  });
});
