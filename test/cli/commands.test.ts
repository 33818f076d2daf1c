/**
 * `postwire migrate`, `keys create` and `serve`, in-process through runCli and as child processes
 * through bin/postwire, on real databases.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { startService } from "../../src/composition/start-service.ts";
import { loadConfig } from "../../src/config.ts";
import { runPostwire } from "../helpers/cli.ts";
import { availableEngines, createTestDatabase } from "../helpers/engines.ts";

const BIN = path.join(import.meta.dirname, "../../bin/postwire");
/** A minimal environment for child processes: nothing of the developer's own configuration. */
const CHILD_ENV = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };

/** GET /v1/me with the key on a service started over `databaseUrl`. */
async function whoAmI(databaseUrl: string, key: string): Promise<[number, unknown]> {
  const service = await startService(
    loadConfig({ DATABASE_URL: databaseUrl, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "silent" }),
  );
  try {
    const response = await fetch(`${service.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    return [response.status, await response.json()];
  } finally {
    await service.stop();
  }
}

for (const engine of await availableEngines()) {
  test(`migrate prints the versions applied, then that the database is up to date (${engine})`, async () => {
    const database = await createTestDatabase(engine);
    try {
      const first = await runPostwire(["migrate"], { DATABASE_URL: database.url });
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /^Applied migrations: 001(, \d{3})*\nDatabase is up to date/);
      const second = await runPostwire(["migrate"], { DATABASE_URL: database.url });
      assert.equal(second.code, 0);
      assert.equal(second.out, `Database is up to date (${engine}).`);
    } finally {
      await database.drop();
    }
  });

  test(`keys create --role admin --json prints a key that works on /v1/me (${engine})`, async () => {
    const database = await createTestDatabase(engine);
    try {
      const created = await runPostwire(["keys", "create", "--role", "admin", "--json"], {
        DATABASE_URL: database.url,
      });
      assert.equal(created.code, 0, created.err);
      const key = JSON.parse(created.out) as { id: number; role: string; key: string };
      assert.equal(key.role, "admin");
      assert.match(key.key, /^pw_[A-Za-z0-9_-]{32,}$/);
      assert.deepEqual(await whoAmI(database.url, key.key), [
        200,
        { role: "admin", operator_id: null, affiliate_id: null },
      ]);
      // Change the last character to a different one (a key may already end in "x").
      const wrong = `${key.key.slice(0, -1)}${key.key.endsWith("x") ? "y" : "x"}`;
      const [status] = await whoAmI(database.url, wrong);
      assert.equal(status, 401);
    } finally {
      await database.drop();
    }
  });
}

test("bin/postwire keys create, as a child process, prints a working key", async () => {
  const database = await createTestDatabase("sqlite");
  try {
    const { stdout } = await promisify(execFile)(BIN, ["keys", "create", "--role", "admin", "--json"], {
      env: { ...CHILD_ENV, DATABASE_URL: database.url },
    });
    const { key } = JSON.parse(stdout) as { key: string };
    assert.equal((await whoAmI(database.url, key))[0], 200);
    const plain = await promisify(execFile)(BIN, ["keys", "create", "--role", "admin", "--name", "ops"], {
      env: { ...CHILD_ENV, DATABASE_URL: database.url },
    });
    assert.match(plain.stdout, /^pw_[A-Za-z0-9_-]{32,}\n$/);
    assert.match(plain.stderr, /Created admin key #2\. It is shown once/);
  } finally {
    await database.drop();
  }
});

test("bin/postwire serve starts, answers /healthz and shuts down cleanly on SIGTERM", async () => {
  const database = await createTestDatabase("sqlite");
  const child = spawn(BIN, ["serve"], {
    env: { ...CHILD_ENV, DATABASE_URL: database.url, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let logs = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        logs += chunk.toString("utf8");
        const line = logs.split("\n").find((l) => l.includes('"postwire listening"'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.on("exit", (code) => reject(new Error(`serve exited with ${code} before listening: ${logs}`)));
    });
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.match(logs, /shutting down: draining in-flight requests/);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await database.drop();
  }
});

test("keys create refuses bad arguments with exit 2", async () => {
  const database = await createTestDatabase("sqlite");
  const env = { DATABASE_URL: database.url };
  try {
    const cases: Array<[string[], RegExp]> = [
      [["keys"], /expected "keys create"/],
      [["keys", "create"], /--role must be one of admin, operator, affiliate/],
      [["keys", "create", "--role", "root"], /--role must be one of/],
      [["keys", "create", "--role", "operator"], /An operator key needs operator_id/],
      [
        ["keys", "create", "--role", "operator", "--operator-id", "abc"],
        /--operator-id must be a positive integer/,
      ],
      [["keys", "create", "--role", "operator", "--operator-id", "99"], /Operator 99 does not exist/],
      [["keys", "create", "--role", "admin", "--bogus"], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const result = await runPostwire(argv, env);
      assert.equal(result.code, 2, argv.join(" "));
      assert.match(result.err, message);
      assert.equal(result.out, "");
    }
  } finally {
    await database.drop();
  }
});

test("configuration errors are all reported, exit 2", async () => {
  const result = await runPostwire(["migrate"], { DATABASE_URL: "mysql://x", PORT: "http" });
  assert.equal(result.code, 2);
  assert.match(result.err, /DATABASE_URL must be sqlite:<path> or postgres:\/\//);
  assert.match(result.err, /PORT must be an integer/);
});

test("help and unknown commands", async () => {
  const help = await runPostwire(["--help"]);
  assert.equal(help.code, 0);
  for (const command of ["serve", "migrate", "keys create", "postback"])
    assert.ok(help.out.includes(command));
  const none = await runPostwire([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /Usage: postwire/);
  const unknown = await runPostwire(["deploy"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "deploy"/);
  const serveOption = await runPostwire(["serve", "--port", "1"]);
  assert.equal(serveOption.code, 2);
  assert.match(serveOption.err, /Unknown option '--port'/);
  const serveArgs = await runPostwire(["serve", "now"]);
  assert.equal(serveArgs.code, 2);
  assert.match(serveArgs.err, /serve takes no arguments/);
});

test("serve --workers on SQLite is refused with the reason, exit 2", async () => {
  const result = await runPostwire(["serve", "--workers", "4"], { DATABASE_URL: "sqlite:/tmp/never.db" });
  assert.equal(result.code, 2);
  assert.match(result.err, /WORKERS=4 needs PostgreSQL .*SQLite has one writer/);
});
