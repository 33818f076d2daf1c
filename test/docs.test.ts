/**
 * The documentation stays true to the code: docs/errors.md has exactly the catalogue's codes with
 * their statuses, .env.example has exactly the variables config.ts reads (with the real defaults),
 * and the integration guide's worked example is the independent signing vector.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parseEnv } from "node:util";
import { loadConfig } from "../src/config.ts";
import { ERROR_FIXES } from "../src/domain/error-fixes.ts";
import { ERRORS } from "../src/domain/errors.ts";
import { DEFAULT_GRACE_HOURS, MAX_GRACE_HOURS } from "../src/domain/secret-rotation.ts";
import { signingVectors } from "./helpers/signing-vectors.ts";

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");

describe("docs/errors.md", () => {
  const text = read("docs/errors.md");
  // One entry per code: a heading "### `code` · status", then what happens and what to do.
  const entries = new Map<string, number>();
  for (const m of text.matchAll(/^### `([a-z_]+)` · (\d{3})\s*$/gm)) {
    assert.ok(!entries.has(m[1]!), `${m[1]} is documented twice`);
    entries.set(m[1]!, Number(m[2]));
  }

  test("every code in ERRORS has an entry with its HTTP status", () => {
    for (const [code, { status }] of Object.entries(ERRORS)) {
      assert.equal(entries.get(code), status, `docs/errors.md: ### \`${code}\` · ${status}`);
    }
  });

  test("no entry documents a code that is not in ERRORS", () => {
    const unknown = [...entries.keys()].filter((code) => !Object.hasOwn(ERRORS, code));
    assert.deepEqual(unknown, []);
    // Every level-3 heading is an entry, so no code can hide in another heading format.
    const headings = text.match(/^### .*/gm) ?? [];
    assert.equal(headings.length, entries.size, "every ### heading is `code` · status");
  });

  test("every entry says when it happens and what to do", () => {
    const sections = text.split(/^### /m).slice(1);
    for (const section of sections) {
      const code = section.slice(1, section.indexOf("`", 1));
      assert.match(section, /\*\*When:\*\* \S/, `${code}: When`);
      assert.match(section, /\*\*Do:\*\* \S/, `${code}: Do`);
    }
  });

  test("the console's fix for each code is its entry's Do: line", () => {
    const sections = text.split(/^### /m).slice(1);
    const documented = new Map<string, string>();
    for (const section of sections) {
      const code = section.slice(1, section.indexOf("`", 1));
      const doLine = /^- \*\*Do:\*\* ([\s\S]*?)(?=^- \*\*|^\s*$|$(?![\s\S]))/m.exec(section)?.[1] ?? "";
      documented.set(code, doLine.split(/\s+/).filter(Boolean).join(" "));
    }
    assert.deepEqual(new Map(Object.entries(ERROR_FIXES)), documented);
  });
});

describe(".env.example", () => {
  const example = read(".env.example");
  const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

  /** Variables loadConfig reads: recorded by a proxy, plus literal names in config.ts. */
  function configVariables(): Set<string> {
    const names = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name === "string") names.add(name);
        return undefined;
      },
    });
    loadConfig(env);
    // Reads that happen only in some branches are found by their names in the source.
    const source = read("src/config.ts");
    for (const m of source.matchAll(
      /(?:text|int|oneOf)\(\s*"([A-Z][A-Z0-9_]*)"|env\[\s*"([A-Z][A-Z0-9_]*)"\s*\]/g,
    )) {
      names.add((m[1] ?? m[2])!);
    }
    return names;
  }

  test("documents every variable src/config.ts reads, and only those", () => {
    const read = configVariables();
    assert.ok(read.size > 10, "the variable reader finds the variables");
    assert.deepEqual(
      [...read].filter((name) => !documented.has(name)).sort(),
      [],
      "missing from .env.example",
    );
    assert.deepEqual([...documented].filter((name) => !read.has(name)).sort(), [], "not read by config.ts");
  });

  test("its values are the defaults, and each variable has a comment", () => {
    assert.deepEqual(loadConfig(parseEnv(example)), loadConfig({}));
    const lines = example.split("\n");
    for (const [i, line] of lines.entries()) {
      if (!/^[A-Z]/.test(line)) continue;
      // A comment directly above, possibly shared by a short group of related variables.
      let j = i - 1;
      while (j >= 0 && /^[A-Z]/.test(lines[j]!)) j--;
      assert.ok(j >= 0 && lines[j]!.startsWith("# "), `${line}: needs a comment above`);
    }
  });
});

describe("docs/integration.md", () => {
  test("the worked signing examples are the independent vectors", () => {
    const guide = read("docs/integration.md");
    const { secret, get, post } = signingVectors;
    assert.ok(guide.includes(secret));
    for (const c of get.cases.slice(0, 2)) {
      assert.ok(guide.includes(c.canonical), c.name);
      assert.ok(guide.includes(c.sig), c.name);
    }
    assert.ok(guide.includes(get.cases[0]!.query_as_sent));
    assert.ok(guide.includes(post.cases[0]!.body));
    assert.ok(guide.includes(post.cases[0]!["webhook-signature"]));
  });
});

describe("docs/outbound.md", () => {
  test("the secret rotation section states the route and the grace period's real limits", () => {
    const guide = read("docs/outbound.md");
    const section = guide.slice(guide.indexOf("### Rotating the signing secret"));
    assert.ok(section.length > 0 && guide.includes("### Rotating the signing secret"));
    assert.ok(section.includes("POST /v1/endpoints/{id}/rotate-secret"));
    assert.ok(section.includes(`from 0 to ${MAX_GRACE_HOURS}, default ${DEFAULT_GRACE_HOURS}`));
    assert.ok(section.includes("v1,<signature with the new secret> v1,<signature with the old one>"));
  });
});
