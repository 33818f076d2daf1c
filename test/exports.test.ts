/**
 * Every export of src/app and src/console is used outside its own file (by another module, a test,
 * a benchmark or the SDK): an export no other file names is module-private and says so by not being
 * exported. Found by name, as a whole word, in every other source file.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

const ROOT = path.join(import.meta.dirname, "..");
const CHECKED = ["src/app", "src/console"];
const SEARCHED = ["src", "test", "bench", "packages"];

function walk(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const name = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "dist" ? [] : walk(name);
    return /\.(ts|js|mjs)$/.test(e.name) ? [name] : [];
  });
}

test("every export of src/app and src/console is used by another file", () => {
  const texts = new Map(SEARCHED.flatMap(walk).map((f) => [f, readFileSync(path.join(ROOT, f), "utf8")]));
  const unused: string[] = [];
  for (const [file, text] of texts) {
    if (!CHECKED.some((d) => file.startsWith(`${d}/`))) continue;
    for (const [, name] of text.matchAll(
      /^export (?:async )?(?:const|function|interface|type|class|let) (\w+)/gm,
    )) {
      const word = new RegExp(`\\b${name}\\b`);
      const elsewhere = [...texts].some(([other, t]) => other !== file && word.test(t));
      if (!elsewhere) unused.push(`${file}: ${name}`);
    }
  }
  assert.deepEqual(unused, [], "exported but used only in their own file: drop the `export`");
});
