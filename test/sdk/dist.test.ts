/**
 * The published form of the SDK: `tsc -p packages/sdk` emits ESM `.js` and `.d.ts`, installed as
 * `@postwire/sdk` through its package.json `exports`, imported by a plain script on the system
 * Node (20 here, not the project's 24) that sends signed postbacks to a real service — once with
 * the global WebCrypto and once without it, as on Node 18 (node:crypto's webcrypto then).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { createFixture } from "../helpers/service.ts";
import { suiteService } from "./sdk-kit.ts";

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, "../..");
const SDK = path.join(ROOT, "packages/sdk");
const SYSTEM_NODE = "/usr/bin/node";
const TSC = path.join(ROOT, "node_modules/.bin/tsc");

const SCRIPT = `
import { createPostwireClient } from "@postwire/sdk";
const { URL, KEY, SECRET } = process.env;
const send = (txid) =>
  createPostwireClient({ baseUrl: URL, operatorKey: KEY, secret: SECRET, maxAttempts: 1 })
    .send({ event: "ftd", txid, playerId: "p-node", amount: "10.00", currency: "EUR" });
const withGlobal = await send("dist-1");
// Node 18 has no global WebCrypto without a flag.
Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
const withoutGlobal = await send("dist-2");
console.log(JSON.stringify({ node: process.version, withGlobal, withoutGlobal }));
`;

describe("SDK build (dist/) on the system Node", () => {
  const suite = suiteService("postwire-sdk-");
  const { dir } = suite;
  const installed = path.join(dir, "node_modules/@postwire/sdk");

  test("the SDK imports only its own files: nothing from src/, no npm package, no Node built-in", () => {
    for (const file of readdirSync(path.join(SDK, "src"))) {
      const code = readFileSync(path.join(SDK, "src", file), "utf8");
      for (const [, spec] of code.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        assert.match(spec!, /^\.\/[a-z-]+\.ts$/, `${file} imports ${spec}`);
      }
      // The one exception, node:crypto's webcrypto on Node 18, is imported by a variable specifier.
      assert.ok(!/\bprocess\.|\bBuffer\b/.test(code), `${file} uses no Node globals`);
    }
  });

  test("tsc emits ESM .js and .d.ts for every source file, with .js import specifiers", async () => {
    await run(TSC, ["-p", SDK, "--outDir", path.join(installed, "dist")], {
      timeout: 60_000,
    });
    cpSync(path.join(SDK, "package.json"), path.join(installed, "package.json"));
    const pkg = JSON.parse(readFileSync(path.join(SDK, "package.json"), "utf8"));
    assert.deepEqual(
      [pkg.name, pkg.type, pkg.files, pkg.engines.node],
      ["@postwire/sdk", "module", ["dist"], ">=18"],
    );
    assert.equal(pkg.dependencies, undefined, "no runtime dependencies");
    for (const target of [pkg.exports["."].types, pkg.exports["."].default]) {
      assert.ok(existsSync(path.join(installed, target)), target);
    }
    const emitted = readdirSync(path.join(installed, "dist"));
    for (const source of readdirSync(path.join(SDK, "src"))) {
      const base = source.replace(/\.ts$/, "");
      assert.ok(emitted.includes(`${base}.js`) && emitted.includes(`${base}.d.ts`), source);
      const js = readFileSync(path.join(installed, "dist", `${base}.js`), "utf8");
      assert.doesNotMatch(js, /from "\.\/[^"]+\.ts"/, `${base}.js imports .js files`);
    }
  });

  test("the README's TypeScript examples compile against the built .d.ts, as a consumer sees them", async () => {
    const readme = readFileSync(path.join(SDK, "README.md"), "utf8");
    const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(examples.length >= 2, "the README has TypeScript examples");
    // What the examples take as given: the connection settings and ids of the operator's own code.
    const given = [
      "declare const process: { env: Record<string, string | undefined> };",
      "declare const connection: { baseUrl: string; operatorKey: string; secret: string };",
      "declare const clickId: string;",
      "declare const playerId: string;",
    ];
    writeFileSync(path.join(dir, "readme.mts"), [...given, ...examples].join("\n"));
    const options = ["--strict", "--noEmit", "--module", "nodenext", "--target", "es2022", "--types", ""];
    await run(TSC, [...options, "--lib", "es2022,dom", path.join(dir, "readme.mts")], {
      cwd: dir,
      timeout: 60_000,
    }).catch((error: { stdout?: string }) => assert.fail(`README examples do not compile:\n${error.stdout}`));
  });

  test("a script on the system Node imports @postwire/sdk and sends signed postbacks", async (ctx) => {
    if (!existsSync(SYSTEM_NODE)) {
      ctx.skip(`${SYSTEM_NODE} is absent: no older Node to run the build on`);
      return;
    }
    assert.ok(existsSync(path.join(installed, "dist/index.js")), "built by the previous test");
    writeFileSync(path.join(dir, "send.mjs"), SCRIPT);
    const f = await createFixture(suite.t.store);
    const { stdout } = await run(SYSTEM_NODE, [path.join(dir, "send.mjs")], {
      cwd: dir,
      env: { PATH: process.env["PATH"], URL: suite.t.url, KEY: f.operator.key, SECRET: f.secret },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout);
    ctx.diagnostic(`system Node ${out.node}`);
    assert.ok(Number(out.node.slice(1).split(".")[0]) >= 18);
    for (const result of [out.withGlobal, out.withoutGlobal]) {
      assert.deepEqual([result.ok, result.status, result.code, result.attempts], [true, 200, "accepted", 1]);
    }
    const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
    assert.deepEqual(stored.map((c) => c.txid).sort(), ["dist-1", "dist-2"]);
  });
});
