/**
 * The dependency rule of STYLE.md, checked by reading the import lines of every file under src/.
 *
 * Layers: domain ← app ← adapters (and console) ← cli; config.ts reads variables; main.ts wires
 * everything. What each may import:
 * - domain: domain, and node:crypto / node:net only (pure computation, no I/O). No process.*,
 *   Date.now(), argument-less new Date() or Math.random(): time and randomness are passed in.
 * - app: app and domain, and built-ins without I/O (node:crypto, node:net, node:util, node:buffer).
 *   No npm packages: use cases depend on the ports they declare, not on drivers.
 * - adapters, console: adapters/console, app, domain, npm packages, any node: built-in. Not
 *   config.ts (main.ts passes values in), cli or main.ts.
 * - cli: everything but main.ts, which only cli/postwire.ts may load, lazily (`import()`), for
 *   `serve`: other commands then start without Fastify and the composition root.
 * - config.ts: domain and built-ins. main.ts and composition/ (the composition root: starting a
 *   service, preparing its database, wiring use cases and jobs): anything.
 *
 * process.env: loadConfig(env) takes its variables as an argument, so config.ts itself never
 * touches process.env; the sound rule is that no module reads process.env except as the default
 * value of a parameter in src/cli/ (`env: NodeJS.ProcessEnv = process.env`), from where it is only
 * passed on. Comment lines are skipped; `import type` counts like any import (a type dependency is
 * still a dependency). Closed sets are `as const` arrays: no `enum` or `namespace` anywhere
 * (`declare module` augmentation is allowed: it is erased). No import cycles: the modules under
 * src/, joined by their static imports, form no cycle (a lazy `import()` does not count).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";

const SRC = path.join(import.meta.dirname, "../src");

interface SourceFile {
  /** Path relative to src/, with forward slashes. */
  readonly name: string;
  /** The text without comment lines. */
  readonly code: string;
  readonly imports: ReadonlyArray<{ readonly spec: string; readonly dynamic: boolean }>;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

/** Drops whole-line comments (lines starting with //, /* or *): comments sit on their own lines here. */
function withoutCommentLines(text: string): string {
  return text
    .split("\n")
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .join("\n");
}

function read(file: string): SourceFile {
  const code = withoutCommentLines(readFileSync(file, "utf8"));
  const imports: Array<{ spec: string; dynamic: boolean }> = [];
  // Static: `import … from "x"`, `export … from "x"` (also multi-line), `import "x"`.
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms)) {
    imports.push({ spec: m[1]!, dynamic: false });
  }
  for (const m of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm))
    imports.push({ spec: m[1]!, dynamic: false });
  // Dynamic `import("x")`, also in type positions (`import("fastify").FastifyReply`).
  for (const m of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) {
    imports.push({ spec: m[1]!, dynamic: true });
  }
  return { name: path.relative(SRC, file).split(path.sep).join("/"), code, imports };
}

const FILES = walk(SRC)
  .filter((file) => file.endsWith(".ts"))
  .map(read);

type Layer = "domain" | "app" | "adapters" | "cli" | "config" | "main";

function layerOf(name: string): Layer | undefined {
  if (name === "config.ts") return "config";
  if (name === "main.ts") return "main";
  if (name.startsWith("composition/")) return "main";
  const top = name.split("/")[0];
  if (top === "domain" || top === "app" || top === "adapters" || top === "cli") return top;
  if (top === "console") return "adapters";
  return undefined;
}

type Target =
  | { kind: "layer"; layer: Layer; name: string }
  | { kind: "node"; name: string }
  | { kind: "package" };

function targetOf(from: string, spec: string): Target {
  if (spec.startsWith("node:")) return { kind: "node", name: spec };
  if (!spec.startsWith(".")) return { kind: "package" };
  const name = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const layer = layerOf(name);
  if (!layer || name.startsWith("../")) throw new Error(`${from} imports ${spec}, outside the known layers`);
  return { kind: "layer", layer, name };
}

const PURE_BUILTINS = new Set(["node:crypto", "node:net"]);
const NO_IO_BUILTINS = new Set([...PURE_BUILTINS, "node:util", "node:buffer"]);
const ALLOWED_LAYERS: Record<Layer, ReadonlySet<Layer>> = {
  domain: new Set(["domain"]),
  app: new Set(["app", "domain"]),
  adapters: new Set(["adapters", "app", "domain"]),
  cli: new Set(["cli", "adapters", "app", "domain", "config"]),
  config: new Set(["domain"]),
  main: new Set(["domain", "app", "adapters", "config"]),
};

/** Why this import breaks the rule, or undefined when it is allowed. */
function violation(file: SourceFile, spec: string, dynamic: boolean): string | undefined {
  const layer = layerOf(file.name)!;
  const target = targetOf(file.name, spec);
  if (target.kind === "node") {
    if (layer === "domain" && !PURE_BUILTINS.has(target.name))
      return "domain may use only node:crypto, node:net";
    if (layer === "app" && !NO_IO_BUILTINS.has(target.name)) return "app may use only built-ins without I/O";
    if (layer === "config" && !NO_IO_BUILTINS.has(target.name))
      return "config may use only built-ins without I/O";
    return undefined;
  }
  if (target.kind === "package") {
    return layer === "domain" || layer === "app" || layer === "config"
      ? `${layer} may not import npm packages`
      : undefined;
  }
  if (target.layer === "main") {
    return layer === "main" || (file.name === "cli/postwire.ts" && dynamic)
      ? undefined
      : "only cli/postwire.ts may load main.ts (or composition/), lazily";
  }
  return ALLOWED_LAYERS[layer].has(target.layer) ? undefined : `${layer} may not import ${target.layer}`;
}

/** The cycles among these modules through their static imports: each as its modules, in order. */
function importCycles(files: readonly SourceFile[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets = file.imports
      .filter(({ spec, dynamic }) => !dynamic && spec.startsWith("."))
      .map(({ spec }) => path.posix.normalize(path.posix.join(path.posix.dirname(file.name), spec)));
    edges.set(file.name, targets);
  }
  // Tarjan's strongly connected components: a component of two or more modules (or one that
  // imports itself) is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const name of edges.keys()) if (!index.has(name)) visit(name);
  return cycles;
}

describe("architecture (STYLE.md dependency rule)", () => {
  test("src/ has files in every layer, each in a known layer", () => {
    for (const layer of ["domain", "app", "adapters", "cli"]) {
      assert.ok(
        FILES.some((f) => layerOf(f.name) === layer),
        `no files in src/${layer}`,
      );
    }
    const unknown = FILES.filter((f) => layerOf(f.name) === undefined).map((f) => f.name);
    assert.deepEqual(unknown, [], "files outside domain/app/adapters/console/cli, config.ts, main.ts");
  });

  test("every import follows the dependency rule", () => {
    const broken = FILES.flatMap((file) =>
      file.imports.flatMap(({ spec, dynamic }) => {
        const why = violation(file, spec, dynamic);
        return why ? [`${file.name} imports ${spec}: ${why}`] : [];
      }),
    );
    assert.deepEqual(broken, []);
  });

  test("the import reader finds imports (so the rule above is not vacuous)", () => {
    const main = FILES.find((f) => f.name === "main.ts")!;
    assert.ok(main.imports.some((i) => i.spec === "./config.ts" && !i.dynamic));
    const cli = FILES.find((f) => f.name === "cli/postwire.ts")!;
    assert.ok(cli.imports.some((i) => i.spec === "../main.ts" && i.dynamic));
    assert.equal(
      violation(FILES.find((f) => /^domain\/[^/]+$/.test(f.name))!, "../app/ports.ts", false),
      "domain may not import app",
    );
    assert.ok(violation(cli, "../main.ts", false));
  });

  test("the domain reads no clock, randomness or process state", () => {
    const impure = FILES.filter((f) => f.name.startsWith("domain/")).flatMap((f) =>
      [
        /\bprocess\./,
        /\bDate\.now\s*\(/,
        /\bnew Date\(\s*\)/,
        /\bMath\.random\s*\(/,
        /\bperformance\.now\s*\(/,
      ]
        .filter((pattern) => pattern.test(f.code))
        .map((pattern) => `${f.name}: ${pattern.source}`),
    );
    assert.deepEqual(impure, []);
  });

  test("process.env is read nowhere but as a CLI default parameter", () => {
    const readers = FILES.flatMap((f) =>
      f.code
        .split("\n")
        .filter((line) => /\bprocess\.env\b/.test(line))
        .filter(
          (line) =>
            !(f.name.startsWith("cli/") && /\w+\s*:\s*[\w.]+\s*=\s*process\.env\s*[,)]?\s*$/.test(line)),
        )
        .map((line) => `${f.name}: ${line.trim()}`),
    );
    assert.deepEqual(readers, []);
  });

  test("no import cycles", () => {
    assert.deepEqual(importCycles(FILES), []);
  });

  test("the cycle finder finds cycles (so the test above is not vacuous)", () => {
    const file = (name: string, ...specs: string[]): SourceFile => ({
      name,
      code: "",
      imports: specs.map((spec) => ({ spec, dynamic: false })),
    });
    assert.deepEqual(
      importCycles([
        file("app/a.ts", "./b.ts"),
        file("app/b.ts", "../domain/c.ts"),
        file("domain/c.ts", "../app/a.ts"),
        file("app/d.ts", "./a.ts"),
        file("app/e.ts", "./e.ts"),
      ]),
      [["app/a.ts", "app/b.ts", "domain/c.ts"], ["app/e.ts"]],
    );
    const lazy = { name: "cli/x.ts", code: "", imports: [{ spec: "../main.ts", dynamic: true }] };
    assert.deepEqual(importCycles([lazy, file("main.ts", "./cli/x.ts")]), []);
  });

  test("no enum or namespace (Node's type stripping rejects them)", () => {
    const found = FILES.flatMap((f) =>
      [/^\s*(export\s+)?(declare\s+)?(const\s+)?enum\s+\w+/m, /^\s*(export\s+)?(declare\s+)?namespace\s+\w+/m]
        .filter((pattern) => pattern.test(f.code))
        .map((pattern) => `${f.name}: ${pattern.source}`),
    );
    assert.deepEqual(found, []);
  });
});
