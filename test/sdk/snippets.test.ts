/**
 * The senders of docs/integration.md §13 (Python, PHP, Go), taken from the guide as they are
 * (the fenced block after each `<!-- snippet: … -->` marker) and run against a real service:
 * accepted, then a duplicate, a retry after a 503 with Retry-After, and a bad signature.
 * A toolchain missing locally skips its language with a message; in CI (CI=true) it fails.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { createFixture, type Fixture } from "../helpers/service.ts";
import { startProxy, suiteService } from "./sdk-kit.ts";

const exec = promisify(execFile);
const GUIDE = readFileSync(new URL("../../docs/integration.md", import.meta.url), "utf8");

interface Language {
  readonly name: "python" | "php" | "go";
  readonly file: string;
  /** The toolchain's command that prints a version, then the command that runs the saved snippet. */
  readonly probe: readonly string[];
  readonly command: (file: string, probed: string) => Promise<readonly string[]>;
}

const goEnv = (dir: string) => ({
  ...process.env,
  GOCACHE: path.join(tmpdir(), "postwire-snippets-go-cache"),
  GOPATH: path.join(dir, "gopath"),
  CGO_ENABLED: "0",
});

const LANGUAGES: readonly Language[] = [
  {
    name: "python",
    file: "postwire_send.py",
    // The interpreter itself: a version manager's shim (pyenv) adds a second to every start.
    probe: ["python3", "-c", "import sys; print(sys.executable)"],
    command: async (file, probed) => [probed.trim(), file],
  },
  {
    name: "php",
    file: "postwire_send.php",
    probe: ["php", "--version"],
    command: async (file) => ["php", file],
  },
  {
    name: "go",
    file: "postwire_send.go",
    probe: ["go", "version"],
    // Built once (go run would compile on every start).
    command: async (file) => {
      const binary = file.replace(/\.go$/, "");
      await exec("go", ["build", "-o", binary, file], { env: goEnv(path.dirname(file)), timeout: 120_000 });
      return [binary];
    },
  },
];

/** The code block that follows `<!-- snippet: name -->` in the guide. */
function snippet(name: string): string {
  const match = new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(GUIDE);
  assert.ok(match, `docs/integration.md has a snippet marked ${name}`);
  return `${match[1]}\n`;
}

/** What the probe printed, or undefined if the toolchain is not installed. */
async function probe(command: readonly string[]): Promise<string | undefined> {
  try {
    return (await exec(command[0]!, command.slice(1), { timeout: 30_000 })).stdout;
  } catch {
    return undefined;
  }
}

describe("docs/integration.md senders against a real service", () => {
  const suite = suiteService("postwire-snippets-");
  const { dir } = suite;

  for (const language of LANGUAGES) {
    test(`${language.name}: accepted, duplicate, retried after a 503, refused on a bad signature`, async (ctx) => {
      const code = snippet(language.name);
      const probed = await probe(language.probe);
      if (probed === undefined) {
        const message = `${language.probe[0]} is not installed (Debian: apt-get install php-cli golang-go)`;
        assert.notEqual(
          process.env["CI"],
          "true",
          `${message}; CI must run every snippet (.ci/run installs them)`,
        );
        ctx.skip(message);
        return;
      }
      const file = path.join(dir, language.file);
      writeFileSync(file, code);
      const [command, ...args] = await language.command(file, probed);
      const f = await createFixture(suite.t.store);
      const send = async (event: Record<string, string>, over: { url?: string; secret?: string } = {}) => {
        const env = {
          PATH: process.env["PATH"],
          POSTWIRE_URL: over.url ?? suite.t.url,
          POSTWIRE_OPERATOR_KEY: f.operator.key,
          POSTWIRE_SECRET: over.secret ?? f.secret,
        };
        const done = await exec(command!, [...args, JSON.stringify(event)], { env, timeout: 60_000 }).then(
          ({ stdout }) => ({ exit: 0, stdout }),
          (error: { code?: number; stdout?: string; stderr?: string }) => {
            assert.equal(typeof error.code, "number", `${language.name} failed to run: ${error.stderr}`);
            return { exit: error.code!, stdout: error.stdout ?? "" };
          },
        );
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
        txid: `${language.name}-1`,
        player_id: `p-${language.name}`,
        amount: "100.50",
        currency: "EUR",
      };

      const first = await send(ftd);
      assert.deepEqual([first.exit, first.status, first.answer.code], [0, 200, "accepted"]);
      const again = await send(ftd);
      assert.deepEqual([again.exit, again.status, again.answer.code], [0, 200, "duplicate"]);
      assert.equal(again.answer.conversion_id, first.answer.conversion_id);

      await retriedAfter503(f, (url) => send({ ...ftd, txid: `${language.name}-2` }, { url }));

      const other: Fixture = await createFixture(suite.t.store);
      const refused = await send({ ...ftd, txid: `${language.name}-3` }, { secret: other.secret });
      assert.deepEqual([refused.exit, refused.status, refused.answer.code], [1, 401, "invalid_signature"]);
      const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
      assert.deepEqual(stored.map((c) => c.txid).sort(), [`${language.name}-1`, `${language.name}-2`]);
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
