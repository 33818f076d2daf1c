/**
 * The Integration page's senders (src/console/integration-snippets.ts) run as rendered, each with
 * its own toolchain, against a real service: a signed test FTD in the operator's own parameter
 * names is accepted; with another operator's secret it is refused. A toolchain missing locally
 * skips its language (in CI it fails, as for the guide's snippets).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import { promisify } from "node:util";
import { operatorParamName, operatorValue } from "../../src/app/admin/mapping.ts";
import {
  SNIPPET_LANGUAGES,
  type SnippetLanguage,
  sampleEvent,
  senderSnippets,
} from "../../src/console/integration-snippets.ts";
import { hashToken } from "../../src/domain/postback-auth.ts";
import { createFixture } from "../helpers/service.ts";
import { suiteService } from "../sdk/sdk-kit.ts";
import { runCommand, runnable } from "../sdk/snippet-kit.ts";

const exec = promisify(execFile);
const MAPPING = { params: { btag: "player_id", kind: "event" }, values: { event: { dep_first: "ftd" } } };

async function bashReady(): Promise<boolean> {
  try {
    await exec("bash", ["-c", "command -v curl && command -v openssl && command -v od"]);
    return true;
  } catch {
    return false;
  }
}

describe("the Integration page's senders against a real service", () => {
  const suite = suiteService("postwire-page-snippets-");

  async function commandOf(ctx: TestContext, language: SnippetLanguage, source: string, variant = "signed") {
    const name = `page_${language}_${variant}`;
    if (language !== "curl") return runnable(ctx, language, suite.dir, name, source);
    if (!(await bashReady())) {
      assert.notEqual(process.env["CI"], "true", "CI runs the curl sender");
      ctx.skip("bash, curl or openssl is missing");
      return undefined;
    }
    const file = path.join(suite.dir, `${name}.sh`);
    writeFileSync(file, source);
    return ["bash", file];
  }

  for (const language of SNIPPET_LANGUAGES) {
    test(`${language}: accepted in the operator's names; refused with another secret`, async (ctx) => {
      const f = await createFixture(suite.t.store, { mapping: MAPPING });
      const other = await createFixture(suite.t.store);
      const txid = `page-${language}`;
      const event = sampleEvent(
        (field) => operatorParamName(MAPPING, field),
        (field, value) => operatorValue(MAPPING, field, value),
        txid,
      );
      assert.deepEqual(event.slice(0, 3), [
        ["kind", "dep_first"],
        ["txid", txid],
        ["btag", "player-42"],
      ]);
      const source = senderSnippets({
        endpoint: `${suite.t.url}/v1/postback/${f.operator.key}`,
        event,
        txid,
        hmac: true,
        staticToken: false,
      })[language];
      assert.doesNotMatch(source, /whsec_[A-Za-z0-9+/]{8}/, "no secret in the code");
      const command = await commandOf(ctx, language, source);
      if (!command) return;
      const answerOf = async (secret: string) => {
        const done = await runCommand(command, [], { POSTWIRE_SECRET: secret });
        const json = /\{.*\}/.exec(done.stdout)?.[0];
        assert.ok(json, `an answer in ${JSON.stringify(done.stdout)}`);
        return JSON.parse(json) as { code: string };
      };
      assert.equal((await answerOf(f.secret)).code, "accepted");
      assert.equal((await answerOf(other.secret)).code, "invalid_signature");
      const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
      assert.deepEqual(
        stored.map((c) => [c.txid, c.event, c.playerId, c.test]),
        [[txid, "ftd", "player-42", true]],
      );
    });

    test(`${language}: an unsigned operator's sender sends the static token (allowlist and token)`, async (ctx) => {
      const token = `pwt_${language}-page-snippet-token`;
      const f = await createFixture(suite.t.store, {
        auth: {
          hmacSecrets: [],
          ipAllowlist: ["127.0.0.1/32", "::1/128"],
          staticTokenHash: hashToken(token).toString("hex"),
        },
      });
      const txid = `page-token-${language}`;
      const source = senderSnippets({
        endpoint: `${suite.t.url}/v1/postback/${f.operator.key}`,
        event: sampleEvent(
          (field) => field,
          (_, value) => value,
          txid,
        ),
        txid,
        hmac: false,
        staticToken: true,
      })[language];
      assert.doesNotMatch(source, /POSTWIRE_SECRET/);
      const command = await commandOf(ctx, language, source, "token");
      if (!command) return;
      for (const [given, code] of [
        ["wrong", "invalid_token"],
        [token, "accepted"],
      ] as const) {
        const done = await runCommand(command, [], { POSTWIRE_TOKEN: given });
        assert.match(done.stdout, new RegExp(`"code": ?"${code}"`), done.stdout);
      }
    });
  }
});
