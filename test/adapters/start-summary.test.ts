/**
 * The start summary (adapters/start-summary.ts): what `postwire serve` says at start, decided from
 * the facts (table), and the real `postwire serve` logging it as one JSON line, never with the
 * database password.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CREATE_ADMIN_KEY,
  databaseLabel,
  type StartFacts,
  type StartFields,
  startFacts,
  startSummary,
} from "../../src/adapters/start-summary.ts";
import type { Store } from "../../src/app/ports.ts";
import { availableEngines, createTestDatabase } from "../helpers/engines.ts";
import { spawnServe } from "../helpers/serve-process.ts";

const DEFAULTS: StartFacts = {
  host: "0.0.0.0",
  port: 8080,
  engine: "sqlite",
  databaseUrl: "sqlite:./data/postwire.db",
  cwd: "/srv/postwire",
  publicUrl: "http://localhost:8080",
  publicUrlDefault: true,
  adminKeys: 0,
  metricsUrl: undefined,
  metricsToken: false,
};

const LOCALHOST_WARNING = /^PUBLIC_URL is http:\/\/(localhost|127\.0\.0\.1|\[::1\]):8080 while listening on /;
const METRICS_OPEN = /^GET \/metrics answers anyone who can reach it\. Set METRICS_TOKEN, or METRICS_PORT/;
const PLAIN_HTTP = /^The admin API is plain HTTP: API keys cross the network in clear text\. Put a TLS proxy/;
const HTTPS_EXPECTED = /^The admin API is plain HTTP here; PUBLIC_URL is https/;

const cases: Array<{
  name: string;
  facts: Partial<StartFacts>;
  expect: Partial<Omit<StartFields, "todo" | "warnings" | "notes">> & {
    todo: number;
    warnings: readonly RegExp[];
    note: RegExp;
  };
}> = [
  {
    name: "npm start as is: all interfaces, SQLite, default PUBLIC_URL, no key yet, /metrics open",
    facts: {},
    expect: {
      listen: "0.0.0.0:8080",
      allInterfaces: true,
      database: "/srv/postwire/data/postwire.db",
      publicUrlDefault: true,
      adminKey: false,
      metrics: "http://0.0.0.0:8080/metrics",
      metricsToken: false,
      todo: 1,
      warnings: [LOCALHOST_WARNING, METRICS_OPEN],
      note: PLAIN_HTTP,
    },
  },
  {
    name: "local only (HOST=127.0.0.1): localhost links are right, /metrics is local",
    facts: { host: "127.0.0.1", adminKeys: 1 },
    expect: {
      listen: "127.0.0.1:8080",
      allInterfaces: false,
      adminKey: true,
      todo: 0,
      warnings: [],
      note: PLAIN_HTTP,
    },
  },
  {
    name: "behind a TLS proxy: https PUBLIC_URL, a key exists, /metrics behind a token",
    facts: {
      publicUrl: "https://track.example.com",
      publicUrlDefault: false,
      adminKeys: 2,
      metricsToken: true,
    },
    expect: {
      publicUrl: "https://track.example.com",
      publicUrlDefault: false,
      metricsToken: true,
      todo: 0,
      warnings: [],
      note: HTTPS_EXPECTED,
    },
  },
  {
    name: "IPv6 any address with a loopback PUBLIC_URL",
    facts: { host: "::", publicUrl: "http://[::1]:8080", publicUrlDefault: false, adminKeys: 1 },
    expect: {
      listen: "[::]:8080",
      allInterfaces: true,
      metrics: "http://[::]:8080/metrics",
      todo: 0,
      warnings: [LOCALHOST_WARNING, METRICS_OPEN],
      note: PLAIN_HTTP,
    },
  },
  {
    name: "one public interface with a loopback PUBLIC_URL; /metrics on a local listener of its own",
    facts: {
      host: "192.0.2.10",
      publicUrl: "http://127.0.0.1:8080",
      publicUrlDefault: false,
      adminKeys: 1,
      metricsUrl: "http://127.0.0.1:9464",
    },
    expect: {
      listen: "192.0.2.10:8080",
      allInterfaces: false,
      metrics: "http://127.0.0.1:9464/metrics",
      todo: 0,
      warnings: [LOCALHOST_WARNING],
      note: PLAIN_HTTP,
    },
  },
  {
    name: "a metrics listener of its own on all interfaces, without a token",
    facts: { host: "127.0.0.1", adminKeys: 1, metricsUrl: "http://0.0.0.0:9464" },
    expect: { metrics: "http://0.0.0.0:9464/metrics", todo: 0, warnings: [METRICS_OPEN], note: PLAIN_HTTP },
  },
  {
    name: "the database did not say whether an admin key exists: no advice either way",
    facts: { host: "127.0.0.1", adminKeys: null },
    expect: { adminKey: null, todo: 0, warnings: [], note: PLAIN_HTTP },
  },
  {
    name: "PostgreSQL: user, host, port and database, never the password",
    facts: {
      host: "127.0.0.1",
      engine: "postgres",
      databaseUrl: "postgres://postwire:s3cret%21@db.internal:6543/postwire?sslmode=require&password=other",
    },
    expect: {
      engine: "postgres",
      database: "postwire@db.internal:6543/postwire",
      todo: 1,
      warnings: [],
      note: PLAIN_HTTP,
    },
  },
];

describe("start summary", () => {
  for (const c of cases) {
    test(c.name, () => {
      const { fields, text } = startSummary({ ...DEFAULTS, ...c.facts });
      const { todo, warnings, note, ...plain } = c.expect;
      for (const [name, value] of Object.entries(plain)) {
        assert.deepEqual(fields[name as keyof StartFields], value, name);
      }
      assert.equal(fields.todo.length, todo);
      for (const command of todo ? CREATE_ADMIN_KEY : []) {
        assert.ok(fields.todo[0]!.includes(command), command);
        assert.ok(text.includes(`\n  ${command}\n`), `the terminal shows ${command} on its own line`);
      }
      assert.equal(fields.warnings.length, warnings.length, fields.warnings.join("\n"));
      for (const [i, warning] of warnings.entries()) {
        assert.match(fields.warnings[i]!, warning);
        assert.ok(text.includes(`Warning: ${fields.warnings[i]}`));
      }
      assert.equal(fields.notes.length, 1);
      assert.match(fields.notes[0]!, note);
      // The terminal block says the same: where it listens, the database, the public URL.
      for (const shown of [fields.listen, fields.database, fields.publicUrl])
        assert.ok(text.includes(shown), shown);
      assert.ok(!`${JSON.stringify(fields)}${text}`.includes("s3cret"), "no password anywhere");
      assert.ok(!`${JSON.stringify(fields)}${text}`.includes("other"), "nor one given as a parameter");
    });
  }

  test("a database failing at that moment leaves the key question open rather than failing the start", async () => {
    const store = {
      engine: "postgres",
      apiKeys: { list: () => Promise.reject(new Error("connection terminated")) },
    } as unknown as Store;
    const settings = { ...DEFAULTS, metricsToken: undefined };
    const facts = await startFacts(settings, { store, port: 8080, metricsUrl: undefined }, "/srv");
    assert.equal(facts.adminKeys, null);
    assert.match(startSummary(facts).text, /Admin API key {3}unknown \(database not answering\)/);
  });

  test("database labels", () => {
    const table: Array<[string, string]> = [
      ["sqlite:./data/postwire.db", "/srv/postwire/data/postwire.db"],
      ["sqlite:/var/lib/postwire/pw.db", "/var/lib/postwire/pw.db"],
      ["sqlite::memory:", ":memory:"],
      ["postgres://postwire@localhost/postwire", "postwire@localhost:5432/postwire"],
      ["postgresql://u:p@10.0.0.5:5432/pw", "u@10.0.0.5:5432/pw"],
      ["postgres://postgres@localhost/pw?host=/var/run/postgresql", "postgres@/var/run/postgresql:5432/pw"],
      ["postgres:///pw?host=/run/postgresql", "/run/postgresql:5432/pw"],
    ];
    for (const [url, label] of table) assert.equal(databaseLabel(url, "/srv/postwire"), label, url);
  });
});

for (const engine of await availableEngines()) {
  test(`postwire serve logs the summary as one JSON line; a bootstrap key shows (${engine})`, {
    timeout: 60_000,
  }, async () => {
    const database = await createTestDatabase(engine);
    // A password in the URL (PostgreSQL's trust authentication ignores it) must never be printed.
    const databaseUrl = database.url.replace("postgres://postgres@", "postgres://postgres:s3cret-pw@");
    try {
      const first = await spawnServe({ DATABASE_URL: databaseUrl, HOST: "0.0.0.0" });
      await first.stop();
      const line = first.logLine("postwire listening")!;
      const port = Number(new URL(first.url).port);
      assert.equal(line["listen"], `0.0.0.0:${port}`);
      assert.equal(line["allInterfaces"], true);
      assert.equal(line["engine"], engine);
      assert.equal(line["database"], databaseLabel(databaseUrl, process.cwd()));
      assert.equal(line["publicUrl"], "http://localhost:0", "PORT=0: the default PUBLIC_URL names port 0");
      assert.equal(line["adminKey"], false);
      assert.equal((line["todo"] as string[]).length, 1);
      assert.match((line["todo"] as string[])[0]!, /npx postwire keys create --role admin/);
      assert.equal((line["warnings"] as string[]).length, 2);
      assert.equal(
        (line["warnings"] as string[])[0],
        "PUBLIC_URL is http://localhost:0 while listening on all interfaces: tracking links and postback " +
          "URLs given out point at localhost. Set PUBLIC_URL to the address clients use.",
      );
      assert.match((line["warnings"] as string[])[1]!, METRICS_OPEN);
      assert.match((line["notes"] as string[])[0]!, PLAIN_HTTP);
      assert.ok(!first.output().includes("s3cret-pw"), "the password is not in the output");
      assert.ok(
        !first.output().includes("Postwire is running."),
        "no terminal block when stdout is not a TTY",
      );

      const second = await spawnServe({
        DATABASE_URL: databaseUrl,
        BOOTSTRAP_ADMIN_KEY: `pw_${"b".repeat(40)}`,
        PUBLIC_URL: "https://track.example.com",
      });
      await second.stop();
      const again = second.logLine("postwire listening")!;
      assert.equal(again["adminKey"], true);
      assert.deepEqual([again["todo"], again["warnings"]], [[], []]);
      assert.match((again["notes"] as string[])[0]!, HTTPS_EXPECTED);
    } finally {
      await database.drop();
    }
  });
}
