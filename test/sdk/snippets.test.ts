/**
 * The senders of docs/integration.md §13 (Python, PHP, Go), taken from the guide as they are
 * (the fenced block after each `<!-- snippet: … -->` marker) and run against a real service:
 * accepted, then a duplicate, a retry after a 503 with Retry-After, and a bad signature.
 * A toolchain missing locally skips its language with a message; in CI (CI=true) it fails.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createFixture, type Fixture } from "../helpers/service.ts";
import { startProxy, suiteService } from "./sdk-kit.ts";
import { runCommand, runnable, snippet, type Toolchain } from "./snippet-kit.ts";

const LANGUAGES: readonly Toolchain[] = ["python", "php", "go"];

describe("docs/integration.md senders against a real service", () => {
  const suite = suiteService("postwire-snippets-");

  for (const language of LANGUAGES) {
    test(`${language}: accepted, duplicate, retried after a 503, refused on a bad signature`, async (ctx) => {
      const command = await runnable(ctx, language, suite.dir, "postwire_send", snippet(language));
      if (!command) return;
      const f = await createFixture(suite.t.store);
      const send = async (event: Record<string, string>, over: { url?: string; secret?: string } = {}) => {
        const done = await runCommand(command, [JSON.stringify(event)], {
          POSTWIRE_URL: over.url ?? suite.t.url,
          POSTWIRE_OPERATOR_KEY: f.operator.key,
          POSTWIRE_SECRET: over.secret ?? f.secret,
        });
        const line = done.stdout.trim();
        const space = line.indexOf(" ");
        return {
          exit: done.exit,
          status: Number(line.slice(0, space)),
          answer: JSON.parse(line.slice(space + 1)),
        };
      };
      const ftd = {
        event: "ftd",
        txid: `${language}-1`,
        player_id: `p-${language}`,
        amount: "100.50",
        currency: "EUR",
      };

      const first = await send(ftd);
      assert.deepEqual([first.exit, first.status, first.answer.code], [0, 200, "accepted"]);
      const again = await send(ftd);
      assert.deepEqual([again.exit, again.status, again.answer.code], [0, 200, "duplicate"]);
      assert.equal(again.answer.conversion_id, first.answer.conversion_id);

      await retriedAfter503(f, (url) => send({ ...ftd, txid: `${language}-2` }, { url }));

      const other: Fixture = await createFixture(suite.t.store);
      const refused = await send({ ...ftd, txid: `${language}-3` }, { secret: other.secret });
      assert.deepEqual([refused.exit, refused.status, refused.answer.code], [1, 401, "invalid_signature"]);
      const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
      assert.deepEqual(stored.map((c) => c.txid).sort(), [`${language}-1`, `${language}-2`]);
    });
  }

  /** Through a proxy that answers the first request 503 (Retry-After: 1): a second attempt, same id and body. */
  async function retriedAfter503(
    f: Fixture,
    send: (url: string) => Promise<{ exit: number; status: number; answer: Record<string, unknown> }>,
  ) {
    const proxy = await startProxy(suite.t.url, (n) => (n === 0 ? "503" : "forward"));
    try {
      const started = Date.now();
      const result = await send(proxy.url);
      assert.deepEqual([result.exit, result.status, result.answer["code"]], [0, 200, "accepted"]);
      assert.ok(Date.now() - started >= 1_000, "waited Retry-After");
      assert.equal(proxy.requests.length, 2);
      const [a, b] = proxy.requests;
      assert.equal(a!.headers["webhook-id"], b!.headers["webhook-id"]);
      assert.equal(a!.body, b!.body);
      assert.equal(a!.url, `/v1/postback/${f.operator.key}`);
    } finally {
      await proxy.close();
    }
  }
});
